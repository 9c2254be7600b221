-- name: insert-membership
INSERT INTO memberships (id, user_id, organization_id, status, provisioning_method, metadata,
                         inviter_user_id, inviter_email, invite_created_at, invite_expires_at,
                         joined_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
RETURNING id, user_id, organization_id, status, provisioning_method, primary_identity_provider,
          metadata, inviter_user_id, inviter_email, invite_created_at, invite_expires_at,
          invite_accepted_at, resent_count, joined_at, created_at, updated_at;

-- name: get-membership
SELECT m.id, m.user_id, m.organization_id, m.status, m.provisioning_method,
       m.primary_identity_provider, m.metadata, m.inviter_user_id, m.inviter_email,
       m.invite_created_at, m.invite_expires_at, m.invite_accepted_at, m.resent_count, m.joined_at,
       m.created_at, m.updated_at,
       o.display_name AS organization_name,
       coalesce((SELECT json_agg(json_build_object('id', r.id, 'name', r.name, 'display_name', r.display_name) ORDER BY r.name)
                 FROM membership_roles mr JOIN roles r ON r.id = mr.role_id
                 WHERE mr.membership_id = m.id), '[]') AS roles
FROM memberships m JOIN organizations o ON o.id = m.organization_id
WHERE m.user_id = $1 AND m.organization_id = $2;

-- name: memberships-of-users
-- Every membership of the given users with their roles, in one query: a user
-- with 1,000 memberships loads in one round trip, and so does a page of members.
SELECT m.id, m.user_id, m.organization_id, m.status, m.provisioning_method,
       m.primary_identity_provider, m.metadata, m.inviter_user_id, m.inviter_email,
       m.invite_created_at, m.invite_expires_at, m.invite_accepted_at, m.resent_count, m.joined_at,
       m.created_at, m.updated_at,
       o.display_name AS organization_name,
       coalesce((SELECT json_agg(json_build_object('id', r.id, 'name', r.name, 'display_name', r.display_name) ORDER BY r.name)
                 FROM membership_roles mr JOIN roles r ON r.id = mr.role_id
                 WHERE mr.membership_id = m.id), '[]') AS roles
FROM memberships m JOIN organizations o ON o.id = m.organization_id
WHERE m.user_id = ANY($1)
ORDER BY m.user_id, m.created_at, m.id;

-- name: update-membership
UPDATE memberships
SET status = $2, metadata = $3, primary_identity_provider = $4, inviter_user_id = $5, inviter_email = $6,
    invite_created_at = $7, invite_expires_at = $8, invite_accepted_at = $9, resent_count = $10,
    joined_at = $11, updated_at = $12
WHERE id = $1
RETURNING id;

-- name: delete-membership
DELETE FROM memberships WHERE id = $1;

-- name: clear-membership-roles
DELETE FROM membership_roles WHERE membership_id = $1;

-- name: add-membership-roles
INSERT INTO membership_roles (membership_id, role_id)
SELECT $1, unnest($2::text[])
ON CONFLICT DO NOTHING;

-- name: count-active-holders
-- Active members of org $1 holding role $2, other than membership $3.
SELECT count(*) FROM memberships m
JOIN membership_roles mr ON mr.membership_id = m.id AND mr.role_id = $2
WHERE m.organization_id = $1 AND m.status = 'ACTIVE' AND m.id <> $3;

-- name: count-other-active-members
SELECT count(*) FROM (
    SELECT 1 FROM memberships WHERE organization_id = $1 AND status = 'ACTIVE' AND id <> $2 LIMIT 1
) AS any_other;

-- name: list-members-forward
-- A page of an org's members in join order. $3/$4 filter by status and role
-- when not empty.
SELECT u.id, u.email, u.email_verified, u.external_id, u.given_name, u.family_name, u.name,
       u.locale, u.picture, u.phone_number, u.custom_attributes, u.metadata, u.last_login_at,
       u.created_at, u.updated_at,
       m.created_at AS membership_created_at, m.id AS membership_id
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.organization_id = $1
  AND ($4 = '' OR m.status = $4)
  AND ($5 = '' OR EXISTS (SELECT 1 FROM membership_roles mr WHERE mr.membership_id = m.id AND mr.role_id = $5))
  AND (m.created_at, m.id) > ($2, $3)
ORDER BY m.created_at, m.id
LIMIT $6;

-- name: list-members-backward
SELECT u.id, u.email, u.email_verified, u.external_id, u.given_name, u.family_name, u.name,
       u.locale, u.picture, u.phone_number, u.custom_attributes, u.metadata, u.last_login_at,
       u.created_at, u.updated_at,
       m.created_at AS membership_created_at, m.id AS membership_id
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.organization_id = $1
  AND ($4 = '' OR m.status = $4)
  AND ($5 = '' OR EXISTS (SELECT 1 FROM membership_roles mr WHERE mr.membership_id = m.id AND mr.role_id = $5))
  AND (m.created_at, m.id) < ($2, $3)
ORDER BY m.created_at DESC, m.id DESC
LIMIT $6;

-- name: count-members-filtered
SELECT count(*) FROM (
    SELECT 1 FROM memberships m
    WHERE m.organization_id = $1
      AND ($2 = '' OR m.status = $2)
      AND ($3 = '' OR EXISTS (SELECT 1 FROM membership_roles mr WHERE mr.membership_id = m.id AND mr.role_id = $3))
    LIMIT 10001
) AS capped;

-- name: search-members
-- Search users first, then keep the org's members: joining first lets the
-- planner walk all 200k members of a big org (see performance.md).
WITH matches AS MATERIALIZED (
    SELECT id FROM users
    WHERE lower(email) LIKE '%' || $2 || '%' OR lower(name) LIKE '%' || $2 || '%'
)
SELECT u.id, u.email, u.email_verified, u.external_id, u.given_name, u.family_name, u.name,
       u.locale, u.picture, u.phone_number, u.custom_attributes, u.metadata, u.last_login_at,
       u.created_at, u.updated_at,
       m.created_at AS membership_created_at, m.id AS membership_id
FROM matches
JOIN memberships m ON m.user_id = matches.id AND m.organization_id = $1
JOIN users u ON u.id = m.user_id
WHERE (m.created_at, m.id) > ($3, $4)
ORDER BY m.created_at, m.id
LIMIT $5;

-- name: search-members-filtered
-- search-members narrowed by status ($6) and role ($7), for the console's
-- member list where a search and filters combine.
WITH matches AS MATERIALIZED (
    SELECT id FROM users
    WHERE lower(email) LIKE '%' || $2 || '%' OR lower(name) LIKE '%' || $2 || '%'
)
SELECT u.id, u.email, u.email_verified, u.external_id, u.given_name, u.family_name, u.name,
       u.locale, u.picture, u.phone_number, u.custom_attributes, u.metadata, u.last_login_at,
       u.created_at, u.updated_at,
       m.created_at AS membership_created_at, m.id AS membership_id
FROM matches
JOIN memberships m ON m.user_id = matches.id AND m.organization_id = $1
JOIN users u ON u.id = m.user_id
WHERE (m.created_at, m.id) > ($3, $4)
  AND ($6 = '' OR m.status = $6)
  AND ($7 = '' OR EXISTS (SELECT 1 FROM membership_roles mr WHERE mr.membership_id = m.id AND mr.role_id = $7))
ORDER BY m.created_at, m.id
LIMIT $5;
