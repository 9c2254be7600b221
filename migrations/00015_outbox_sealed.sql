-- Mail bodies hold live links (sign-in, reset, invitation). From here on a
-- body is kept sealed with the server's secret key while the mail waits,
-- and wiped once the mail is sent or given up on, so a copy of the
-- database holds no usable link to a delivered mail.

-- +goose Up
ALTER TABLE email_outbox ADD COLUMN body_sealed bytea;
-- Mails already delivered or given up on: nothing in them is needed again.
UPDATE email_outbox SET body_text = '', body_html = '' WHERE status <> 'PENDING';

-- +goose Down
ALTER TABLE email_outbox DROP COLUMN body_sealed;
