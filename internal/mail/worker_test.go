package mail_test

import (
	"context"
	"errors"
	netmail "net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"roster/internal/clock"
	"roster/internal/mail"
	"roster/internal/store"
	"roster/internal/testkit"
)

// outbox is an outbox on a fresh database, a fake clock and a mail server.
type outbox struct {
	t     *testing.T
	ctx   context.Context
	db    *sqlx.DB
	st    *store.Store
	clock *clock.Fake
	smtp  *testkit.SMTPServer
}

func newOutbox(t *testing.T, smtpOpts ...testkit.SMTPOptions) *outbox {
	t.Helper()
	db := testkit.NewDB(t)
	return &outbox{
		t: t, ctx: context.Background(), db: db, st: store.New(db).WithMailKey(testkit.MailKey),
		clock: clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)),
		smtp:  testkit.NewSMTPServer(t, smtpOpts...),
	}
}

func (o *outbox) worker(opts mail.WorkerOptions) *mail.Worker {
	return mail.NewWorker(o.st, o.smtp.Sender(), o.clock, testkit.Logger(o.t), opts)
}

// queue writes a mail to the outbox and returns its id.
func (o *outbox) queue(e store.Email) string {
	o.t.Helper()
	if e.Kind == "" {
		e.Kind = "test"
	}
	if e.Text == "" {
		e.Text = "Hello.\n"
	}
	if err := o.st.QueueEmail(o.ctx, e, o.clock.Now()); err != nil {
		o.t.Fatal(err)
	}
	var id string
	if err := o.db.Get(&id, `SELECT id FROM email_outbox ORDER BY created_at DESC, id DESC LIMIT 1`); err != nil {
		o.t.Fatal(err)
	}
	return id
}

func (o *outbox) row(id string) store.OutboxEmail {
	o.t.Helper()
	e, err := o.st.OutboxEmail(o.ctx, id)
	if err != nil {
		o.t.Fatal(err)
	}
	return e
}

func (o *outbox) runOnce(w *mail.Worker) mail.Result {
	o.t.Helper()
	res, err := w.RunOnce(o.ctx)
	if err != nil {
		o.t.Fatal(err)
	}
	return res
}

func TestDeliversQueuedMail(t *testing.T) {
	o := newOutbox(t)
	id := o.queue(store.Email{
		To: "ann@acme.test", ToName: "Ann Müller", Subject: "Einladung: Müller & Söhne",
		Text: "Hallo Ann,\nbitte folgen Sie https://roster.test/invitations/abc\n", HTML: "<p>Hallo <strong>Ann</strong></p>",
	})

	res := o.runOnce(o.worker(mail.WorkerOptions{}))
	if res != (mail.Result{Claimed: 1, Sent: 1}) {
		t.Fatalf("result %+v, want one sent", res)
	}
	got := o.smtp.Messages()
	if len(got) != 1 {
		t.Fatalf("received %d mails, want 1", len(got))
	}
	m := got[0]
	if m.From != "no-reply@roster.test" || len(m.To) != 1 || m.To[0] != "ann@acme.test" {
		t.Errorf("envelope from %q to %q", m.From, m.To)
	}
	for name, want := range map[string]string{
		"From":       `"Roster" <no-reply@roster.test>`,
		"To":         "Ann Müller <ann@acme.test>",
		"Subject":    "Einladung: Müller & Söhne",
		"Message-Id": "<" + id + "@roster.test>",
		"Date":       o.clock.Now().Format(time.RFC1123Z),
	} {
		if h := m.Header(name); h != want {
			t.Errorf("%s: %q, want %q", name, h, want)
		}
	}
	// Non-ASCII headers travel encoded (RFC 2047), never as raw UTF-8.
	if raw := string(m.Data); !strings.Contains(raw, "Subject: =?UTF-8?") || strings.Contains(raw, "Subject: Einladung: Müller") {
		t.Errorf("subject not encoded:\n%s", raw)
	}
	if !strings.Contains(m.Header("Content-Type"), "multipart/alternative") {
		t.Errorf("Content-Type %q, want multipart/alternative", m.Header("Content-Type"))
	}
	if m.Text() != "Hallo Ann,\nbitte folgen Sie https://roster.test/invitations/abc\n" {
		t.Errorf("text part %q", m.Text())
	}
	if m.HTML() != "<p>Hallo <strong>Ann</strong></p>" {
		t.Errorf("HTML part %q", m.HTML())
	}
	if links := m.Links(); len(links) != 1 || links[0] != "https://roster.test/invitations/abc" {
		t.Errorf("links %q", links)
	}

	e := o.row(id)
	if e.Status != store.EmailSent || e.Attempts != 1 || e.SentAt == nil || !e.SentAt.Equal(o.clock.Now()) || e.LastError != nil {
		t.Errorf("after sending: %s, %d attempts, sent %v, error %v", e.Status, e.Attempts, e.SentAt, e.LastError)
	}
	// Sent is sent: the next round has nothing to do.
	o.clock.Advance(time.Hour)
	if res := o.runOnce(o.worker(mail.WorkerOptions{})); res.Claimed != 0 || len(o.smtp.Messages()) != 1 {
		t.Errorf("a second round claimed %d and the server has %d mails", res.Claimed, len(o.smtp.Messages()))
	}
}

