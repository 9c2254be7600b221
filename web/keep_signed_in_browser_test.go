package web_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"roster/internal/testkit"
	"roster/web/webtest"
)

// browserCookie is the named cookie Chromium holds for srv, or nil.
func browserCookie(b *testkit.Browser, srv *webtest.Server, name string) *network.Cookie {
	var found *network.Cookie
	b.Run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{srv.URL + "/"}})
		if err != nil {
			return err
		}
		for _, ck := range res.Cookies {
			if ck.Name == name {
				found = ck
			}
		}
		return nil
	}))
	return found
}

// A person signs in with a code, first leaving "Keep me signed in"
// unticked (Chromium keeps the session cookie only until it closes), then
// ticking it (Chromium keeps it for the session's 30 days).
func TestKeepSignedInInBrowser(t *testing.T) {
	k := newSigninKit(t)
	k.org("Acme Corp", "ann@acme.test")
	b := testkit.NewBrowser(t)
	s := signinBrowser{t, b, k.srv}

	signIn := func(keep bool) {
		t.Helper()
		s.open("/signin", "signin")
		s.fill("signin-email", "ann@acme.test")
		if keep {
			b.Run(chromedp.Click(chromedp.ID("keep-signed-in")))
			if !testkit.Result(b, chromedp.Evaluate[bool](`document.getElementById("keep-signed-in").checked`)) {
				t.Fatal("the box did not tick")
			}
			s.noProblems("sign-in, box ticked")
			b.Screenshot("signin-keep-signed-in")
		}
		s.clickThen(siSel("signin-continue"), "signin-methods")
		k.tick()
		s.clickThen(siSel("email-signin"), "signin-code")
		s.fill("signin-code-input", k.lastCode("ann@acme.test"))
		s.clickThen(siSel("code-submit"), "my-orgs")
		if got := s.text("hosted-current-org"); got != "Acme Corp" {
			t.Fatalf("signed in to %q", got)
		}
	}

	signIn(false)
	ck := browserCookie(b, k.srv, "roster_session")
	if ck == nil || !ck.Session || ck.Expires > 0 {
		t.Fatalf("not kept signed in: cookie %+v; want a session cookie (no expiry)", ck)
	}
	s.clickThen(siSel("hosted-sign-out"), "signin")
	if ck := browserCookie(b, k.srv, "roster_session"); ck != nil {
		t.Fatalf("the session cookie outlived sign-out: %+v", ck)
	}

	signIn(true)
	ck = browserCookie(b, k.srv, "roster_session")
	if ck == nil || ck.Session {
		t.Fatalf("kept signed in: cookie %+v; want one with an expiry", ck)
	}
	// Chromium counts Max-Age from its own (real) clock.
	days := time.Until(time.Unix(int64(math.Round(ck.Expires)), 0)).Hours() / 24
	if days < 29.9 || days > 30.1 {
		t.Errorf("kept signed in for %.2f days, want 30", days)
	}
}
