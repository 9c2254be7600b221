-- name: get-identity-by-subject
SELECT id, user_id, provider_kind, connection_id, is_social, issuer, subject, email, email_verified,
       last_login_at, created_at
FROM identities WHERE issuer = $1 AND subject = $2;

-- name: insert-identity
-- Nothing is inserted when the issuer + subject is known already (a parallel
-- sign-in of the same person got there first); then no row comes back.
INSERT INTO identities (id, user_id, provider_kind, connection_id, is_social, issuer, subject,
                        email, email_verified, profile, last_login_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11)
ON CONFLICT (issuer, subject) DO NOTHING
RETURNING id, user_id, provider_kind, connection_id, is_social, issuer, subject, email, email_verified,
          last_login_at, created_at;

-- name: touch-identity
-- What the provider says now replaces what it said last time.
UPDATE identities
SET email = $2, email_verified = $3, profile = profile || $4, last_login_at = $5, updated_at = $5
WHERE id = $1;

-- name: fill-user-profile
-- Fills only the profile fields the user does not have yet: a value set by
-- an admin, the API or an earlier identity is never overwritten.
UPDATE users
SET given_name  = COALESCE(given_name, $2),
    family_name = COALESCE(family_name, $3),
    name        = COALESCE(name, $4),
    picture     = COALESCE(picture, $5),
    locale      = COALESCE(locale, $6),
    updated_at  = $7
WHERE id = $1
  AND ((given_name IS NULL AND $2::text IS NOT NULL) OR (family_name IS NULL AND $3::text IS NOT NULL)
    OR (name IS NULL AND $4::text IS NOT NULL) OR (picture IS NULL AND $5::text IS NOT NULL)
    OR (locale IS NULL AND $6::text IS NOT NULL))
RETURNING id;

-- name: mark-user-email-verified
-- Only while $3, the address proven, is still the user's: a proof of the
-- old address that finishes after an email change verifies nothing.
UPDATE users SET email_verified = true, updated_at = $2
WHERE id = $1 AND NOT email_verified AND lower(email) = lower($3)
RETURNING id;

-- name: remove-unproven-sign-ins
-- Everything that let someone in without proving the user's email: the
-- password credential, PASSWORD identities and identities whose provider
-- did not verify the address. Returns how many were removed.
WITH creds AS (
    DELETE FROM password_credentials WHERE user_id = $1 RETURNING 1
), idns AS (
    DELETE FROM identities
    WHERE user_id = $1 AND (provider_kind = 'PASSWORD' OR NOT email_verified)
    RETURNING 1
)
SELECT (SELECT count(*) FROM creds) AS passwords, (SELECT count(*) FROM idns) AS identities;

-- name: delete-identity
DELETE FROM identities WHERE id = $1;
