-- The directory: organizations, users and their identities, roles and
-- permissions, memberships and organization domains. The model's invariants
-- that a database can hold are held here, so no code path can break them.

-- +goose Up
CREATE TABLE organizations (
    id                 text PRIMARY KEY DEFAULT roster_new_id('org')
                       CHECK (id ~ '^org_[a-z2-7]{26}$'),
    display_name       text NOT NULL CHECK (char_length(btrim(display_name)) BETWEEN 1 AND 200),
    -- A DNS label: lowercase letters, digits and inner hyphens, at most 63 chars.
    slug               text UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    external_id        text UNIQUE CHECK (char_length(external_id) BETWEEN 1 AND 255),
    metadata           jsonb NOT NULL DEFAULT '{}' CHECK (roster_valid_metadata(metadata)),
    -- Feature toggles (sso, domain_verification, …) as a JSON object of booleans.
    settings           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    -- 0 means no limit; counts ACTIVE and PENDING_INVITE memberships.
    max_allowed_users  integer NOT NULL DEFAULT 0 CHECK (max_allowed_users >= 0),
    logo_url           text CHECK (logo_url ~ '^https://' AND char_length(logo_url) <= 2048),
    default_member_role_id text, -- references roles, added below
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organizations_keyset ON organizations (created_at, id);
CREATE INDEX organizations_name_trgm ON organizations USING gin (lower(display_name) gin_trgm_ops);

CREATE TABLE users (
    id                text PRIMARY KEY DEFAULT roster_new_id('usr')
                      CHECK (id ~ '^usr_[a-z2-7]{26}$'),
    email             text NOT NULL CHECK (
                          email = btrim(email)
                          AND char_length(email) <= 320
                          AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    email_verified    boolean NOT NULL DEFAULT false,
    external_id       text UNIQUE CHECK (char_length(external_id) BETWEEN 1 AND 255),
    given_name        text CHECK (char_length(given_name) <= 255),
    family_name       text CHECK (char_length(family_name) <= 255),
    name              text CHECK (char_length(name) <= 255),
    locale            text CHECK (char_length(locale) <= 35),
    picture           text CHECK (char_length(picture) <= 2048),
    phone_number      text CHECK (char_length(phone_number) <= 32),
    custom_attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_attributes) = 'object'),
    metadata          jsonb NOT NULL DEFAULT '{}' CHECK (roster_valid_metadata(metadata)),
    last_login_at     timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- One person, one email: unique in the environment whatever its case.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
-- Prefix search ("ann…") under any collation.
CREATE INDEX users_email_prefix ON users (lower(email) text_pattern_ops);
-- Substring search on email and name.
CREATE INDEX users_email_trgm ON users USING gin (lower(email) gin_trgm_ops);
CREATE INDEX users_name_trgm ON users USING gin (lower(name) gin_trgm_ops);
CREATE INDEX users_keyset ON users (created_at, id);

-- An identity is one way a user proves who they are: a social or SSO account,
-- an email inbox, a password. issuer + subject name it uniquely.
CREATE TABLE identities (
    id             text PRIMARY KEY DEFAULT roster_new_id('idn')
                   CHECK (id ~ '^idn_[a-z2-7]{26}$'),
    user_id        text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider_kind  text NOT NULL CHECK (provider_kind IN (
                       'EMAIL', 'PASSWORD', 'GOOGLE', 'MICROSOFT', 'GITHUB', 'OKTA',
                       'MICROSOFT_AD', 'OIDC', 'SAML', 'CUSTOM')),
    -- The SSO connection or social provider the identity came through, if any.
    connection_id  text,
    is_social      boolean NOT NULL DEFAULT false,
    issuer         text NOT NULL CHECK (char_length(issuer) BETWEEN 1 AND 2048),
    subject        text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 512),
    email          text CHECK (char_length(email) <= 320),
    email_verified boolean NOT NULL DEFAULT false,
    profile        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(profile) = 'object'),
    last_login_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (issuer, subject)
);
CREATE INDEX identities_user ON identities (user_id);

