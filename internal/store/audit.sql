-- name: insert-audit-event
-- $14-$16 are the names of the organization, user and target as the caller
-- knows them (NULL when it does not); a missing one is read here, in the
-- caller's transaction, so the event keeps it after the object is gone.
INSERT INTO audit_events (actor_type, actor_id, actor_label, action, organization_id, user_id,
                          target_type, target_id, changes, ip, user_agent, request_id, occurred_at,
                          organization_name, user_label, target_label)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
        COALESCE($14, (SELECT display_name FROM organizations WHERE id = $5)),
        COALESCE($15, (SELECT email FROM users WHERE id = $6)),
        COALESCE($16, CASE $7
            WHEN 'role' THEN (SELECT name FROM roles WHERE id = $8)
            WHEN 'permission' THEN (SELECT name FROM permissions WHERE id = $8)
            WHEN 'domain' THEN (SELECT domain FROM organization_domains WHERE id = $8)
            WHEN 'api_client' THEN (SELECT name FROM api_clients WHERE id = $8)
            WHEN 'social_provider' THEN (SELECT display_name FROM social_providers WHERE id = $8)
            WHEN 'admin_session' THEN (SELECT email FROM admin_sessions WHERE id = $8)
        END));

-- name: get-audit-event
SELECT id, occurred_at, actor_type, actor_id, actor_label, action, organization_id, organization_name,
       user_id, user_label, target_type, target_id, target_label, changes, ip, user_agent, request_id
FROM audit_events
WHERE id = $1;

-- name: list-audit-events-older
-- The log reads newest first, so the next page holds older events. Every
-- filter is "empty or matches": the parameters are known when the query is
-- planned, so an unused filter drops out and a used one can take its index
-- (audit_events_org, _user, _actor, _action, _actor_label_trgm or _time).
-- $1 actor id, $2 lowercased actor label substring (LIKE-escaped), $3 org id,
-- $4 user id, $5 actions (NULL for any), $6 from, $7 until, $8/$9 the
-- position to continue from (NULL for the first page), $10 limit.
SELECT id, occurred_at, actor_type, actor_id, actor_label, action, organization_id, organization_name,
       user_id, user_label, target_type, target_id, target_label, changes, ip, user_agent, request_id
FROM audit_events
WHERE ($1 = '' OR actor_id = $1 OR lower(actor_label) LIKE '%' || $2 || '%')
  AND ($3 = '' OR organization_id = $3)
  AND ($4 = '' OR user_id = $4)
  AND ($5::text[] IS NULL OR action = ANY ($5))
  AND ($6::timestamptz IS NULL OR occurred_at >= $6)
  AND ($7::timestamptz IS NULL OR occurred_at < $7)
  AND ($8::timestamptz IS NULL OR (occurred_at, id) < ($8, $9))
ORDER BY occurred_at DESC, id DESC
LIMIT $10;

-- name: list-audit-events-newer
-- The page before a position: newer events, fetched oldest first and put
-- back in order by the caller. Parameters as in list-audit-events-older.
SELECT id, occurred_at, actor_type, actor_id, actor_label, action, organization_id, organization_name,
       user_id, user_label, target_type, target_id, target_label, changes, ip, user_agent, request_id
FROM audit_events
WHERE ($1 = '' OR actor_id = $1 OR lower(actor_label) LIKE '%' || $2 || '%')
  AND ($3 = '' OR organization_id = $3)
  AND ($4 = '' OR user_id = $4)
  AND ($5::text[] IS NULL OR action = ANY ($5))
  AND ($6::timestamptz IS NULL OR occurred_at >= $6)
  AND ($7::timestamptz IS NULL OR occurred_at < $7)
  AND (occurred_at, id) > ($8, $9)
ORDER BY occurred_at, id
LIMIT $10;

-- name: audit-actions
-- Every action the log holds, one index probe per distinct action (a skip
-- scan over audit_events_action) instead of reading the whole log.
WITH RECURSIVE a (action) AS (
    (SELECT action FROM audit_events ORDER BY action LIMIT 1)
    UNION ALL
    SELECT (SELECT e.action FROM audit_events e WHERE e.action > a.action ORDER BY e.action LIMIT 1)
    FROM a
    WHERE a.action IS NOT NULL
)
SELECT action FROM a WHERE action IS NOT NULL;
