-- Which social providers may link a sign-in to an existing account on their
-- word that the email is verified, and the one-time codes that let a person
-- link a sign-in from any other provider by proving the inbox instead.

-- +goose Up
-- A provider's email_verified claim links a new sign-in to the existing user
-- with that address only when the owner trusts the provider to verify every
-- address it reports. Google does; a generic OpenID Connect provider may let
-- anyone claim any address, so it is not trusted unless the owner says so.
ALTER TABLE social_providers ADD COLUMN trust_email_verified boolean NOT NULL DEFAULT false;
UPDATE social_providers SET trust_email_verified = true WHERE provider_kind = 'GOOGLE';

-- identity_link: a code mailed to an existing user's address; entering it
-- proves the inbox and links the social sign-in waiting in the token's data.
ALTER TABLE one_time_tokens DROP CONSTRAINT one_time_tokens_purpose_check;
ALTER TABLE one_time_tokens ADD CONSTRAINT one_time_tokens_purpose_check CHECK (purpose IN (
    'invitation', 'magic_link', 'email_code', 'password_reset',
    'email_verification', 'admin_login', 'identity_link'));

-- +goose Down
DELETE FROM one_time_tokens WHERE purpose = 'identity_link';
ALTER TABLE one_time_tokens DROP CONSTRAINT one_time_tokens_purpose_check;
ALTER TABLE one_time_tokens ADD CONSTRAINT one_time_tokens_purpose_check CHECK (purpose IN (
    'invitation', 'magic_link', 'email_code', 'password_reset',
    'email_verification', 'admin_login'));
ALTER TABLE social_providers DROP COLUMN trust_email_verified;
