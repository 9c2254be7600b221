-- What an environment has out of the box: the admin and member roles with
-- sensible permissions, and the settings row pointing at them as defaults.

-- +goose Up
INSERT INTO permissions (name, description) VALUES
    ('organization:read',   'See the organization''s profile and settings'),
    ('organization:update', 'Change the organization''s profile and settings'),
    ('members:read',        'See the organization''s members'),
    ('members:invite',      'Invite people to the organization'),
    ('members:update',      'Change members'' roles and metadata'),
    ('members:remove',      'Remove members from the organization'),
    ('roles:manage',        'Create and change the organization''s roles'),
    ('domains:manage',      'Add, verify and remove the organization''s domains'),
    ('sso:manage',          'Configure the organization''s SSO connection'),
    ('policy:manage',       'Change the organization''s sign-in policy');

INSERT INTO roles (name, display_name, description) VALUES
    ('member', 'Member', 'Everyone in an organization. The default for people who join.');
INSERT INTO roles (name, display_name, description, extends_role_id)
    SELECT 'admin', 'Admin', 'Runs the organization. The default for its creator.', id
    FROM roles WHERE name = 'member' AND organization_id IS NULL;

INSERT INTO role_permissions (role_id, permission_id)
    SELECT r.id, p.id FROM roles r, permissions p
    WHERE r.organization_id IS NULL AND r.name = 'member'
      AND p.name IN ('organization:read', 'members:read');
INSERT INTO role_permissions (role_id, permission_id)
    SELECT r.id, p.id FROM roles r, permissions p
    WHERE r.organization_id IS NULL AND r.name = 'admin'
      AND p.name NOT IN ('organization:read', 'members:read');

INSERT INTO environment_settings (default_creator_role_id, default_member_role_id)
    SELECT (SELECT id FROM roles WHERE organization_id IS NULL AND name = 'admin'),
           (SELECT id FROM roles WHERE organization_id IS NULL AND name = 'member');

-- +goose Down
DELETE FROM environment_settings;
DELETE FROM role_permissions;
DELETE FROM roles WHERE organization_id IS NULL AND name = 'admin';
DELETE FROM roles WHERE organization_id IS NULL AND name = 'member';
DELETE FROM permissions;
