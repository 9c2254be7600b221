package store

import (
	"context"
	"time"
)

// Sending the outbox. QueueEmail (outbox.go) writes a mail in the
// transaction of the change that causes it; internal/mail's worker claims,
// sends and settles mails with the methods below, each one short statement
// outside any long transaction, so no lock is held while talking to SMTP.

var mailOutboxQueries struct {
	Claim         string `query:"claim-due-emails"`
	FailAbandoned string `query:"fail-abandoned-emails"`
	MarkSent      string `query:"mark-email-sent"`
	Retry         string `query:"retry-email"`
	Release       string `query:"release-email"`
	Fail          string `query:"fail-email"`
	Get           string `query:"get-email"`
	ListForward   string `query:"list-emails-forward"`
	ListBackward  string `query:"list-emails-backward"`
}

func init() { loadQueries("mail_outbox.sql", &mailOutboxQueries) }

// Outbox statuses.
const (
	EmailPending = "PENDING"
	EmailSent    = "SENT"
	EmailFailed  = "FAILED"
)

// OutboxEmail is one row of the outbox, as the worker and the dev mailbox
// read it.
type OutboxEmail struct {
	ID             string     `db:"id"`
	To             string     `db:"to_address"`
	ToName         string     `db:"to_name"`
	Subject        string     `db:"subject"`
	Text           string     `db:"body_text"` // from Sealed once opened
	HTML           string     `db:"body_html"`
	Sealed         []byte     `db:"body_sealed"` // the body, sealed; nil once sent
	Kind           string     `db:"kind"`
	OrganizationID *string    `db:"organization_id"`
	Status         string     `db:"status"`
	Attempts       int        `db:"attempts"`
	NextAttemptAt  time.Time  `db:"next_attempt_at"`
	LastError      *string    `db:"last_error"`
	CreatedAt      time.Time  `db:"created_at"`
	SentAt         *time.Time `db:"sent_at"`

	// Unreadable says the sealed body could not be opened: it was sealed
	// under another secret key.
	Unreadable bool `db:"-"`
}

// ClaimDueEmails takes up to limit PENDING mails due at now that have fewer
// than maxAttempts attempts, counts an attempt on each and hides them until
// leaseEnd. Claims by concurrent workers never overlap.
func (s *Store) ClaimDueEmails(ctx context.Context, now, leaseEnd time.Time, maxAttempts, limit int) ([]OutboxEmail, error) {
	rows := []OutboxEmail{}
	err := s.selectAll(ctx, &rows, mailOutboxQueries.Claim, now, leaseEnd, maxAttempts, limit)
	for i := range rows {
		s.openBody(&rows[i])
	}
	return rows, err
}

// FailAbandonedEmails marks FAILED the mails whose last allowed attempt was
// claimed and never settled, once its lease has run out at now.
func (s *Store) FailAbandonedEmails(ctx context.Context, now time.Time, maxAttempts int) (int64, error) {
	return s.exec(ctx, mailOutboxQueries.FailAbandoned, now, maxAttempts)
}

// MarkEmailSent records that the mail server accepted the mail.
func (s *Store) MarkEmailSent(ctx context.Context, id string, at time.Time) error {
	_, err := s.exec(ctx, mailOutboxQueries.MarkSent, id, at)
	return err
}

// RetryEmail schedules the next attempt of a mail claimed at attempt
// `attempt`, keeping why this one failed. It does nothing if the mail has
// been claimed again since (the lease ran out).
func (s *Store) RetryEmail(ctx context.Context, id string, attempt int, next time.Time, lastError string) error {
	_, err := s.exec(ctx, mailOutboxQueries.Retry, id, attempt, next, lastError)
	return err
}

// ReleaseEmail hands back a claimed mail that was never tried, due at `at`,
// without counting the attempt.
func (s *Store) ReleaseEmail(ctx context.Context, id string, attempt int, at time.Time) error {
	_, err := s.exec(ctx, mailOutboxQueries.Release, id, attempt, at)
	return err
}

// FailEmail gives up on a mail claimed at attempt `attempt`.
func (s *Store) FailEmail(ctx context.Context, id string, attempt int, lastError string) error {
	_, err := s.exec(ctx, mailOutboxQueries.Fail, id, attempt, lastError)
	return err
}

// OutboxEmail returns one mail of the outbox.
func (s *Store) OutboxEmail(ctx context.Context, id string) (OutboxEmail, error) {
	var e OutboxEmail
	if err := s.get(ctx, &e, mailOutboxQueries.Get, id); err != nil {
		return e, found(err, "mail")
	}
	s.openBody(&e)
	return e, nil
}

// ListOutboxEmails returns one keyset page of the outbox, newest first,
// bodies still sealed (the list shows none). It
// gives no total: the outbox only grows, and counting it on every page
// would cost more than the page.
func (s *Store) ListOutboxEmails(ctx context.Context, page PageRequest) ([]OutboxEmail, PageInfo, error) {
	size, cur, err := page.Parse()
	if err != nil {
		return nil, PageInfo{}, err
	}
	// The list runs newest first, so "forward" is toward older rows; the
	// first page starts above every row.
	forward, t, id := keysetArgs(cur)
	if cur == nil {
		t = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	q := mailOutboxQueries.ListForward
	if !forward {
		q = mailOutboxQueries.ListBackward
	}
	rows := []OutboxEmail{}
	if err := s.selectAll(ctx, &rows, q, t, id, size+1); err != nil {
		return nil, PageInfo{}, err
	}
	rows, info := finishPage(rows, size, cur, func(e OutboxEmail) (time.Time, string) { return e.CreatedAt, e.ID })
	return rows, info, nil
}