func TestTextOnlyMail(t *testing.T) {
	o := newOutbox(t)
	o.queue(store.Email{To: "bob@acme.test", Subject: "Plain", Text: "Just text.\n"})
	o.runOnce(o.worker(mail.WorkerOptions{}))
	m := o.smtp.Messages()[0]
	if ct := m.Header("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want text/plain", ct)
	}
	if m.Text() != "Just text.\n" || m.HTML() != "" {
		t.Errorf("text %q, HTML %q", m.Text(), m.HTML())
	}
	if h := m.Header("To"); h != "<bob@acme.test>" {
		t.Errorf("To %q", h)
	}
}

func TestSMTPDownBacksOffThenSendsOnce(t *testing.T) {
	for _, outage := range []struct {
		name       string
		down, up   func(*testkit.SMTPServer)
		wantInText string
	}{
		{"connection refused", (*testkit.SMTPServer).Down, (*testkit.SMTPServer).Up, "refused"},
		{"451 try later", func(s *testkit.SMTPServer) { s.FailWith(451) }, func(s *testkit.SMTPServer) { s.FailWith(0) }, "451"},
	} {
		t.Run(outage.name, func(t *testing.T) {
			o := newOutbox(t)
			w := o.worker(mail.WorkerOptions{})
			id := o.queue(store.Email{To: "ann@acme.test", Subject: "Hello"})

			outage.down(o.smtp)
			start := o.clock.Now()
			if res := o.runOnce(w); res != (mail.Result{Claimed: 1, Retried: 1}) {
				t.Fatalf("result %+v, want one retried", res)
			}
			e := o.row(id)
			if e.Status != store.EmailPending || e.Attempts != 1 || e.LastError == nil || !strings.Contains(*e.LastError, outage.wantInText) {
				t.Fatalf("after a failure: %s, %d attempts, error %v", e.Status, e.Attempts, e.LastError)
			}
			// First back-off: half to all of one minute.
			if wait := e.NextAttemptAt.Sub(start); wait < 30*time.Second || wait > time.Minute {
				t.Errorf("first retry in %v, want 30s–1m", wait)
			}
			// Not due yet: nothing is tried.
			if res := o.runOnce(w); res.Claimed != 0 {
				t.Errorf("claimed %d before the retry was due", res.Claimed)
			}

			// Second failure: the wait doubles (1–2 minutes).
			o.clock.Set(e.NextAttemptAt)
			o.runOnce(w)
			e = o.row(id)
			if wait := e.NextAttemptAt.Sub(o.clock.Now()); e.Attempts != 2 || wait < time.Minute || wait > 2*time.Minute {
				t.Errorf("second retry: attempt %d in %v, want 2 in 1m–2m", e.Attempts, wait)
			}

			// The server is back: the mail goes out once.
			outage.up(o.smtp)
			o.clock.Set(e.NextAttemptAt)
			if res := o.runOnce(w); res.Sent != 1 {
				t.Fatalf("result %+v after the server came back, want one sent", res)
			}
			o.clock.Advance(3 * time.Hour)
			o.runOnce(w)
			if n := len(o.smtp.Messages()); n != 1 {
				t.Errorf("server received %d mails, want 1", n)
			}
			if e := o.row(id); e.Status != store.EmailSent || e.Attempts != 3 {
				t.Errorf("after sending: %s with %d attempts, want SENT with 3", e.Status, e.Attempts)
			}
		})
	}
}

