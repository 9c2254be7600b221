-- name: insert-api-client
INSERT INTO api_clients (id, name, secret_hash, secret_hint, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id, name, secret_hash, secret_hint, created_by, created_at, last_used_at, revoked_at;

-- name: get-api-client
SELECT id, name, secret_hash, secret_hint, created_by, created_at, last_used_at, revoked_at
FROM api_clients WHERE id = $1;

-- name: list-api-clients
-- A deployment has a handful of clients, so the list is not paged.
SELECT id, name, secret_hash, secret_hint, created_by, created_at, last_used_at, revoked_at
FROM api_clients
ORDER BY created_at, id;

-- name: revoke-api-client
-- Revoking twice keeps the first time.
UPDATE api_clients SET revoked_at = coalesce(revoked_at, $2)
WHERE id = $1
RETURNING id, name, secret_hash, secret_hint, created_by, created_at, last_used_at, revoked_at;

-- name: touch-api-client
UPDATE api_clients SET last_used_at = $2 WHERE id = $1;
