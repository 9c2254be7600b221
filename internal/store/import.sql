-- Bulk reads and writes for the importer (internal/importer). Each query
-- handles a whole batch of rows through arrays, so a batch of a thousand rows
-- costs a dozen round trips, not thousands.

-- name: savepoint
SAVEPOINT roster_batch;

-- name: rollback-to-savepoint
ROLLBACK TO SAVEPOINT roster_batch;

-- name: release-savepoint
RELEASE SAVEPOINT roster_batch;

-- name: lock-organizations-by-external-id
-- Locked in id order, as the directory does, so writers cannot deadlock.
SELECT id, display_name, slug, external_id, metadata, settings, max_allowed_users, logo_url,
       default_member_role_id, created_at, updated_at
FROM organizations WHERE external_id = ANY($1) ORDER BY id FOR UPDATE;

-- name: organizations-by-slug
SELECT id, display_name, slug, external_id, metadata, settings, max_allowed_users, logo_url,
       default_member_role_id, created_at, updated_at
FROM organizations WHERE slug = ANY($1);

-- name: users-by-external-id-or-email
-- One index lookup per key: LATERAL with LIMIT 1 keeps the planner from
-- hashing the whole table, which it prefers for a thousand keys even when
-- the probes are ten times cheaper. A user found both ways comes twice.
SELECT u.id, u.email, u.email_verified, u.external_id, u.given_name, u.family_name, u.name,
       u.locale, u.picture, u.phone_number, u.custom_attributes, u.metadata, u.last_login_at,
       u.created_at, u.updated_at
FROM unnest($1::text[]) AS k (external_id)
CROSS JOIN LATERAL (
    SELECT id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
           phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at
    FROM users WHERE external_id = k.external_id LIMIT 1
) AS u
UNION ALL
SELECT u.id, u.email, u.email_verified, u.external_id, u.given_name, u.family_name, u.name,
       u.locale, u.picture, u.phone_number, u.custom_attributes, u.metadata, u.last_login_at,
       u.created_at, u.updated_at
FROM unnest($2::text[]) AS k (email)
CROSS JOIN LATERAL (
    SELECT id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
           phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at
    FROM users WHERE lower(email) = k.email LIMIT 1
) AS u;

-- name: users-with-password
SELECT user_id FROM password_credentials WHERE user_id = ANY($1);

-- name: assignable-roles-of-organizations
-- The environment's roles and the given organizations' own.
SELECT id, organization_id, name, display_name
FROM roles WHERE organization_id IS NULL OR organization_id = ANY($1);

-- name: memberships-of-pairs
-- The memberships of ($1[i], $2[i]) user × organization pairs, with role
-- ids; one index lookup per pair, as above.
SELECT m.id, m.user_id, m.organization_id, m.status, m.metadata, m.joined_at,
       array(SELECT mr.role_id FROM membership_roles mr WHERE mr.membership_id = m.id ORDER BY mr.role_id) AS role_ids
FROM unnest($1::text[], $2::text[]) AS p (user_id, organization_id)
CROSS JOIN LATERAL (
    SELECT id, user_id, organization_id, status, metadata, joined_at
    FROM memberships WHERE user_id = p.user_id AND organization_id = p.organization_id LIMIT 1
) AS m;

-- name: active-or-pending-counts
SELECT organization_id, active + pending AS n
FROM organization_member_counts WHERE organization_id = ANY($1);

-- name: insert-organizations
INSERT INTO organizations (id, display_name, slug, external_id, metadata, created_at, updated_at)
SELECT t.id, t.display_name, t.slug, t.external_id, t.metadata, $6, $6
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[])
     AS t (id, display_name, slug, external_id, metadata);

-- name: update-organizations
UPDATE organizations o
SET display_name = t.display_name, slug = t.slug, metadata = t.metadata, updated_at = $5
FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) AS t (id, display_name, slug, metadata)
WHERE o.id = t.id;

-- name: insert-users
INSERT INTO users (id, email, email_verified, external_id, given_name, family_name, name, locale,
                   picture, phone_number, metadata, created_at, updated_at)
