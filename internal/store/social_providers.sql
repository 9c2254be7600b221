-- name: insert-social-provider
INSERT INTO social_providers (id, provider_kind, display_name, issuer, client_id, client_secret_encrypted,
                              enabled, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
RETURNING id, provider_kind, display_name, issuer, client_id, client_secret_encrypted, scopes,
          enabled, created_at, updated_at;

-- name: get-social-provider
SELECT id, provider_kind, display_name, issuer, client_id, client_secret_encrypted, scopes, enabled,
       created_at, updated_at
FROM social_providers WHERE id = $1;

-- name: list-social-providers
-- A handful per environment: no paging.
SELECT id, provider_kind, display_name, issuer, client_id, client_secret_encrypted, scopes, enabled,
       created_at, updated_at
FROM social_providers ORDER BY display_name, id;

-- name: update-social-provider
-- A NULL secret keeps the stored one.
UPDATE social_providers
SET provider_kind = $2, display_name = $3, issuer = $4, client_id = $5,
    client_secret_encrypted = COALESCE($6, client_secret_encrypted), enabled = $7, updated_at = $8
WHERE id = $1
RETURNING id, provider_kind, display_name, issuer, client_id, client_secret_encrypted, scopes,
          enabled, created_at, updated_at;

-- name: delete-social-provider
DELETE FROM social_providers WHERE id = $1;
