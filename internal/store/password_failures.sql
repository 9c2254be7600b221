-- Wrong passwords per account and network (internal/ratelimit, backoff.go).

-- name: password-lock
SELECT locked_until FROM password_failures WHERE email_key = $1 AND network = $2;

-- name: record-password-failure
-- A run of failures older than $4 is forgotten: the count starts again.
INSERT INTO password_failures AS f (email_key, network, failures, last_failure_at)
VALUES ($1, $2, 1, $3)
ON CONFLICT (email_key, network) DO UPDATE
SET failures = CASE WHEN f.last_failure_at < $4 THEN 1 ELSE f.failures + 1 END,
    last_failure_at = $3
RETURNING failures;

-- name: lock-password-pair
UPDATE password_failures SET locked_until = $3 WHERE email_key = $1 AND network = $2;

-- name: clear-password-pair
DELETE FROM password_failures WHERE email_key = $1 AND network = $2;

-- name: clear-password-failures
DELETE FROM password_failures WHERE email_key = $1;

-- name: purge-password-failures
DELETE FROM password_failures WHERE last_failure_at < $1;
