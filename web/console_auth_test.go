package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"roster/internal/adminauth"
	"roster/internal/store"
	"roster/static"
	"roster/web"
	"roster/web/webtest"
)

// newConsoleServer is a test server with stand-in console routes: the
// console has few pages of its own yet, and these exercise every rule.
func newConsoleServer(t *testing.T, opts ...webtest.ServerOption) *webtest.Server {
	t.Helper()
	var deps web.Deps
	ok := func(c echo.Context) error { return c.String(http.StatusOK, "done") }
	opts = append(opts,
		webtest.WithDeps(func(d *web.Deps) { deps = *d }),
		webtest.WithRoutes(func(e *echo.Echo) {
			g := web.ConsoleGroup(e, deps)
			g.GET("/test/read", ok)
			g.POST("/test/write", ok)
			g.GET("/settings/test", ok)
			g.POST("/settings/test", ok)
		}))
	return webtest.NewServer(t, opts...)
}

// wantStatus fails unless res has the status and, for 403 and the like, the
// error page.
func wantStatus(t *testing.T, what string, res *webtest.PageResponse, status int) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%s: status %d, want %d (Location %q)\n%.600s", what, res.Status, status, res.Location, res.Body)
	}
	if status == http.StatusForbidden && !strings.Contains(res.Body, `data-testid="error-page"`) &&
		!strings.Contains(res.Body, `data-testid="sign-in-problem"`) && !strings.Contains(res.Body, `data-testid="hosted-notice"`) {
		t.Errorf("%s: 403 without the error page", what)
	}
}

func countRows(t *testing.T, srv *webtest.Server, query string, args ...any) int {
	t.Helper()
	var n int
	if err := srv.DB.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConsoleNeedsSignIn(t *testing.T) {
	srv := newConsoleServer(t)
	v := webtest.NewVisitorClient(t, srv)

	res := v.Get("/")
	wantStatus(t, "GET /", res, http.StatusSeeOther)
	if res.Location != "/login?return_to=%2F" {
		t.Errorf("Location = %q", res.Location)
	}
	res = v.Get("/test/read?page=2")
	if want := "/login?return_to=" + url.QueryEscape("/test/read?page=2"); res.Status != http.StatusSeeOther || res.Location != want {
		t.Errorf("GET /test/read?page=2 = %d %q, want 303 %q", res.Status, res.Location, want)
	}
	res = v.PostForm("/test/write", nil)
	if res.Status != http.StatusSeeOther || res.Location != "/login" {
		t.Errorf("POST = %d %q, want 303 /login (a POST is not replayed)", res.Status, res.Location)
	}
	if res := v.Get("/no/such/page"); res.Status != http.StatusNotFound {
		t.Errorf("an unknown page = %d, want 404 (not a sign-in redirect)", res.Status)
	}
	res = v.Get("/login")
	wantStatus(t, "GET /login", res, http.StatusOK)
	for _, want := range []string{`data-testid="setup-mode"`, "roster admin login-link --email"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("the sign-in page in setup mode lacks %q", want)
		}
	}
	if strings.Contains(res.Body, `data-testid="nav"`) || strings.Contains(res.Body, `data-testid="admin-menu"`) {
		t.Error("the sign-in page shows the console's navigation or an admin")
	}
	if res := v.Get(static.URL("app.css")); len(res.Header.Values("Set-Cookie")) > 0 {
		t.Errorf("a static file sets cookies: %v", res.Header.Values("Set-Cookie"))
	}

	// A cookie the server did not make is no session.
	jar := v.HTTP.Jar
	u, _ := url.Parse(srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "roster_admin", Value: "forged", Path: "/"}})
	if res := v.Get("/test/read"); res.Status != http.StatusSeeOther {
		t.Errorf("a forged cookie got %d", res.Status)
	}
}

