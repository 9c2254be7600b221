package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/internal/identity"
	"roster/internal/social"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// Social sign-in walked in Chromium: through the sign-in page, the
// provider's real login form and back.
func TestSocialSignInInBrowser(t *testing.T) {
	idp := testkit.NewSocialOIDCProvider(t,
		testkit.OIDCUser{Email: "new@acme.test", EmailVerified: true},
		testkit.OIDCUser{Email: "linker@acme.test", EmailVerified: true},
		testkit.OIDCUser{Email: "sneaky@acme.test", EmailVerified: false},
		testkit.OIDCUser{Email: "victim@x.test", EmailVerified: true},
		testkit.OIDCUser{Email: "owner@y.test", EmailVerified: true},
	)
	// Another provider that never checks addresses: the attacker's.
	lax := testkit.NewSocialOIDCProvider(t, testkit.OIDCUser{Email: "owner@y.test", EmailVerified: false})
	srv := webtest.NewServer(t)
	addSocialProvider(t, srv, idp, social.KindGoogle, "Google")
	laxID := addSocialProvider(t, srv, lax, social.KindOIDC, "Lax ID")
	b := testkit.NewBrowser(t)
	k := orgBrowser{browserKit{t, b}, srv}
	ctx := context.Background()

	signOut := func() {
		t.Helper()
		k.clickThen(orgSel("hosted-sign-out"), "signin")
	}
	// viaGoogle starts at the provider's button for email and logs in there.
	viaGoogle := func(email, wait string) {
		t.Helper()
		b.Run(chromedp.Navigate(srv.URL+"/signin"), chromedp.WaitVisible(chromedp.CSS("#signin-email")),
			chromedp.SendKeys(chromedp.CSS("#signin-email"), email))
		k.clickThen(orgSel("signin-continue"), "social-methods")
		k.noProblems("methods")
		b.Run(chromedp.Click(chromedp.CSS(`[data-testid="social-signin"][data-kind="GOOGLE"]`)))
		idp.LoginInBrowser(b, email)
		b.Run(chromedp.WaitVisible(chromedp.CSS(orgSel(wait))))
	}
	userID := func(email string) string {
		t.Helper()
		var id string
		if err := srv.DB.Get(&id, `SELECT id FROM users WHERE lower(email) = lower($1)`, email); err != nil {
			t.Fatalf("user %s: %v", email, err)
		}
		return id
	}

	t.Run("a Google sign-in creates the user and signs in; the next reuses the identity", func(t *testing.T) {
		viaGoogle("new@acme.test", "hosted-user-email")
		if got := k.text("hosted-user-email"); got != "new@acme.test" {
			t.Fatalf("signed in as %q", got)
		}
		k.noProblems("after social sign-in")
		signOut()
		viaGoogle("new@acme.test", "hosted-user-email")
		id := userID("new@acme.test")
		if n := countRows(t, srv, `SELECT count(*) FROM identities WHERE user_id = $1`, id); n != 1 {
			t.Errorf("%d identities after two sign-ins", n)
		}
		if n := countRows(t, srv, `SELECT count(*) FROM users WHERE email = 'new@acme.test'`); n != 1 {
			t.Errorf("%d users", n)
		}
		signOut()
	})

	t.Run("a verified email links to the existing email user", func(t *testing.T) {
		st := srv.Store
		u, _, err := identity.Resolve(ctx, st, srv.Clock, identity.Proof{Kind: "EMAIL", Issuer: identity.IssuerEmail,
			Subject: "linker@acme.test", Email: "linker@acme.test", EmailVerified: true})
		if err != nil {
			t.Fatal(err)
		}
		viaGoogle("linker@acme.test", "hosted-user-email")
		if got := k.text("hosted-user-email"); got != "linker@acme.test" {
			t.Errorf("signed in as %q", got)
		}
		if n := countRows(t, srv, `SELECT count(*) FROM identities WHERE user_id = $1 AND provider_kind IN ('EMAIL', 'GOOGLE')`, u.ID); n != 2 {
			t.Errorf("%d identities, want the email one and Google", n)
		}
		signOut()
	})

	t.Run("an unverified email does not link", func(t *testing.T) {
		if _, err := srv.DB.Exec(`INSERT INTO users (id, email, email_verified) VALUES ('usr_ssssssssssssssssssssssssss', 'sneaky@acme.test', true)`); err != nil {
			t.Fatal(err)
		}
		viaGoogle("sneaky@acme.test", "social-problem")
		if got := k.attr("social-problem", "data-reason"); got != "email-not-verified" {
			t.Errorf("reason %q", got)
		}
		if k.count(orgSel("hosted-account")) != 0 {
			t.Errorf("someone is signed in: %s", k.text("hosted-account"))
		}
		if n := countRows(t, srv, `SELECT count(*) FROM identities WHERE user_id = 'usr_ssssssssssssssssssssssssss'`); n != 0 {
			t.Errorf("%d identities added", n)
		}
		if n := countRows(t, srv, `SELECT count(*) FROM sessions WHERE user_id = 'usr_ssssssssssssssssssssssssss'`); n != 0 {
			t.Errorf("%d sessions as the existing user", n)
		}
		k.noProblems("social problem")
		b.Screenshot("signin-social-error")
		b.Mobile()
		b.Screenshot("signin-social-error-mobile")
		b.Desktop()
		k.clickThen(orgSel("social-problem-action"), "signin")
	})

	t.Run("pre-hijack by password: the owner's arrival takes the password away", func(t *testing.T) {
		attacker := webtest.NewVisitorClient(t, srv)
		const password = "attacker-owns-this-1"
		if res := attacker.PostForm("/signup", url.Values{"email": {"victim@x.test"}, "password": {password}}); res.Status != http.StatusSeeOther {
			t.Fatalf("sign-up = %d", res.Status)
		}
		id := userID("victim@x.test")
		if n := countRows(t, srv, `SELECT count(*) FROM password_credentials WHERE user_id = $1`, id); n != 1 {
			t.Fatal("the registration left no password")
		}
		// The owner arrives through Google, which verified the address.
		viaGoogle("victim@x.test", "hosted-user-email")
		if got := k.text("hosted-user-email"); got != "victim@x.test" {
			t.Fatalf("signed in as %q", got)
		}
		if userID("victim@x.test") != id || countRows(t, srv, `SELECT count(*) FROM users WHERE id = $1 AND email_verified`, id) != 1 {
			t.Error("the owner did not get the same, verified user")
		}
		if n := countRows(t, srv, `SELECT count(*) FROM password_credentials WHERE user_id = $1`, id); n != 0 {
			t.Error("the attacker's password survived")
		}
		res := attacker.PostForm("/signin/password", url.Values{"email": {"victim@x.test"}, "password": {password}})
		if res.Status == http.StatusSeeOther || attacker.Cookie("roster_session") != "" {
			t.Errorf("the attacker's password signs in: %d %q", res.Status, res.Location)
		}
		k.noProblems("owner signed in")
		signOut()
	})

	t.Run("pre-hijack by an unchecking provider: the owner's arrival ends the attacker's session", func(t *testing.T) {
		// The attacker comes first, through a provider that does not check
		// addresses: a new, unverified user, and a session.
		attacker := webtest.NewVisitorClient(t, srv)
		if res := socialSignIn(t, srv, attacker, lax, laxID, "owner@y.test"); res.Status != http.StatusSeeOther {
			t.Fatalf("attacker's sign-in = %d\n%.600s", res.Status, res.Body)
		}
		wantStatus(t, "attacker signed in", attacker.Get("/my-organizations"), http.StatusOK)
		id := userID("owner@y.test")

		viaGoogle("owner@y.test", "hosted-user-email")
		if got := k.text("hosted-user-email"); got != "owner@y.test" {
			t.Fatalf("signed in as %q", got)
		}
		if userID("owner@y.test") != id || countRows(t, srv, `SELECT count(*) FROM users WHERE id = $1 AND email_verified`, id) != 1 {
			t.Error("the owner did not get the same, verified user")
		}
		if res := attacker.Get("/my-organizations"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/signin") {
			t.Errorf("the attacker is still signed in: %d %q", res.Status, res.Location)
		}
		if n := countRows(t, srv, `SELECT count(*) FROM sessions WHERE user_id = $1 AND status = 'ACTIVE'`, id); n != 1 {
			t.Errorf("%d live sessions, want only the owner's", n)
		}
		// The attacker's unverified identity cannot get back in either.
		again := webtest.NewVisitorClient(t, srv)
		wantSocialProblem(t, "attacker again", socialSignIn(t, srv, again, lax, laxID, "owner@y.test"), http.StatusForbidden, "email-not-verified")
	})
}

