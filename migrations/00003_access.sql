-- How people get in: the environment's sign-in settings, social providers,
-- per-org sign-in policies and SSO connections, server-side sessions, one-time
-- tokens (invitations, magic links, codes, resets) and API clients.
-- Every secret here is stored hashed, or encrypted when Roster must read it back.

-- +goose Up
-- One row: the environment's defaults. id is always true so a second row cannot exist.
CREATE TABLE environment_settings (
    id                          boolean PRIMARY KEY DEFAULT true CHECK (id),
    email_signin_enabled        boolean NOT NULL DEFAULT true,
    email_signin_mode           text NOT NULL DEFAULT 'both' CHECK (email_signin_mode IN ('link', 'code', 'both')),
    email_token_lifetime        interval NOT NULL DEFAULT '10 minutes'
                                CHECK (email_token_lifetime BETWEEN '1 minute' AND '1 hour'),
    password_signin_enabled     boolean NOT NULL DEFAULT true,
    social_signin_enabled       boolean NOT NULL DEFAULT true,
    signup_enabled              boolean NOT NULL DEFAULT true,
    signup_creates_organization boolean NOT NULL DEFAULT false,
    max_organizations_per_user  integer NOT NULL DEFAULT 0 CHECK (max_organizations_per_user >= 0),
    invitation_expiry           interval NOT NULL DEFAULT '15 days'
                                CHECK (invitation_expiry BETWEEN '1 hour' AND '90 days'),
    -- The reference deletes a user whose last membership goes; some teams keep them.
    delete_users_without_memberships boolean NOT NULL DEFAULT true,
    block_public_email_domains  boolean NOT NULL DEFAULT true,
    block_disposable_email_domains boolean NOT NULL DEFAULT true,
    default_creator_role_id     text REFERENCES roles (id) ON DELETE RESTRICT,
    default_member_role_id      text REFERENCES roles (id) ON DELETE RESTRICT,
    user_session_idle_timeout   interval NOT NULL DEFAULT '7 days',
    user_session_lifetime       interval NOT NULL DEFAULT '30 days',
    admin_session_idle_timeout  interval NOT NULL DEFAULT '2 hours',
    admin_session_lifetime      interval NOT NULL DEFAULT '12 hours',
    -- Where end users may be sent after sign-in (exact URLs or origins).
    allowed_redirect_urls       text[] NOT NULL DEFAULT '{}',
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CHECK (user_session_idle_timeout > '0' AND user_session_idle_timeout <= user_session_lifetime),
    CHECK (admin_session_idle_timeout > '0' AND admin_session_idle_timeout <= admin_session_lifetime)
);

-- Google and any other OIDC provider offered to every user of the environment.
CREATE TABLE social_providers (
    id                      text PRIMARY KEY DEFAULT roster_new_id('conn')
                            CHECK (id ~ '^conn_[a-z2-7]{26}$'),
    provider_kind           text NOT NULL CHECK (provider_kind IN ('GOOGLE', 'MICROSOFT', 'GITHUB', 'OIDC')),
    display_name            text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 100),
    issuer                  text NOT NULL CHECK (issuer ~ '^https?://'),
    client_id               text NOT NULL CHECK (char_length(client_id) BETWEEN 1 AND 512),
    client_secret_encrypted bytea NOT NULL,
    scopes                  text[] NOT NULL DEFAULT '{openid,email,profile}',
    enabled                 boolean NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

-- An org's sign-in policy overrides the environment's defaults. NULL columns
-- mean "as the environment says".
CREATE TABLE organization_signin_policies (
    organization_id           text PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    enforce_sso               boolean NOT NULL DEFAULT false,
    email_signin_enabled      boolean,
    password_signin_enabled   boolean,
    social_signin_enabled     boolean,
    user_session_idle_timeout interval CHECK (user_session_idle_timeout > '0'),
    user_session_lifetime     interval CHECK (user_session_lifetime > '0'),
    updated_at                timestamptz NOT NULL DEFAULT now()
);

-- An organization's enterprise SSO connection (OIDC or SAML).
CREATE TABLE sso_connections (
    id                           text PRIMARY KEY DEFAULT roster_new_id('conn')
                                 CHECK (id ~ '^conn_[a-z2-7]{26}$'),
    organization_id              text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    protocol                     text NOT NULL CHECK (protocol IN ('OIDC', 'SAML')),
    provider                     text NOT NULL DEFAULT 'CUSTOM' CHECK (provider IN (
                                     'OKTA', 'MICROSOFT_AD', 'GOOGLE', 'ONELOGIN', 'JUMPCLOUD', 'PING', 'CUSTOM')),
    status                       text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'ENABLED', 'DISABLED')),
    oidc_issuer                  text,
    oidc_client_id               text,
    -- Encrypted with a key derived from ROSTER_SECRET_KEY; never stored in clear.
    oidc_client_secret_encrypted bytea,
    oidc_scopes                  text[] NOT NULL DEFAULT '{openid,email,profile}',
    saml_idp_entity_id           text,
    saml_idp_sso_url             text,
    saml_idp_certificate         text,
    attribute_mapping            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attribute_mapping) = 'object'),
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sso_connections_org ON sso_connections (organization_id);