func TestReturnToStaysOnSite(t *testing.T) {
	srv := newConsoleServer(t)
	cc := webtest.NewConsoleClient(t, srv, "ann@acme.test", adminauth.Viewer)
	for _, tt := range []struct{ returnTo, want string }{
		{"/test/read?page=2", "/test/read?page=2"},
		{"", "/"},
		{"https://evil.example/", "/"},
		{"//evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"/ok\r\nSet-Cookie: x=1", "/"},
		{"/%2F%2Fevil.example", "/"}, // harmless, but refused: it decodes to //evil.example
	} {
		res := cc.Get("/login?return_to=" + url.QueryEscape(tt.returnTo))
		if res.Status != http.StatusSeeOther || res.Location != tt.want {
			t.Errorf("return_to=%q: %d %q, want 303 %q", tt.returnTo, res.Status, res.Location, tt.want)
		}
	}
}

func TestConsoleRoles(t *testing.T) {
	srv := newConsoleServer(t)
	clients := map[adminauth.Role]*webtest.ConsoleClient{}
	for _, r := range []adminauth.Role{adminauth.Viewer, adminauth.Editor, adminauth.Owner} {
		clients[r] = webtest.NewConsoleClient(t, srv, string(r)+"@acme.test", r)
	}
	victim := webtest.NewAdminSession(t, srv, "victim@acme.test", adminauth.Editor)

	for r, cc := range clients {
		res := cc.Get("/")
		wantStatus(t, string(r)+" GET /", res, http.StatusOK)
		for _, want := range []string{string(r) + "@acme.test", `data-role="` + string(r) + `"`, `data-testid="sign-out"`} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("%s: the header lacks %q", r, want)
			}
		}
		if hasLink := strings.Contains(res.Body, `data-testid="admin-sessions-link"`); hasLink != (r == adminauth.Owner) {
			t.Errorf("%s: admin sessions link shown = %v", r, hasLink)
		}
	}

	type want map[adminauth.Role]int
	for _, tt := range []struct {
		method, path string
		want         want
	}{
		{"GET", "/test/read", want{adminauth.Viewer: 200, adminauth.Editor: 200, adminauth.Owner: 200}},
		{"POST", "/test/write", want{adminauth.Viewer: 403, adminauth.Editor: 200, adminauth.Owner: 200}},
		{"GET", "/settings/test", want{adminauth.Viewer: 403, adminauth.Editor: 403, adminauth.Owner: 200}},
		{"POST", "/settings/test", want{adminauth.Viewer: 403, adminauth.Editor: 403, adminauth.Owner: 200}},
		{"GET", "/admin-sessions", want{adminauth.Viewer: 403, adminauth.Editor: 403, adminauth.Owner: 200}},
		// Posted by hand, with a valid CSRF token: still refused.
		{"POST", "/admin-sessions/" + victim.ID + "/end", want{adminauth.Viewer: 403, adminauth.Editor: 403, adminauth.Owner: 303}},
	} {
		for _, r := range []adminauth.Role{adminauth.Viewer, adminauth.Editor, adminauth.Owner} {
			var res *webtest.PageResponse
			if tt.method == "GET" {
				res = clients[r].Get(tt.path)
			} else {
				res = clients[r].PostForm(tt.path, url.Values{})
			}
			wantStatus(t, string(r)+" "+tt.method+" "+tt.path, res, tt.want[r])
			if res.Status == http.StatusForbidden && r == adminauth.Viewer && tt.path == "/test/write" &&
				!strings.Contains(res.Body, "can look, but not change anything") {
				t.Errorf("the viewer's 403 does not say why")
			}
		}
		if strings.HasSuffix(tt.path, "/end") {
			// Only the owner's request got through.
			if n := countRows(t, srv, `SELECT count(*) FROM audit_events WHERE action = 'admin_session.ended' AND target_id = $1`, victim.ID); n != 1 {
				t.Errorf("%d audit events for ending the session, want 1", n)
			}
		}
	}

	// A viewer may still sign out: that changes nothing but their own session.
	res := clients[adminauth.Viewer].PostForm("/logout", nil)
	if res.Status != http.StatusSeeOther || res.Location != "/login" {
		t.Fatalf("viewer sign-out = %d %q", res.Status, res.Location)
	}
	if res := clients[adminauth.Viewer].Get("/test/read"); res.Status != http.StatusSeeOther {
		t.Errorf("signed out, yet GET = %d", res.Status)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM admin_sessions WHERE id = $1 AND ended_at IS NOT NULL`, clients[adminauth.Viewer].Session.ID); n != 1 {
		t.Error("sign-out did not end the session in the database")
	}
}

func TestCSRF(t *testing.T) {
	srv := newConsoleServer(t)
	cc := webtest.NewConsoleClient(t, srv, "ed@acme.test", adminauth.Editor)
	token := cc.CSRFToken()

	post := func(form url.Values, header ...string) *webtest.PageResponse {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/test/write", strings.NewReader(form.Encode()))
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
		return &webtest.PageResponse{Status: res.StatusCode, Header: res.Header, Body: string(b)}
	}

	wantStatus(t, "no token", post(url.Values{}), http.StatusForbidden)
	wantStatus(t, "wrong token", post(url.Values{"csrf_token": {"not-the-token"}}), http.StatusForbidden)
	wantStatus(t, "form token", post(url.Values{"csrf_token": {token}}), http.StatusOK)
	wantStatus(t, "header token", post(url.Values{}, "X-CSRF-Token", token), http.StatusOK)
	// Browsers say where a request comes from; a cross-site form is refused
	// even if it somehow carries the token.
	wantStatus(t, "cross-site", post(url.Values{"csrf_token": {token}}, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
	wantStatus(t, "same-site without token", post(url.Values{}, "Sec-Fetch-Site", "same-site"), http.StatusForbidden)
	wantStatus(t, "same-origin", post(url.Values{}, "Sec-Fetch-Site", "same-origin"), http.StatusOK)

	// Sign-out is a form too: a forged one does not sign anyone out.
	wantStatus(t, "forged sign-out", cc.Do(http.MethodPost, "/logout", url.Values{}), http.StatusForbidden)
	if res := cc.Get("/test/read"); res.Status != http.StatusOK {
		t.Error("a forged sign-out ended the session")
	}

	// The API authenticates with bearer tokens and is not CSRF-checked.
	res := webtest.NewVisitorClient(t, srv).Do(http.MethodPost, "/oauth/token", url.Values{"grant_type": {"client_credentials"}})
	if res.Status == http.StatusForbidden {
		t.Errorf("POST /oauth/token without a CSRF token = 403: %s", res.Body)
	}
}

func TestAdminSessionsPage(t *testing.T) {
	srv := newConsoleServer(t)
	owner := webtest.NewConsoleClient(t, srv, "owner@acme.test", adminauth.Owner)
	other := webtest.NewConsoleClient(t, srv, "editor@acme.test", adminauth.Editor)

	res := owner.Get("/admin-sessions")
	wantStatus(t, "list", res, http.StatusOK)
	for _, want := range []string{"owner@acme.test", "editor@acme.test", `data-testid="current-session"`,
		`action="/admin-sessions/` + other.Session.ID + `/end"`, `name="csrf_token"`} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("the list lacks %q", want)
		}
	}

	res = owner.PostForm("/admin-sessions/"+other.Session.ID+"/end", nil)
	if res.Status != http.StatusSeeOther || res.Location != "/admin-sessions" {
		t.Fatalf("end = %d %q", res.Status, res.Location)
	}
	if res := owner.Get("/admin-sessions"); !strings.Contains(res.Body, "Ended the session of editor@acme.test") ||
		strings.Contains(res.Body, other.Session.ID) {
		t.Error("after ending: no confirmation, or the session is still listed")
	}
	// The revoked admin is signed out on their next request.
	res = other.Get("/test/read")
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
		t.Errorf("the ended session's next request = %d %q, want a redirect to sign-in", res.Status, res.Location)
	}
	if other.Cookie("roster_admin") != "" {
		t.Error("the dead session's cookie was not dropped")
	}
	var actor string
	if err := srv.DB.Get(&actor, `SELECT actor_label FROM audit_events WHERE action = 'admin_session.ended' AND target_id = $1`, other.Session.ID); err != nil || actor != "owner@acme.test" {
		t.Errorf("audit actor = %q (%v), want the owner", actor, err)
	}

	// Ending an already ended session is no error.
	if res := owner.PostForm("/admin-sessions/"+other.Session.ID+"/end", nil); res.Status != http.StatusSeeOther {
		t.Errorf("ending twice = %d", res.Status)
	}
	// Ending your own signs you out.
	res = owner.PostForm("/admin-sessions/"+owner.Session.ID+"/end", nil)
	if res.Status != http.StatusSeeOther || res.Location != "/login" {
		t.Fatalf("ending own session = %d %q", res.Status, res.Location)
	}
	if res := owner.Get("/"); res.Status != http.StatusSeeOther {
		t.Error("still signed in after ending own session")
	}
}

func TestLoginLink(t *testing.T) {
	srv := newConsoleServer(t)
	svc := adminauth.New(store.New(srv.DB), srv.Clock)
	ctx := context.Background()
	token, _, err := svc.CreateLoginLink(ctx, "first@example.com")
	if err != nil {
		t.Fatal(err)
	}
	path := "/login/link/" + token

	v := webtest.NewVisitorClient(t, srv)
	res := v.Get(path)
	wantStatus(t, "open the link", res, http.StatusOK)
	for _, want := range []string{"first@example.com", "Set up Roster", "setting Roster up", `name="csrf_token"`} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("the link page lacks %q", want)
		}
	}
	// Opening the link spends nothing; a forged POST neither.
	wantStatus(t, "POST without CSRF token", v.Do(http.MethodPost, path, url.Values{}), http.StatusForbidden)
	res = v.PostForm(path, nil)
	if res.Status != http.StatusSeeOther || res.Location != "/" {
		t.Fatalf("using the link = %d %q", res.Status, res.Location)
	}
	res = v.Get("/")
	wantStatus(t, "home after the link", res, http.StatusOK)
	if !strings.Contains(res.Body, `data-role="owner"`) || !strings.Contains(res.Body, "first@example.com") {
		t.Error("not signed in as owner first@example.com")
	}

	// Second use: refused, no session.
	v2 := webtest.NewVisitorClient(t, srv)
	for _, res := range []*webtest.PageResponse{v2.Get(path), v2.PostForm(path, nil)} {
		wantStatus(t, "second use", res, http.StatusGone)
		if !strings.Contains(res.Body, `data-reason="link-used"`) {
			t.Error("the second use does not say the link was used")
		}
	}
	if res := v2.Get("/"); res.Status != http.StatusSeeOther {
		t.Error("a used link signed someone in")
	}

	// Expired after 15 minutes.
	late, _, _ := svc.CreateLoginLink(ctx, "first@example.com")
	srv.Clock.Advance(14*time.Minute + 59*time.Second)
	if res := v2.Get("/login/link/" + late); res.Status != http.StatusOK {
		t.Errorf("the link expired before 15 minutes: %d", res.Status)
	}
	srv.Clock.Advance(time.Second)
	for _, res := range []*webtest.PageResponse{v2.Get("/login/link/" + late), v2.PostForm("/login/link/"+late, nil)} {
		wantStatus(t, "expired link", res, http.StatusGone)
		if !strings.Contains(res.Body, `data-reason="link-expired"`) {
			t.Error("the expired link page does not say so")
		}
	}
	if res := v2.Get("/"); res.Status != http.StatusSeeOther {
		t.Error("an expired link signed someone in")
	}
	if res := v2.Get("/login/link/made-up"); res.Status != http.StatusNotFound {
		t.Errorf("an unknown link = %d, want 404", res.Status)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM admin_sessions`); n != 1 {
		t.Errorf("%d admin sessions, want the one from the first use", n)
	}
	if strings.Contains(srv.Logs(), token) {
		t.Error("the link's token is in the server log")
	}
}
