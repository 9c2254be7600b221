-- name: insert-session
INSERT INTO sessions (id, token_hash, user_id, organization_id, status, ip, user_agent,
                      created_at, last_active_at, idle_expires_at, absolute_expires_at)
VALUES ($1, $2, $3, $4, 'ACTIVE', $5, $6, $7, $8, $9, $10);

-- name: insert-session-organization
INSERT INTO session_organizations (session_id, organization_id, authenticated_at)
VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING;

-- name: get-session
-- The token hash is never read back: it is only looked up by.
SELECT s.id, s.user_id, s.organization_id, s.status, s.ip, s.user_agent, s.created_at,
       s.last_active_at, s.idle_expires_at, s.absolute_expires_at, s.ended_at,
       ARRAY(SELECT so.organization_id FROM session_organizations so
             WHERE so.session_id = s.id ORDER BY so.authenticated_at, so.organization_id) AS authenticated_organizations
FROM sessions s
WHERE s.id = $1;

-- name: list-user-sessions-forward
SELECT s.id, s.user_id, s.organization_id, s.status, s.ip, s.user_agent, s.created_at,
       s.last_active_at, s.idle_expires_at, s.absolute_expires_at, s.ended_at,
       ARRAY(SELECT so.organization_id FROM session_organizations so
             WHERE so.session_id = s.id ORDER BY so.authenticated_at, so.organization_id) AS authenticated_organizations
FROM sessions s
WHERE s.user_id = $1 AND (s.created_at, s.id) > ($2, $3)
ORDER BY s.created_at, s.id
LIMIT $4;

-- name: list-user-sessions-backward
SELECT s.id, s.user_id, s.organization_id, s.status, s.ip, s.user_agent, s.created_at,
       s.last_active_at, s.idle_expires_at, s.absolute_expires_at, s.ended_at,
       ARRAY(SELECT so.organization_id FROM session_organizations so
             WHERE so.session_id = s.id ORDER BY so.authenticated_at, so.organization_id) AS authenticated_organizations
FROM sessions s
WHERE s.user_id = $1 AND (s.created_at, s.id) < ($2, $3)
ORDER BY s.created_at DESC, s.id DESC
LIMIT $4;

-- name: count-user-sessions
SELECT count(*) FROM sessions WHERE user_id = $1;

-- name: revoke-session
-- Ending a session: one already past its expiry when it is ended is recorded
-- as EXPIRED at the time it expired, not as revoked now, so the history says
-- what really happened. The two queries below follow the same rule.
UPDATE sessions
SET status   = CASE WHEN least(idle_expires_at, absolute_expires_at) <= $2 THEN 'EXPIRED' ELSE 'REVOKED' END,
    ended_at = least(idle_expires_at, absolute_expires_at, $2)
WHERE id = $1 AND status = 'ACTIVE';

-- name: revoke-user-sessions
-- Counts the sessions that were live, i.e. really revoked.
WITH ended AS (
    UPDATE sessions
    SET status   = CASE WHEN least(idle_expires_at, absolute_expires_at) <= $2 THEN 'EXPIRED' ELSE 'REVOKED' END,
        ended_at = least(idle_expires_at, absolute_expires_at, $2)
    WHERE user_id = $1 AND status = 'ACTIVE'
    RETURNING status
)
SELECT count(*) FILTER (WHERE status = 'REVOKED') FROM ended;

-- name: revoke-user-sessions-in-organization
-- Ends the user's sessions acting in the org, and makes their other live
-- sessions forget they ever signed in to it, so none can switch back into it.
-- Both parts see the same snapshot, hence "organization_id IS DISTINCT FROM".
WITH ended AS (
    UPDATE sessions
    SET status   = CASE WHEN least(idle_expires_at, absolute_expires_at) <= $3 THEN 'EXPIRED' ELSE 'REVOKED' END,
        ended_at = least(idle_expires_at, absolute_expires_at, $3)
    WHERE user_id = $1 AND organization_id = $2 AND status = 'ACTIVE'
    RETURNING status
), forgotten AS (
    DELETE FROM session_organizations so
    USING sessions s
    WHERE so.session_id = s.id AND so.organization_id = $2
      AND s.user_id = $1 AND s.status = 'ACTIVE' AND s.organization_id IS DISTINCT FROM $2
)
SELECT count(*) FILTER (WHERE status = 'REVOKED') FROM ended;
