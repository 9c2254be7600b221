package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"roster/internal/adminauth"
	"roster/internal/store"
	"roster/web/webtest"
)

// setCookies reads the cookies a response sets, attributes and all.
func setCookies(res *webtest.PageResponse) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, ck := range (&http.Response{Header: res.Header}).Cookies() {
		out[ck.Name] = ck
	}
	return out
}

// wantHostCookie checks what browsers demand of a __Host- cookie, and what
// Roster adds to every cookie.
func wantHostCookie(t *testing.T, ck *http.Cookie) {
	t.Helper()
	if !strings.HasPrefix(ck.Name, "__Host-roster_") || !ck.Secure || ck.Path != "/" || ck.Domain != "" ||
		!ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie %s over https: Secure %v, Path %q, Domain %q, HttpOnly %v, SameSite %v; want a __Host-roster_ name, Secure, Path=/, no Domain, HttpOnly, Lax",
			ck.Name, ck.Secure, ck.Path, ck.Domain, ck.HttpOnly, ck.SameSite)
	}
}

// endsWithBrowser: no Max-Age and no Expires, so the browser drops the
// cookie when it closes.
func endsWithBrowser(ck *http.Cookie) bool { return ck.MaxAge == 0 && ck.RawExpires == "" }

// Behind https every cookie Roster sets is a __Host- cookie, so a sibling
// subdomain or a plain-http page cannot plant or overwrite one; session
// cookies end with the browser unless the person asked to stay signed in.
func TestCookiesOverHTTPS(t *testing.T) {
	k := newSigninKit(t, webtest.WithEnv("ROSTER_PUBLIC_URL", "https://roster.example.com"))
	srv := k.srv
	seen := map[string]*http.Cookie{}
	collect := func(res *webtest.PageResponse) map[string]*http.Cookie {
		t.Helper()
		cks := setCookies(res)
		for name, ck := range cks {
			wantHostCookie(t, ck)
			seen[name] = ck
		}
		return cks
	}

	t.Run("console", func(t *testing.T) {
		link, _, err := adminauth.New(store.New(srv.DB), srv.Clock).CreateLoginLink(context.Background(), "first@example.com")
		if err != nil {
			t.Fatal(err)
		}
		v := webtest.NewPublicVisitorClient(t, srv)
		page := v.Get("/login/link/" + link)
		wantStatus(t, "the link page", page, http.StatusOK)
		csrf := collect(page)["__Host-roster_csrf"]
		if csrf == nil {
			t.Fatal("no __Host-roster_csrf cookie on the link page")
		}

		res := v.PostForm("/login/link/"+link, nil)
		wantStatus(t, "using the link", res, http.StatusSeeOther)
		cks := collect(res)
		admin := cks["__Host-roster_admin"]
		if admin == nil {
			t.Fatal("no __Host-roster_admin cookie at sign-in")
		}
		if !endsWithBrowser(admin) {
			t.Errorf("the console session cookie has Max-Age %d, Expires %q; want neither (it ends with the browser)", admin.MaxAge, admin.RawExpires)
		}
		if strings.Contains(admin.Value, "@") || len(admin.Value) < 60 {
			t.Errorf("the console session cookie does not look sealed: %q", admin.Value)
		}
		if got := cks["__Host-roster_csrf"]; got == nil || got.Value == csrf.Value {
			t.Error("sign-in did not give the browser a new CSRF token")
		}
		if res := v.Get("/"); res.Status != http.StatusOK {
			t.Fatalf("the console after sign-in over https = %d", res.Status)
		}

		res = v.PostForm("/logout", nil)
		wantStatus(t, "sign-out", res, http.StatusSeeOther)
		cks = collect(res)
		if ck := cks["__Host-roster_admin"]; ck == nil || ck.MaxAge >= 0 {
			t.Errorf("sign-out did not delete the session cookie: %v", ck)
		}
		if cks["__Host-roster_flash"] == nil {
			t.Error("no __Host-roster_flash cookie for the sign-out message")
		}
	})

	t.Run("hosted", func(t *testing.T) {
		k.org("Acme", "ann@acme.test")
		for _, tt := range []struct {
			name string
			form url.Values
			keep bool
		}{
			{"without keep me signed in", nil, false},
			{"with keep me signed in", url.Values{"keep": {"1"}}, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				c := webtest.NewPublicVisitorClient(t, srv)
				k.tick()
				f := url.Values{"email": {"ann@acme.test"}}
				for key, v := range tt.form {
					f[key] = v
				}
				res := c.PostForm("/signin/email", f)
				wantStatus(t, "ask for a code", res, http.StatusSeeOther)
				if collect(res)["__Host-roster_signin"] == nil {
					t.Error("no __Host-roster_signin cookie for the sign-in in progress")
				}
				res = c.PostForm("/signin/code", url.Values{"code": {k.lastCode("ann@acme.test")}})
				wantStatus(t, "sign in with the code", res, http.StatusSeeOther)
				sess := collect(res)["__Host-roster_session"]
				if sess == nil {
					t.Fatal("no __Host-roster_session cookie at sign-in")
				}
				if tt.keep {
					if want := int((30 * 24 * time.Hour).Seconds()); sess.MaxAge != want {
						t.Errorf("kept signed in: Max-Age %d, want %d (the session's 30-day lifetime)", sess.MaxAge, want)
					}
				} else if !endsWithBrowser(sess) {
					t.Errorf("not kept signed in: Max-Age %d, Expires %q; want neither (it ends with the browser)", sess.MaxAge, sess.RawExpires)
				}
				if res := c.Get("/my-organizations"); res.Status != http.StatusOK {
					t.Errorf("my organizations after sign-in over https = %d", res.Status)
				}
			})
		}
	})

	for _, name := range []string{"__Host-roster_csrf", "__Host-roster_admin", "__Host-roster_flash", "__Host-roster_signin", "__Host-roster_session"} {
		if seen[name] == nil {
			t.Errorf("never saw %s", name)
		}
	}
}

