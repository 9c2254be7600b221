package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roster/internal/adminauth"
	"roster/internal/model"
	"roster/internal/store"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// Two paths the HTTP tests cover, walked in a browser as well: a forgotten
// password, and an invitation whose mail waits out an SMTP outage.

// A person with a confirmed address and a password forgets it: the reset
// mail goes over SMTP, a too-short password is refused beside the field,
// a good one signs them in; the old password and the link are spent.
func TestHostedPasswordResetInBrowser(t *testing.T) {
	k := newSigninKit(t)
	sm := testkit.NewSMTPServer(t)
	const oldPW, newPW = "lantern orchard velvet", "copper kettle meadow"

	// Ann signs up and confirms her address the usual way, then Acme is
	// made with her as its admin.
	c := webtest.NewVisitorClient(t, k.srv)
	res := c.PostForm("/signup", url.Values{"email": {"ann@acme.test"}, "password": {oldPW}})
	if res.Status != http.StatusSeeOther || res.Location != "/signin/sent" {
		t.Fatalf("sign-up: %d → %q\n%.500s", res.Status, res.Location, res.Body)
	}
	if r := webtest.DeliverMail(t, k.srv, sm); r.Sent != 1 {
		t.Fatalf("confirmation mail: %+v", r)
	}
	confirm := sm.MessagesTo("ann@acme.test")[0].Links()
	if len(confirm) == 0 {
		t.Fatal("no link in the confirmation mail")
	}
	if res := c.PostForm(strings.TrimPrefix(confirm[0], k.srv.URL), nil); res.Status != http.StatusSeeOther {
		t.Fatalf("confirming: %d\n%.500s", res.Status, res.Body)
	}
	k.org("Acme Corp", "ann@acme.test")
	annID := k.userID("ann@acme.test")
	hashOf := func() string {
		t.Helper()
		var h string
		if err := k.srv.DB.Get(&h, `SELECT hash FROM password_credentials WHERE user_id = $1`, annID); err != nil {
			t.Fatal(err)
		}
		return h
	}
	oldHash := hashOf()

	b := testkit.NewBrowser(t)
	s := signinBrowser{t, b, k.srv}

	// Forgot: from the methods page, the address carried over.
	s.typeEmail("ann@acme.test")
	s.clickThen(siSel("forgot-password"), "forgot")
	if got := testkit.Result(b, chromedp.Value(chromedp.CSS("#forgot-email"))); got != "ann@acme.test" {
		t.Errorf("the forgot form has %q", got)
	}
	s.noProblems("forgot")
	k.tick()
	s.clickThen(siSel("forgot-submit"), "signin-sent")
	if got := s.text("sent-message"); !strings.Contains(got, "link to set a new password") {
		t.Errorf("sent page says %q", got)
	}

	if r := webtest.DeliverMail(t, k.srv, sm); r.Sent != 1 {
		t.Fatalf("reset mail: %+v", r)
	}
	mails := sm.MessagesTo("ann@acme.test")
	if len(mails) != 2 {
		t.Fatalf("%d mails arrived, want the confirmation and the reset", len(mails))
	}
	links := mails[1].Links()
	if len(links) == 0 || !strings.HasPrefix(links[0], k.srv.URL+"/signin/reset/") {
		t.Fatalf("links in the reset mail: %v", links)
	}
	link := links[0]

	b.Run(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(siSel("signin-link"))))
	if got := s.text("link-email"); got != "ann@acme.test" {
		t.Errorf("reset page for %q", got)
	}
	s.noProblems("reset page")

	// Too short: the message stands beside the field and nothing changes.
	s.fill("new-password", "short")
	s.clickThen(siSel("use-link"), "error-password")
	if got := s.text("error-password"); !strings.Contains(got, "at least 8 characters") {
		t.Errorf("short password: %q", got)
	}
	field := testkit.Result(b, chromedp.Evaluate[[]string](
		`(i => [i.getAttribute("aria-invalid") ?? "", i.getAttribute("aria-describedby") ?? "", i.value])(document.getElementById("new-password"))`))
	if field[0] != "true" || !strings.Contains(field[1], "new-password-error") {
		t.Errorf("the field is not marked invalid: aria-invalid %q, aria-describedby %q", field[0], field[1])
	}
	if field[2] != "" {
		t.Errorf("the refused password came back in the page: %q", field[2])
	}
	if hashOf() != oldHash {
		t.Error("a refused password changed the stored one")
	}
	if n := s.count(`[data-testid="hosted-account"]`); n != 0 {
		t.Error("signed in after a refused password")
	}
	s.noProblems("reset page with an error")
	b.Screenshot("reset-password")

	// A good one: set, signed in to Acme.
	s.fill("new-password", newPW)
	s.clickThen(siSel("use-link"), "my-orgs")
	if got := s.text("flash"); !strings.Contains(got, "Your new password is set.") {
		t.Errorf("flash %q", got)
	}
	if got := s.text("hosted-user-email"); got != "ann@acme.test" {
		t.Errorf("signed in as %q", got)
	}
	if got := s.text("hosted-current-org"); got != "Acme Corp" {
		t.Errorf("signed in to %q", got)
	}
	if got := s.path(); got != "/my-organizations" {
		t.Errorf("landed on %q", got)
	}
	if hashOf() == oldHash {
		t.Fatal("the password was not changed")
	}
	s.noProblems("signed in after the reset")
	// The session of the sign-up confirmation ended with the reset.
	wantStatus(t, "the other session after the reset", c.Get("/my-organizations"), http.StatusSeeOther)

	// The link again: used, and it says where to get a new one.
	b.Run(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(siSel("hosted-notice"))))
	if got := s.text("page-title"); !strings.Contains(got, "already been used") {
		t.Errorf("a used reset link says %q", got)
	}
	if got := testkit.Result(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="notice-action"]').getAttribute("href")`)); got != "/signin/forgot" {
		t.Errorf("a used reset link offers %q", got)
	}
	s.noProblems("used reset link")
	// Posting it by hand does not set a password either.
	res = webtest.NewVisitorClient(t, k.srv).PostForm(strings.TrimPrefix(link, k.srv.URL), url.Values{"password": {"another fine passphrase"}})
	wantStatus(t, "the reset link posted again", res, http.StatusGone)

	// Signed out: the old password is refused, the new one signs in.
	b.Run(chromedp.Navigate(k.srv.URL + "/my-organizations"))
	s.clickThen(siSel("hosted-sign-out"), "signin")
	s.typeEmail("ann@acme.test")
	s.fill("signin-password", oldPW)
	s.clickThen(siSel("password-signin"), "error-password")
	if got := s.text("error-password"); got != "The email address or password is not right." {
		t.Errorf("the old password: %q", got)
	}
	if n := s.count(`[data-testid="hosted-account"]`); n != 0 {
		t.Error("the old password signed in")
	}
	s.fill("signin-password", newPW)
	s.clickThen(siSel("password-signin"), "my-orgs")
	if got := s.text("hosted-current-org"); got != "Acme Corp" {
		t.Errorf("signed in with the new password to %q", got)
	}
	s.noProblems("signed in with the new password")
}

