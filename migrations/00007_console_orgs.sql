-- Indexes behind the console's organization pages.
--  - Organizations by name: keyset pages in name order need an index on
--    exactly that order, (lower(display_name), id), or every page would
--    sort the whole table.
--  - An org's open invitations, newest first: a partial index holds only
--    them, so a 200k-member org with ten invitations does not walk 200k
--    memberships to find them.

-- +goose Up
CREATE INDEX organizations_name_keyset ON organizations (lower(display_name), id);
CREATE INDEX memberships_open_invitations ON memberships (organization_id, created_at, id)
    WHERE status IN ('PENDING_INVITE', 'INVITE_EXPIRED');

-- +goose Down
DROP INDEX memberships_open_invitations;
DROP INDEX organizations_name_keyset;
