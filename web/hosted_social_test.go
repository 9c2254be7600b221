package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roster/internal/social"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// addSocialProvider adds idp to srv as a social provider and returns its id.
func addSocialProvider(t *testing.T, srv *webtest.Server, idp *testkit.OIDCProvider, kind, name string) string {
	t.Helper()
	svc := social.New(srv.Store, srv.Clock, srv.Deps.SecretKey, srv.URL)
	p, err := svc.Create(context.Background(), social.ProviderInput{Kind: kind, DisplayName: name, Issuer: idp.Issuer,
		ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// socialStart opens the provider's start URL and returns where it sends the browser.
func socialStart(t *testing.T, v *webtest.ConsoleClient, idp *testkit.OIDCProvider, providerID, returnTo string) string {
	t.Helper()
	path := "/signin/social/" + providerID + "/start"
	if returnTo != "" {
		path += "?return_to=" + url.QueryEscape(returnTo)
	}
	res := v.Get(path)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, idp.Issuer+"/") {
		t.Fatalf("GET %s = %d %q, want a redirect to the provider\n%.600s", path, res.Status, res.Location, res.Body)
	}
	return res.Location
}

// socialSignIn runs a whole social sign-in over HTTP and returns the callback's answer.
func socialSignIn(t *testing.T, srv *webtest.Server, v *webtest.ConsoleClient, idp *testkit.OIDCProvider, providerID, email string) *webtest.PageResponse {
	t.Helper()
	callback := idp.Login(socialStart(t, v, idp, providerID, ""), email)
	if !strings.HasPrefix(callback, srv.URL+"/signin/social/"+providerID+"/callback?") {
		t.Fatalf("the provider sent the browser to %q", callback)
	}
	return v.Get(callback)
}

func wantSocialProblem(t *testing.T, what string, res *webtest.PageResponse, status int, reason string) {
	t.Helper()
	if res.Status != status || !strings.Contains(res.Body, `data-testid="social-problem" data-reason="`+reason+`"`) {
		t.Errorf("%s: %d, want %d with reason %s\n%.1500s", what, res.Status, status, reason, res.Body)
	}
}

func TestSocialSignIn(t *testing.T) {
	idp := testkit.NewSocialOIDCProvider(t,
		testkit.OIDCUser{Email: "ann@acme.test", EmailVerified: true},
		testkit.OIDCUser{Email: "taken@acme.test", EmailVerified: false},
	)
	srv := webtest.NewServer(t)
	google := addSocialProvider(t, srv, idp, social.KindGoogle, "Google")

	t.Run("the request to the provider", func(t *testing.T) {
		v := webtest.NewVisitorClient(t, srv)
		u, _ := url.Parse(socialStart(t, v, idp, google, "/my-organizations"))
		q := u.Query()
		if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
			len(q.Get("state")) < 40 || len(q.Get("nonce")) < 40 || q.Get("client_id") != idp.ClientID ||
			q.Get("redirect_uri") != srv.URL+"/signin/social/"+google+"/callback" {
			t.Errorf("authorize request: %v", q)
		}
		var flow *http.Cookie
		for _, ck := range v.HTTP.Jar.Cookies(&url.URL{Scheme: "http", Host: strings.TrimPrefix(srv.URL, "http://"), Path: "/signin/social/x/callback"}) {
			if ck.Name == "roster_social" {
				flow = ck
			}
		}
		if flow == nil || strings.Contains(flow.Value, q.Get("state")) {
			t.Errorf("the flow cookie is missing or carries the state in clear: %v", flow)
		}
	})

	t.Run("signs in, creating the user, then the same user again", func(t *testing.T) {
		v := webtest.NewVisitorClient(t, srv)
		res := socialSignIn(t, srv, v, idp, google, "ann@acme.test")
		if res.Status != http.StatusSeeOther || res.Location != "/my-organizations" {
			t.Fatalf("callback = %d %q\n%.1000s", res.Status, res.Location, res.Body)
		}
		if v.Cookie("roster_session") == "" {
			t.Fatal("no session cookie")
		}
		page := v.Get("/my-organizations")
		wantStatus(t, "my organizations", page, http.StatusOK)
		if !strings.Contains(page.Body, "ann@acme.test") {
			t.Error("the hosted page does not show who is signed in")
		}
		v2 := webtest.NewVisitorClient(t, srv)
		if res := socialSignIn(t, srv, v2, idp, google, "ann@acme.test"); res.Status != http.StatusSeeOther {
			t.Fatalf("second sign-in = %d", res.Status)
		}
		if n := countRows(t, srv, `SELECT count(*) FROM users WHERE email = 'ann@acme.test' AND email_verified`); n != 1 {
			t.Errorf("%d users", n)
		}
		if n := countRows(t, srv, `SELECT count(*) FROM identities WHERE email = 'ann@acme.test' AND provider_kind = 'GOOGLE' AND connection_id = $1`, google); n != 1 {
			t.Errorf("%d identities", n)
		}
		if n := countRows(t, srv, `SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'ann@acme.test' AND s.status = 'ACTIVE'`); n != 2 {
			t.Errorf("%d live sessions, want one per browser", n)
		}
	})

	t.Run("return_to is honoured on this site", func(t *testing.T) {
		v := webtest.NewVisitorClient(t, srv)
		callback := idp.Login(socialStart(t, v, idp, google, "/my-organizations?from=social"), "ann@acme.test")
		// Without an org to enter, the person lands on "my organizations",
		// which carries return_to on.
		res := v.Get(callback)
		if res.Location != "/my-organizations?from=social" &&
			!strings.HasSuffix(res.Location, "return_to="+url.QueryEscape("/my-organizations?from=social")) {
			t.Errorf("went to %q", res.Location)
		}
	})

	t.Run("tampered state", func(t *testing.T) {
		v := webtest.NewVisitorClient(t, srv)
		u, _ := url.Parse(idp.Login(socialStart(t, v, idp, google, ""), "ann@acme.test"))
		q := u.Query()
		q.Set("state", q.Get("state")+"x")
		u.RawQuery = q.Encode()
		before := countRows(t, srv, `SELECT count(*) FROM sessions`)
		wantSocialProblem(t, "tampered state", v.Get(u.String()), http.StatusBadRequest, "state-mismatch")
		if countRows(t, srv, `SELECT count(*) FROM sessions`) != before || v.Cookie("roster_session") != "" {
			t.Error("a session was made")
		}
	})

	t.Run("another sign-in's answer", func(t *testing.T) {
		v := webtest.NewVisitorClient(t, srv)
		first := idp.Login(socialStart(t, v, idp, google, ""), "ann@acme.test")
		socialStart(t, v, idp, google, "") // a second start replaces the flow
		wantSocialProblem(t, "swapped flow", v.Get(first), http.StatusBadRequest, "state-mismatch")
	})

	t.Run("a replayed callback and one without the cookie", func(t *testing.T) {
		v := webtest.NewVisitorClient(t, srv)
		callback := idp.Login(socialStart(t, v, idp, google, ""), "ann@acme.test")
		if res := v.Get(callback); res.Status != http.StatusSeeOther {
			t.Fatalf("callback = %d", res.Status)
		}
		wantSocialProblem(t, "replay", v.Get(callback), http.StatusBadRequest, "no-state")
		wantSocialProblem(t, "no cookie", webtest.NewVisitorClient(t, srv).Get(callback), http.StatusBadRequest, "no-state")
	})

	t.Run("the provider's error", func(t *testing.T) {
		v := webtest.NewVisitorClient(t, srv)
		u, _ := url.Parse(socialStart(t, v, idp, google, ""))
		res := v.Get("/signin/social/" + google + "/callback?error=access_denied&state=" + url.QueryEscape(u.Query().Get("state")))
		wantSocialProblem(t, "provider error", res, http.StatusBadRequest, "provider-error")
	})

	t.Run("an unverified email never opens an existing account", func(t *testing.T) {
		if _, err := srv.DB.Exec(`INSERT INTO users (id, email, email_verified) VALUES ('usr_tttttttttttttttttttttttttt', 'taken@acme.test', true)`); err != nil {
			t.Fatal(err)
		}
		v := webtest.NewVisitorClient(t, srv)
		res := socialSignIn(t, srv, v, idp, google, "taken@acme.test")
		wantSocialProblem(t, "unverified", res, http.StatusForbidden, "email-not-verified")
		if !strings.Contains(res.Body, `href="/signin" data-testid="social-problem-action"`) {
			t.Error("the page does not offer another way to sign in")
		}
		if v.Cookie("roster_session") != "" {
			t.Error("a session cookie was set")
		}
		if n := countRows(t, srv, `SELECT count(*) FROM identities WHERE user_id = 'usr_tttttttttttttttttttttttttt'`); n != 0 {
			t.Errorf("%d identities added", n)
		}
		if n := countRows(t, srv, `SELECT count(*) FROM sessions WHERE user_id = 'usr_tttttttttttttttttttttttttt'`); n != 0 {
			t.Errorf("%d sessions", n)
		}
	})

	t.Run("unknown and disabled providers", func(t *testing.T) {
		v := webtest.NewVisitorClient(t, srv)
		wantSocialProblem(t, "unknown", v.Get("/signin/social/conn_aaaaaaaaaaaaaaaaaaaaaaaaaa/start"), http.StatusNotFound, "provider-unavailable")
		if _, err := srv.DB.Exec(`UPDATE environment_settings SET social_signin_enabled = false`); err != nil {
			t.Fatal(err)
		}
		defer srv.DB.Exec(`UPDATE environment_settings SET social_signin_enabled = true`)
		wantSocialProblem(t, "social off", v.Get("/signin/social/"+google+"/start"), http.StatusNotFound, "provider-unavailable")
	})
}

func TestSocialSignUpClosed(t *testing.T) {
	idp := testkit.NewSocialOIDCProvider(t, testkit.OIDCUser{Email: "new@acme.test", EmailVerified: true})
	srv := webtest.NewServer(t)
	id := addSocialProvider(t, srv, idp, social.KindOIDC, "Acme ID")
	if _, err := srv.DB.Exec(`UPDATE environment_settings SET signup_enabled = false`); err != nil {
		t.Fatal(err)
	}
	v := webtest.NewVisitorClient(t, srv)
	wantSocialProblem(t, "sign-up closed", socialSignIn(t, srv, v, idp, id, "new@acme.test"), http.StatusForbidden, "signup-closed")
	if n := countRows(t, srv, `SELECT count(*) FROM users`); n != 0 {
		t.Errorf("%d users", n)
	}
}

// The pre-hijack case over HTTP: someone registers a password for the
// victim's address; the victim arrives through a provider that verified it.
func TestSocialSignInPreHijack(t *testing.T) {
	idp := testkit.NewSocialOIDCProvider(t, testkit.OIDCUser{Email: "victim@x.test", EmailVerified: true})
	srv := webtest.NewServer(t)
	google := addSocialProvider(t, srv, idp, social.KindGoogle, "Google")

	attacker := webtest.NewVisitorClient(t, srv)
	const password = "attacker-owns-this-1"
	res := attacker.PostForm("/signup", url.Values{"email": {"victim@x.test"}, "password": {password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign-up = %d\n%.800s", res.Status, res.Body)
	}
	var userID string
	if err := srv.DB.Get(&userID, `SELECT u.id FROM users u JOIN password_credentials p ON p.user_id = u.id WHERE u.email = 'victim@x.test' AND NOT u.email_verified`); err != nil {
		t.Fatalf("the registration did not leave an unverified user with a password: %v", err)
	}

	victim := webtest.NewVisitorClient(t, srv)
	if res := socialSignIn(t, srv, victim, idp, google, "victim@x.test"); res.Status != http.StatusSeeOther || victim.Cookie("roster_session") == "" {
		t.Fatalf("the victim was not signed in: %d\n%.800s", res.Status, res.Body)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM users WHERE email = 'victim@x.test' AND email_verified AND id = $1`, userID); n != 1 {
		t.Error("the victim did not get the same, now verified, user")
	}
	if n := countRows(t, srv, `SELECT count(*) FROM password_credentials WHERE user_id = $1`, userID); n != 0 {
		t.Error("the attacker's password survived")
	}
	res = attacker.PostForm("/signin/password", url.Values{"email": {"victim@x.test"}, "password": {password}})
	if res.Status == http.StatusSeeOther || attacker.Cookie("roster_session") != "" {
		t.Errorf("the attacker's password still signs in: %d %q", res.Status, res.Location)
	}
}

// mailedLinkCode is the code in the newest mail to email.
func mailedLinkCode(t *testing.T, srv *webtest.Server, email string) string {
	t.Helper()
	mails := webtest.OutboxTo(t, srv, email)
	if len(mails) == 0 {
		t.Fatalf("no mail to %s", email)
	}
	m := mailedCode.FindStringSubmatch(mails[0].Text)
	if m == nil {
		t.Fatalf("no code in the mail to %s:\n%s", email, mails[0].Text)
	}
	return m[1]
}

// The attack: an OpenID Connect provider that lets anyone claim any address
// says "email_verified" for an existing account's address. Roster asks for
// a code mailed to that address; only with it is the sign-in linked.
func TestSocialSignInUntrustedProvider(t *testing.T) {
	idp := testkit.NewSocialOIDCProvider(t,
		testkit.OIDCUser{Email: "victim@acme.test", EmailVerified: true},
		testkit.OIDCUser{Email: "carol@acme.test", EmailVerified: true},
	)
	srv := webtest.NewServer(t)
	acmeID := addSocialProvider(t, srv, idp, social.KindOIDC, "Acme ID")
	for _, q := range []string{
		`INSERT INTO users (id, email, email_verified) VALUES ('usr_vvvvvvvvvvvvvvvvvvvvvvvvvv', 'Victim@acme.test', true)`,
		`INSERT INTO users (id, email, email_verified) VALUES ('usr_cccccccccccccccccccccccccc', 'carol@acme.test', true)`,
	} {
		if _, err := srv.DB.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	const victim = "usr_vvvvvvvvvvvvvvvvvvvvvvvvvv"

	t.Run("the provider's word does not sign in as the account; the code does", func(t *testing.T) {
		v := webtest.NewVisitorClient(t, srv)
		res := socialSignIn(t, srv, v, idp, acmeID, "victim@acme.test")
		if res.Status != http.StatusSeeOther || res.Location != "/signin/social/confirm" {
			t.Fatalf("callback = %d %q, want the confirmation page\n%.800s", res.Status, res.Location, res.Body)
		}
		if v.Cookie("roster_session") != "" || countRows(t, srv, `SELECT count(*) FROM sessions WHERE user_id = $1`, victim) != 0 {
			t.Fatal("signed in on the provider's word")
		}
		if n := countRows(t, srv, `SELECT count(*) FROM identities WHERE user_id = $1`, victim); n != 0 {
			t.Fatalf("%d identities linked on the provider's word", n)
		}
		page := v.Get("/signin/social/confirm")
		wantStatus(t, "confirmation page", page, http.StatusOK)
		wantHas(t, "confirmation page", page.Body, `data-testid="social-confirm"`, "We sent a code to", "V***@acme.test", "Acme ID")
		if strings.Contains(page.Body, "Victim@acme.test") || strings.Contains(page.Body, "victim@acme.test") {
			t.Error("the page shows the account's address in full")
		}
		code := mailedLinkCode(t, srv, "Victim@acme.test")

		// A guess is counted and refused.
		wrong := code[:5] + string(rune('0'+(code[5]-'0'+1)%10))
		res = v.PostForm("/signin/social/confirm", url.Values{"code": {wrong}})
		wantStatus(t, "wrong code", res, http.StatusUnprocessableEntity)
		wantHas(t, "wrong code", res.Body, `data-testid="error-code"`, "4 more tries")
		if v.Cookie("roster_session") != "" {
			t.Fatal("a wrong code signed in")
		}

		res = v.PostForm("/signin/social/confirm", url.Values{"code": {code}})
		if res.Status != http.StatusSeeOther || res.Location != "/my-organizations" || v.Cookie("roster_session") == "" {
			t.Fatalf("right code = %d %q\n%.800s", res.Status, res.Location, res.Body)
		}
		if n := countRows(t, srv, `SELECT count(*) FROM sessions WHERE user_id = $1 AND status = 'ACTIVE' AND auth_method = 'OIDC'`, victim); n != 1 {
			t.Errorf("%d sessions as the account", n)
		}
		if n := countRows(t, srv, `SELECT count(*) FROM identities WHERE user_id = $1 AND connection_id = $2 AND email_verified`, victim, acmeID); n != 1 {
			t.Errorf("%d identities linked after the code", n)
		}
		// The code is spent, and the page is gone with the sign-in.
		if res := v.Get("/signin/social/confirm"); res.Status != http.StatusSeeOther {
			t.Errorf("confirmation page after sign-in: %d", res.Status)
		}

		// Next time the identity is known: no code.
		v2 := webtest.NewVisitorClient(t, srv)
		if res := socialSignIn(t, srv, v2, idp, acmeID, "victim@acme.test"); res.Status != http.StatusSeeOther || res.Location != "/my-organizations" {
			t.Errorf("returning = %d %q", res.Status, res.Location)
		}
	})

	t.Run("the code works only in the browser whose sign-in asked for it", func(t *testing.T) {
		attacker := webtest.NewVisitorClient(t, srv)
		if res := socialSignIn(t, srv, attacker, idp, acmeID, "carol@acme.test"); res.Location != "/signin/social/confirm" {
			t.Fatalf("callback went to %q", res.Location)
		}
		// Carol gets the mail and types the code into her own browser:
		// nothing is linked, and nobody is signed in.
		carol := webtest.NewVisitorClient(t, srv)
		res := carol.PostForm("/signin/social/confirm", url.Values{"code": {mailedLinkCode(t, srv, "carol@acme.test")}})
		if res.Status != http.StatusSeeOther || res.Location != "/signin" || carol.Cookie("roster_session") != "" {
			t.Errorf("the code in another browser = %d %q", res.Status, res.Location)
		}
		if n := countRows(t, srv, `SELECT count(*) FROM identities WHERE user_id = 'usr_cccccccccccccccccccccccccc'`); n != 0 {
			t.Errorf("%d identities linked to Carol", n)
		}
	})

	t.Run("without a sign-in under way the page sends people to sign in", func(t *testing.T) {
		v := webtest.NewVisitorClient(t, srv)
		if res := v.Get("/signin/social/confirm"); res.Status != http.StatusSeeOther || res.Location != "/signin" {
			t.Errorf("GET = %d %q", res.Status, res.Location)
		}
		if res := v.PostForm("/signin/social/confirm", url.Values{"code": {"123456"}}); res.Status != http.StatusSeeOther || res.Location != "/signin" {
			t.Errorf("POST = %d %q", res.Status, res.Location)
		}
	})

	t.Run("marked trusted, the provider links at once", func(t *testing.T) {
		if _, err := srv.DB.Exec(`UPDATE social_providers SET trust_email_verified = true WHERE id = $1`, acmeID); err != nil {
			t.Fatal(err)
		}
		defer srv.DB.Exec(`UPDATE social_providers SET trust_email_verified = false WHERE id = $1`, acmeID)
		v := webtest.NewVisitorClient(t, srv)
		res := socialSignIn(t, srv, v, idp, acmeID, "carol@acme.test")
		if res.Status != http.StatusSeeOther || res.Location != "/my-organizations" || v.Cookie("roster_session") == "" {
			t.Fatalf("callback = %d %q", res.Status, res.Location)
		}
		if n := countRows(t, srv, `SELECT count(*) FROM sessions WHERE user_id = 'usr_cccccccccccccccccccccccccc' AND status = 'ACTIVE'`); n != 1 {
			t.Errorf("%d sessions as Carol", n)
		}
	})
}

// A returning person whose address at the provider became another user's
// still signs in as themselves.
func TestSocialSignInReturningWithAnotherUsersEmail(t *testing.T) {
	idp := testkit.NewSocialOIDCProvider(t, testkit.OIDCUser{Email: "ann@acme.test", EmailVerified: true})
	srv := webtest.NewServer(t)
	google := addSocialProvider(t, srv, idp, social.KindGoogle, "Google")
	if res := socialSignIn(t, srv, webtest.NewVisitorClient(t, srv), idp, google, "ann@acme.test"); res.Status != http.StatusSeeOther {
		t.Fatalf("first sign-in = %d", res.Status)
	}
	if _, err := srv.DB.Exec(`INSERT INTO users (id, email, email_verified) VALUES ('usr_bbbbbbbbbbbbbbbbbbbbbbbbbb', 'bob@acme.test', true)`); err != nil {
		t.Fatal(err)
	}
	idp.SetEmail("ann@acme.test", "bob@acme.test", true)
	v := webtest.NewVisitorClient(t, srv)
	if res := socialSignIn(t, srv, v, idp, google, "ann@acme.test"); res.Status != http.StatusSeeOther {
		t.Fatalf("returning sign-in = %d\n%.800s", res.Status, res.Body)
	}
	page := v.Get("/my-organizations")
	if !strings.Contains(page.Body, "ann@acme.test") || strings.Contains(page.Body, "bob@acme.test") {
		t.Errorf("signed in as someone other than Ann:\n%.1500s", page.Body)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM sessions WHERE user_id = 'usr_bbbbbbbbbbbbbbbbbbbbbbbbbb'`); n != 0 {
		t.Errorf("%d sessions as Bob", n)
	}
}
