-- The console lists organizations by name as well as by age. Keyset pages in
-- name order need an index on exactly that order, (lower(display_name), id),
-- or every page would sort the whole table.

-- +goose Up
CREATE INDEX organizations_name_keyset ON organizations (lower(display_name), id);

-- +goose Down
DROP INDEX organizations_name_keyset;
