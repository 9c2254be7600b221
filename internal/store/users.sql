-- name: insert-user
-- Creates the user unless one with the same email (in any case) exists; then
-- nothing is inserted and no row comes back. Parallel creations of one email
-- thus make exactly one user.
INSERT INTO users (id, email, email_verified, external_id, given_name, family_name, name, locale,
                   picture, phone_number, custom_attributes, metadata, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
ON CONFLICT ((lower(email))) DO NOTHING
RETURNING id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
          phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at;

-- name: get-user
SELECT id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
       phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at
FROM users WHERE id = $1;

-- name: lock-user
-- A change that depends on what the user is now (their address) reads them
-- under this lock, so two changes of one user run one after the other.
SELECT id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
       phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at
FROM users WHERE id = $1 FOR UPDATE;

-- name: get-user-by-email
SELECT id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
       phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at
FROM users WHERE lower(email) = lower($1);

-- name: get-user-by-external-id
SELECT id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
       phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at
FROM users WHERE external_id = $1;

-- name: update-user
UPDATE users
SET email = $2, email_verified = $3, external_id = $4, given_name = $5, family_name = $6, name = $7,
    locale = $8, picture = $9, phone_number = $10, custom_attributes = $11, metadata = $12, updated_at = $13
WHERE id = $1
RETURNING id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
          phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at;

-- name: revoke-tokens-of-old-address
-- After an email change: every open link or code that would still reach the
-- account through its old address, $2. That is the user's own (password
-- resets, address confirmations, invitations) and the sign-in links and
-- codes mailed to that address, which name no user until used. Each says
-- why, so an invitation link's page does not claim a newer one was sent.
UPDATE one_time_tokens SET revoked_at = $3, data = data || '{"revoked_for": "email_change"}'
WHERE used_at IS NULL AND revoked_at IS NULL AND purpose <> 'admin_login'
  AND (user_id = $1 OR (lower(email) = lower($2) AND purpose IN ('magic_link', 'email_code')));

-- name: delete-inbox-identities
-- The user's EMAIL identities name the inbox that proved them; after an
-- email change that inbox is someone else's.
DELETE FROM identities WHERE user_id = $1 AND provider_kind = 'EMAIL';

-- name: delete-user
DELETE FROM users WHERE id = $1;

-- name: list-users-forward
SELECT id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
       phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at
FROM users WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT $3;

-- name: list-users-backward
SELECT id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
       phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at
FROM users WHERE (created_at, id) < ($1, $2) ORDER BY created_at DESC, id DESC LIMIT $3;

-- name: count-users
SELECT count(*) FROM (SELECT 1 FROM users LIMIT 10001) AS capped;

-- name: search-users
-- Substring search on email and name through the trigram indexes; $1 is the
-- lowercased query with LIKE wildcards escaped. Ordered like the list.
SELECT id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
       phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at
FROM users
WHERE (lower(email) LIKE '%' || $1 || '%' OR lower(name) LIKE '%' || $1 || '%')
  AND (created_at, id) > ($2, $3)
ORDER BY created_at, id
LIMIT $4;

-- name: list-identities
SELECT id, user_id, provider_kind, connection_id, is_social, issuer, subject, email, email_verified,
       last_login_at, created_at
FROM identities WHERE user_id = $1 ORDER BY created_at, id;
