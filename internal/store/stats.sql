-- name: member-totals
-- Active memberships and pending invitations over every org, from the
-- trigger-kept counts: one row per org, never a scan of the memberships.
SELECT coalesce(sum(active), 0) AS active, coalesce(sum(pending), 0) AS pending
FROM organization_member_counts;

-- name: kept-daily-activity
-- The days of [$1, $2) already counted.
SELECT day::timestamp AT TIME ZONE 'UTC' AS day, sign_ins, new_users
FROM console_daily_activity
WHERE day >= ($1::timestamptz AT TIME ZONE 'UTC')::date AND day < ($2::timestamptz AT TIME ZONE 'UTC')::date
ORDER BY day;

-- name: count-daily-activity
-- Sign-ins (end-user sessions started) and new users of each UTC day of
-- [$1, $2): two index range counts a day (sessions_created, users_keyset).
-- Steps of 24 hours, not '1 day', which would follow the server's time zone.
SELECT d.day,
       (SELECT count(*) FROM sessions s WHERE s.created_at >= d.day AND s.created_at < d.day + interval '24 hours') AS sign_ins,
       (SELECT count(*) FROM users u WHERE u.created_at >= d.day AND u.created_at < d.day + interval '24 hours') AS new_users
FROM generate_series($1::timestamptz, $2::timestamptz - interval '24 hours', interval '24 hours') AS d (day)
ORDER BY d.day;

-- name: keep-daily-activity
-- $1 days as YYYY-MM-DD, $2 sign-ins, $3 new users. A day another request
-- kept first stays as it is.
INSERT INTO console_daily_activity (day, sign_ins, new_users, counted_at)
SELECT t.day, t.sign_ins, t.new_users, now()
FROM unnest($1::date[], $2::bigint[], $3::bigint[]) AS t (day, sign_ins, new_users)
ON CONFLICT (day) DO NOTHING;
