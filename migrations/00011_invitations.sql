-- What an invitation link says after its row is gone.
--
-- An invitation's one-time token goes with its membership (ON DELETE
-- CASCADE): revoking an invitation deletes the membership, and often the
-- user created for it. Someone who then opens the link must still be told
-- "this invitation was revoked", not "this link is unknown". A trigger keeps
-- a small tombstone of every invitation token deleted, whatever path deleted
-- it; the invitation expiry job forgets tombstones after 90 days (the
-- longest invitation expiry), so the table stays small.

-- +goose Up
CREATE TABLE invitation_tombstones (
    token_hash        bytea PRIMARY KEY,
    organization_id   text,        -- no foreign key: the org may be gone too
    organization_name text,        -- NULL when the org was deleted with it
    used_at           timestamptz,
    revoked_at        timestamptz,
    expires_at        timestamptz NOT NULL,
    deleted_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitation_tombstones_deleted ON invitation_tombstones (deleted_at);

-- +goose StatementBegin
CREATE FUNCTION roster_keep_invitation_tombstone() RETURNS trigger
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

CREATE TRIGGER one_time_tokens_invitation_tombstone AFTER DELETE ON one_time_tokens
    FOR EACH ROW WHEN (OLD.purpose = 'invitation')
    EXECUTE FUNCTION roster_keep_invitation_tombstone();

-- +goose Down
DROP TRIGGER one_time_tokens_invitation_tombstone ON one_time_tokens;
DROP FUNCTION roster_keep_invitation_tombstone();
DROP TABLE invitation_tombstones;
