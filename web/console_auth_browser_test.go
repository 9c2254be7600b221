package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/internal/adminauth"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// browserKit holds the small helpers every console browser test uses.
type browserKit struct {
	t *testing.T
	b *testkit.Browser
}

func (k browserKit) text(testID string) string {
	k.t.Helper()
	return strings.TrimSpace(testkit.Result(k.b, chromedp.Text(chromedp.CSS(`[data-testid="`+testID+`"]`))))
}

func (k browserKit) attr(testID, name string) string {
	k.t.Helper()
	return testkit.Result(k.b, chromedp.Evaluate[string](
		fmt.Sprintf(`document.querySelector('[data-testid=%q]')?.getAttribute(%q) ?? ""`, testID, name)))
}

func (k browserKit) path() string {
	k.t.Helper()
	return testkit.Result(k.b, chromedp.Evaluate[string](`location.pathname + location.search`))
}

func (k browserKit) waitFor(testID string) {
	k.t.Helper()
	k.b.Run(chromedp.WaitVisible(chromedp.CSS(`[data-testid="` + testID + `"]`)))
}

func (k browserKit) noProblems(page string) {
	k.t.Helper()
	if p := k.b.Problems(); len(p) != 0 {
		k.t.Errorf("%s: %s", page, strings.Join(p, "; "))
	}
}

func TestOIDCSignInInBrowser(t *testing.T) {
	idp := testkit.NewOIDCProvider(t, idpUsers...)
	srv := newConsoleServer(t, webtest.WithEnvs(idp.Settings(idpRules...)))
	b := testkit.NewBrowser(t)
	k := browserKit{t, b}

	for _, tt := range []struct {
		email string
		role  adminauth.Role
	}{
		{"owner@acme.test", adminauth.Owner},
		{"ed@partner.test", adminauth.Editor},
		{"viewer@acme.test", adminauth.Viewer},
	} {
		// The console sends a stranger to sign-in, and back after it.
		b.Run(chromedp.Navigate(srv.URL + "/"))
		k.waitFor("sign-in-oidc")
		if got := k.path(); got != "/login?return_to=%2F" {
			t.Errorf("redirected to %q", got)
		}
		if tt.role == adminauth.Owner {
			k.noProblems("sign-in page")
			b.Screenshot("console-sign-in")
		}
		b.Run(chromedp.Click(chromedp.CSS(`[data-testid="sign-in-oidc"]`)))
		idp.LoginInBrowser(b, tt.email)
		k.waitFor("admin-menu")
		if got := k.path(); got != "/" {
			t.Errorf("%s: after sign-in at %q, want /", tt.role, got)
		}
		if got := k.text("admin-email"); got != tt.email {
			t.Errorf("header email = %q, want %q", got, tt.email)
		}
		if got := k.text("admin-role"); got != string(tt.role) {
			t.Errorf("header role = %q, want %q", got, tt.role)
		}
		k.noProblems(string(tt.role) + " home")
		if tt.role == adminauth.Owner {
			b.Screenshot("console-signed-in-owner")
			b.Run(chromedp.Click(chromedp.CSS(`[data-testid="admin-sessions-link"]`)))
			k.waitFor("admin-sessions-table")
			k.noProblems("admin sessions")
			b.Screenshot("console-admin-sessions")
		}

		b.Run(chromedp.Click(chromedp.CSS(`[data-testid="sign-out"]`)))
		k.waitFor("login")
		if got := k.text("flash"); !strings.Contains(got, "You are signed out.") {
			t.Errorf("after sign-out the flash says %q", got)
		}
	}

	// Someone the provider knows but the console does not let in.
	b.Run(chromedp.Navigate(srv.URL + "/login"))
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="sign-in-oidc"]`)))
	idp.LoginInBrowser(b, "mallory@evil.test")
	k.waitFor("sign-in-problem")
	if got := k.attr("sign-in-problem", "data-reason"); got != "not-allowed" {
		t.Errorf("reason = %q", got)
	}
	if got := k.text("problem-email"); got != "mallory@evil.test" {
		t.Errorf("the page names %q", got)
	}
	k.noProblems("not allowed")
	b.Screenshot("console-not-allowed")
	b.Run(chromedp.Navigate(srv.URL + "/"))
	k.waitFor("login")
	if n := countRows(t, srv, `SELECT count(*) FROM admin_sessions WHERE email = 'mallory@evil.test'`); n != 0 {
		t.Errorf("%d sessions for a refused person", n)
	}
}

func TestSetupLinkInBrowser(t *testing.T) {
	srv := newConsoleServer(t)
	b := testkit.NewBrowser(t)
	k := browserKit{t, b}

	b.Run(chromedp.Navigate(srv.URL + "/"))
	k.waitFor("setup-mode")
	k.noProblems("setup-mode sign-in")
	b.Screenshot("console-sign-in-setup-mode")

	svc := adminauth.New(srv.Store, srv.Clock)
	token, _, err := svc.CreateLoginLink(context.Background(), "first@example.com")
	if err != nil {
		t.Fatal(err)
	}
	b.Run(chromedp.Navigate(srv.URL + "/login/link/" + token))
	k.waitFor("use-link")
	if got := k.text("link-email"); got != "first@example.com" {
		t.Errorf("the link page names %q", got)
	}
	k.noProblems("setup link")
	b.Screenshot("console-setup-link")
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="use-link"]`)))
	k.waitFor("admin-menu")
	if got := k.text("admin-role"); got != "owner" {
		t.Errorf("role after the link = %q", got)
	}

	// The link works once.
	b.Run(chromedp.Navigate(srv.URL + "/login/link/" + token))
	k.waitFor("sign-in-problem")
	if got := k.attr("sign-in-problem", "data-reason"); got != "link-used" {
		t.Errorf("second use: reason %q", got)
	}
}

