-- name: insert-email
-- The body is sealed ($5); body_text and body_html stay empty.
INSERT INTO email_outbox (id, to_address, to_name, subject, body_text, body_html, body_sealed, kind, organization_id, created_at, next_attempt_at)
VALUES ($1, $2, $3, $4, '', '', $5, $6, $7, $8, $8);

-- name: insert-one-time-token
INSERT INTO one_time_tokens (id, purpose, token_hash, email, user_id, organization_id, membership_id, data, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: revoke-membership-tokens
UPDATE one_time_tokens SET revoked_at = $2
WHERE membership_id = $1 AND purpose = 'invitation' AND used_at IS NULL AND revoked_at IS NULL;
