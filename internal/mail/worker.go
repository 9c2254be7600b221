package mail

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"roster/internal/clock"
	"roster/internal/store"
)

// WorkerOptions tune a Worker; zero values take the defaults.
type WorkerOptions struct {
	// Batch is how many mails one round claims. Default 10.
	Batch int
	// SendTimeout bounds one mail's send. Default DefaultSendTimeout; give
	// the SMTPSender the same.
	SendTimeout time.Duration
	// Lease is how long a claim hides a mail from other workers. Default:
	// the time a whole batch may take plus a minute, so a live worker
	// always settles its mails before anyone else may take them.
	Lease time.Duration
	// MaxAttempts is how many attempts a mail gets before it is FAILED.
	// Default 10: with the default back-off they span about six hours.
	MaxAttempts int
	// RetryBase and RetryMax shape the back-off: the nth failure waits
	// between half and all of RetryBase·2^(n-1), at most RetryMax.
	// Defaults one minute and two hours.
	RetryBase, RetryMax time.Duration
	// Poll is how often Run looks for due mail. Default one second.
	Poll time.Duration
}

func (o WorkerOptions) withDefaults() WorkerOptions {
	if o.Batch <= 0 {
		o.Batch = 10
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = DefaultSendTimeout
	}
	if o.Lease <= 0 {
		o.Lease = time.Duration(o.Batch)*o.SendTimeout + time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.RetryBase <= 0 {
		o.RetryBase = time.Minute
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 2 * time.Hour
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	return o
}

// Worker sends the outbox. Any number of workers, in one process or many,
// may run against the same database.
type Worker struct {
	store  *store.Store
	sender Sender
	clock  clock.Clock
	log    *slog.Logger
	opts   WorkerOptions
}

// NewWorker returns a worker that sends st's outbox through sender, reading
// the time from clk.
func NewWorker(st *store.Store, sender Sender, clk clock.Clock, log *slog.Logger, opts WorkerOptions) *Worker {
	if log == nil {
		log = slog.Default()
	}
	return &Worker{store: st, sender: sender, clock: clk, log: log, opts: opts.withDefaults()}
}

// Result counts what one round did.
type Result struct {
	Claimed int // mails taken for this round
	Sent    int
	Retried int // failed, to be tried again later
	Failed  int // given up: no attempt left, or refused for good
}

// settleTimeout bounds writing an outcome, which must happen even while
// the worker is being stopped: a mail the server took must be marked SENT.
const settleTimeout = 10 * time.Second

// RunOnce gives up on abandoned last attempts, claims up to Batch due mails
// and sends them one by one. Tests call it after moving the fake clock.
func (w *Worker) RunOnce(ctx context.Context) (Result, error) {
	var res Result
	now := w.clock.Now()
	n, err := w.store.FailAbandonedEmails(ctx, now, w.opts.MaxAttempts)
	if err != nil {
		return res, err
	}
	if n > 0 {
		w.log.Warn("mail given up: its last attempt was claimed but never reported back", "count", n)
		res.Failed += int(n)
	}

	leaseEnd := now.Add(w.opts.Lease)
	mails, err := w.store.ClaimDueEmails(ctx, now, leaseEnd, w.opts.MaxAttempts, w.opts.Batch)
	if err != nil {
		return res, err
	}
	res.Claimed = len(mails)
	for i, m := range mails {
		// Stopping, or so slow that the lease could end mid-send: hand the
		// rest back untried rather than risk another worker sending them too.
		if ctx.Err() != nil || w.clock.Now().Add(w.opts.SendTimeout).After(leaseEnd) {
			w.release(ctx, mails[i:])
			break
		}
		w.deliver(ctx, m, &res)
	}
	return res, nil
}

// deliver sends one claimed mail and records the outcome.
func (w *Worker) deliver(ctx context.Context, m store.OutboxEmail, res *Result) {
	var err error
	if m.Unreadable {
		// Sending an empty mail would help no one; retrying cannot help.
		err = permanentError{errUnreadable}
	} else {
		sendCtx, cancel := context.WithTimeout(ctx, w.opts.SendTimeout)
		err = w.sender.Send(sendCtx, Message{
			ID: m.ID, To: m.To, ToName: m.ToName, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
			Date: w.clock.Now(),
		})
		cancel()
	}

	settle, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	log := w.log.With("mail_id", m.ID, "kind", m.Kind, "attempt", m.Attempts)
	var serr error
	switch {
	case err == nil:
		serr = w.store.MarkEmailSent(settle, m.ID, w.clock.Now())
		res.Sent++
		log.Info("mail sent")
	case errors.Is(err, ErrPermanent) || m.Attempts >= w.opts.MaxAttempts:
		serr = w.store.FailEmail(settle, m.ID, m.Attempts, errorText(err))
		res.Failed++
		log.Error("mail failed for good", "err", err)
	default:
		next := w.clock.Now().Add(w.backoff(m.Attempts))
		serr = w.store.RetryEmail(settle, m.ID, m.Attempts, next, errorText(err))
		res.Retried++
		log.Warn("mail not sent; will retry", "next_attempt_at", next, "err", err)
	}
	if serr != nil {
		// The lease brings the mail back; if it was sent, it is sent again.
		log.Error("recording the outcome of a mail", "err", serr)
	}
}

// errUnreadable is why a mail whose sealed body cannot be opened fails.
var errUnreadable = errors.New("the mail's body cannot be opened: it was sealed under another secret key (was ROSTER_SECRET_KEY changed?)")

// release hands claimed, untried mails back, due at once.
func (w *Worker) release(ctx context.Context, mails []store.OutboxEmail) {
	settle, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	for _, m := range mails {
		if err := w.store.ReleaseEmail(settle, m.ID, m.Attempts, w.clock.Now()); err != nil {
			w.log.Warn("handing back a claimed mail; it is due again when its lease ends", "mail_id", m.ID, "err", err)
		}
	}
}

// backoff is how long to wait after the nth failed attempt: exponential,
// capped, and jittered over its upper half so that mails that failed
// together (the server was down) do not all come back in the same second.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.opts.RetryMax
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 30 { // beyond that the shift overflows; the cap applies anyway
		d = min(w.opts.RetryBase<<(attempt-1), w.opts.RetryMax)
	}
	half := d / 2
	return half + rand.N(half+1)
}

// errorText is what last_error keeps: the error, cut to a readable length.
func errorText(err error) string {
	s := headerText(err.Error())
	if r := []rune(s); len(r) > 1000 {
		s = string(r[:1000]) + "…"
	}
	return s
}

// Run sends mail until ctx is cancelled, looking for due mail every Poll
// and at once again after a full batch. A failing database is retried with
// growing pauses (up to a minute) instead of flooding the log.
func (w *Worker) Run(ctx context.Context) {
	pause := w.opts.Poll
	for ctx.Err() == nil {
		res, err := w.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			w.log.Error("sending mail", "err", err)
			pause = min(pause*2, time.Minute)
		case err == nil && res.Claimed == w.opts.Batch:
			pause = w.opts.Poll
			continue // more may be waiting
		default:
			pause = w.opts.Poll
		}
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
		case <-timer.C:
		}
	}
}
