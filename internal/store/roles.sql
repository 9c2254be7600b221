-- Roles: the environment's (organization_id NULL) and each organization's own.
-- Every query names its scope: an organization's role is only ever found
-- together with that organization's id, never by its name alone.

-- name: lock-roles
-- Role writes take this transaction lock first. Two rules span rows that no
-- constraint can hold: extends never makes a cycle, and an org role's name
-- never matches an environment role's. Role writes are rare, so one lock
-- for all of them costs nothing and closes every race between the checks.
SELECT pg_advisory_xact_lock(hashtext('roster.roles'));

-- name: list-environment-roles
SELECT r.id, r.organization_id, r.name, r.display_name, r.description, r.extends_role_id,
       e.name AS extends_name, r.created_at, r.updated_at
FROM roles r LEFT JOIN roles e ON e.id = r.extends_role_id
WHERE r.organization_id IS NULL
ORDER BY r.name;

-- name: list-organization-roles
SELECT r.id, r.organization_id, r.name, r.display_name, r.description, r.extends_role_id,
       e.name AS extends_name, r.created_at, r.updated_at
FROM roles r LEFT JOIN roles e ON e.id = r.extends_role_id
WHERE r.organization_id = $1
ORDER BY r.name;

-- name: get-environment-role
SELECT r.id, r.organization_id, r.name, r.display_name, r.description, r.extends_role_id,
       e.name AS extends_name, r.created_at, r.updated_at
FROM roles r LEFT JOIN roles e ON e.id = r.extends_role_id
WHERE r.organization_id IS NULL AND r.name = $1;

-- name: get-organization-role
SELECT r.id, r.organization_id, r.name, r.display_name, r.description, r.extends_role_id,
       e.name AS extends_name, r.created_at, r.updated_at
FROM roles r LEFT JOIN roles e ON e.id = r.extends_role_id
WHERE r.organization_id = $1 AND r.name = $2;

-- name: find-assignable-roles
-- The roles an org's members may hold: the environment's and the org's own.
-- $1 = '' finds environment roles only.
SELECT r.id, r.name, r.display_name
FROM roles r
WHERE r.name = ANY($2) AND (r.organization_id IS NULL OR r.organization_id = $1);

-- name: organization-role-name-exists
-- Whether some organization has a role of this name: an environment role may
-- not take it, or that org's members could not tell the two apart.
SELECT EXISTS (SELECT 1 FROM roles WHERE organization_id IS NOT NULL AND name = $1);

-- name: insert-role
INSERT INTO roles (id, organization_id, name, display_name, description, extends_role_id, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7);

-- name: update-role
UPDATE roles SET display_name = $2, description = $3, extends_role_id = $4, updated_at = $5
WHERE id = $1;

-- name: delete-role
DELETE FROM roles WHERE id = $1;

-- name: role-ancestors
-- The role and every role it extends, up the chain. UNION (not UNION ALL)
-- stops at a row seen before, so even a cycle cannot make this run forever.
WITH RECURSIVE chain (id, name, extends_role_id) AS (
    SELECT id, name, extends_role_id FROM roles WHERE id = $1
    UNION
    SELECT r.id, r.name, r.extends_role_id FROM roles r JOIN chain c ON r.id = c.extends_role_id
)
SELECT id, name FROM chain;

-- name: list-role-permissions
-- The roles' own permissions, for many roles in one query.
SELECT rp.role_id, p.id, p.name, p.description, p.created_at, p.updated_at
FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id
WHERE rp.role_id = ANY($1)
ORDER BY p.name;

-- name: permissions-by-role
-- Each role's permissions: its own and those of every role up its extends
-- chain. This is the one place inheritance is worked out. UNION (not UNION
-- ALL) stops at a pair seen before, so even a cycle ends.
WITH RECURSIVE chain (start_id, id, extends_role_id) AS (
    SELECT id, id, extends_role_id FROM roles WHERE id = ANY($1)
    UNION
    SELECT c.start_id, r.id, r.extends_role_id FROM roles r JOIN chain c ON r.id = c.extends_role_id
)
SELECT DISTINCT c.start_id AS role_id, p.id, p.name, p.description, p.created_at, p.updated_at
FROM chain c
JOIN role_permissions rp ON rp.role_id = c.id
JOIN permissions p ON p.id = rp.permission_id
ORDER BY role_id, p.name;

-- name: add-role-permissions
INSERT INTO role_permissions (role_id, permission_id)
SELECT $1, p.id FROM permissions p WHERE p.name = ANY($2)
ON CONFLICT DO NOTHING;

-- name: remove-role-permission
DELETE FROM role_permissions rp
USING permissions p
WHERE rp.role_id = $1 AND rp.permission_id = p.id AND p.name = $2;

-- name: clear-role-permissions
DELETE FROM role_permissions WHERE role_id = $1;

-- name: role-usage
-- What stops a role from being deleted, in one round trip.
SELECT
    (SELECT count(*) FROM membership_roles WHERE role_id = $1) AS members,
    (SELECT count(*) FROM roles WHERE extends_role_id = $1) AS extended_by,
    (SELECT count(*) FROM organizations WHERE default_member_role_id = $1) AS organization_default,
    EXISTS (SELECT 1 FROM environment_settings
            WHERE default_creator_role_id = $1 OR default_member_role_id = $1) AS environment_default;

-- name: reassign-role-members
-- Members holding $1 hold $2 instead; one who already held both keeps one row.
WITH moved AS (
    DELETE FROM membership_roles WHERE role_id = $1 RETURNING membership_id
)
INSERT INTO membership_roles (membership_id, role_id)
SELECT membership_id, $2 FROM moved
ON CONFLICT DO NOTHING;

-- name: get-environment-default-roles
SELECT default_creator_role_id, default_member_role_id FROM environment_settings;

-- name: set-environment-default-roles
UPDATE environment_settings
SET default_creator_role_id = $1, default_member_role_id = $2, updated_at = $3;

-- name: get-organization-default-role
-- Also tells whether the organization exists: no row means it does not.
SELECT default_member_role_id FROM organizations WHERE id = $1;

-- name: set-organization-default-role
UPDATE organizations SET default_member_role_id = $2, updated_at = $3 WHERE id = $1;

-- name: default-creator-role
SELECT r.id, r.name, r.display_name
FROM environment_settings s JOIN roles r ON r.id = s.default_creator_role_id;

-- name: default-member-role
-- The org's own default member role wins over the environment's. No row: no
-- such org; a row of NULLs: neither has a default.
SELECT r.id, r.name, r.display_name
FROM organizations o
LEFT JOIN environment_settings s ON true
LEFT JOIN roles r ON r.id = coalesce(o.default_member_role_id, s.default_member_role_id)
WHERE o.id = $1;

-- name: release-organization-roles
-- Readies an organization's own roles to go with it. membership_roles and
-- extends refuse (ON DELETE RESTRICT) to lose a role still held or
-- extended, and that check runs before the memberships cascade away, so
-- without this an org whose members hold its roles could not be deleted.
WITH held AS (
    DELETE FROM membership_roles mr USING roles r
    WHERE r.id = mr.role_id AND r.organization_id = $1
)
UPDATE roles SET extends_role_id = NULL WHERE organization_id = $1 AND extends_role_id IS NOT NULL;
