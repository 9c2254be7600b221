package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/store"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// Mail carries live links: sign-in, reset, invitation. These tests attack
// the copies Roster keeps: the console's dev mailbox and the outbox table.

// tokenLink finds Roster's credential links in any text.
var tokenLink = regexp.MustCompile(`/(invitations|signin/link|signin/verify|signin/reset|login/link)/([A-Za-z0-9_-]{16,})`)

// dumpDatabase is what a stolen backup holds: every row of every table in
// the public schema, as text.
func dumpDatabase(t *testing.T, srv *webtest.Server) string {
	t.Helper()
	var tables []string
	if err := srv.DB.Select(&tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, table := range tables {
		var rows []string
		if err := srv.DB.Select(&rows, fmt.Sprintf(`SELECT t::text FROM %q t`, table)); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		b.WriteString(table + "\n" + strings.Join(rows, "\n") + "\n")
	}
	return b.String()
}

// mailLinks sends three mails with live links through the real SMTP server
// (a sign-in link, a password reset, an invitation) and returns the tokens
// their recipients got.
func mailLinks(t *testing.T, k signinKit, sm *testkit.SMTPServer) []string {
	t.Helper()
	org := k.org("Acme", "ann@acme.test")
	k.exec(`UPDATE users SET email_verified = true`)
	c := webtest.NewVisitorClient(t, k.srv)
	k.tick()
	if res := c.PostForm("/signin/forgot", url.Values{"email": {"ann@acme.test"}}); res.Location != "/signin/sent" {
		t.Fatalf("forgot: %d → %q", res.Status, res.Location)
	}
	k.tick()
	inviter := "ann@acme.test"
	bob := "bob@acme.test"
	if _, err := k.dir.AddMember(context.Background(), org.ID, directory.UserInput{Email: &bob},
		directory.MembershipInput{InviterEmail: &inviter, SendInvitation: true}); err != nil {
		t.Fatal(err)
	}
	webtest.DeliverMail(t, k.srv, sm)

	var tokens []string
	for _, m := range sm.Messages() {
		for _, found := range tokenLink.FindAllStringSubmatch(m.Text(), -1) {
			tokens = append(tokens, found[2])
		}
	}
	if len(tokens) < 2 {
		t.Fatalf("the mails carried %d links, want the reset and the invitation", len(tokens))
	}
	return tokens
}

func TestMailboxIsGoneWithAMailServer(t *testing.T) {
	sm := testkit.NewSMTPServer(t)
	k := newSigninKit(t,
		webtest.WithEnv("ROSTER_SMTP_URL", sm.URL().String()),
		webtest.WithEnv("ROSTER_MAIL_FROM", "Roster <no-reply@roster.test>"))
	mailLinks(t, k, sm)
	sm.Down()
	k.tick()
	pending := queueMail(t, k.srv, store.Email{To: "carol@acme.test", Subject: "Stuck", Text: "Open http://x.test/signin/link/abc"})

	// An owner looks for the mail of others: there is no mailbox to read.
	owner := webtest.NewConsoleClient(t, k.srv, "owner@acme.test", adminauth.Owner)
	for _, path := range []string{"/dev/mailbox", "/dev/mailbox/" + pending, "/dev/mailbox/" + pending + "/html"} {
		wantStatus(t, "owner GET "+path, owner.Get(path), http.StatusNotFound)
	}
	if home := owner.Get("/"); strings.Contains(home.Body, `data-testid="mailbox-link"`) {
		t.Error("the console still links to a mailbox while mail is sent")
	}
}

func TestDatabaseDumpHoldsNoLiveLink(t *testing.T) {
	sm := testkit.NewSMTPServer(t)
	k := newSigninKit(t,
		webtest.WithEnv("ROSTER_SMTP_URL", sm.URL().String()),
		webtest.WithEnv("ROSTER_MAIL_FROM", "Roster <no-reply@roster.test>"))
	delivered := mailLinks(t, k, sm)

	// A mail still waiting (the server is down) is sealed, not readable.
	sm.Down()
	k.tick()
	c := webtest.NewVisitorClient(t, k.srv)
	k.startCode(c, "ann@acme.test", nil)
	k.tick()
	if res := c.PostForm("/signin/forgot", url.Values{"email": {"ann@acme.test"}}); res.Location != "/signin/sent" {
		t.Fatalf("forgot: %d → %q", res.Status, res.Location)
	}
	webtest.DeliverMail(t, k.srv, sm)
	waiting := webtest.OutboxTo(t, k.srv, "ann@acme.test")[0]
	if waiting.Status != "PENDING" || !tokenLink.MatchString(waiting.Text) {
		t.Fatalf("the waiting mail: %s %q", waiting.Status, waiting.Text)
	}
	waitingToken := tokenLink.FindStringSubmatch(waiting.Text)[2]

	dump := dumpDatabase(t, k.srv)
	for _, token := range append(delivered, waitingToken) {
		if strings.Contains(dump, token) {
			t.Errorf("the dump holds the token %s…", token[:6])
		}
	}
	// Whatever looks like a link in the dump is tried, as an attacker would.
	for _, found := range tokenLink.FindAllString(dump, -1) {
		if res := webtest.NewVisitorClient(t, k.srv).Get(found); res.Status == http.StatusOK {
			t.Errorf("a link from the dump opens: %s", found)
		}
	}
	// Sent mails keep no body at all; the waiting one keeps only its seal.
	if n := k.count(`SELECT count(*) FROM email_outbox WHERE status = 'SENT' AND (body_text <> '' OR body_html <> '' OR body_sealed IS NOT NULL)`); n != 0 {
		t.Errorf("%d sent mails keep a body", n)
	}
	if n := k.count(`SELECT count(*) FROM email_outbox WHERE status = 'PENDING' AND (body_text <> '' OR body_sealed IS NULL)`); n != 0 {
		t.Errorf("%d waiting mails keep a readable body", n)
	}

	// The recipients' own links still work: only the copies are gone.
	sm.Up()
	webtest.DeliverMail(t, k.srv, sm)
	wantStatus(t, "the recipient's reset link", webtest.NewVisitorClient(t, k.srv).Get("/signin/reset/"+waitingToken), http.StatusOK)
}

func TestDevMailboxLinksDieWhenUsedOrExpired(t *testing.T) {
	k := newSigninKit(t)
	k.org("Acme", "ann@acme.test")
	k.exec(`UPDATE users SET email_verified = true`)
	owner := webtest.NewConsoleClient(t, k.srv, "owner@acme.test", adminauth.Owner)

	// A reset link, used by its owner, then read in the mailbox.
	c := webtest.NewVisitorClient(t, k.srv)
	k.tick()
	c.PostForm("/signin/forgot", url.Values{"email": {"ann@acme.test"}})
	mail := k.lastMail("ann@acme.test")
	link := k.lastLink("ann@acme.test")
	if res := c.PostForm(link, url.Values{"password": {"a long and fine passphrase"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d", res.Status)
	}
	page := owner.Get("/dev/mailbox/" + mail.ID)
	if !strings.Contains(page.Body, link) {
		t.Fatalf("the mailbox does not show the mail's link")
	}
	wantStatus(t, "a used link read in the mailbox", webtest.NewVisitorClient(t, k.srv).Get(link), http.StatusGone)

	// A reset link nobody used, read after it expired.
	k.tick()
	c.PostForm("/signin/forgot", url.Values{"email": {"ann@acme.test"}})
	link = k.lastLink("ann@acme.test")
	k.srv.Clock.Advance(25 * time.Hour)
	wantStatus(t, "an expired link read in the mailbox", webtest.NewVisitorClient(t, k.srv).Get(link), http.StatusGone)
}
