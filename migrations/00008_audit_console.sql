-- Indexes for the console's home and audit log pages.

-- +goose Up
-- Sign-ins per day on the home page count the sessions created in the last
-- 30 days; without this index that is a scan of every session ever made.
CREATE INDEX sessions_created ON sessions (created_at);

-- The audit log's actor filter matches part of a label ("ann@", "billing
-- sync"); a trigram index keeps that from reading the whole log.
CREATE INDEX audit_events_actor_label_trgm ON audit_events USING gin (lower(actor_label) gin_trgm_ops);

-- +goose Down
DROP INDEX audit_events_actor_label_trgm;
DROP INDEX sessions_created;
