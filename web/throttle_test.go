package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/ratelimit"
	"roster/web/webtest"
)

// Throttles that protect without locking people out: password guesses slow
// their own network only, and every mail path has a per-recipient cap.

// fromAddress makes c's requests come from ip, as a trusted proxy would
// say in X-Forwarded-For.
func fromAddress(c *webtest.ConsoleClient, ip string) *webtest.ConsoleClient {
	c.HTTP.Transport = forwardedFor{ip: ip}
	return c
}

type forwardedFor struct{ ip string }

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.ip)
	return http.DefaultTransport.RoundTrip(r)
}

func behindProxy() webtest.ServerOption {
	return webtest.WithEnv("ROSTER_TRUSTED_PROXIES", "127.0.0.1/32")
}

func TestWrongPasswordsSlowTheAttackerNotTheOwner(t *testing.T) {
	k := newSigninKit(t, behindProxy())
	k.org("Acme", "ann@acme.test")
	k.exec(`UPDATE users SET email_verified = true`)
	k.exec(`UPDATE environment_settings SET email_signin_mode = 'code'`)
	const right = "the owner's own passphrase"
	setPassword(t, k, "ann@acme.test", right)
	password := func(c *webtest.ConsoleClient, pw string) *webtest.PageResponse {
		return c.PostForm("/signin/password", url.Values{"email": {"ann@acme.test"}, "password": {pw}})
	}

	// Ten wrong passwords from the attacker's network: the first five are
	// just wrong, then each makes the next wait.
	attacker := fromAddress(webtest.NewVisitorClient(t, k.srv), "203.0.113.7")
	free := ratelimit.PasswordBackoff.Free
	for i := 1; i <= 10; i++ {
		res := password(attacker, "guess number "+strconv.Itoa(i))
		want := http.StatusUnprocessableEntity
		if i > free+1 {
			want = http.StatusTooManyRequests
		}
		if res.Status != want {
			t.Fatalf("wrong password %d: %d, want %d", i, res.Status, want)
		}
		if want == http.StatusTooManyRequests && res.Header.Get("Retry-After") == "" {
			t.Errorf("wrong password %d: 429 without Retry-After", i)
		}
	}
	// Even the right password waits there: the wait is what slows guessing.
	res := password(attacker, right)
	wantStatus(t, "right password from the attacker's network while it waits", res, http.StatusTooManyRequests)
	wantHas(t, "the waiting page", res.Body, "too many wrong passwords", "sign in with a code sent by email")

	// The owner, from another network, signs in with the password at once.
	owner := fromAddress(webtest.NewVisitorClient(t, k.srv), "198.51.100.20")
	if res := password(owner, right); res.Status != http.StatusSeeOther {
		t.Fatalf("the owner's right password from home: %d\n%.400s", res.Status, res.Body)
	}
	// And from the attacker's very network, a mailed code always works.
	cafe := fromAddress(webtest.NewVisitorClient(t, k.srv), "203.0.113.99")
	k.startCode(cafe, "ann@acme.test", nil)
	if res := cafe.PostForm("/signin/code", url.Values{"code": {k.lastCode("ann@acme.test")}}); res.Status != http.StatusSeeOther {
		t.Fatalf("a mailed code on the attacker's network: %d", res.Status)
	}

	// Once the wait is over one guess gets through, and a wrong one makes
	// the next wait twice as long.
	k.srv.Clock.Advance(ratelimit.PasswordBackoff.First + time.Second)
	wantStatus(t, "a guess after the wait", password(attacker, "one more guess"), http.StatusUnprocessableEntity)
	res = password(attacker, "and another")
	wantStatus(t, "the guess after that", res, http.StatusTooManyRequests)
	if wait, _ := strconv.Atoi(res.Header.Get("Retry-After")); wait < int(2*ratelimit.PasswordBackoff.First/time.Second)-1 {
		t.Errorf("the second wait is %ds, want about twice the first", wait)
	}
	// The right password after the wait signs in and forgets the run.
	k.srv.Clock.Advance(time.Hour)
	if res := password(attacker, right); res.Status != http.StatusSeeOther {
		t.Errorf("the right password after the wait: %d", res.Status)
	}
	if n := k.count(`SELECT count(*) FROM password_failures WHERE network = '203.0.113.0/24'`); n != 0 {
		t.Errorf("a right password left %d failure rows", n)
	}
}

