-- A first run that works, and no account deleted as a side effect.
--
-- 1. Users left without an organization are kept unless the environment is
--    set to delete them. Until now the default deleted them (the reference
--    behaviour), so removing someone from their only organization, revoking
--    their invitation or leaving it oneself ended the account too, through
--    every path: the API's DELETE of a membership (whose answer does not say
--    a user went), the CLI, an end user leaving. Deleting an account cannot
--    be undone, takes the person's sign-in methods with it, and breaks the
--    customer's own data keyed by that user id; keeping a user without an
--    organization is harmless (sign-up already makes such users) and they
--    can be invited again or deleted on purpose (the console, DELETE
--    /users/{id}, or cascade=true on the API's removal). Teams that want the
--    reference behaviour turn the setting on.
--    The environment's one settings row was written with the old default,
--    so it is moved to the new one too, unless someone chose the value: a
--    settings.updated audit event that changed it.
--
-- 2. Where `roster serve` runs: each serving process records the public URL
--    it answers at (ROSTER_PUBLIC_URL, or what it actually bound, port 0
--    included) and removes it when it stops, so `roster admin login-link`,
--    run in another shell without the server's settings, prints a link that
--    reaches the running server rather than the default port.

-- +goose Up
ALTER TABLE environment_settings ALTER COLUMN delete_users_without_memberships SET DEFAULT false;
UPDATE environment_settings SET delete_users_without_memberships = false
WHERE NOT EXISTS (
    SELECT 1 FROM audit_events
    WHERE action = 'settings.updated' AND changes ? 'delete_users_without_memberships'
);

CREATE TABLE serving_processes (
    id         text PRIMARY KEY CHECK (char_length(id) BETWEEN 16 AND 64),
    public_url text NOT NULL CHECK (public_url ~ '^https?://' AND char_length(public_url) <= 2000),
    started_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE serving_processes;
ALTER TABLE environment_settings ALTER COLUMN delete_users_without_memberships SET DEFAULT true;
