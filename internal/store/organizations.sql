-- name: insert-organization
INSERT INTO organizations (id, display_name, slug, external_id, metadata, settings, max_allowed_users, logo_url, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
RETURNING id, display_name, slug, external_id, metadata, settings, max_allowed_users, logo_url,
          default_member_role_id, created_at, updated_at;

-- name: get-organization
SELECT id, display_name, slug, external_id, metadata, settings, max_allowed_users, logo_url,
       default_member_role_id, created_at, updated_at
FROM organizations WHERE id = $1;

-- name: get-organization-by-external-id
SELECT id, display_name, slug, external_id, metadata, settings, max_allowed_users, logo_url,
       default_member_role_id, created_at, updated_at
FROM organizations WHERE external_id = $1;

-- name: lock-organization
-- Every change to an org's memberships takes this lock first, so rules that
-- look at all of them (the last admin, max users) see a settled picture.
SELECT id, display_name, slug, external_id, metadata, settings, max_allowed_users, logo_url,
       default_member_role_id, created_at, updated_at
FROM organizations WHERE id = $1 FOR UPDATE;

-- name: update-organization
UPDATE organizations
SET display_name = $2, slug = $3, external_id = $4, metadata = $5, settings = $6,
    max_allowed_users = $7, logo_url = $8, updated_at = $9
WHERE id = $1
RETURNING id, display_name, slug, external_id, metadata, settings, max_allowed_users, logo_url,
          default_member_role_id, created_at, updated_at;

-- name: delete-organization
DELETE FROM organizations WHERE id = $1;

-- name: list-organizations-forward
-- Keyset pages on (created_at, id): this query pages forward, the next one back.
SELECT id, display_name, slug, external_id, metadata, settings, max_allowed_users, logo_url,
       default_member_role_id, created_at, updated_at
FROM organizations
WHERE ($3 = '' OR external_id = $3) AND (created_at, id) > ($1, $2)
ORDER BY created_at, id
LIMIT $4;

-- name: list-organizations-backward
SELECT id, display_name, slug, external_id, metadata, settings, max_allowed_users, logo_url,
       default_member_role_id, created_at, updated_at
FROM organizations
WHERE ($3 = '' OR external_id = $3) AND (created_at, id) < ($1, $2)
ORDER BY created_at DESC, id DESC
LIMIT $4;

-- name: count-organizations
SELECT count(*) FROM (SELECT 1 FROM organizations WHERE ($1 = '' OR external_id = $1) LIMIT 10001) AS capped;

-- name: member-count
SELECT coalesce((SELECT total FROM organization_member_counts WHERE organization_id = $1), 0);

-- name: active-or-pending-count
SELECT coalesce((SELECT active + pending FROM organization_member_counts WHERE organization_id = $1), 0);

-- name: user-ids-only-in-organization
-- Members for whom this org is their only membership: deleted with the org
-- when the environment deletes users left without one.
SELECT m.user_id FROM memberships m
WHERE m.organization_id = $1
  AND NOT EXISTS (SELECT 1 FROM memberships o WHERE o.user_id = m.user_id AND o.organization_id <> $1);

-- name: revoke-organization-sessions
-- Ends every active session acting in the org (before the org is deleted).
UPDATE sessions SET status = 'REVOKED', ended_at = $2
WHERE organization_id = $1 AND status = 'ACTIVE';
