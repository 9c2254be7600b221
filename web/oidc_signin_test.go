package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roster/internal/adminauth"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// The people at the test identity provider, and the rules that let them in.
var (
	idpUsers = []testkit.OIDCUser{
		{Email: "owner@acme.test", EmailVerified: true},
		{Email: "ed@partner.test", EmailVerified: true, Groups: []string{"staff", "roster-editors"}},
		{Email: "viewer@acme.test", EmailVerified: true},
		{Email: "mallory@evil.test", EmailVerified: true, Groups: []string{"staff"}},
		{Email: "sneaky@acme.test", EmailVerified: false},
	}
	idpRules = []string{"owner@acme.test=owner", "@acme.test=viewer", "claim:groups:roster-editors=editor"}
)

// startSignIn opens /auth/oidc/start and returns where it sends the browser.
func startSignIn(t *testing.T, v *webtest.ConsoleClient, idp *testkit.OIDCProvider, returnTo string) string {
	t.Helper()
	path := "/auth/oidc/start"
	if returnTo != "" {
		path += "?return_to=" + url.QueryEscape(returnTo)
	}
	res := v.Get(path)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, idp.Issuer+"/") {
		t.Fatalf("GET %s = %d %q, want a redirect to the provider", path, res.Status, res.Location)
	}
	return res.Location
}