// Over plain http browsers refuse __Host- cookies (they need Secure), so
// the names stay as they were; session cookies still end with the browser.
func TestCookiesOverHTTP(t *testing.T) {
	k := newSigninKit(t)
	k.org("Acme", "ann@acme.test")
	c := webtest.NewVisitorClient(t, k.srv)
	k.startCode(c, "ann@acme.test", nil)
	res := c.PostForm("/signin/code", url.Values{"code": {k.lastCode("ann@acme.test")}})
	wantStatus(t, "sign in", res, http.StatusSeeOther)
	for name, ck := range setCookies(res) {
		if strings.HasPrefix(name, "__Host-") || ck.Secure || ck.Path != "/" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %s over http: Secure %v, Path %q, HttpOnly %v, SameSite %v", name, ck.Secure, ck.Path, ck.HttpOnly, ck.SameSite)
		}
	}
	sess := setCookies(res)["roster_session"]
	if sess == nil || !endsWithBrowser(sess) {
		t.Errorf("roster_session over http: %v; want one that ends with the browser", sess)
	}

	link, _, err := adminauth.New(store.New(k.srv.DB), k.srv.Clock).CreateLoginLink(context.Background(), "first@example.com")
	if err != nil {
		t.Fatal(err)
	}
	v := webtest.NewVisitorClient(t, k.srv)
	res = v.PostForm("/login/link/"+link, nil)
	wantStatus(t, "console sign-in", res, http.StatusSeeOther)
	if admin := setCookies(res)["roster_admin"]; admin == nil || admin.Secure || !endsWithBrowser(admin) {
		t.Errorf("roster_admin over http: %v", admin)
	}
}

// A CSRF token known before sign-in (a planted cookie, a page fetched
// earlier) is worth nothing after it: sign-in gives the browser a new one.
func TestCSRFTokenRotatesAtSignIn(t *testing.T) {
	k := newSigninKit(t)
	srv := k.srv

	t.Run("console", func(t *testing.T) {
		link, _, err := adminauth.New(store.New(srv.DB), srv.Clock).CreateLoginLink(context.Background(), "first@example.com")
		if err != nil {
			t.Fatal(err)
		}
		v := webtest.NewVisitorClient(t, srv)
		before := v.CSRFToken()
		wantStatus(t, "sign in", v.Do(http.MethodPost, "/login/link/"+link, url.Values{"csrf_token": {before}}), http.StatusSeeOther)
		after := v.CSRFToken()
		if after == before {
			t.Fatal("the CSRF token is the same after sign-in")
		}

		orgs := countRows(t, srv, `SELECT count(*) FROM organizations`)
		res := v.Do(http.MethodPost, "/organizations/new", url.Values{"csrf_token": {before}, "display_name": {"Forged"}})
		wantStatus(t, "a form with the token from before sign-in", res, http.StatusForbidden)
		if n := countRows(t, srv, `SELECT count(*) FROM organizations`); n != orgs {
			t.Fatalf("the refused form created an organization (%d → %d)", orgs, n)
		}
		res = v.Do(http.MethodPost, "/organizations/new", url.Values{"csrf_token": {after}, "display_name": {"Real"}})
		wantStatus(t, "a form with the new token", res, http.StatusSeeOther)
	})

	t.Run("hosted", func(t *testing.T) {
		k.org("Acme", "ann@acme.test")
		c := webtest.NewVisitorClient(t, srv)
		before := c.CSRFToken()
		k.signIn(c, "ann@acme.test")
		after := c.CSRFToken()
		if after == before {
			t.Fatal("the CSRF token is the same after sign-in")
		}
		id, _, _ := k.session(c)

		res := c.Do(http.MethodPost, "/logout/user", url.Values{"csrf_token": {before}})
		wantStatus(t, "sign-out with the token from before sign-in", res, http.StatusForbidden)
		if n := k.count(`SELECT count(*) FROM sessions WHERE id = $1 AND status = 'ACTIVE'`, id); n != 1 {
			t.Fatal("the refused sign-out ended the session")
		}
		res = c.Do(http.MethodPost, "/logout/user", url.Values{"csrf_token": {after}})
		wantStatus(t, "sign-out with the new token", res, http.StatusSeeOther)
	})
}