-- Password hashes as PHC strings: argon2id for ours, bcrypt for imported ones
-- until the user next signs in.
CREATE TABLE password_credentials (
    user_id    text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash       text NOT NULL CHECK (hash ~ '^\$(argon2id|2[abxy])\$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE permissions (
    id          text PRIMARY KEY DEFAULT roster_new_id('perm')
                CHECK (id ~ '^perm_[a-z2-7]{26}$'),
    name        text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Roles with organization_id NULL belong to the environment and apply in every
-- org; the others are one org's own.
CREATE TABLE roles (
    id              text PRIMARY KEY DEFAULT roster_new_id('role')
                    CHECK (id ~ '^role_[a-z2-7]{26}$'),
    organization_id text REFERENCES organizations (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (name ~ '^[A-Za-z0-9_]{1,64}$'),
    display_name    text NOT NULL DEFAULT '' CHECK (char_length(display_name) <= 100),
    description     text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    -- Single inheritance: a role has its own permissions and those of the role it extends.
    extends_role_id text REFERENCES roles (id) ON DELETE RESTRICT,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (extends_role_id IS DISTINCT FROM id)
);
CREATE UNIQUE INDEX roles_environment_name ON roles (name) WHERE organization_id IS NULL;
CREATE UNIQUE INDEX roles_organization_name ON roles (organization_id, name) WHERE organization_id IS NOT NULL;
CREATE INDEX roles_extends ON roles (extends_role_id);

ALTER TABLE organizations
    ADD CONSTRAINT organizations_default_member_role_fkey
    FOREIGN KEY (default_member_role_id) REFERENCES roles (id) ON DELETE SET NULL;

CREATE TABLE role_permissions (
    role_id       text NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_id text NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_id)
);
CREATE INDEX role_permissions_permission ON role_permissions (permission_id);

-- One membership per user × organization.
CREATE TABLE memberships (
    id                        text PRIMARY KEY DEFAULT roster_new_id('mem')
                              CHECK (id ~ '^mem_[a-z2-7]{26}$'),
    user_id                   text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id           text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    status                    text NOT NULL CHECK (status IN (
                                  'ACTIVE', 'INACTIVE', 'PENDING_INVITE', 'INVITE_EXPIRED')),
    provisioning_method       text NOT NULL CHECK (provisioning_method IN (
                                  'org_creator', 'invitation', 'direct_provision',
                                  'allowed_email_domain', 'jit_using_sso')),
    -- The kind of identity the user last used for this org (GOOGLE, EMAIL, …).
    primary_identity_provider text CHECK (char_length(primary_identity_provider) <= 32),
    metadata                  jsonb NOT NULL DEFAULT '{}' CHECK (roster_valid_metadata(metadata)),
    inviter_user_id           text REFERENCES users (id) ON DELETE SET NULL,
    inviter_email             text CHECK (char_length(inviter_email) <= 320),
    invite_created_at         timestamptz,
    invite_expires_at         timestamptz,
    invite_accepted_at        timestamptz,
    resent_count              integer NOT NULL DEFAULT 0 CHECK (resent_count >= 0),
    joined_at                 timestamptz,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, organization_id),
    -- An invitation always has an expiry; an active member always has a join time.
    CHECK (status NOT IN ('PENDING_INVITE', 'INVITE_EXPIRED') OR invite_expires_at IS NOT NULL),
    CHECK (status <> 'ACTIVE' OR joined_at IS NOT NULL)
);
-- Keyset pages of an org's members, and filters by status.
CREATE INDEX memberships_org_keyset ON memberships (organization_id, created_at, id);
CREATE INDEX memberships_org_status ON memberships (organization_id, status);
-- The expiry job looks for live invitations past their time.
CREATE INDEX memberships_pending_expiry ON memberships (invite_expires_at) WHERE status = 'PENDING_INVITE';

CREATE TABLE membership_roles (
    membership_id text NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    -- RESTRICT: a role in use is deleted only after its members are reassigned.
    role_id       text NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
    PRIMARY KEY (membership_id, role_id)
);
CREATE INDEX membership_roles_role ON membership_roles (role_id);

CREATE TABLE organization_domains (
    id                  text PRIMARY KEY DEFAULT roster_new_id('dom')
                        CHECK (id ~ '^dom_[a-z2-7]{26}$'),
    organization_id     text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    domain              text NOT NULL CHECK (
                            char_length(domain) <= 253
                            AND domain ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$'),
    domain_type         text NOT NULL CHECK (domain_type IN ('ORGANIZATION_DOMAIN', 'ALLOWED_EMAIL_DOMAIN')),
    verification_status text NOT NULL DEFAULT 'PENDING' CHECK (verification_status IN (
                            'PENDING', 'VERIFIED', 'FAILED', 'AUTO_VERIFIED')),
    verification_method text NOT NULL DEFAULT 'DNS' CHECK (verification_method IN (
                            'DNS', 'ADMIN', 'NOT_APPLICABLE')),
    txt_record_key      text,
    txt_record_secret   text,
    last_checked_at     timestamptz,
    verified_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
-- A domain belongs to at most one organization.
CREATE UNIQUE INDEX organization_domains_domain ON organization_domains (domain);
CREATE INDEX organization_domains_org ON organization_domains (organization_id);

-- +goose Down
DROP TABLE organization_domains;
DROP TABLE membership_roles;
DROP TABLE memberships;
DROP TABLE role_permissions;
ALTER TABLE organizations DROP CONSTRAINT organizations_default_member_role_fkey;
DROP TABLE roles;
DROP TABLE permissions;
DROP TABLE password_credentials;
DROP TABLE identities;
DROP TABLE users;
DROP TABLE organizations;
