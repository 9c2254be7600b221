-- Queries behind the console's organization pages.

-- The organization list pages on (created_at, id) or, by name, on
-- (lower(display_name), id); each order has a query that pages forward and
-- its mirror that pages back (console_orgs.go says which serves which).
-- Each row carries the trigger-kept member count: a page is one query.
--
-- A search ($3 not empty) matches a display name substring (the trigram
-- index on lower(display_name)), or exactly a slug, an external id or one
-- of the org's domains. $3 is the LIKE-escaped lowercase query, $4 the plain
-- lowercase one (slugs are stored lowercase), $5 the query as typed
-- (external ids keep their case), $6 the ids of orgs with that domain
-- (console-orgs-with-domain, looked up first). Written as one OR of indexed
-- conditions, the planner sees how rare the match is: a rare one is
-- gathered through the indexes and sorted, a common one walks the order's
-- index and filters. Without a search, $3 = '' is folded away at planning.

-- name: console-orgs-created-asc
SELECT o.id, o.display_name, o.slug, o.external_id, o.metadata, o.settings, o.max_allowed_users,
       o.logo_url, o.default_member_role_id, o.created_at, o.updated_at,
       coalesce(c.total, 0) AS member_count
FROM organizations o
LEFT JOIN organization_member_counts c ON c.organization_id = o.id
WHERE (o.created_at, o.id) > ($1, $2)
  AND ($3 = '' OR lower(o.display_name) LIKE '%' || $3 || '%' OR o.slug = $4 OR o.external_id = $5
       OR o.id = ANY($6))
ORDER BY o.created_at, o.id
LIMIT $7;

-- name: console-orgs-created-desc
SELECT o.id, o.display_name, o.slug, o.external_id, o.metadata, o.settings, o.max_allowed_users,
       o.logo_url, o.default_member_role_id, o.created_at, o.updated_at,
       coalesce(c.total, 0) AS member_count
FROM organizations o
LEFT JOIN organization_member_counts c ON c.organization_id = o.id
WHERE (o.created_at, o.id) < ($1, $2)
  AND ($3 = '' OR lower(o.display_name) LIKE '%' || $3 || '%' OR o.slug = $4 OR o.external_id = $5
       OR o.id = ANY($6))
ORDER BY o.created_at DESC, o.id DESC
LIMIT $7;

-- name: console-orgs-name-asc
-- Name order walks organizations_name_keyset (migration 00007).
SELECT o.id, o.display_name, o.slug, o.external_id, o.metadata, o.settings, o.max_allowed_users,
       o.logo_url, o.default_member_role_id, o.created_at, o.updated_at,
       coalesce(c.total, 0) AS member_count
FROM organizations o
LEFT JOIN organization_member_counts c ON c.organization_id = o.id
WHERE (lower(o.display_name), o.id) > ($1, $2)
  AND ($3 = '' OR lower(o.display_name) LIKE '%' || $3 || '%' OR o.slug = $4 OR o.external_id = $5
       OR o.id = ANY($6))
ORDER BY lower(o.display_name), o.id
LIMIT $7;

-- name: console-orgs-name-desc
SELECT o.id, o.display_name, o.slug, o.external_id, o.metadata, o.settings, o.max_allowed_users,
       o.logo_url, o.default_member_role_id, o.created_at, o.updated_at,
       coalesce(c.total, 0) AS member_count
FROM organizations o
LEFT JOIN organization_member_counts c ON c.organization_id = o.id
WHERE (lower(o.display_name), o.id) < ($1, $2)
  AND ($3 = '' OR lower(o.display_name) LIKE '%' || $3 || '%' OR o.slug = $4 OR o.external_id = $5
       OR o.id = ANY($6))
ORDER BY lower(o.display_name) DESC, o.id DESC
LIMIT $7;

-- name: console-orgs-with-domain
SELECT organization_id FROM organization_domains WHERE domain = $1;

-- name: console-orgs-count
SELECT count(*) FROM (
    SELECT 1 FROM organizations o
    WHERE ($1 = '' OR lower(o.display_name) LIKE '%' || $1 || '%' OR o.slug = $2 OR o.external_id = $3
           OR o.id = ANY($4))
    LIMIT 10001
) AS capped;

-- name: console-org-counts
-- What the org's overview shows, in one round trip: member counts from the
-- trigger-kept table (never a count of a 200k-member org), and the few
-- domains and own roles an org has.
SELECT coalesce(c.total, 0) AS members, coalesce(c.active, 0) AS active, coalesce(c.pending, 0) AS pending,
       (SELECT count(*) FROM organization_domains d WHERE d.organization_id = o.id) AS domains,
       (SELECT count(*) FROM roles r WHERE r.organization_id = o.id) AS roles
FROM organizations o
LEFT JOIN organization_member_counts c ON c.organization_id = o.id
WHERE o.id = $1;

-- name: console-invitations-forward
-- The org's open invitations, newest first: this query pages forward (older).
SELECT m.id, m.user_id, m.organization_id, m.status, m.provisioning_method,
       m.primary_identity_provider, m.metadata, m.inviter_user_id, m.inviter_email,
       m.invite_created_at, m.invite_expires_at, m.invite_accepted_at, m.resent_count, m.joined_at,
       m.created_at, m.updated_at,
       u.email AS email, u.name AS user_name, o.display_name AS organization_name,
       coalesce((SELECT json_agg(json_build_object('id', r.id, 'name', r.name, 'display_name', r.display_name) ORDER BY r.name)
                 FROM membership_roles mr JOIN roles r ON r.id = mr.role_id
                 WHERE mr.membership_id = m.id), '[]') AS roles
FROM memberships m
JOIN users u ON u.id = m.user_id
JOIN organizations o ON o.id = m.organization_id
WHERE m.organization_id = $1 AND m.status IN ('PENDING_INVITE', 'INVITE_EXPIRED')
  AND (m.created_at, m.id) < ($2, $3)
ORDER BY m.created_at DESC, m.id DESC
LIMIT $4;

-- name: console-invitations-backward
SELECT m.id, m.user_id, m.organization_id, m.status, m.provisioning_method,
       m.primary_identity_provider, m.metadata, m.inviter_user_id, m.inviter_email,
       m.invite_created_at, m.invite_expires_at, m.invite_accepted_at, m.resent_count, m.joined_at,
       m.created_at, m.updated_at,
       u.email AS email, u.name AS user_name, o.display_name AS organization_name,
       coalesce((SELECT json_agg(json_build_object('id', r.id, 'name', r.name, 'display_name', r.display_name) ORDER BY r.name)
                 FROM membership_roles mr JOIN roles r ON r.id = mr.role_id
                 WHERE mr.membership_id = m.id), '[]') AS roles
FROM memberships m
JOIN users u ON u.id = m.user_id
JOIN organizations o ON o.id = m.organization_id
WHERE m.organization_id = $1 AND m.status IN ('PENDING_INVITE', 'INVITE_EXPIRED')
  AND (m.created_at, m.id) > ($2, $3)
ORDER BY m.created_at, m.id
LIMIT $4;

-- name: console-org-roles-in-use
-- The org's own roles that some membership holds: deleting one of these
-- needs a role to give its holders instead.
SELECT r.id FROM roles r
WHERE r.organization_id = $1
  AND EXISTS (SELECT 1 FROM membership_roles mr WHERE mr.role_id = r.id);
