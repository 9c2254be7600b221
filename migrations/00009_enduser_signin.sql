-- End users' hosted sign-in: a rate limiter every replica shares, the method
-- a session signed in with, a quick way to the open sign-in tokens of one
-- address, and the name hosted pages show.

-- +goose Up
-- Fixed-window counters: one row per key ("signin:ip:203.0.113.9") and
-- window. An upsert counts a hit and returns the new count in one statement,
-- so replicas share limits without any lock held across requests.
CREATE TABLE rate_limits (
    key          text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 400),
    window_start timestamptz NOT NULL,
    count        integer NOT NULL DEFAULT 0 CHECK (count >= 0),
    PRIMARY KEY (key, window_start)
);
-- Old windows are purged by age.
CREATE INDEX rate_limits_window ON rate_limits (window_start);

-- How the session was signed in to (EMAIL, PASSWORD, GOOGLE, …). When the
-- person picks an organization later (the org picker), it becomes that
-- membership's primary identity provider.
ALTER TABLE sessions ADD COLUMN auth_method text CHECK (char_length(auth_method) BETWEEN 1 AND 32);

-- Using one email sign-in link or code revokes the other open ones of that
-- address; without this index that would read every token ever made.
CREATE INDEX one_time_tokens_open_by_email ON one_time_tokens (lower(email), purpose)
    WHERE used_at IS NULL AND revoked_at IS NULL;

-- The product's name on hosted pages (sign-in, organization picker): people
-- sign in to the app owner's product, not to "Roster".
ALTER TABLE environment_settings ADD COLUMN app_name text NOT NULL DEFAULT 'Roster'
    CHECK (char_length(btrim(app_name)) BETWEEN 1 AND 100);

-- +goose Down
ALTER TABLE environment_settings DROP COLUMN app_name;
DROP INDEX one_time_tokens_open_by_email;
ALTER TABLE sessions DROP COLUMN auth_method;
DROP TABLE rate_limits;