// A state-changing request from a page of another site is refused even
// with a valid CSRF token; requests that name no origin fall back to the
// token. The API takes no cookies and is not checked.
func TestForeignOriginRefused(t *testing.T) {
	k := newSigninKit(t)
	srv := k.srv
	cc := webtest.NewConsoleClient(t, srv, "ed@acme.test", adminauth.Editor)
	token := cc.CSRFToken()

	post := func(path string, form url.Values, header ...string) *webtest.PageResponse {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := cc.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return &webtest.PageResponse{Status: res.StatusCode, Header: res.Header, Body: string(b), Location: res.Header.Get("Location")}
	}
	orgs := func() int { return countRows(t, srv, `SELECT count(*) FROM organizations`) }
	create := func(name string) url.Values { return url.Values{"csrf_token": {token}, "display_name": {name}} }

	before := orgs()
	for _, origin := range []string{
		"https://evil.example",
		"http://evil.example",
		strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), // the same server under another name
		srv.URL + "0",                                         // another port
		"https" + strings.TrimPrefix(srv.URL, "http"),         // another scheme
		"null", // what any page can make its browser send
		"not an origin",
	} {
		res := post("/organizations/new", create("Forged"), "Origin", origin)
		wantStatus(t, "Origin "+origin+" with a valid token", res, http.StatusForbidden)
	}
	res := post("/organizations/new", create("Forged"), "Origin", srv.URL, "Sec-Fetch-Site", "cross-site")
	wantStatus(t, "Sec-Fetch-Site cross-site with a valid token", res, http.StatusForbidden)
	// "null" from a sandboxed frame elsewhere says so in Sec-Fetch-Site.
	for _, site := range []string{"cross-site", "same-site", "none"} {
		res := post("/organizations/new", create("Forged"), "Origin", "null", "Sec-Fetch-Site", site)
		wantStatus(t, "Origin null, Sec-Fetch-Site "+site, res, http.StatusForbidden)
	}
	if n := orgs(); n != before {
		t.Fatalf("refused requests created %d organizations", n-before)
	}

	// Roster's own origin, as browsers write it (any case), passes; so does
	// a request naming no origin, on its token alone.
	wantStatus(t, "own origin", post("/organizations/new", create("Own"), "Origin", strings.ToUpper(srv.URL)), http.StatusSeeOther)
	wantStatus(t, "no Origin", post("/organizations/new", create("Old client")), http.StatusSeeOther)
	// A form on one of Roster's no-referrer pages (a sign-in link) says
	// "null", and Sec-Fetch-Site same-origin, which no page can forge.
	wantStatus(t, "null from a no-referrer page of Roster's own",
		post("/organizations/new", create("Own no-referrer"), "Origin", "null", "Sec-Fetch-Site", "same-origin"), http.StatusSeeOther)
	wantStatus(t, "no Origin, no token", post("/organizations/new", url.Values{"display_name": {"X"}}), http.StatusForbidden)

	// Hosted pages too.
	k.org("Acme", "ann@acme.test")
	c := webtest.NewVisitorClient(t, srv)
	k.signIn(c, "ann@acme.test")
	id, _, _ := k.session(c)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/logout/user", strings.NewReader(url.Values{"csrf_token": {c.CSRFToken()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	r, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("hosted sign-out from another origin = %d, want 403", r.StatusCode)
	}
	if n := k.count(`SELECT count(*) FROM sessions WHERE id = $1 AND status = 'ACTIVE'`, id); n != 1 {
		t.Error("the refused sign-out ended the session")
	}

	// The API's token endpoint is called by servers, with credentials and
	// no cookies: an Origin does not matter there.
	api := webtest.NewAPIClient(t, srv)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {api.ID}, "client_secret": {api.Secret}}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	r, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Errorf("POST /oauth/token with a foreign Origin = %d, want 200", r.StatusCode)
	}
}