// An owner invites someone while the mail server is down: the mail waits
// in the outbox (saying why), goes out once after the back-off when the
// server is back, and its link still works.
func TestInviteDuringSMTPOutageInBrowser(t *testing.T) {
	sm := testkit.NewSMTPServer(t)
	// The server is set up to send; the test's DeliverMail is the worker
	// that sends.
	k := newInviteKit(t,
		webtest.WithEnv("ROSTER_SMTP_URL", sm.URL().String()),
		webtest.WithEnv("ROSTER_MAIL_FROM", "Roster <no-reply@roster.test>"))
	acme := k.org("Acme Corp", "ada@acme.test")
	b := testkit.NewBrowser(t)
	webtest.SignInAdmin(t, k.srv, b, "owner@roster.test", adminauth.Owner)
	ob := orgBrowser{browserKit{t, b}, k.srv}

	sm.Down()
	ob.open("/organizations/"+acme.ID+"/invitations", "invite-form")
	ob.fill("email", "ann@acme.test")
	ob.clickThen(orgSel("invite-submit"), "flash")
	ob.wantFlash("success", "Invited ann@acme.test")
	if n := ob.count(`[data-testid="invitation-row"][data-email="ann@acme.test"]`); n != 1 {
		t.Errorf("%d invitation rows for ann", n)
	}
	ob.noProblems("invitations after inviting")

	// The delivery run cannot reach the server: the mail stays PENDING.
	if r := webtest.DeliverMail(t, k.srv, sm); r.Sent != 0 || r.Retried != 1 {
		t.Fatalf("while down: %+v", r)
	}
	if n := len(sm.Messages()); n != 0 {
		t.Fatalf("%d mails arrived while down", n)
	}
	outbox := webtest.OutboxTo(t, k.srv, "ann@acme.test")
	if len(outbox) != 1 || outbox[0].Status != store.EmailPending || outbox[0].Attempts != 1 {
		t.Fatalf("outbox while down: %+v", outbox)
	}
	if outbox[0].LastError == nil || !strings.Contains(*outbox[0].LastError, "connection refused") {
		t.Errorf("the waiting mail does not say why: %v", outbox[0].LastError)
	}
	// With a mail server set there is no mailbox to read it in: the mail
	// and its link are the invitee's alone.
	ob.open("/dev/mailbox", "error-page")
	b.Screenshot("invite-after-smtp-outage")

	// Back up, but within the back-off (at least 30 s after one failure):
	// nothing is due yet.
	sm.Up()
	k.srv.Clock.Advance(20 * time.Second)
	if r := webtest.DeliverMail(t, k.srv, sm); r.Claimed != 0 {
		t.Fatalf("sent before the back-off ended: %+v", r)
	}
	// Past the longest first back-off (60 s): sent, once.
	k.srv.Clock.Advance(time.Minute)
	if r := webtest.DeliverMail(t, k.srv, sm); r.Sent != 1 || r.Claimed != 1 {
		t.Fatalf("after the server came back: %+v", r)
	}
	if r := webtest.DeliverMail(t, k.srv, sm); r.Claimed != 0 {
		t.Fatalf("sent again: %+v", r)
	}
	got := sm.MessagesTo("ann@acme.test")
	if len(got) != 1 {
		t.Fatalf("%d mails to ann, want exactly 1", len(got))
	}
	if sent := webtest.OutboxTo(t, k.srv, "ann@acme.test")[0]; sent.Status != store.EmailSent || sent.Text != "" {
		t.Errorf("after sending the outbox keeps %s with a body of %d bytes", sent.Status, len(sent.Text))
	}

	// Ann, in her own browser, opens the link and accepts.
	links := got[0].Links()
	if len(links) == 0 || !strings.HasPrefix(links[0], k.srv.URL+"/invitations/") {
		t.Fatalf("links in the invitation: %v", links)
	}
	ab := orgBrowser{browserKit{t, testkit.NewBrowser(t)}, k.srv}
	ab.b.Run(chromedp.Navigate(links[0]), chromedp.WaitVisible(chromedp.CSS(orgSel("invitation"))))
	if got := ab.text("invitation-org"); got != "Acme Corp" {
		t.Errorf("invitation to %q", got)
	}
	if got := ab.text("invitation-inviter"); got != "owner@roster.test" {
		t.Errorf("invited by %q", got)
	}
	ab.noProblems("invitation")
	ab.fill("invitation-name", "Ann Archer") // new here: she gives her name
	ab.clickThen(orgSel("invitation-accept"), "hosted-account")
	if got := ab.text("hosted-user-email"); got != "ann@acme.test" {
		t.Errorf("signed in as %q", got)
	}
	if got := ab.text("hosted-current-org"); got != "Acme Corp" {
		t.Errorf("signed in to %q", got)
	}
	ab.noProblems("signed in after accepting")
	if m := k.membership(acme.ID, "ann@acme.test"); m.Status != model.StatusActive || m.InviteAcceptedAt == nil {
		t.Errorf("ann's membership %+v", m)
	}
}
