-- The audit log keeps the names of what an event concerns as they were when
-- it happened, so "dana@saasco.example removed carol@globex.example from
-- Globex" still reads so after carol, or Globex, is deleted or renamed.

-- +goose Up
ALTER TABLE audit_events
    ADD COLUMN organization_name text, -- the organization's display name
    ADD COLUMN user_label        text, -- the user's email
    ADD COLUMN target_label      text; -- a role's or permission's name, a domain, a client's name, …

-- Events written before: names from the tables as they are now, else from
-- what the event recorded about the object it created or deleted.
UPDATE audit_events e
SET organization_name = COALESCE(
        (SELECT o.display_name FROM organizations o WHERE o.id = e.organization_id),
        CASE WHEN e.target_type = 'organization' AND jsonb_typeof(e.changes -> 'display_name') = 'string'
             THEN e.changes ->> 'display_name' END),
    user_label = COALESCE(
        (SELECT u.email FROM users u WHERE u.id = e.user_id),
        CASE WHEN e.target_type = 'user' AND jsonb_typeof(e.changes -> 'email') = 'string'
             THEN e.changes ->> 'email' END),
    target_label = COALESCE(
        CASE e.target_type
            WHEN 'role' THEN (SELECT r.name FROM roles r WHERE r.id = e.target_id)
            WHEN 'permission' THEN (SELECT p.name FROM permissions p WHERE p.id = e.target_id)
            WHEN 'domain' THEN (SELECT d.domain FROM organization_domains d WHERE d.id = e.target_id)
            WHEN 'api_client' THEN (SELECT c.name FROM api_clients c WHERE c.id = e.target_id)
            WHEN 'social_provider' THEN (SELECT s.display_name FROM social_providers s WHERE s.id = e.target_id)
            WHEN 'admin_session' THEN (SELECT a.email FROM admin_sessions a WHERE a.id = e.target_id)
        END,
        (SELECT e.changes ->> k.key
         FROM (VALUES ('role', 'name'), ('permission', 'name'), ('domain', 'domain'), ('api_client', 'name'),
                      ('social_provider', 'display_name'), ('admin_session', 'email')) AS k (type, key)
         WHERE k.type = e.target_type AND jsonb_typeof(e.changes -> k.key) = 'string'))
WHERE e.organization_id IS NOT NULL OR e.user_id IS NOT NULL
   OR e.target_type IN ('role', 'permission', 'domain', 'api_client', 'social_provider', 'admin_session');

-- What is still unnamed concerns an organization or user deleted since:
-- another event about it may know the name (its deletion, its creation).
UPDATE audit_events e
SET organization_name = k.organization_name
FROM (SELECT DISTINCT ON (organization_id) organization_id, organization_name
      FROM audit_events
      WHERE organization_name IS NOT NULL
        AND organization_id IN (SELECT organization_id FROM audit_events
                                WHERE organization_name IS NULL AND organization_id IS NOT NULL)
      ORDER BY organization_id, occurred_at DESC) k
WHERE e.organization_id = k.organization_id AND e.organization_name IS NULL;

UPDATE audit_events e
SET user_label = k.user_label
FROM (SELECT DISTINCT ON (user_id) user_id, user_label
      FROM audit_events
      WHERE user_label IS NOT NULL
        AND user_id IN (SELECT user_id FROM audit_events WHERE user_label IS NULL AND user_id IS NOT NULL)
      ORDER BY user_id, occurred_at DESC) k
WHERE e.user_id = k.user_id AND e.user_label IS NULL;

-- +goose Down
ALTER TABLE audit_events
    DROP COLUMN target_label,
    DROP COLUMN user_label,
    DROP COLUMN organization_name;
