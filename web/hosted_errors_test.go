package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"roster/internal/adminauth"
	"roster/internal/ratelimit"
	"roster/web/webtest"
)

// End users get their error pages in the hosted layout, with a way on:
// their organizations when signed in, sign-in otherwise. That holds for
// URLs no route serves (a mistyped /signin/…) and for forms the CSRF check
// refuses, where no hosted route ran. The console's signed-in error pages
// keep its navigation.

// wantHostedError checks a hosted error page: the status, the hosted
// layout without the console's navigation, and the link on.
func wantHostedError(t *testing.T, what string, res *webtest.PageResponse, status int, reason string, signedIn bool) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%s: status %d, want %d\n%.600s", what, res.Status, status, res.Body)
	}
	wantHas(t, what, res.Body, `<body class="hosted">`, `data-testid="hosted-notice"`, `data-reason="`+reason+`"`)
	for _, console := range []string{`data-testid="nav"`, `data-testid="error-page"`, `data-testid="admin-menu"`, "Back to the console"} {
		if strings.Contains(res.Body, console) {
			t.Errorf("%s: the page has the console's %s", what, console)
		}
	}
	link := `href="/signin" data-testid="notice-action">Go to sign-in<`
	if signedIn {
		link = `href="/my-organizations" data-testid="notice-action">Back to your organizations<`
	}
	wantHas(t, what, res.Body, link)
}

// signOutToken is the CSRF token of the hosted header's sign-out form.
var signOutToken = regexp.MustCompile(`action="/logout/user"[^>]*><input type="hidden" name="csrf_token" value="([^"]*)"`)

func TestHostedNotFoundPages(t *testing.T) {
	k := newSigninKit(t)
	k.org("Acme", "ann@acme.test")
	visitor := webtest.NewVisitorClient(t, k.srv)
	ann := webtest.NewVisitorClient(t, k.srv)
	k.signIn(ann, "ann@acme.test")

	for _, path := range []string{
		"/signin/typo", "/signup/x", "/invitations/abc/def", "/my-organizations/x", "/my-organizations/x/y/z",
		"/choose-organization/x", "/org/x", "/logout/user/x",
	} {
		wantHostedError(t, "visitor "+path, visitor.Get(path), http.StatusNotFound, "not-found", false)
		res := ann.Get(path)
		wantHostedError(t, "ann "+path, res, http.StatusNotFound, "not-found", true)
		wantHas(t, "ann "+path, res.Body, `data-testid="hosted-user-email">ann@acme.test`)
	}
	// A wrong method on a hosted path is the hosted page too.
	wantHostedError(t, "GET /logout/user", ann.Get("/logout/user"), http.StatusNotFound, "not-found", true)
	wantHostedError(t, "DELETE /signin", ann.Do(http.MethodDelete, "/signin", nil), http.StatusForbidden, "csrf", true)
	// Any URL nobody serves, asked for by a signed-in end user.
	wantHostedError(t, "ann /nowhere", ann.Get("/nowhere"), http.StatusNotFound, "not-found", true)
	// A stranger elsewhere still gets the plain page (it may be an admin
	// who is not signed in yet).
	res := visitor.Get("/nowhere")
	wantStatus(t, "visitor /nowhere", res, http.StatusNotFound)
	wantHas(t, "visitor /nowhere", res.Body, `data-testid="error-page"`)
	// The console's own pages stay the console's, even for a signed-in end
	// user: they go to the console's sign-in.
	if res := ann.Get("/organizations"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
		t.Errorf("ann at /organizations: %d → %q", res.Status, res.Location)
	}
}

func TestHostedCSRFFailurePage(t *testing.T) {
	k := newSigninKit(t)
	k.org("Acme", "ann@acme.test")

	visitor := webtest.NewVisitorClient(t, k.srv)
	res := visitor.Do(http.MethodPost, "/signin", url.Values{"email": {"ann@acme.test"}})
	wantHostedError(t, "sign-in form without a token", res, http.StatusForbidden, "csrf", false)
	wantHas(t, "csrf page", res.Body, "This form has expired", "reload the page")
	if strings.Contains(res.Body, "Roster page") {
		t.Error("the end user's page talks of Roster")
	}

	ann := webtest.NewVisitorClient(t, k.srv)
	k.signIn(ann, "ann@acme.test")
	id, _, _ := k.session(ann)
	res = ann.Do(http.MethodPost, "/logout/user", url.Values{"csrf_token": {"forged"}})
	wantHostedError(t, "sign-out with a forged token", res, http.StatusForbidden, "csrf", true)
	if n := k.count(`SELECT count(*) FROM sessions WHERE id = $1 AND status = 'ACTIVE'`, id); n != 1 {
		t.Fatal("the refused sign-out ended the session")
	}
	// The page's own sign-out form works: it carries the browser's token.
	m := signOutToken.FindStringSubmatch(res.Body)
	if m == nil || m[1] == "" || m[1] != ann.CSRFToken() {
		t.Fatalf("the error page's sign-out form has token %q, the browser %q", m, ann.CSRFToken())
	}
	if res := ann.Do(http.MethodPost, "/logout/user", url.Values{"csrf_token": {m[1]}}); res.Status != http.StatusSeeOther {
		t.Errorf("sign-out from the error page: %d", res.Status)
	}
	// A hosted form posted with another site's Origin: the same layout, its
	// own message.
	req := webtest.NewVisitorClient(t, k.srv)
	req.CSRFToken()
	res = doWithOrigin(t, req, k.srv.URL+"/signin", url.Values{"email": {"ann@acme.test"}, "csrf_token": {req.CSRFToken()}}, "https://evil.test")
	wantHostedError(t, "foreign origin", res, http.StatusForbidden, "error", false)
}

func TestHostedRateLimitPage(t *testing.T) {
	k := newSigninKit(t)
	c := webtest.NewVisitorClient(t, k.srv)
	var res *webtest.PageResponse
	for range ratelimit.SignInMail.PerPair + 1 {
		res = c.PostForm("/signin/email", url.Values{"email": {"zed@acme.test"}})
	}
	wantHostedError(t, "too many sign-in mails", res, http.StatusTooManyRequests, "rate-limited", false)
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestConsoleErrorPagesKeepTheNavigation(t *testing.T) {
	srv := newConsoleServer(t)
	ed := webtest.NewConsoleClient(t, srv, "ed@roster.test", adminauth.Editor)

	res := ed.Get("/no/such/page")
	wantStatus(t, "admin 404", res, http.StatusNotFound)
	wantHas(t, "admin 404", res.Body, `data-testid="error-page"`, `data-testid="nav"`, `data-testid="admin-menu"`, "Page not found")
	if strings.Contains(res.Body, `data-testid="hosted-notice"`) {
		t.Error("the console's 404 is a hosted page")
	}

	// A console form the CSRF check refuses: the console's page, with its
	// menu, whose sign-out form works.
	res = ed.Do(http.MethodPost, "/test/write", url.Values{"csrf_token": {"forged"}})
	wantStatus(t, "admin csrf", res, http.StatusForbidden)
	wantHas(t, "admin csrf", res.Body, `data-testid="nav"`, `name="csrf_token" value="`+ed.CSRFToken()+`"`)
}

// doWithOrigin posts form with an Origin header, as a browser on that
// site would.
func doWithOrigin(t *testing.T, c *webtest.ConsoleClient, target string, form url.Values, origin string) *webtest.PageResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &webtest.PageResponse{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}
