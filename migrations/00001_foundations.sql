-- Extensions and helpers every other migration uses.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- roster_new_id makes an id like the Go package internal/ids does:
-- prefix, '_', then 128 random bits in lowercase base32 (26 characters).
-- +goose StatementBegin
CREATE FUNCTION roster_new_id(prefix text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    raw      bytea := gen_random_bytes(16);
    alphabet text  := 'abcdefghijklmnopqrstuvwxyz234567';
    result   text  := '';
    acc      int   := 0;
    nbits    int   := 0;
BEGIN
    FOR i IN 0..15 LOOP
        acc := (acc << 8) | get_byte(raw, i);
        nbits := nbits + 8;
        WHILE nbits >= 5 LOOP
            result := result || substr(alphabet, ((acc >> (nbits - 5)) & 31) + 1, 1);
            nbits := nbits - 5;
        END LOOP;
        acc := acc & ((1 << nbits) - 1);
    END LOOP;
    IF nbits > 0 THEN
        result := result || substr(alphabet, ((acc << (5 - nbits)) & 31) + 1, 1);
    END IF;
    RETURN prefix || '_' || result;
END
$$;
-- +goose StatementEnd

-- roster_valid_metadata is the database's last line of defence for metadata
-- maps: a JSON object of string values (≤ 256 chars) under keys of 3–25 chars.
-- +goose StatementBegin
CREATE FUNCTION roster_valid_metadata(m jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_typeof(m) = 'object'
       AND NOT EXISTS (
           SELECT 1 FROM jsonb_each(m) AS kv
           WHERE char_length(kv.key) NOT BETWEEN 3 AND 25
              OR jsonb_typeof(kv.value) <> 'string'
              OR char_length(kv.value #>> '{}') > 256
       )
$$;
-- +goose StatementEnd

-- Secrets the instance makes for itself (e.g. the cookie key when
-- ROSTER_SECRET_KEY is not set), shared by every replica through the database.
CREATE TABLE instance_secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE instance_secrets;
DROP FUNCTION roster_valid_metadata(jsonb);
DROP FUNCTION roster_new_id(text);
DROP EXTENSION IF EXISTS pgcrypto;
DROP EXTENSION IF EXISTS pg_trgm;