func TestOIDCSignIn(t *testing.T) {
	idp := testkit.NewOIDCProvider(t, idpUsers...)
	srv := newConsoleServer(t, webtest.WithEnvs(idp.Settings(idpRules...)))

	t.Run("the sign-in page offers the provider", func(t *testing.T) {
		res := webtest.NewVisitorClient(t, srv).Get("/login?return_to=%2Ftest%2Fread")
		if !strings.Contains(res.Body, `href="/auth/oidc/start?return_to=%2Ftest%2Fread"`) ||
			strings.Contains(res.Body, "setup-mode") {
			t.Errorf("sign-in page:\n%s", res.Body)
		}
	})

	t.Run("the request to the provider", func(t *testing.T) {
		u, _ := url.Parse(startSignIn(t, webtest.NewVisitorClient(t, srv), idp, ""))
		q := u.Query()
		if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
			len(q.Get("state")) < 40 || len(q.Get("nonce")) < 40 || q.Get("client_id") != idp.ClientID ||
			q.Get("redirect_uri") != srv.URL+"/auth/oidc/callback" || !strings.Contains(q.Get("scope"), "openid") {
			t.Errorf("authorize request: %v", q)
		}
	})

	for _, tt := range []struct {
		email string
		role  adminauth.Role
	}{
		{"owner@acme.test", adminauth.Owner},   // exact email
		{"ed@partner.test", adminauth.Editor},  // groups claim
		{"viewer@acme.test", adminauth.Viewer}, // domain
	} {
		t.Run("signs in "+string(tt.role), func(t *testing.T) {
			v := webtest.NewVisitorClient(t, srv)
			callback := idp.Login(startSignIn(t, v, idp, "/test/read?x=1"), tt.email)
			if !strings.HasPrefix(callback, srv.URL+"/auth/oidc/callback?") {
				t.Fatalf("the provider sent the browser to %q", callback)
			}
			res := v.Get(callback)
			if res.Status != http.StatusSeeOther || res.Location != "/test/read?x=1" {
				t.Fatalf("callback = %d %q\n%.500s", res.Status, res.Location, res.Body)
			}
			if v.Cookie("roster_oidc") != "" {
				t.Error("the sign-in state cookie outlived the callback")
			}
			res = v.Get("/")
			wantStatus(t, "home", res, http.StatusOK)
			if !strings.Contains(res.Body, tt.email) || !strings.Contains(res.Body, `data-role="`+string(tt.role)+`"`) {
				t.Errorf("home does not show %s as %s", tt.email, tt.role)
			}
			var issuer, subject string
			if err := srv.DB.QueryRow(`SELECT issuer, subject FROM admin_sessions WHERE email = $1 AND ended_at IS NULL`, tt.email).Scan(&issuer, &subject); err != nil {
				t.Fatal(err)
			}
			if issuer != idp.Issuer || subject == "" {
				t.Errorf("session issuer %q subject %q", issuer, subject)
			}
			// Replaying the callback URL: its state was spent.
			if res := v.Get(callback); res.Status != http.StatusBadRequest {
				t.Errorf("replayed callback = %d, want 400", res.Status)
			}
		})
	}

	for _, tt := range []struct{ email, reason string }{
		{"mallory@evil.test", "matches no rule"},
		{"sneaky@acme.test", "unverified email at an allowed domain"},
	} {
		t.Run("refuses "+tt.reason, func(t *testing.T) {
			v := webtest.NewVisitorClient(t, srv)
			res := v.Get(idp.Login(startSignIn(t, v, idp, ""), tt.email))
			wantStatus(t, "callback", res, http.StatusForbidden)
			if !strings.Contains(res.Body, `data-reason="not-allowed"`) || !strings.Contains(res.Body, tt.email) {
				t.Errorf("the not-allowed page does not name %s:\n%.800s", tt.email, res.Body)
			}
			if n := countRows(t, srv, `SELECT count(*) FROM admin_sessions WHERE email = $1`, tt.email); n != 0 {
				t.Errorf("%d admin sessions for a refused person", n)
			}
			if v.Cookie("roster_admin") != "" {
				t.Error("a refused person got a session cookie")
			}
			if n := countRows(t, srv, `SELECT count(*) FROM audit_events WHERE action = 'admin.sign_in_refused' AND changes->>'email' = $1`, tt.email); n != 1 {
				t.Errorf("%d refusal audit events", n)
			}
		})
	}

	t.Run("tampered state", func(t *testing.T) {
		v := webtest.NewVisitorClient(t, srv)
		u, _ := url.Parse(idp.Login(startSignIn(t, v, idp, ""), "owner@acme.test"))
		q := u.Query()
		q.Set("state", q.Get("state")+"x")
		u.RawQuery = q.Encode()
		before := countRows(t, srv, `SELECT count(*) FROM admin_sessions`)
		res := v.Get(u.String())
		wantStatus(t, "tampered state", res, http.StatusBadRequest)
		if !strings.Contains(res.Body, `data-reason="state-mismatch"`) {
			t.Errorf("refused for another reason:\n%.600s", res.Body)
		}
		if countRows(t, srv, `SELECT count(*) FROM admin_sessions`) != before {
			t.Error("a session was made")
		}
	})

	t.Run("wrong nonce", func(t *testing.T) {
		// The browser's own state and PKCE challenge, but the ID token is
		// issued for another nonce, as a token obtained elsewhere would be.
		v := webtest.NewVisitorClient(t, srv)
		u, _ := url.Parse(startSignIn(t, v, idp, ""))
		q := u.Query()
		q.Set("nonce", "a-nonce-roster-never-made")
		u.RawQuery = q.Encode()
		before := countRows(t, srv, `SELECT count(*) FROM admin_sessions`)
		res := v.Get(idp.Login(u.String(), "owner@acme.test"))
		wantStatus(t, "wrong nonce", res, http.StatusBadRequest)
		if !strings.Contains(res.Body, `data-reason="nonce-mismatch"`) {
			t.Errorf("refused for another reason:\n%.600s", res.Body)
		}
		if countRows(t, srv, `SELECT count(*) FROM admin_sessions`) != before {
			t.Error("a session was made")
		}
	})

	t.Run("a callback this browser did not start", func(t *testing.T) {
		// Login CSRF: an attacker's own callback URL, opened by a victim.
		attacker := webtest.NewVisitorClient(t, srv)
		callback := idp.Login(startSignIn(t, attacker, idp, ""), "owner@acme.test")
		victim := webtest.NewVisitorClient(t, srv)
		res := victim.Get(callback)
		wantStatus(t, "foreign callback", res, http.StatusBadRequest)
		if victim.Cookie("roster_admin") != "" {
			t.Error("the victim got signed in")
		}
	})

	t.Run("a new sign-in ends the browser's earlier session", func(t *testing.T) {
		cc := webtest.NewConsoleClient(t, srv, "owner@acme.test", adminauth.Owner)
		res := cc.Get(idp.Login(startSignIn(t, cc, idp, ""), "owner@acme.test"))
		if res.Status != http.StatusSeeOther {
			t.Fatalf("callback = %d", res.Status)
		}
		if n := countRows(t, srv, `SELECT count(*) FROM admin_sessions WHERE id = $1 AND ended_at IS NULL`, cc.Session.ID); n != 0 {
			t.Error("the session from before sign-in is still live")
		}
		if res := cc.Get("/"); res.Status != http.StatusOK {
			t.Errorf("the new session does not work: %d", res.Status)
		}
	})
}

func TestOIDCProviderDown(t *testing.T) {
	srv := newConsoleServer(t,
		webtest.WithEnv("ROSTER_ADMIN_OIDC_ISSUER", "http://127.0.0.1:1"),
		webtest.WithEnv("ROSTER_ADMIN_OIDC_CLIENT_ID", "x"),
		webtest.WithEnv("ROSTER_ADMIN_OIDC_CLIENT_SECRET", "y"),
		webtest.WithEnv("ROSTER_ADMIN_ALLOWED", "@acme.test=viewer"))
	res := webtest.NewVisitorClient(t, srv).Get("/auth/oidc/start")
	wantStatus(t, "start", res, http.StatusServiceUnavailable)
	if !strings.Contains(res.Body, `data-reason="provider-unreachable"`) {
		t.Errorf("page:\n%.600s", res.Body)
	}
}
