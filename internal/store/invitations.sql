-- name: invitation-link
-- An invitation link with what its page shows: the org, the membership it
-- opens (gone when revoked) and the roles it gives.
SELECT t.id, t.email, t.user_id, t.organization_id, t.membership_id, t.data,
       t.expires_at, t.used_at, t.revoked_at,
       o.display_name AS organization_name,
       m.status AS membership_status, m.inviter_email, m.invite_expires_at,
       coalesce((SELECT json_agg(json_build_object('id', r.id, 'name', r.name, 'display_name', r.display_name) ORDER BY r.name)
                 FROM membership_roles mr JOIN roles r ON r.id = mr.role_id
                 WHERE mr.membership_id = m.id), '[]') AS roles
FROM one_time_tokens t
LEFT JOIN organizations o ON o.id = t.organization_id
LEFT JOIN memberships m ON m.id = t.membership_id
WHERE t.token_hash = $1 AND t.purpose = 'invitation';

-- name: invitation-tombstone
SELECT organization_id, organization_name, used_at, revoked_at, expires_at, declined_at
FROM invitation_tombstones WHERE token_hash = $1;

-- name: use-invitation-link
-- Consumes the link, once: of any number of parallel requests exactly one
-- gets a row back; the others wait for its row lock and then see used_at.
UPDATE one_time_tokens SET used_at = $2
WHERE token_hash = $1 AND purpose = 'invitation'
  AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
RETURNING id, email, user_id, organization_id, membership_id;

-- name: use-membership-invitation-links
-- Marks every live link of a membership used, when it is accepted without one.
UPDATE one_time_tokens SET used_at = $2
WHERE membership_id = $1 AND purpose = 'invitation' AND used_at IS NULL AND revoked_at IS NULL;

-- name: mark-invitation-links-declined
-- Marks the live links of membership $1 as declined by their invitee at $2,
-- before the membership goes: the tombstone keeps the mark (00020).
UPDATE one_time_tokens
SET data = data || jsonb_build_object('declined_at', $2::timestamptz)
WHERE membership_id = $1 AND purpose = 'invitation' AND used_at IS NULL AND revoked_at IS NULL;

-- name: request-invitation-renewal
-- Records that the invitee asked for a new link, once per link: a second
-- request finds the mark and changes nothing.
UPDATE one_time_tokens
SET data = data || jsonb_build_object('renewal_requested_at', $2::timestamptz)
WHERE token_hash = $1 AND purpose = 'invitation' AND used_at IS NULL AND revoked_at IS NULL
  AND NOT data ? 'renewal_requested_at'
RETURNING id;

-- name: expire-invitations
-- Marks up to $2 invitations past their expiry INVITE_EXPIRED, oldest
-- first, through the memberships_pending_expiry index. SKIP LOCKED: rows an
-- accept or another replica holds are left for the next round.
WITH due AS (
    SELECT id FROM memberships
    WHERE status = 'PENDING_INVITE' AND invite_expires_at <= $1
    ORDER BY invite_expires_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE memberships m SET status = 'INVITE_EXPIRED', updated_at = $1
FROM due WHERE m.id = due.id
RETURNING m.id, m.user_id, m.organization_id, m.invite_expires_at;

-- name: forget-invitation-tombstones
-- deleted_at is the database's time (the trigger sets it), so the cutoff
-- is too: $1 seconds before now().
DELETE FROM invitation_tombstones WHERE deleted_at < now() - make_interval(secs => $1);

-- name: users-by-emails
-- The users with these addresses ($1 lowercased), through users_email_key.
SELECT id, email, email_verified, external_id, given_name, family_name, name, locale, picture,
       phone_number, custom_attributes, metadata, last_login_at, created_at, updated_at
FROM users WHERE lower(email) = ANY($1);

-- name: org-memberships-of-users
SELECT m.id, m.user_id, m.organization_id, m.status, m.provisioning_method,
       m.primary_identity_provider, m.metadata, m.inviter_user_id, m.inviter_email,
       m.invite_created_at, m.invite_expires_at, m.invite_accepted_at, m.resent_count, m.joined_at,
       m.created_at, m.updated_at,
       o.display_name AS organization_name, '[]' AS roles
FROM memberships m JOIN organizations o ON o.id = m.organization_id
WHERE m.organization_id = $1 AND m.user_id = ANY($2);
