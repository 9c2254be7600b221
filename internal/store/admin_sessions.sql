-- name: insert-admin-session
INSERT INTO admin_sessions (id, token_hash, email, subject, issuer, console_role, ip, user_agent,
                            created_at, last_active_at, idle_expires_at, absolute_expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11)
RETURNING id, email, subject, issuer, console_role, ip, user_agent, created_at, last_active_at,
          idle_expires_at, absolute_expires_at, ended_at;

-- name: get-live-admin-session-by-token
-- The token hash is only looked up by, never read back.
SELECT id, email, subject, issuer, console_role, ip, user_agent, created_at, last_active_at,
       idle_expires_at, absolute_expires_at, ended_at
FROM admin_sessions
WHERE token_hash = $1 AND ended_at IS NULL AND idle_expires_at > $2 AND absolute_expires_at > $2;

-- name: touch-admin-session
-- Slides the idle expiry, never past the absolute one. The idle timeout is
-- read here, so a changed setting applies from the next touch. The minute
-- condition makes concurrent requests write once, not once each.
UPDATE admin_sessions
SET last_active_at  = $2::timestamptz,
    idle_expires_at = least($2::timestamptz + (SELECT admin_session_idle_timeout FROM environment_settings), absolute_expires_at)
WHERE id = $1 AND ended_at IS NULL AND last_active_at <= $2::timestamptz - interval '1 minute'
RETURNING id, email, subject, issuer, console_role, ip, user_agent, created_at, last_active_at,
          idle_expires_at, absolute_expires_at, ended_at;

-- name: end-admin-session
UPDATE admin_sessions SET ended_at = $2
WHERE id = $1 AND ended_at IS NULL
RETURNING id, email, subject, issuer, console_role, ip, user_agent, created_at, last_active_at,
          idle_expires_at, absolute_expires_at, ended_at;

-- name: end-admin-session-by-token
UPDATE admin_sessions SET ended_at = $2
WHERE token_hash = $1 AND ended_at IS NULL
RETURNING id, email, subject, issuer, console_role, ip, user_agent, created_at, last_active_at,
          idle_expires_at, absolute_expires_at, ended_at;

-- name: list-live-admin-sessions
-- A console has a handful of people signed in; the cap only guards the page.
SELECT id, email, subject, issuer, console_role, ip, user_agent, created_at, last_active_at,
       idle_expires_at, absolute_expires_at, ended_at
FROM admin_sessions
WHERE ended_at IS NULL AND idle_expires_at > $1 AND absolute_expires_at > $1
ORDER BY created_at DESC, id DESC
LIMIT 500;

-- name: consume-admin-login-token
-- Using a sign-in link is one statement, so two requests racing with the same
-- link cannot both win.
UPDATE one_time_tokens SET used_at = $2
WHERE token_hash = $1 AND purpose = 'admin_login'
  AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
RETURNING email;

-- name: get-admin-login-token
SELECT email, expires_at, used_at, revoked_at
FROM one_time_tokens
WHERE token_hash = $1 AND purpose = 'admin_login';
