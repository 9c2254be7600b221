-- name: lock-environment-settings
-- Taken before reading the settings that are about to change, so two owners
-- saving at once do not record each other's values as "from".
SELECT true FROM environment_settings FOR UPDATE;

-- name: update-environment-settings
-- Durations arrive as whole seconds.
UPDATE environment_settings
SET email_signin_enabled             = $1,
    email_signin_mode                = $2,
    email_token_lifetime             = make_interval(secs => $3),
    password_signin_enabled          = $4,
    social_signin_enabled            = $5,
    signup_enabled                   = $6,
    signup_creates_organization      = $7,
    max_organizations_per_user       = $8,
    invitation_expiry                = make_interval(secs => $9),
    delete_users_without_memberships = $10,
    block_public_email_domains       = $11,
    block_disposable_email_domains   = $12,
    user_session_idle_timeout        = make_interval(secs => $13),
    user_session_lifetime            = make_interval(secs => $14),
    admin_session_idle_timeout       = make_interval(secs => $15),
    admin_session_lifetime           = make_interval(secs => $16),
    allowed_redirect_urls            = $17,
    updated_at                       = $18,
    app_name                         = $19;
