-- name: table-estimate
-- The planner's estimate of a table's rows: -1 before its first ANALYZE.
SELECT reltuples FROM pg_class WHERE oid = $1::regclass;

-- name: member-totals
-- Active memberships and pending invitations over every org, from the
-- trigger-kept counts: one row per org, never a scan of the memberships.
SELECT coalesce(sum(active), 0) AS active, coalesce(sum(pending), 0) AS pending
FROM organization_member_counts;

-- name: kept-daily-activity
-- The counts kept for the days $1 to $2 (YYYY-MM-DD, $2 excluded).
SELECT day::timestamp AT TIME ZONE 'UTC' AS day, sign_ins, new_users, counted_until
FROM console_daily_activity
WHERE day >= $1::date AND day < $2::date;

-- name: count-activity
-- Sign-ins (end-user sessions started) and new users created in each of the
-- time ranges [$1[i], $2[i]), in order: two index range counts per range
-- (sessions_created, users_keyset).
SELECT (SELECT count(*) FROM sessions s WHERE s.created_at >= r.since AND s.created_at < r.until) AS sign_ins,
       (SELECT count(*) FROM users u WHERE u.created_at >= r.since AND u.created_at < r.until) AS new_users
FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS r (since, until, i)
ORDER BY r.i;

-- name: keep-daily-activity
-- Keeps each day's counts up to its counted_until ($1 days as YYYY-MM-DD,
-- $2 sign-ins, $3 new users, $4 counted_until). Two views counting at once
-- each write a consistent row; the one that counted further wins.
INSERT INTO console_daily_activity AS k (day, sign_ins, new_users, counted_until)
SELECT t.day, t.sign_ins, t.new_users, t.counted_until
FROM unnest($1::date[], $2::bigint[], $3::bigint[], $4::timestamptz[])
     AS t (day, sign_ins, new_users, counted_until)
ON CONFLICT (day) DO UPDATE
SET sign_ins = excluded.sign_ins, new_users = excluded.new_users, counted_until = excluded.counted_until
WHERE k.counted_until < excluded.counted_until;
