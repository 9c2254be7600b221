-- Wrong passwords, counted per account and client network, so that guesses
-- are slowed (exponential back-off) where they come from without locking
-- the account's owner out from anywhere else. Keyed by the lower-cased
-- email typed, known or not, so the slow-down says nothing about accounts.

-- +goose Up
CREATE TABLE password_failures (
    email_key       text NOT NULL CHECK (char_length(email_key) BETWEEN 1 AND 320),
    network         text NOT NULL CHECK (char_length(network) BETWEEN 1 AND 64),
    failures        integer NOT NULL CHECK (failures > 0),
    last_failure_at timestamptz NOT NULL,
    locked_until    timestamptz,
    PRIMARY KEY (email_key, network)
);
-- Old rows are purged by age.
CREATE INDEX password_failures_age ON password_failures (last_failure_at);

-- +goose Down
DROP TABLE password_failures;