// setPassword gives email a password through the reset flow.
func setPassword(t *testing.T, k signinKit, email, password string) {
	t.Helper()
	c := webtest.NewVisitorClient(t, k.srv)
	k.tick()
	c.PostForm("/signin/forgot", url.Values{"email": {email}})
	if res := c.PostForm(k.lastLink(email), url.Values{"password": {password}}); res.Status != http.StatusSeeOther {
		t.Fatalf("set the password: %d", res.Status)
	}
}

func TestSignInMailIsCappedPerRecipient(t *testing.T) {
	k := newSigninKit(t, behindProxy())
	k.org("Acme", "ann@acme.test")
	k.exec(`UPDATE users SET email_verified = true`)
	ask := func(ip string) int {
		k.tick()
		c := fromAddress(webtest.NewVisitorClient(t, k.srv), ip)
		return c.PostForm("/signin/email", url.Values{"email": {"ann@acme.test"}}).Status
	}
	// One network spends its share, and is refused…
	for i := 0; i < ratelimit.SignInMail.PerPair; i++ {
		if got := ask("203.0.113.7"); got != http.StatusSeeOther {
			t.Fatalf("mail %d: %d", i+1, got)
		}
	}
	if got := ask("203.0.113.8"); got != http.StatusTooManyRequests {
		t.Fatalf("one network past its share: %d", got)
	}
	// …while the owner elsewhere still gets mail, up to the per-address cap.
	for i := ratelimit.SignInMail.PerPair; i < ratelimit.SignInMail.PerKey; i++ {
		if got := ask("198.51." + strconv.Itoa(i) + ".20"); got != http.StatusSeeOther {
			t.Fatalf("mail %d from elsewhere: %d", i+1, got)
		}
	}
	if got := ask("192.0.2.1"); got != http.StatusTooManyRequests {
		t.Fatalf("past the per-address cap: %d", got)
	}
	if n := len(webtest.OutboxTo(t, k.srv, "ann@acme.test")); n != ratelimit.SignInMail.PerKey {
		t.Errorf("%d sign-in mails, want %d", n, ratelimit.SignInMail.PerKey)
	}
	// The reset path shares the cap.
	c := fromAddress(webtest.NewVisitorClient(t, k.srv), "192.0.2.2")
	wantStatus(t, "a reset past the cap", c.PostForm("/signin/forgot", url.Values{"email": {"ann@acme.test"}}), http.StatusTooManyRequests)
}

func TestInvitationResendsAreCappedOnEveryPath(t *testing.T) {
	k := newInviteKit(t)
	org := k.org("Acme", "ann@acme.test")
	inviter, bob := "ann@acme.test", "bob@acme.test"
	u, err := k.dir.AddMember(context.Background(), org.ID, directory.UserInput{Email: &bob},
		directory.MembershipInput{InviterEmail: &inviter, SendInvitation: true})
	if err != nil {
		t.Fatal(err)
	}
	api := webtest.NewAPIClient(t, k.srv)
	console := webtest.NewConsoleClient(t, k.srv, "ed@roster.test", adminauth.Editor)
	resendAPI := "/api/v1/invites/organizations/" + org.ID + "/users/" + u.ID + "/resend"
	resendConsole := "/organizations/" + org.ID + "/invitations/" + u.ID + "/resend"

	// The invitation and four resends, through the API and the console.
	for i := 1; i < ratelimit.InviteMail.PerKey; i++ {
		k.srv.Clock.Advance(time.Minute)
		if i%2 == 0 {
			if r := api.Do("PATCH", resendAPI, nil); r.Status != http.StatusOK {
				t.Fatalf("API resend %d: %d", i, r.Status)
			}
		} else if r := console.PostForm(resendConsole, nil); r.Status != http.StatusSeeOther {
			t.Fatalf("console resend %d: %d", i, r.Status)
		}
	}
	k.srv.Clock.Advance(time.Minute)
	r := api.Do("PATCH", resendAPI, nil)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Raw), "RESOURCE_EXHAUSTED") {
		t.Errorf("API resend past the cap: %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
	}
	res := console.PostForm(resendConsole, nil)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("console resend past the cap: %d", res.Status)
	}
	wantHas(t, "console after the cap", console.Get(res.Location).Body, "too many invitations lately")
	if n := len(webtest.OutboxTo(t, k.srv, bob)); n != ratelimit.InviteMail.PerKey {
		t.Errorf("%d invitation mails to bob, want %d", n, ratelimit.InviteMail.PerKey)
	}
	// An hour on, the invitation can be resent again.
	k.srv.Clock.Advance(time.Hour)
	if r := webtest.NewAPIClient(t, k.srv).Do("PATCH", resendAPI, nil); r.Status != http.StatusOK {
		t.Errorf("API resend an hour later: %d", r.Status)
	}
}