// The inbox proof walked in Chromium: a generic OpenID Connect provider
// (not trusted to verify addresses) says an existing account's address is
// verified; the person lands on a page that asks for the code mailed to
// that address, enters it, and only then is signed in as the account.
func TestSocialInboxProofInBrowser(t *testing.T) {
	idp := testkit.NewSocialOIDCProvider(t, testkit.OIDCUser{Email: "dana@acme.test", EmailVerified: true})
	srv := webtest.NewServer(t)
	acmeID := addSocialProvider(t, srv, idp, social.KindOIDC, "Acme ID")
	if _, err := srv.DB.Exec(`INSERT INTO users (id, email, email_verified) VALUES ('usr_dddddddddddddddddddddddddd', 'dana@acme.test', true)`); err != nil {
		t.Fatal(err)
	}
	b := testkit.NewBrowser(t)
	k := orgBrowser{browserKit{t, b}, srv}

	b.Run(chromedp.Navigate(srv.URL+"/signin"), chromedp.WaitVisible(chromedp.CSS("#signin-email")),
		chromedp.SendKeys(chromedp.CSS("#signin-email"), "dana@acme.test"))
	k.clickThen(orgSel("signin-continue"), "social-methods")
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="social-signin"][data-kind="OIDC"]`)))
	idp.LoginInBrowser(b, "dana@acme.test")
	b.Run(chromedp.WaitVisible(chromedp.CSS(orgSel("social-confirm"))))

	if got := k.text("social-confirm-email"); got != "d***@acme.test" {
		t.Errorf("the page names the address as %q", got)
	}
	if k.count(orgSel("hosted-account")) != 0 || countRows(t, srv, `SELECT count(*) FROM sessions`) != 0 {
		t.Fatal("signed in before the code")
	}
	k.noProblems("confirmation page")
	b.Screenshot("signin-social-confirm")
	b.Mobile()
	b.Screenshot("signin-social-confirm-mobile")
	b.Desktop()

	code := mailedLinkCode(t, srv, "dana@acme.test")
	wrong := code[:5] + string(rune('0'+(code[5]-'0'+1)%10))
	k.fill("social-confirm-code", wrong)
	k.clickThen(orgSel("social-confirm-submit"), "social-confirm")
	if got := k.text("error-code"); !strings.Contains(got, "4 more tries") {
		t.Errorf("after a wrong code: %q", got)
	}
	k.noProblems("wrong code")

	k.fill("social-confirm-code", code)
	k.clickThen(orgSel("social-confirm-submit"), "hosted-user-email")
	if got := k.text("hosted-user-email"); got != "dana@acme.test" {
		t.Errorf("signed in as %q", got)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM identities WHERE user_id = 'usr_dddddddddddddddddddddddddd' AND connection_id = $1`, acmeID); n != 1 {
		t.Errorf("%d identities linked", n)
	}
	k.noProblems("signed in after the code")

	// Next time Acme ID signs Dana in directly.
	k.clickThen(orgSel("hosted-sign-out"), "signin")
	b.Run(chromedp.Navigate(srv.URL+"/signin/social/"+acmeID), chromedp.WaitVisible(chromedp.ID("username")))
	idp.LoginInBrowser(b, "dana@acme.test")
	b.Run(chromedp.WaitVisible(chromedp.CSS(orgSel("hosted-user-email"))))
	if got := k.text("hosted-user-email"); got != "dana@acme.test" {
		t.Errorf("returning: signed in as %q", got)
	}
}
