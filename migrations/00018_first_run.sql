-- Where `roster serve` runs: each serving process records the public URL it
-- answers at (ROSTER_PUBLIC_URL, or what it actually bound, port 0 included)
-- and removes it when it stops, so `roster admin login-link`, run in another
-- shell without the server's settings, prints a link that reaches the running
-- server rather than the default port.

-- +goose Up
CREATE TABLE serving_processes (
    id         text PRIMARY KEY CHECK (char_length(id) BETWEEN 16 AND 64),
    public_url text NOT NULL CHECK (public_url ~ '^https?://' AND char_length(public_url) <= 2000),
    started_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE serving_processes;
