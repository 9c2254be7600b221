package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/web/webtest"
)

// Links that are credentials must never reach the log, whatever the
// method. The attack: walk every journey that issues one, poke each token
// URL with every method and a few misspellings, then grep the whole log.

func TestTokensNeverReachTheLog(t *testing.T) {
	k := newSigninKit(t)
	org := k.org("Acme", "ann@acme.test")
	k.exec(`UPDATE users SET email_verified = true`)
	var tokens []string
	keep := func(link string) string {
		t.Helper()
		m := tokenLink.FindStringSubmatch(link)
		if m == nil {
			t.Fatalf("not a token link: %q", link)
		}
		tokens = append(tokens, m[2])
		return link
	}

	// Sign-in by mailed code, then by magic link.
	c := webtest.NewVisitorClient(t, k.srv)
	k.startCode(c, "ann@acme.test", nil)
	code := k.lastCode("ann@acme.test")
	if res := c.PostForm("/signin/code", url.Values{"code": {code}}); res.Status != http.StatusSeeOther {
		t.Fatalf("code: %d", res.Status)
	}
	k.exec(`UPDATE environment_settings SET email_signin_mode = 'link'`)
	c = webtest.NewVisitorClient(t, k.srv)
	k.tick()
	c.PostForm("/signin/email", url.Values{"email": {"ann@acme.test"}})
	signinLink := keep(k.lastLink("ann@acme.test"))

	// Password reset.
	k.tick()
	c.PostForm("/signin/forgot", url.Values{"email": {"ann@acme.test"}})
	resetLink := keep(k.lastLink("ann@acme.test"))

	// Invitation.
	k.tick()
	inviter, bob := "ann@acme.test", "bob@acme.test"
	if _, err := k.dir.AddMember(context.Background(), org.ID, directory.UserInput{Email: &bob},
		directory.MembershipInput{InviterEmail: &inviter, SendInvitation: true}); err != nil {
		t.Fatal(err)
	}
	inviteLink := keep(k.lastLink(bob))

	// Console setup link.
	setupToken, _, err := adminauth.New(k.srv.Store, k.srv.Clock).CreateLoginLink(context.Background(), "owner@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	setupLink := keep("/login/link/" + setupToken)

	// Every method on every token URL, and spellings that match no route.
	links := []string{signinLink, resetLink, inviteLink, setupLink}
	for _, link := range links {
		for _, method := range []string{"HEAD", "OPTIONS", "GET", "PUT", "DELETE", "PATCH", "PROPFIND"} {
			c.Do(method, link, nil)
		}
		for _, odd := range []string{link + "/", link + "/extra", strings.ToUpper(link[:3]) + link[3:], "/" + link, link + "?x=1"} {
			c.Get(odd)
		}
		if res := c.Get(link); res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s… sends Referrer-Policy %q, want no-referrer", link[:12], res.Header.Get("Referrer-Policy"))
		}
	}
	// The rightful journeys run to the end too.
	if res := c.PostForm(signinLink, nil); res.Status != http.StatusSeeOther {
		t.Errorf("sign-in link: %d", res.Status)
	}
	if res := c.PostForm(resetLink, url.Values{"password": {"a long and fine passphrase"}}); res.Status != http.StatusSeeOther {
		t.Errorf("reset link: %d", res.Status)
	}
	if res := webtest.NewVisitorClient(t, k.srv).PostForm(inviteLink, url.Values{"name": {"Bob"}}); res.Status >= 500 {
		t.Errorf("invitation link: %d", res.Status)
	}
	// And a callback with an OAuth code and state in its query.
	if res := c.Get("/signin/social/google/callback?code=oauthcode0123456789abcdef&state=oauthstate0123456789abcdef"); res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("OAuth callback sends Referrer-Policy %q", res.Header.Get("Referrer-Policy"))
	}
	tokens = append(tokens, "oauthcode0123456789abcdef", "oauthstate0123456789abcdef")

	logs := k.srv.Logs()
	if !strings.Contains(logs, "method=PROPFIND") || !strings.Contains(logs, "REDACTED") {
		t.Fatalf("the journeys did not reach the log:\n%s", logs)
	}
	for _, token := range tokens {
		if strings.Contains(logs, token) {
			t.Errorf("the log holds a token (%s…)", token[:6])
		}
	}
	// The mailed code too, as a whole number.
	if regexp.MustCompile(`(^|[^0-9])` + code + `([^0-9]|$)`).MatchString(logs) {
		t.Errorf("the log holds the mailed code")
	}
}
