// Package mail sends the email outbox and writes the mails themselves.
//
// Every mail is first written to the email_outbox table, in the transaction
// of the change that causes it (store.QueueEmail), so a mail goes out if and
// only if that change commits. A Worker then sends due mails through a
// Sender (SMTP in production) and records each outcome:
//
//   - Claim: one short statement (UPDATE … FOR UPDATE SKIP LOCKED) counts
//     an attempt on up to Batch due mails and pushes their next_attempt_at
//     to the end of a lease. Claims by two replicas never overlap, and no
//     row lock is held while the mail server is talking.
//   - Send, outside any transaction.
//   - Settle: SENT; or back to waiting until now + back-off (exponential,
//     with jitter) with last_error kept; or FAILED once MaxAttempts
//     attempts have failed or the server refused the recipient for good.
//   - A worker that dies holding a claim is covered by the lease: when it
//     runs out the mail is due again and another worker retries it.
//
// Delivery is at least once, not exactly once: a worker that stops after
// the mail server accepted a mail but before SENT was written, or that
// outlives its lease mid-send, leaves a mail that is sent again. The
// Message-ID is the outbox id, so receiving systems can recognise the
// repeat. Leases are long (minutes) beside the send timeout to keep this
// rare.
//
// Without ROSTER_SMTP_URL no worker runs: mail waits in the outbox and the
// console's dev mailbox (/dev/mailbox) shows it.
//
// The mails' words live in templates/ (templ for HTML, Go for plain text);
// the Compose functions here turn them into the subject and bodies that
// store.QueueEmail takes.
package mail

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
)

// Message is one mail as a Sender sends it.
type Message struct {
	// ID is the outbox id; it becomes the Message-ID, the same on every
	// attempt, so a mail sent twice can be recognised as one.
	ID      string
	To      string // a bare address, e.g. ann@acme.com
	ToName  string // may be empty
	Subject string
	Text    string
	HTML    string // may be empty: then the mail is text only
	Date    time.Time
}

// Sender delivers one message. An error wrapping ErrPermanent means the
// message can never be delivered (say, the server refused the recipient),
// so it is not retried.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrPermanent marks a failure that retrying cannot fix.
var ErrPermanent = errors.New("permanent failure")

// permanentError is a failure that wraps ErrPermanent and the cause.
type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() []error { return []error{ErrPermanent, e.err} }

// headerText makes s safe and tidy for a header: every control character
// (CR and LF above all, which would start a new header) and every run of
// white space becomes one space. Headers are encoded again when written;
// this is the rule that holds before that, for every source of text.
func headerText(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}