func TestConsoleRefusalsInBrowser(t *testing.T) {
	srv := newConsoleServer(t)
	b := testkit.NewBrowser(t)
	k := browserKit{t, b}

	// A viewer's form, posted straight from the page (as a tampered page or
	// a script would), is refused with the 403 page.
	webtest.SignInAdmin(t, srv, b, "vic@acme.test", adminauth.Viewer)
	b.Run(chromedp.Navigate(srv.URL + "/"))
	k.waitFor("admin-menu")
	if got := k.text("admin-role"); got != "viewer" {
		t.Fatalf("signed in as %q", got)
	}
	b.Run(chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.createElement("form");
		f.method = "post";
		f.action = "/test/write";
		f.append(document.querySelector('[data-testid="sign-out-form"] input[name="csrf_token"]').cloneNode());
		document.body.append(f);
		f.submit();
	})()`))
	k.waitFor("error-page")
	if got := k.attr("error-page", "data-status"); got != "403" {
		t.Errorf("viewer's write: status %q, want 403", got)
	}
	b.Run(chromedp.Navigate(srv.URL + "/admin-sessions"))
	k.waitFor("error-page")
	if got := k.attr("error-page", "data-status"); got != "403" {
		t.Errorf("viewer on /admin-sessions: status %q", got)
	}
	b.Screenshot("console-forbidden")

	// A forged cross-site form: an owner signed in here visits another site
	// (localhost is another site than 127.0.0.1) whose form posts to the
	// console. It is refused and nothing changes.
	owner := webtest.SignInAdmin(t, srv, b, "owner@acme.test", adminauth.Owner)
	victim := webtest.NewAdminSession(t, srv, "victim@acme.test", adminauth.Editor)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!DOCTYPE html><form method="post" action="%s/admin-sessions/%s/end">`+
			`<input type="hidden" name="csrf_token" value="guess"><button id="prize">Claim your prize</button></form>`,
			srv.URL, victim.ID)
	}))
	t.Cleanup(evil.Close)
	b.Run(
		chromedp.Navigate(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)),
		chromedp.Click(chromedp.ID("prize")),
	)
	k.waitFor("error-page")
	if got := k.attr("error-page", "data-status"); got != "403" {
		t.Errorf("forged cross-site POST: status %q, want 403", got)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM admin_sessions WHERE id = $1 AND ended_at IS NULL`, victim.ID); n != 1 {
		t.Error("the forged form ended a session")
	}

	// A revoked session is signed out on its next request.
	b.Run(chromedp.Navigate(srv.URL + "/"))
	k.waitFor("admin-menu")
	if _, err := adminauth.New(srv.Store, srv.Clock).End(context.Background(), owner.ID); err != nil {
		t.Fatal(err)
	}
	b.Run(chromedp.Reload())
	k.waitFor("login")
	if got := k.path(); !strings.HasPrefix(got, "/login") {
		t.Errorf("after revocation at %q", got)
	}
}
