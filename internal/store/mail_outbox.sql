-- Sending the email outbox (internal/mail). A worker claims due mails in one
-- statement, sends them outside any transaction, then records the outcome.

-- name: claim-due-emails
-- Takes up to $4 due mails for one worker: FOR UPDATE SKIP LOCKED lets
-- replicas claim side by side without waiting on or taking each other's
-- rows, and pushing next_attempt_at to the lease's end ($2) hides a claimed
-- mail from everyone until that worker reports back or is presumed dead.
UPDATE email_outbox o
SET attempts = o.attempts + 1, next_attempt_at = $2
FROM (
    SELECT id FROM email_outbox
    WHERE status = 'PENDING' AND next_attempt_at <= $1 AND attempts < $3
    ORDER BY next_attempt_at, id
    LIMIT $4
    FOR UPDATE SKIP LOCKED
) due
WHERE o.id = due.id
RETURNING o.id, o.to_address, o.to_name, o.subject, o.body_text, o.body_html, o.body_sealed, o.kind,
    o.organization_id, o.status, o.attempts, o.next_attempt_at, o.last_error, o.created_at, o.sent_at;

-- name: fail-abandoned-emails
-- A mail whose last allowed attempt was claimed by a worker that never
-- reported back: its lease ($1) has run out and no attempt is left.
UPDATE email_outbox
SET status = 'FAILED', body_text = '', body_html = '', body_sealed = NULL,
    last_error = 'the last attempt was claimed but never reported back (did the worker stop?)'
                 || coalesce('; before that: ' || last_error, '')
WHERE status = 'PENDING' AND next_attempt_at <= $1 AND attempts >= $2;

-- name: mark-email-sent
-- Not guarded by attempts: once the server took the mail it is sent, even
-- if another worker has claimed it again in between. The body goes: its
-- links belong to the recipient alone, and nothing reads it again.
UPDATE email_outbox SET status = 'SENT', sent_at = $2, body_text = '', body_html = '', body_sealed = NULL
WHERE id = $1 AND status = 'PENDING';

-- name: retry-email
-- Guarded by attempts ($2): a worker whose lease ran out must not undo a
-- newer claim.
UPDATE email_outbox SET next_attempt_at = $3, last_error = $4
WHERE id = $1 AND attempts = $2 AND status = 'PENDING';

-- name: release-email
-- Hands back a claimed mail that was never tried, without counting it.
UPDATE email_outbox SET next_attempt_at = $3, attempts = attempts - 1
WHERE id = $1 AND attempts = $2 AND status = 'PENDING';

-- name: fail-email
-- A mail given up on keeps no body either: its links must not outlive it.
UPDATE email_outbox SET status = 'FAILED', last_error = $3, body_text = '', body_html = '', body_sealed = NULL
WHERE id = $1 AND attempts = $2 AND status = 'PENDING';

-- name: get-email
SELECT id, to_address, to_name, subject, body_text, body_html, body_sealed, kind, organization_id, status, attempts, next_attempt_at, last_error, created_at, sent_at
FROM email_outbox WHERE id = $1;

-- name: list-emails-forward
-- Newest first, from a position toward older mail. Served by the index
-- email_outbox_recent (created_at DESC).
SELECT id, to_address, to_name, subject, body_text, body_html, body_sealed, kind, organization_id, status, attempts, next_attempt_at, last_error, created_at, sent_at
FROM email_outbox
WHERE (created_at, id) < ($1, $2)
ORDER BY created_at DESC, id DESC
LIMIT $3;

-- name: list-emails-backward
-- The page before a position: the newer rows just above it, read upward.
SELECT id, to_address, to_name, subject, body_text, body_html, body_sealed, kind, organization_id, status, attempts, next_attempt_at, last_error, created_at, sent_at
FROM email_outbox
WHERE (created_at, id) > ($1, $2)
ORDER BY created_at, id
LIMIT $3;