-- End users' sessions. The cookie carries a random token; only its SHA-256 is kept.
CREATE TABLE sessions (
    id                  text PRIMARY KEY DEFAULT roster_new_id('ses')
                        CHECK (id ~ '^ses_[a-z2-7]{26}$'),
    token_hash          bytea NOT NULL UNIQUE,
    user_id             text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The org the user acts in now.
    organization_id     text REFERENCES organizations (id) ON DELETE SET NULL,
    status              text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'EXPIRED', 'REVOKED', 'LOGOUT')),
    ip                  text,
    user_agent          text CHECK (char_length(user_agent) <= 1024),
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_active_at      timestamptz NOT NULL DEFAULT now(),
    idle_expires_at     timestamptz NOT NULL,
    absolute_expires_at timestamptz NOT NULL,
    ended_at            timestamptz,
    CHECK ((status = 'ACTIVE') = (ended_at IS NULL))
);
CREATE INDEX sessions_user ON sessions (user_id, created_at DESC);
CREATE INDEX sessions_org_active ON sessions (organization_id) WHERE status = 'ACTIVE';

-- Every org a session has signed in to (authenticated_organizations[]).
CREATE TABLE session_organizations (
    session_id       text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    authenticated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, organization_id)
);
CREATE INDEX session_organizations_org ON session_organizations (organization_id);

-- The app owners' console sessions. Console admins are not directory users:
-- they come from the owner's IdP (or a bootstrap link) with a console role.
CREATE TABLE admin_sessions (
    id                  text PRIMARY KEY DEFAULT roster_new_id('ses')
                        CHECK (id ~ '^ses_[a-z2-7]{26}$'),
    token_hash          bytea NOT NULL UNIQUE,
    email               text NOT NULL CHECK (char_length(email) <= 320),
    subject             text,
    issuer              text,
    console_role        text NOT NULL CHECK (console_role IN ('owner', 'editor', 'viewer')),
    ip                  text,
    user_agent          text CHECK (char_length(user_agent) <= 1024),
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_active_at      timestamptz NOT NULL DEFAULT now(),
    idle_expires_at     timestamptz NOT NULL,
    absolute_expires_at timestamptz NOT NULL,
    ended_at            timestamptz
);
CREATE INDEX admin_sessions_live ON admin_sessions (created_at DESC) WHERE ended_at IS NULL;

-- Single-use secrets sent to people: invitation links, magic links, email
-- codes, password resets, email verification, console bootstrap links.
-- Only hashes are kept; a token is used once, then used_at is set.
CREATE TABLE one_time_tokens (
    id              text PRIMARY KEY DEFAULT roster_new_id('tok')
                    CHECK (id ~ '^tok_[a-z2-7]{26}$'),
    purpose         text NOT NULL CHECK (purpose IN (
                        'invitation', 'magic_link', 'email_code', 'password_reset',
                        'email_verification', 'admin_login')),
    token_hash      bytea NOT NULL UNIQUE,
    -- For email codes: the code's hash, checked a limited number of times.
    code_hash       bytea,
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts    integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
    email           text CHECK (char_length(email) <= 320),
    user_id         text REFERENCES users (id) ON DELETE CASCADE,
    organization_id text REFERENCES organizations (id) ON DELETE CASCADE,
    membership_id   text REFERENCES memberships (id) ON DELETE CASCADE,
    -- Where to go afterwards and similar purpose-specific values.
    data            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    revoked_at      timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX one_time_tokens_membership ON one_time_tokens (membership_id) WHERE membership_id IS NOT NULL;
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX one_time_tokens_expiry ON one_time_tokens (expires_at);

-- Machine callers of the management API. The secret is shown once; only its
-- SHA-256 is kept (it is 256 random bits, so a fast hash is enough).
CREATE TABLE api_clients (
    id           text PRIMARY KEY DEFAULT roster_new_id('cli')
                 CHECK (id ~ '^cli_[a-z2-7]{26}$'),
    name         text NOT NULL CHECK (char_length(btrim(name)) BETWEEN 1 AND 100),
    secret_hash  bytea NOT NULL,
    -- The last characters of the secret, to tell clients apart in lists.
    secret_hint  text NOT NULL DEFAULT '',
    created_by   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- +goose Down
DROP TABLE api_clients;
DROP TABLE one_time_tokens;
DROP TABLE admin_sessions;
DROP TABLE session_organizations;
DROP TABLE sessions;
DROP TABLE sso_connections;
DROP TABLE organization_signin_policies;
DROP TABLE social_providers;
DROP TABLE environment_settings;
