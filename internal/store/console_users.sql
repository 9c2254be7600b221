-- Queries of the console's user pages. Each list walks an index in its own
-- order, so a page costs the same on page 1 and page 2,000.

-- name: console-users-by-email-prefix-forward
-- Users whose lowercased email starts with a prefix, in byte order of the
-- lowercased email: $1 <= email < $2 is the prefix's range and $3 the last
-- email of the previous page ('' on the first). The operators ~>=~ ~<~ ~>~
-- are text_pattern_ops', so the range and the order come straight from the
-- users_email_prefix index, whatever the database's collation.
SELECT id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
       phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at,
       lower(email) AS email_key
FROM users
WHERE lower(email) ~>=~ $1 AND lower(email) ~<~ $2 AND lower(email) ~>~ $3
ORDER BY lower(email) USING ~<~
LIMIT $4;

-- name: console-users-by-email-prefix-backward
SELECT id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
       phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at,
       lower(email) AS email_key
FROM users
WHERE lower(email) ~>=~ $1 AND lower(email) ~<~ $2 AND lower(email) ~<~ $3
ORDER BY lower(email) USING ~>~
LIMIT $4;

-- name: console-users-scan-window
-- The last of the next $3 users after ($1, $2) in list order, and how many
-- that is. A filter no index serves looks at this window only, so a page
-- never reads more than $3 users however rare the matches.
SELECT created_at, id, n FROM (
    SELECT created_at, id, row_number() OVER (ORDER BY created_at, id) AS n
    FROM (SELECT created_at, id FROM users
          WHERE (created_at, id) > ($1, $2)
          ORDER BY created_at, id
          LIMIT $3) AS next_users
) AS numbered
ORDER BY n DESC
LIMIT 1;

-- name: console-users-scan
-- The users in the window ($1, $2] .. ($3, $4] that match: $5 the email
-- verification wanted ('' any, 'yes', 'no'), $6 true for users without any
-- membership (an index probe per user on memberships (user_id, …)).
SELECT u.id, u.email, u.email_verified, u.external_id, u.given_name, u.family_name, u.name,
       u.locale, u.picture, u.phone_number, u.custom_attributes, u.metadata, u.last_login_at,
       u.created_at, u.updated_at
FROM users u
WHERE (u.created_at, u.id) > ($1, $2) AND (u.created_at, u.id) <= ($3, $4)
  AND ($5 = '' OR u.email_verified = ($5 = 'yes'))
  AND (NOT $6 OR NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id))
ORDER BY u.created_at, u.id
LIMIT $7;

-- name: console-organization-by-slug
SELECT id, display_name, slug, external_id, metadata, settings, max_allowed_users, logo_url,
       default_member_role_id, created_at, updated_at
FROM organizations WHERE slug = $1;

-- name: console-count-live-user-sessions
-- Sessions still marked ACTIVE but past an expiry are over already.
SELECT count(*) FROM sessions
WHERE user_id = $1 AND status = 'ACTIVE' AND least(idle_expires_at, absolute_expires_at) > $2;

-- name: console-user-sessions-newest-first
-- A user's sessions newest first, the order of the sessions_user index, so
-- the live ones lead; $2/$3 is the last session of the previous page, NULL
-- on the first page.
SELECT id, user_id, organization_id, status, ip, user_agent, created_at, last_active_at,
       idle_expires_at, absolute_expires_at, ended_at
FROM sessions
WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
ORDER BY created_at DESC, id DESC
LIMIT $4;

-- name: console-user-sessions-newest-first-backward
SELECT id, user_id, organization_id, status, ip, user_agent, created_at, last_active_at,
       idle_expires_at, absolute_expires_at, ended_at
FROM sessions
WHERE user_id = $1 AND (created_at, id) > ($2, $3)
ORDER BY created_at, id
LIMIT $4;
