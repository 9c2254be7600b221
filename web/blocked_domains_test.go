package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roster/internal/adminauth"
	"roster/internal/social"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// "Block public email domains" is on by default, and does what its label
// says: nobody new signs up with an address at gmail.com, by any sign-up
// path, while people already here keep signing in.
func TestSignUpAtBlockedDomains(t *testing.T) {
	k := newSigninKit(t)
	acme := k.org("Acme", "ann@acme.test")
	c := webtest.NewVisitorClient(t, k.srv)
	const why = "New accounts cannot be created here with an address at gmail.com, a public email provider."

	// The methods step says so, whether or not the address has an account,
	// and offers no sign-up; a work address still gets the offer.
	res := c.PostForm("/signin", url.Values{"email": {"zed@gmail.com"}})
	wantStatus(t, "methods for gmail.com", res, http.StatusOK)
	wantHas(t, "methods for gmail.com", res.Body, `data-testid="signup-blocked"`, why, `data-testid="email-signin"`)
	if strings.Contains(res.Body, `data-testid="signup-link"`) {
		t.Error("the methods page offers sign-up to a gmail.com address")
	}
	res = c.PostForm("/signin", url.Values{"email": {"zed@acme.test"}})
	wantHas(t, "methods for a work address", res.Body, `data-testid="signup-link"`)
	if strings.Contains(res.Body, `data-testid="signup-blocked"`) {
		t.Error("a work address is told it cannot sign up")
	}

	// Email code or link: an unknown gmail.com address gets no mail (the
	// next page is the same as ever).
	k.startCode(c, "zed@gmail.com", nil)
	if n := len(webtest.OutboxTo(t, k.srv, "zed@gmail.com")); n != 0 {
		t.Errorf("%d sign-in mails to an unknown gmail.com address", n)
	}

	// Password sign-up: refused beside the email field.
	res = c.PostForm("/signup", url.Values{"email": {"zed@gmail.com"}, "password": {"violet kettle drums loudly"}})
	wantStatus(t, "password sign-up at gmail.com", res, http.StatusUnprocessableEntity)
	wantHas(t, "password sign-up at gmail.com", res.Body, `data-testid="error-email"`, why, `value="zed@gmail.com"`)
	res = c.PostForm("/signup", url.Values{"email": {"zed@mailinator.com"}, "password": {"violet kettle drums loudly"}})
	wantStatus(t, "password sign-up at a disposable domain", res, http.StatusUnprocessableEntity)
	wantHas(t, "password sign-up at a disposable domain", res.Body, `data-testid="error-email"`, "mailinator.com, a disposable email service")

	// A code and a link mailed while the block was off, used once it is
	// on: the proof reaches identity's sign-up rule, which refuses it.
	k.exec(`UPDATE environment_settings SET block_public_email_domains = false`)
	k.startCode(c, "yan@gmail.com", nil)
	code, link := k.lastCode("yan@gmail.com"), k.lastLink("yan@gmail.com")
	k.exec(`UPDATE environment_settings SET block_public_email_domains = true`)
	res = c.PostForm("/signin/code", url.Values{"code": {code}})
	wantRefusedPage(t, "code of a gmail.com sign-up", res, why)
	res = webtest.NewVisitorClient(t, k.srv).PostForm(link, nil)
	wantRefusedPage(t, "link of a gmail.com sign-up", res, why)
	if n := k.count(`SELECT count(*) FROM users WHERE email LIKE '%@gmail.com' OR email LIKE '%@mailinator.com'`); n != 0 {
		t.Fatalf("%d users at blocked domains", n)
	}
	if c.Cookie("roster_session") != "" {
		t.Fatal("a refused sign-up left a session")
	}

	// Someone already here at gmail.com signs in as ever.
	k.member(acme.ID, "old@gmail.com")
	if to := k.signIn(webtest.NewVisitorClient(t, k.srv), "old@gmail.com"); to != "/my-organizations" {
		t.Errorf("existing gmail.com member went to %q", to)
	}

	// With the block off, gmail.com signs up by every path.
	k.exec(`UPDATE environment_settings SET block_public_email_domains = false`)
	res = c.PostForm("/signin", url.Values{"email": {"zed@gmail.com"}})
	wantHas(t, "methods with the block off", res.Body, `data-testid="signup-link"`)
	k.signIn(webtest.NewVisitorClient(t, k.srv), "zed@gmail.com")
	res = c.PostForm("/signup", url.Values{"email": {"pat@gmail.com"}, "password": {"violet kettle drums loudly"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("password sign-up with the block off: %d\n%.800s", res.Status, res.Body)
	}
	if n := k.count(`SELECT count(*) FROM users WHERE email IN ('zed@gmail.com', 'pat@gmail.com')`); n != 2 {
		t.Errorf("%d gmail.com users signed up with the block off, want 2", n)
	}
}

func TestSocialSignUpAtBlockedDomain(t *testing.T) {
	idp := testkit.NewSocialOIDCProvider(t,
		testkit.OIDCUser{Email: "new@gmail.com", EmailVerified: true},
		testkit.OIDCUser{Email: "old@gmail.com", EmailVerified: true})
	k := newSigninKit(t)
	acme := k.org("Acme", "ann@acme.test")
	k.member(acme.ID, "old@gmail.com")
	id := addSocialProvider(t, k.srv, idp, social.KindGoogle, "Google")

	res := socialSignIn(t, k.srv, webtest.NewVisitorClient(t, k.srv), idp, id, "new@gmail.com")
	wantSocialProblem(t, "gmail.com sign-up", res, http.StatusForbidden, "email-domain-blocked")
	wantHas(t, "gmail.com sign-up", res.Body, "gmail.com, a public email provider")
	if n := k.count(`SELECT count(*) FROM users WHERE email = 'new@gmail.com'`); n != 0 {
		t.Fatal("a refused social sign-up created the user")
	}
	// An existing gmail.com member links the provider and signs in.
	if res := socialSignIn(t, k.srv, webtest.NewVisitorClient(t, k.srv), idp, id, "old@gmail.com"); res.Status != http.StatusSeeOther {
		t.Errorf("existing member through Google: %d\n%.800s", res.Status, res.Body)
	}

	k.exec(`UPDATE environment_settings SET block_public_email_domains = false`)
	if res := socialSignIn(t, k.srv, webtest.NewVisitorClient(t, k.srv), idp, id, "new@gmail.com"); res.Status != http.StatusSeeOther {
		t.Errorf("gmail.com sign-up with the block off: %d\n%.800s", res.Status, res.Body)
	}
	if n := k.count(`SELECT count(*) FROM users WHERE email = 'new@gmail.com'`); n != 1 {
		t.Error("the social sign-up with the block off made no user")
	}
}

// The console's invitation paths and a member's invite refuse gmail.com
// with the reason beside the field (or in the preview); nothing is written.
func TestInvitationsAtBlockedDomainsInPages(t *testing.T) {
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	ed := webtest.NewConsoleClient(t, k.srv, "ed@roster.test", adminauth.Editor)
	const why = "gmail.com, a public email provider, and the settings refuse invitations to such addresses"

	res := ed.PostForm("/organizations/"+o.ID+"/invitations", url.Values{"email": {"ann@gmail.com"}})
	wantPage(t, res, http.StatusUnprocessableEntity, `data-testid="error-email"`, why, `value="ann@gmail.com"`)
	res = ed.PostForm("/organizations/new", url.Values{"display_name": {"Globex"}, "admin_email": {"hank@gmail.com"}})
	wantPage(t, res, http.StatusUnprocessableEntity, `data-testid="error-admin_email"`, why)
	res = ed.PostForm("/organizations/"+o.ID+"/invitations/bulk", url.Values{"addresses": {"bob@gmail.com\ncy@acme.test"}})
	wantPage(t, res, http.StatusOK, `data-email="bob@gmail.com" data-outcome="blocked_domain"`, "Blocked domain: skipped",
		`data-email="cy@acme.test" data-outcome="invite_new"`)
	res = ed.PostForm("/organizations/"+o.ID+"/invitations/bulk/confirm", url.Values{"addresses": {"bob@gmail.com\ncy@acme.test"}})
	wantPage(t, res, http.StatusOK, `data-email="bob@gmail.com" data-outcome="blocked_domain"`, "Skipped: blocked domain")

	sk := k.signins()
	ac := webtest.NewVisitorClient(t, k.srv)
	sk.signIn(ac, "ada@acme.test")
	res = ac.PostForm("/org/"+o.ID+"/invite", url.Values{"email": {"dee@gmail.com"}, "role": {"member"}})
	wantPage(t, res, http.StatusUnprocessableEntity, `data-testid="error-email"`, why)

	if n := k.count(`SELECT count(*) FROM users WHERE email LIKE '%@gmail.com'`) + k.count(`SELECT count(*) FROM email_outbox WHERE to_address LIKE '%@gmail.com'`) +
		k.count(`SELECT count(*) FROM organizations WHERE display_name = 'Globex'`); n != 0 {
		t.Fatalf("refused invitations left %d rows", n)
	}

	// Invited while the block was off: with it on, a resend is refused in
	// the flash, and no mail goes.
	k.srv.DB.MustExec(`UPDATE environment_settings SET block_public_email_domains = false`)
	res = ed.PostForm("/organizations/"+o.ID+"/invitations", url.Values{"email": {"ann@gmail.com"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("invite with the block off: %d\n%.800s", res.Status, res.Body)
	}
	k.srv.DB.MustExec(`UPDATE environment_settings SET block_public_email_domains = true`)
	var ann string
	k.srv.DB.Get(&ann, `SELECT id FROM users WHERE email = 'ann@gmail.com'`)
	res = ed.PostForm("/organizations/"+o.ID+"/invitations/"+ann+"/resend", nil)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("resend: %d", res.Status)
	}
	wantPage(t, ed.Get(res.Location), http.StatusOK, `data-kind="error"`, "The invitation was not sent: the address is at "+why)
	if n := k.count(`SELECT count(*) FROM email_outbox WHERE to_address = 'ann@gmail.com'`); n != 1 {
		t.Errorf("%d mails to ann@gmail.com, want the first invitation only", n)
	}
}

// wantRefusedPage checks the page a refused sign-up by mailed code or link
// shows: 403, saying why.
func wantRefusedPage(t *testing.T, what string, res *webtest.PageResponse, why string) {
	t.Helper()
	if res.Status != http.StatusForbidden {
		t.Fatalf("%s: %d, want 403\n%.800s", what, res.Status, res.Body)
	}
	wantHas(t, what, res.Body, `data-testid="hosted-notice" data-reason="email-domain-blocked"`, why)
}
