package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster/internal/social"
	"roster/internal/testkit"
	"roster/web/webtest"
)

var (
	keepBoxTicked = regexp.MustCompile(`<input type="checkbox" id="keep-signed-in" name="keep" value="1" checked`)
	keepBox       = regexp.MustCompile(`<input type="checkbox" id="keep-signed-in" name="keep" value="1"`)
	keepCarried   = `<input type="hidden" name="keep" value="1">`
	socialHref    = regexp.MustCompile(`href="(/signin/social/[^"]+)"`)
)

// "Keep me signed in" is asked on the first step and carried into every
// way of signing in; pages that mailed links open (maybe in another
// browser) ask again. Ticked, the session cookie lasts the session's
// lifetime; unticked, it ends with the browser.
func TestKeepSignedInThroughEveryMethod(t *testing.T) {
	k := newSigninKit(t)
	acme := k.org("Acme", "ann@acme.test")
	idp := testkit.NewSocialOIDCProvider(t, testkit.OIDCUser{Email: "sam@acme.test", EmailVerified: true})
	addSocialProvider(t, k.srv, idp, social.KindGoogle, "Google")

	wantSession := func(what string, res *webtest.PageResponse, keep bool) {
		t.Helper()
		if res.Status != http.StatusSeeOther {
			t.Fatalf("%s: %d, want a redirect after sign-in\n%.800s", what, res.Status, res.Body)
		}
		ck := setCookies(res)["roster_session"]
		switch {
		case ck == nil:
			t.Errorf("%s: no session cookie", what)
		case keep && ck.MaxAge != int((30*24*time.Hour).Seconds()):
			t.Errorf("%s, kept signed in: Max-Age %d, want the 30-day session lifetime", what, ck.MaxAge)
		case !keep && !endsWithBrowser(ck):
			t.Errorf("%s, not kept: Max-Age %d, Expires %q; want a cookie that ends with the browser", what, ck.MaxAge, ck.RawExpires)
		}
	}

	t.Run("the first step asks and the methods carry it", func(t *testing.T) {
		c := webtest.NewVisitorClient(t, k.srv)
		if page := c.Get("/signin"); !keepBox.MatchString(page.Body) || keepBoxTicked.MatchString(page.Body) {
			t.Errorf("the first step has no unticked keep-me-signed-in box\n%.2000s", page.Body)
		}
		res := c.PostForm("/signin", url.Values{"email": {"sam@acme.test"}, "keep": {"1"}})
		wantStatus(t, "methods", res, http.StatusOK)
		if n := strings.Count(res.Body, keepCarried); n != 2 {
			t.Errorf("the choice is carried in %d forms, want 2 (email and password)", n)
		}
		m := socialHref.FindStringSubmatch(res.Body)
		if m == nil || !strings.Contains(html.UnescapeString(m[1]), "keep=1") {
			t.Fatalf("the social button does not carry the choice: %v", m)
		}
		res = c.PostForm("/signin", url.Values{"email": {"sam@acme.test"}})
		if strings.Contains(res.Body, `name="keep"`) || strings.Contains(res.Body, "keep=1") {
			t.Error("an unticked box is carried as ticked")
		}
	})

	t.Run("social", func(t *testing.T) {
		for _, keep := range []bool{true, false} {
			c := webtest.NewVisitorClient(t, k.srv)
			form := url.Values{"email": {"sam@acme.test"}}
			if keep {
				form.Set("keep", "1")
			}
			m := socialHref.FindStringSubmatch(c.PostForm("/signin", form).Body)
			if m == nil {
				t.Fatal("no social button")
			}
			start := c.Get(html.UnescapeString(m[1]))
			if start.Status != http.StatusSeeOther {
				t.Fatalf("social start: %d", start.Status)
			}
			wantSession("social sign-in", c.Get(idp.Login(start.Location, "sam@acme.test")), keep)
		}
	})

	t.Run("email link", func(t *testing.T) {
		k.exec(`UPDATE environment_settings SET email_signin_mode = 'link'`)
		defer k.exec(`UPDATE environment_settings SET email_signin_mode = DEFAULT`)
		mail := func(c *webtest.ConsoleClient, keep bool) string {
			t.Helper()
			k.tick()
			form := url.Values{"email": {"ann@acme.test"}}
			if keep {
				form.Set("keep", "1")
			}
			wantStatus(t, "ask for a link", c.PostForm("/signin/email", form), http.StatusSeeOther)
			return k.lastLink("ann@acme.test")
		}
		// Opened where it was asked for: the box comes ticked.
		c := webtest.NewVisitorClient(t, k.srv)
		link := mail(c, true)
		if page := c.Get(link); !keepBoxTicked.MatchString(page.Body) {
			t.Errorf("the link page forgot the ticked box\n%.2000s", page.Body)
		}
		wantSession("link, kept", c.PostForm(link, url.Values{"keep": {"1"}}), true)
		// Opened in another browser: asked again, unticked.
		link = mail(webtest.NewVisitorClient(t, k.srv), true)
		other := webtest.NewVisitorClient(t, k.srv)
		if page := other.Get(link); !keepBox.MatchString(page.Body) || keepBoxTicked.MatchString(page.Body) {
			t.Errorf("the link page in another browser has no unticked box\n%.2000s", page.Body)
		}
		wantSession("link in another browser", other.PostForm(link, nil), false)
	})

	t.Run("password, with sign-up and its confirmation", func(t *testing.T) {
		const pw = "violet otter kayak 47"
		c := webtest.NewVisitorClient(t, k.srv)
		wantStatus(t, "sign-up", c.PostForm("/signup", url.Values{"email": {"pat@acme.test"}, "password": {pw}}), http.StatusSeeOther)
		confirm := k.lastLink("pat@acme.test")
		if page := c.Get(confirm); !keepBox.MatchString(page.Body) {
			t.Error("the confirmation page does not offer to keep the person signed in")
		}
		wantSession("confirmation, not kept", c.PostForm(confirm, nil), false)
		for _, keep := range []bool{true, false} {
			form := url.Values{"email": {"pat@acme.test"}, "password": {pw}}
			if keep {
				form.Set("keep", "1")
			}
			wantSession("password", webtest.NewVisitorClient(t, k.srv).PostForm("/signin/password", form), keep)
		}
	})

	t.Run("invitation", func(t *testing.T) {
		ik := inviteKit{t: t, srv: k.srv, dir: k.dir}
		c := webtest.NewVisitorClient(t, k.srv)
		link := ik.inviteLink(acme.ID, "ivy@acme.test")
		if page := c.Get(link); !keepBox.MatchString(page.Body) {
			t.Error("the invitation does not offer to keep the person signed in")
		}
		wantSession("accepted invitation", c.PostForm(link, url.Values{"keep": {"1"}, "name": {"Ivy"}}), true)
	})
}
