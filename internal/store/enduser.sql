-- End users' sessions, sign-in tokens, passwords and rate limits, as
-- internal/enduser uses them. Session rows are the same `sessions` the
-- directory lists and revokes (sessions.sql).

-- name: insert-user-session
INSERT INTO sessions (id, token_hash, user_id, organization_id, status, ip, user_agent, auth_method,
                      created_at, last_active_at, idle_expires_at, absolute_expires_at)
VALUES ($1, $2, $3, $4, 'ACTIVE', $5, $6, $7, $8, $8, $9, $10);

-- name: get-live-user-session-by-token
-- The token hash is only looked up by, never read back. The user's email and
-- the current org's name come along for the hosted header.
SELECT s.id, s.user_id, u.email, s.organization_id, o.display_name AS organization_name,
       s.auth_method, s.status, s.created_at, s.last_active_at, s.idle_expires_at, s.absolute_expires_at,
       ARRAY(SELECT so.organization_id FROM session_organizations so
             WHERE so.session_id = s.id ORDER BY so.authenticated_at, so.organization_id) AS authenticated_organizations
FROM sessions s
JOIN users u ON u.id = s.user_id
LEFT JOIN organizations o ON o.id = s.organization_id
WHERE s.token_hash = $1 AND s.status = 'ACTIVE' AND s.idle_expires_at > $2 AND s.absolute_expires_at > $2;

-- name: touch-user-session
-- Slides the idle expiry, never past the absolute one. The idle timeout is
-- read here, so a changed setting applies from the next touch. The minute
-- condition makes concurrent requests write once, not once each.
UPDATE sessions
SET last_active_at  = $2::timestamptz,
    idle_expires_at = least($2::timestamptz + (SELECT user_session_idle_timeout FROM environment_settings), absolute_expires_at)
WHERE id = $1 AND status = 'ACTIVE' AND last_active_at <= $2::timestamptz - interval '1 minute';

-- name: end-user-session-by-token
-- A session already past its expiry is recorded as EXPIRED when it expired,
-- as revoke-session does, so the history says what really happened.
UPDATE sessions
SET status   = CASE WHEN least(idle_expires_at, absolute_expires_at) <= $2 THEN 'EXPIRED' ELSE $3 END,
    ended_at = least(idle_expires_at, absolute_expires_at, $2)
WHERE token_hash = $1 AND status = 'ACTIVE'
RETURNING id, user_id, organization_id, status;

-- name: set-session-organization
UPDATE sessions SET organization_id = $2
WHERE id = $1 AND status = 'ACTIVE';

-- name: lock-active-membership
-- FOR SHARE: a removal of this membership waits until the session has
-- entered the org, and then ends that session with the membership.
SELECT id FROM memberships
WHERE user_id = $1 AND organization_id = $2 AND status = 'ACTIVE'
FOR SHARE;

-- name: set-primary-identity-provider
UPDATE memberships SET primary_identity_provider = $3
WHERE user_id = $1 AND organization_id = $2;

-- name: set-user-last-login
UPDATE users SET last_login_at = $2 WHERE id = $1;

-- name: insert-signin-token
INSERT INTO one_time_tokens (id, purpose, token_hash, code_hash, max_attempts, email, user_id, data,
                             created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: get-signin-token
SELECT id, purpose, email, user_id, data, attempts, max_attempts, code_hash, expires_at, used_at, revoked_at
FROM one_time_tokens
WHERE token_hash = $1 AND purpose = $2;

-- name: lock-signin-token
-- A code check reads, counts and maybe uses the token under this lock, so
-- parallel guesses are each counted.
SELECT id, purpose, email, user_id, data, attempts, max_attempts, code_hash, expires_at, used_at, revoked_at
FROM one_time_tokens
WHERE token_hash = $1 AND purpose = $2
FOR UPDATE;

-- name: count-token-attempt
UPDATE one_time_tokens SET attempts = attempts + 1 WHERE id = $1;

-- name: consume-signin-token
-- Using a link is one statement, so two requests racing with the same link
-- cannot both win.
UPDATE one_time_tokens SET used_at = $3
WHERE token_hash = $1 AND purpose = $2
  AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3
RETURNING id, purpose, email, user_id, data, attempts, max_attempts, code_hash, expires_at, used_at, revoked_at;

-- name: use-token-by-id
UPDATE one_time_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL;

-- name: revoke-open-email-tokens
UPDATE one_time_tokens SET revoked_at = $3
WHERE lower(email) = lower($1) AND purpose = ANY($2) AND used_at IS NULL AND revoked_at IS NULL;

-- name: get-password-hash
SELECT hash FROM password_credentials WHERE user_id = $1;

-- name: upsert-password
INSERT INTO password_credentials (user_id, hash, created_at, updated_at)
VALUES ($1, $2, $3, $3)
ON CONFLICT (user_id) DO UPDATE SET hash = EXCLUDED.hash, updated_at = EXCLUDED.updated_at;

-- name: hit-rate-limit
INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1)
ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1
RETURNING count;

-- name: purge-rate-limits
DELETE FROM rate_limits WHERE window_start < $1;

-- name: get-app-name
SELECT app_name FROM environment_settings;

-- name: count-active-memberships
SELECT count(*) FROM memberships WHERE user_id = $1 AND status = 'ACTIVE';