func TestTwoWorkersSendEachMailOnce(t *testing.T) {
	o := newOutbox(t)
	const n = 40
	for i := range n {
		o.queue(store.Email{To: "user" + string(rune('a'+i%26)) + "@acme.test", Subject: "Mail"})
	}
	// Two replicas: separate workers, each claiming small batches, racing
	// on one database (each statement on its own pooled connection).
	workers := []*mail.Worker{
		mail.NewWorker(store.New(o.db).WithMailKey(testkit.MailKey), o.smtp.Sender(), o.clock, testkit.Logger(o.t), mail.WorkerOptions{Batch: 3}),
		mail.NewWorker(store.New(o.db).WithMailKey(testkit.MailKey), o.smtp.Sender(), o.clock, testkit.Logger(o.t), mail.WorkerOptions{Batch: 3}),
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent := 0
	var errs []error
	for _, w := range workers {
		wg.Go(func() {
			for {
				res, err := w.RunOnce(o.ctx)
				mu.Lock()
				sent += res.Sent
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
				if err != nil || res.Claimed == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if sent != n {
		t.Errorf("workers report %d sent, want %d", sent, n)
	}
	ids := map[string]int{}
	for _, m := range o.smtp.Messages() {
		ids[m.Header("Message-Id")]++
	}
	if len(ids) != n {
		t.Errorf("server received %d distinct mails (%d in all), want %d", len(ids), len(o.smtp.Messages()), n)
	}
	for id, k := range ids {
		if k != 1 {
			t.Errorf("%s received %d times", id, k)
		}
	}
	var stray int
	o.db.Get(&stray, `SELECT count(*) FROM email_outbox WHERE status <> 'SENT' OR attempts <> 1`)
	if stray != 0 {
		t.Errorf("%d mails not SENT after exactly one attempt", stray)
	}
}

func TestExpiredLeaseIsRetried(t *testing.T) {
	o := newOutbox(t)
	id := o.queue(store.Email{To: "ann@acme.test", Subject: "Hello"})
	w := o.worker(mail.WorkerOptions{Lease: 10 * time.Minute})

	// A worker claims the mail and dies before sending it.
	claimed, err := o.st.ClaimDueEmails(o.ctx, o.clock.Now(), o.clock.Now().Add(10*time.Minute), 10, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v, %d mails", err, len(claimed))
	}
	// While the lease lasts, nobody else takes it.
	o.clock.Advance(9 * time.Minute)
	if res := o.runOnce(w); res.Claimed != 0 {
		t.Fatalf("claimed %d mails under another worker's lease", res.Claimed)
	}
	// Then it is due again.
	o.clock.Advance(time.Minute)
	if res := o.runOnce(w); res.Sent != 1 {
		t.Fatalf("result %+v after the lease ran out, want one sent", res)
	}
	if e := o.row(id); e.Status != store.EmailSent || e.Attempts != 2 {
		t.Errorf("%s after %d attempts, want SENT after 2", e.Status, e.Attempts)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	o := newOutbox(t)
	id := o.queue(store.Email{To: "ann@acme.test", Subject: "Hello"})
	w := o.worker(mail.WorkerOptions{}) // 10 attempts
	o.smtp.FailWith(421)
	for attempt := 1; attempt <= 10; attempt++ {
		res := o.runOnce(w)
		e := o.row(id)
		if e.Attempts != attempt {
			t.Fatalf("round %d: %d attempts (%+v)", attempt, e.Attempts, res)
		}
		if attempt < 10 && e.Status != store.EmailPending || attempt == 10 && e.Status != store.EmailFailed {
			t.Fatalf("after attempt %d: %s", attempt, e.Status)
		}
		o.clock.Set(e.NextAttemptAt)
	}
	e := o.row(id)
	if e.LastError == nil || !strings.Contains(*e.LastError, "421") {
		t.Errorf("last_error %v, want the server's 421", e.LastError)
	}
	// The back-off is capped: ten attempts span hours, not days.
	if span := o.clock.Now().Sub(e.CreatedAt); span < 3*time.Hour || span > 12*time.Hour {
		t.Errorf("ten attempts spanned %v", span)
	}
	o.smtp.FailWith(0)
	o.clock.Advance(24 * time.Hour)
	if res := o.runOnce(w); res.Claimed != 0 || len(o.smtp.Messages()) != 0 {
		t.Errorf("a FAILED mail was tried again: %+v", res)
	}
}

func TestRefusedRecipientFailsAtOnce(t *testing.T) {
	o := newOutbox(t)
	id := o.queue(store.Email{To: "nobody@acme.test", Subject: "Hello"})
	o.smtp.RejectRecipients(550)
	if res := o.runOnce(o.worker(mail.WorkerOptions{})); res.Failed != 1 {
		t.Fatalf("result %+v, want one failed", res)
	}
	if e := o.row(id); e.Status != store.EmailFailed || e.Attempts != 1 || e.LastError == nil || !strings.Contains(*e.LastError, "550") {
		t.Errorf("%s after %d attempts, error %v; want FAILED after 1 with the 550", e.Status, e.Attempts, e.LastError)
	}
}

func TestAbandonedLastAttemptFails(t *testing.T) {
	o := newOutbox(t)
	id := o.queue(store.Email{To: "ann@acme.test", Subject: "Hello"})
	w := o.worker(mail.WorkerOptions{MaxAttempts: 1, Lease: time.Minute})
	if _, err := o.st.ClaimDueEmails(o.ctx, o.clock.Now(), o.clock.Now().Add(time.Minute), 1, 10); err != nil {
		t.Fatal(err)
	}
	o.clock.Advance(time.Minute)
	if res := o.runOnce(w); res.Failed != 1 || res.Claimed != 0 {
		t.Fatalf("result %+v, want the abandoned mail failed and nothing claimed", res)
	}
	e := o.row(id)
	if e.Status != store.EmailFailed || e.LastError == nil || !strings.Contains(*e.LastError, "never reported back") {
		t.Errorf("%s, error %v", e.Status, e.LastError)
	}
	if len(o.smtp.Messages()) != 0 {
		t.Error("the abandoned mail was sent")
	}
}

func TestHeaderInjectionIsNeutralised(t *testing.T) {
	o := newOutbox(t)
	const evil = "\r\nBcc: evil@x.test"
	c, err := mail.ComposeInvitation(o.ctx, mail.Invitation{
		OrgName: "Acme" + evil, Inviter: "Mallory" + evil, InviteeName: "Ann" + evil,
		AcceptURL: "https://roster.test/invitations/tok", ExpiresAt: o.clock.Now().Add(24 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	id := o.queue(store.Email{To: "ann@acme.test", ToName: "Ann" + evil, Subject: c.Subject + evil, Text: c.Text, HTML: c.HTML})
	// A hand-made subject with raw control characters is cleaned too.
	o.queue(store.Email{To: "bob@acme.test", ToName: "Bob\nBcc: evil@x.test\x1b\x7f", Subject: "Hi\rBcc: evil@x.test\n\nbody"})

	if res := o.runOnce(o.worker(mail.WorkerOptions{})); res.Sent != 2 {
		t.Fatalf("result %+v, want two sent", res)
	}
	for _, m := range o.smtp.Messages() {
		if len(m.To) != 1 || strings.Contains(strings.Join(m.To, ","), "evil") {
			t.Errorf("envelope recipients %q, want exactly one", m.To)
		}
		for _, name := range m.HeaderNames() {
			if strings.EqualFold(name, "Bcc") || strings.EqualFold(name, "Cc") {
				t.Errorf("a %s header reached the server:\n%s", name, m.Data)
			}
		}
		head, _, _ := strings.Cut(string(m.Data), "\r\n\r\n")
		for _, line := range strings.Split(head, "\r\n") {
			if strings.HasPrefix(strings.ToLower(line), "bcc") || strings.ContainsAny(line, "\r\n\x1b\x7f") {
				t.Errorf("header line %q", line)
			}
		}
		if s := m.Header("Subject"); strings.ContainsAny(s, "\r\n") {
			t.Errorf("subject %q spans lines", s)
		}
	}
	if s := o.smtp.MessagesTo("ann@acme.test")[0].Header("Subject"); s != "You are invited to join Acme Bcc: evil@x.test Bcc: evil@x.test" {
		t.Errorf("subject %q", s)
	}
	// In the body the names stay on one line too: no fake lines.
	if text := o.smtp.MessagesTo("ann@acme.test")[0].Text(); !strings.Contains(text, "Mallory Bcc: evil@x.test invited you to join Acme Bcc: evil@x.test.") {
		t.Errorf("text:\n%s", text)
	}
	_ = id
}

func TestBadRecipientAddressFailsWithoutSending(t *testing.T) {
	o := newOutbox(t)
	id := o.queue(store.Email{To: "ann@acme.test\r\nRCPT TO:<evil@x.test>", Subject: "Hello"})
	if res := o.runOnce(o.worker(mail.WorkerOptions{})); res.Failed != 1 {
		t.Fatalf("result %+v, want one failed", res)
	}
	if e := o.row(id); e.Status != store.EmailFailed || e.Attempts != 1 {
		t.Errorf("%s after %d attempts, want FAILED after 1", e.Status, e.Attempts)
	}
	if n := len(o.smtp.Messages()); n != 0 {
		t.Errorf("server received %d mails", n)
	}
}

func TestTLSAndAuth(t *testing.T) {
	for _, c := range []struct {
		name string
		opts testkit.SMTPOptions
	}{
		{"STARTTLS", testkit.SMTPOptions{STARTTLS: true, Username: "roster", Password: "s3cret"}},
		{"implicit TLS", testkit.SMTPOptions{ImplicitTLS: true, Username: "roster", Password: "s3cret"}},
		{"plain to a loopback relay", testkit.SMTPOptions{Username: "roster", Password: "s3cret"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := newOutbox(t, c.opts)
			o.queue(store.Email{To: "ann@acme.test", Subject: "Hello"})
			if res := o.runOnce(o.worker(mail.WorkerOptions{})); res.Sent != 1 {
				e := o.row(firstID(t, o.db))
				t.Fatalf("result %+v, error %v", res, e.LastError)
			}
			m := o.smtp.Messages()[0]
			wantTLS := c.opts.STARTTLS || c.opts.ImplicitTLS
			if m.TLS != wantTLS || m.Auth != "roster" {
				t.Errorf("TLS %v auth %q, want TLS %v as roster", m.TLS, m.Auth, wantTLS)
			}
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		o := newOutbox(t, testkit.SMTPOptions{STARTTLS: true, Username: "roster", Password: "s3cret"})
		u := o.smtp.URL()
		u.User = url.UserPassword("roster", "wrong")
		o.queue(store.Email{To: "ann@acme.test", Subject: "Hello"})
		sender, err := mail.NewSMTPSender(mail.SMTPOptions{URL: u, From: from, TLSConfig: o.smtp.TLSConfig()})
		if err != nil {
			t.Fatal(err)
		}
		w := mail.NewWorker(o.st, sender, o.clock, testkit.Logger(o.t), mail.WorkerOptions{})
		if res := o.runOnce(w); res.Retried != 1 || len(o.smtp.Messages()) != 0 {
			t.Errorf("with a wrong password: %+v, %d received", res, len(o.smtp.Messages()))
		}
	})

	t.Run("untrusted certificate", func(t *testing.T) {
		o := newOutbox(t, testkit.SMTPOptions{STARTTLS: true})
		o.queue(store.Email{To: "ann@acme.test", Subject: "Hello"})
		sender, err := mail.NewSMTPSender(mail.SMTPOptions{URL: o.smtp.URL(), From: from}) // system roots
		if err != nil {
			t.Fatal(err)
		}
		w := mail.NewWorker(o.st, sender, o.clock, testkit.Logger(o.t), mail.WorkerOptions{})
		if res := o.runOnce(w); res.Retried != 1 || len(o.smtp.Messages()) != 0 {
			t.Errorf("with a certificate nobody vouches for: %+v, %d received", res, len(o.smtp.Messages()))
		}
	})
}

var from = &netmail.Address{Name: "Roster", Address: "no-reply@roster.test"}

func firstID(t *testing.T, db *sqlx.DB) string {
	var id string
	if err := db.Get(&id, `SELECT id FROM email_outbox LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	return id
}