SELECT t.id, t.email, t.email_verified, t.external_id, t.given_name, t.family_name, t.name, t.locale,
       t.picture, t.phone_number, t.metadata, $12, $12
FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[], $10::text[], $11::jsonb[])
     AS t (id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
           phone_number, metadata);

-- name: update-users
UPDATE users u
SET email = t.email, email_verified = t.email_verified, external_id = t.external_id,
    given_name = t.given_name, family_name = t.family_name, name = t.name, locale = t.locale,
    picture = t.picture, phone_number = t.phone_number, metadata = t.metadata, updated_at = $12
FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[], $10::text[], $11::jsonb[])
     AS t (id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
           phone_number, metadata)
WHERE u.id = t.id;

-- name: insert-password-hashes
-- A user who has a password keeps it: DO NOTHING, never an update.
INSERT INTO password_credentials (user_id, hash, created_at, updated_at)
SELECT t.user_id, t.hash, $3, $3 FROM unnest($1::text[], $2::text[]) AS t (user_id, hash)
ON CONFLICT (user_id) DO NOTHING;

-- name: insert-memberships
INSERT INTO memberships (id, user_id, organization_id, status, provisioning_method, metadata,
                         invite_created_at, invite_expires_at, joined_at, created_at, updated_at)
SELECT t.id, t.user_id, t.organization_id, t.status, t.provisioning_method, t.metadata,
       t.invite_created_at, t.invite_expires_at, t.joined_at, $10, $10
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[],
            $7::timestamptz[], $8::timestamptz[], $9::timestamptz[])
     AS t (id, user_id, organization_id, status, provisioning_method, metadata,
           invite_created_at, invite_expires_at, joined_at);

-- name: update-memberships
UPDATE memberships m
SET status = t.status, metadata = t.metadata, joined_at = t.joined_at, updated_at = $5
FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[]) AS t (id, status, metadata, joined_at)
WHERE m.id = t.id;

-- name: clear-roles-of-memberships
DELETE FROM membership_roles WHERE membership_id = ANY($1);

-- name: add-membership-role-pairs
INSERT INTO membership_roles (membership_id, role_id)
SELECT t.membership_id, t.role_id FROM unnest($1::text[], $2::text[]) AS t (membership_id, role_id)
ON CONFLICT DO NOTHING;

-- name: revoke-invitation-tokens-of-memberships
UPDATE one_time_tokens SET revoked_at = $2
WHERE membership_id = ANY($1) AND purpose = 'invitation' AND used_at IS NULL AND revoked_at IS NULL;

-- name: insert-audit-events
-- Names the caller leaves NULL are read from the organizations and users
-- written before the events, in the same transaction.
INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, actor_label, action, organization_id,
                          user_id, target_type, target_id, changes, ip, user_agent, request_id,
                          organization_name, user_label, target_label)
SELECT e.id, e.occurred_at, e.actor_type, e.actor_id, e.actor_label, e.action, e.organization_id,
       e.user_id, e.target_type, e.target_id, e.changes, e.ip, e.user_agent, e.request_id,
       COALESCE(e.organization_name, (SELECT o.display_name FROM organizations o WHERE o.id = e.organization_id)),
       COALESCE(e.user_label, (SELECT u.email FROM users u WHERE u.id = e.user_id)),
       e.target_label
FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::text[], $14::text[],
            $15::text[], $16::text[], $17::text[])
     AS e (id, occurred_at, actor_type, actor_id, actor_label, action, organization_id,
           user_id, target_type, target_id, changes, ip, user_agent, request_id,
           organization_name, user_label, target_label);

-- name: organizations-without-active-holder
-- Which of the organizations have no active member holding role $2.
SELECT o.id, o.external_id, o.display_name FROM organizations o
WHERE o.id = ANY($1)
  AND NOT EXISTS (
      SELECT 1 FROM memberships m JOIN membership_roles mr ON mr.membership_id = m.id AND mr.role_id = $2
      WHERE m.organization_id = o.id AND m.status = 'ACTIVE')
ORDER BY o.external_id, o.id;
