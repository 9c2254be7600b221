-- name: get-environment-settings
-- Intervals come back as seconds so Go reads them as durations.
SELECT app_name, email_signin_enabled, email_signin_mode, password_signin_enabled, social_signin_enabled,
       signup_enabled, signup_creates_organization, max_organizations_per_user,
       delete_users_without_memberships, block_public_email_domains, block_disposable_email_domains,
       default_creator_role_id, default_member_role_id, updated_at, allowed_redirect_urls,
       extract(epoch FROM email_token_lifetime)::bigint       AS email_token_lifetime_s,
       extract(epoch FROM invitation_expiry)::bigint          AS invitation_expiry_s,
       extract(epoch FROM user_session_idle_timeout)::bigint  AS user_session_idle_timeout_s,
       extract(epoch FROM user_session_lifetime)::bigint      AS user_session_lifetime_s,
       extract(epoch FROM admin_session_idle_timeout)::bigint AS admin_session_idle_timeout_s,
       extract(epoch FROM admin_session_lifetime)::bigint     AS admin_session_lifetime_s
FROM environment_settings;
