-- Permissions: the environment's catalogue of rights that roles grant.

-- name: list-permissions
SELECT id, name, description, created_at, updated_at FROM permissions ORDER BY name;

-- name: get-permission
SELECT id, name, description, created_at, updated_at FROM permissions WHERE name = $1;

-- name: find-permission-names
-- Which of the names exist, to tell the caller exactly which ones do not.
SELECT name FROM permissions WHERE name = ANY($1);

-- name: insert-permission
INSERT INTO permissions (id, name, description, created_at, updated_at)
VALUES ($1, $2, $3, $4, $4);

-- name: update-permission
UPDATE permissions SET description = $2, updated_at = $3 WHERE id = $1;

-- name: delete-permission
-- Its grants to roles go with it (ON DELETE CASCADE).
DELETE FROM permissions WHERE id = $1;

-- name: roles-granting-permission
-- Directly granting it, for the audit log of a deletion.
SELECT r.id, r.name FROM role_permissions rp JOIN roles r ON r.id = rp.role_id
WHERE rp.permission_id = $1
ORDER BY r.name;
