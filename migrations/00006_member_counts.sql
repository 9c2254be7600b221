-- Member counts per organization, kept by triggers, so pages and the API can
-- show the size of a 200k-member org without counting it on every request.
-- The triggers run per statement over transition tables: a COPY of a million
-- memberships updates each org's count once, not once a row.

-- +goose Up
CREATE TABLE organization_member_counts (
    organization_id text PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    total           bigint NOT NULL DEFAULT 0,
    active          bigint NOT NULL DEFAULT 0,
    pending         bigint NOT NULL DEFAULT 0
);

-- roster_count_members adds one statement's changes to the counts. PL/pgSQL
-- plans each branch when it first runs, so a branch may name a transition
-- table that only its own kind of trigger has.
-- +goose StatementBegin
CREATE FUNCTION roster_count_members() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO organization_member_counts AS c (organization_id, total, active, pending)
        SELECT x.org, sum(x.sign),
               coalesce(sum(x.sign) FILTER (WHERE x.status = 'ACTIVE'), 0),
               coalesce(sum(x.sign) FILTER (WHERE x.status = 'PENDING_INVITE'), 0)
        FROM (SELECT organization_id, status, 1 FROM new_rows) AS x (org, status, sign)
        -- An org deleted by the same statement has nothing left to count.
        WHERE EXISTS (SELECT 1 FROM organizations o WHERE o.id = x.org)
        GROUP BY x.org
        ORDER BY x.org
        ON CONFLICT (organization_id) DO UPDATE
            SET total = c.total + excluded.total, active = c.active + excluded.active,
                pending = c.pending + excluded.pending;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO organization_member_counts AS c (organization_id, total, active, pending)
        SELECT x.org, sum(x.sign),
               coalesce(sum(x.sign) FILTER (WHERE x.status = 'ACTIVE'), 0),
               coalesce(sum(x.sign) FILTER (WHERE x.status = 'PENDING_INVITE'), 0)
        FROM (SELECT organization_id, status, -1 FROM old_rows) AS x (org, status, sign)
        -- An org deleted by the same statement has nothing left to count.
        WHERE EXISTS (SELECT 1 FROM organizations o WHERE o.id = x.org)
        GROUP BY x.org
        ORDER BY x.org
        ON CONFLICT (organization_id) DO UPDATE
            SET total = c.total + excluded.total, active = c.active + excluded.active,
                pending = c.pending + excluded.pending;
    ELSE
        INSERT INTO organization_member_counts AS c (organization_id, total, active, pending)
        SELECT x.org, sum(x.sign),
               coalesce(sum(x.sign) FILTER (WHERE x.status = 'ACTIVE'), 0),
               coalesce(sum(x.sign) FILTER (WHERE x.status = 'PENDING_INVITE'), 0)
        FROM (SELECT organization_id, status, 1 FROM new_rows UNION ALL SELECT organization_id, status, -1 FROM old_rows) AS x (org, status, sign)
        -- An org deleted by the same statement has nothing left to count.
        WHERE EXISTS (SELECT 1 FROM organizations o WHERE o.id = x.org)
        GROUP BY x.org
        ORDER BY x.org
        ON CONFLICT (organization_id) DO UPDATE
            SET total = c.total + excluded.total, active = c.active + excluded.active,
                pending = c.pending + excluded.pending;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER memberships_count_insert AFTER INSERT ON memberships
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION roster_count_members();
CREATE TRIGGER memberships_count_delete AFTER DELETE ON memberships
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION roster_count_members();
CREATE TRIGGER memberships_count_update AFTER UPDATE ON memberships
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION roster_count_members();

-- +goose Down
DROP TRIGGER memberships_count_update ON memberships;
DROP TRIGGER memberships_count_delete ON memberships;
DROP TRIGGER memberships_count_insert ON memberships;
DROP FUNCTION roster_count_members();
DROP TABLE organization_member_counts;
