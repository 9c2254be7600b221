-- name: member-totals
-- Active memberships and pending invitations over every org, from the
-- trigger-kept counts: one row per org, never a scan of the memberships.
SELECT coalesce(sum(active), 0) AS active, coalesce(sum(pending), 0) AS pending
FROM organization_member_counts;

-- name: new-users-per-day
-- Users created in [$1, $2), per UTC day; an index-only range scan of
-- users_keyset. Days without any are left out.
SELECT date_trunc('day', created_at, 'UTC') AS day, count(*) AS n
FROM users
WHERE created_at >= $1 AND created_at < $2
GROUP BY 1
ORDER BY 1;

-- name: sign-ins-per-day
-- End-user sessions started in [$1, $2), per UTC day (sessions_created).
SELECT date_trunc('day', created_at, 'UTC') AS day, count(*) AS n
FROM sessions
WHERE created_at >= $1 AND created_at < $2
GROUP BY 1
ORDER BY 1;
