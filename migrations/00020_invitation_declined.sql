-- An invitation link its invitee declined says so.
--
-- Declining deletes the membership, and with it the link; its tombstone
-- told only "revoked", and the link's page then said the organization
-- withdrew the invitation. The directory now marks the links of a declined
-- invitation (data.declined_at) before deleting them, and the tombstone keeps
-- the mark, so the page can say "you declined this invitation".

-- +goose Up
ALTER TABLE invitation_tombstones ADD COLUMN declined_at timestamptz;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION roster_keep_invitation_tombstone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO invitation_tombstones (token_hash, organization_id, organization_name, used_at, revoked_at, expires_at, declined_at)
    VALUES (OLD.token_hash, OLD.organization_id,
            (SELECT display_name FROM organizations WHERE id = OLD.organization_id),
            OLD.used_at, OLD.revoked_at, OLD.expires_at,
            (OLD.data ->> 'declined_at')::timestamptz)
    ON CONFLICT (token_hash) DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION roster_keep_invitation_tombstone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO invitation_tombstones (token_hash, organization_id, organization_name, used_at, revoked_at, expires_at)
    VALUES (OLD.token_hash, OLD.organization_id,
            (SELECT display_name FROM organizations WHERE id = OLD.organization_id),
            OLD.used_at, OLD.revoked_at, OLD.expires_at)
    ON CONFLICT (token_hash) DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
ALTER TABLE invitation_tombstones DROP COLUMN declined_at;
