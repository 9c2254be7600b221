-- The console's home page and audit log: indexes for their queries, and a
-- table of per-day activity counts.

-- +goose Up
-- Sign-ins per day count the sessions started on a day; without this index
-- that is a scan of every session ever made.
CREATE INDEX sessions_created ON sessions (created_at);

-- Sign-ins and new users per UTC day, counted incrementally for the home
-- page's chart: each row holds the counts of the rows created on its day
-- before counted_until, so a view counts only what came since. At a
-- million users, counting 30 days of sessions on every view would read
-- millions of index entries.
CREATE TABLE console_daily_activity (
    day           date PRIMARY KEY,
    sign_ins      bigint NOT NULL CHECK (sign_ins >= 0),
    new_users     bigint NOT NULL CHECK (new_users >= 0),
    counted_until timestamptz NOT NULL
);

-- The audit log's actor filter matches part of a label ("ann@", "billing
-- sync"); a trigram index keeps that from reading the whole log.
CREATE INDEX audit_events_actor_label_trgm ON audit_events USING gin (lower(actor_label) gin_trgm_ops);

-- +goose Down
DROP INDEX audit_events_actor_label_trgm;
DROP TABLE console_daily_activity;
DROP INDEX sessions_created;
