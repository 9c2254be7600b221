package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/internal/testkit"
	"roster/web/webtest"
)

// signinBrowser walks the hosted pages as an end user would: it types,
// clicks and waits for the next page.
type signinBrowser struct {
	t   *testing.T
	b   *testkit.Browser
	srv *webtest.Server
}

func siSel(id string) string { return `[data-testid="` + id + `"]` }

func (s signinBrowser) open(path, testID string) {
	s.t.Helper()
	s.b.Run(chromedp.Navigate(s.srv.URL+path), chromedp.WaitVisible(chromedp.CSS(siSel(testID))))
}

// clickThen clicks sel and waits for testID on the next page (the old page
// is marked first, so its own elements do not count).
func (s signinBrowser) clickThen(sel, testID string) {
	s.t.Helper()
	s.b.Run(
		chromedp.Evaluate[chromedp.Void](`document.body.setAttribute("data-stale", "")`),
		chromedp.Click(chromedp.CSS(sel)),
		chromedp.WaitVisible(chromedp.CSS(`body:not([data-stale]) `+siSel(testID))),
	)
}

func (s signinBrowser) fill(id, value string) {
	s.t.Helper()
	s.b.Run(chromedp.Clear(chromedp.CSS("#"+id)), chromedp.SendKeys(chromedp.CSS("#"+id), value))
}

func (s signinBrowser) text(testID string) string {
	s.t.Helper()
	return strings.TrimSpace(testkit.Result(s.b, chromedp.Text(chromedp.CSS(siSel(testID)))))
}

func (s signinBrowser) path() string {
	s.t.Helper()
	return testkit.Result(s.b, chromedp.Evaluate[string](`location.pathname + location.search`))
}

func (s signinBrowser) count(sel string) int {
	s.t.Helper()
	return testkit.Result(s.b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}

func (s signinBrowser) noProblems(page string) {
	s.t.Helper()
	if p := s.b.Problems(); len(p) != 0 {
		s.t.Errorf("%s: %s", page, strings.Join(p, "; "))
	}
}

// typeEmail does the identity step and waits for the methods.
func (s signinBrowser) typeEmail(email string) {
	s.t.Helper()
	s.open("/signin", "signin")
	s.fill("signin-email", email)
	s.clickThen(siSel("signin-continue"), "signin-methods")
}

// Magic link, end to end: the mail goes out over SMTP to a real (in-process)
// server, the person opens the link, presses the button and lands in their
// org.
func TestHostedMagicLinkInBrowser(t *testing.T) {
	k := newSigninKit(t)
	sm := testkit.NewSMTPServer(t)
	k.org("Acme Corp", "ann@acme.test")
	b := testkit.NewBrowser(t)
	s := signinBrowser{t, b, k.srv}

	s.open("/signin", "signin")
	s.noProblems("sign-in")
	b.Screenshot("signin")
	s.fill("signin-email", "ann@acme.test")
	s.clickThen(siSel("signin-continue"), "signin-methods")
	if got := s.text("methods-email"); got != "ann@acme.test" {
		t.Errorf("methods for %q", got)
	}
	s.noProblems("methods")
	b.Screenshot("signin-methods")

	s.clickThen(siSel("email-signin"), "signin-code")
	s.noProblems("code")
	b.Screenshot("signin-code")

	if res := webtest.DeliverMail(t, k.srv, sm); res.Sent != 1 {
		t.Fatalf("mail worker: %+v", res)
	}
	mails := sm.MessagesTo("ann@acme.test")
	if len(mails) != 1 {
		t.Fatalf("%d mails arrived", len(mails))
	}
	if subject := mails[0].Header("Subject"); subject != "Sign in to Roster" {
		t.Errorf("subject %q", subject)
	}
	links := mails[0].Links()
	if len(links) == 0 || !strings.HasPrefix(links[0], k.srv.URL+"/signin/link/") {
		t.Fatalf("links in the mail: %v", links)
	}
	b.Run(chromedp.Navigate(links[0]), chromedp.WaitVisible(chromedp.CSS(siSel("use-link"))))
	s.noProblems("link page")
	s.clickThen(siSel("use-link"), "my-orgs")
	if got := s.text("hosted-current-org"); got != "Acme Corp" {
		t.Errorf("signed in to %q", got)
	}
	if got := s.path(); got != "/my-organizations" {
		t.Errorf("landed on %q", got)
	}
	s.noProblems("my organizations")

	// The link is spent.
	b.Run(chromedp.Navigate(links[0]), chromedp.WaitVisible(chromedp.CSS(siSel("hosted-notice"))))
	if got := s.text("page-title"); !strings.Contains(got, "already been used") {
		t.Errorf("a used link says %q", got)
	}

	// Sign out from the header.
	b.Run(chromedp.Navigate(k.srv.URL + "/my-organizations"))
	s.clickThen(siSel("hosted-sign-out"), "signin")
	if got := s.text("flash"); !strings.Contains(got, "signed out") {
		t.Errorf("flash after sign-out: %q", got)
	}
}

// A code, typed wrong first, then right; the person is in two orgs and
// picks one; later switches and leaves one.
func TestHostedCodeAndOrgsInBrowser(t *testing.T) {
	k := newSigninKit(t)
	acme := k.org("Acme Corp", "ann@acme.test")
	beta := k.org("Beta Industries", "bob@beta.test")
	k.member(beta.ID, "ann@acme.test")
	b := testkit.NewBrowser(t)
	s := signinBrowser{t, b, k.srv}

	s.typeEmail("ann@acme.test")
	k.tick()
	s.clickThen(siSel("email-signin"), "signin-code")
	code := k.lastCode("ann@acme.test")
	// A wrong guess: the mailed code with its last digit changed.
	wrong := code[:5] + string(rune('0'+(code[5]-'0'+1)%10))
	s.fill("signin-code-input", wrong)
	s.clickThen(siSel("code-submit"), "signin-code")
	if got := s.text("error-code"); !strings.Contains(got, "4 more tries") {
		t.Errorf("after a wrong code: %q", got)
	}
	s.fill("signin-code-input", code)
	s.clickThen(siSel("code-submit"), "choose-org")
	if n := s.count(siSel("choose-org-button")); n != 2 {
		t.Errorf("%d orgs to choose from", n)
	}
	s.noProblems("org picker")
	b.Screenshot("choose-org")

	s.clickThen(siSel("choose-org-button")+`[data-org-id="`+beta.ID+`"]`, "my-orgs")
	if got := s.text("hosted-current-org"); got != "Beta Industries" {
		t.Errorf("chose Beta, in %q", got)
	}
	s.noProblems("my organizations")
	b.Screenshot("my-orgs")

	// Switch from the header.
	s.clickThen(siSel("hosted-switch-org"), "choose-org")
	s.clickThen(siSel("choose-org-button")+`[data-org-id="`+acme.ID+`"]`, "my-orgs")
	if got := s.text("hosted-current-org"); got != "Acme Corp" {
		t.Errorf("switched to Acme, in %q", got)
	}

	// Leave Beta: a confirmation step, then gone.
	s.clickThen(`[data-org-id="`+beta.ID+`"] `+siSel("leave-org"), "leave-org-confirm")
	s.noProblems("leave confirmation")
	s.clickThen(siSel("confirm-leave"), "my-orgs")
	if got := s.text("flash"); !strings.Contains(got, "You left Beta Industries.") {
		t.Errorf("flash %q", got)
	}
	if n := s.count(siSel("membership")); n != 1 {
		t.Errorf("%d memberships left", n)
	}

	// Ann is Acme's last admin: she may not leave while it exists, and the
	// step says so before any click, with no button to try.
	k.member(acme.ID, "carl@acme.test")
	s.open("/my-organizations", "my-orgs")
	s.clickThen(siSel("leave-org"), "leave-org-confirm")
	if got := s.text("leave-last-admin"); !strings.Contains(got, "You are the last admin of Acme Corp") {
		t.Errorf("the last admin's leave step says %q", got)
	}
	if n := s.count(siSel("confirm-leave")); n != 0 {
		t.Error("the last admin's leave step has a leave button")
	}
	s.noProblems("refused leave")
	s.b.Screenshot("hosted-leave-last-admin")
}

func TestHostedPasswordInBrowser(t *testing.T) {
	k := newSigninKit(t)
	b := testkit.NewBrowser(t)
	s := signinBrowser{t, b, k.srv}

	s.typeEmail("newbie@acme.test")
	s.clickThen(siSel("signup-link"), "signup")
	s.fill("signup-password", "password1")
	s.clickThen(siSel("signup-submit"), "signup")
	if got := s.text("error-password"); !strings.Contains(got, "too common") {
		t.Errorf("common password: %q", got)
	}
	if got := testkit.Result(b, chromedp.Evaluate[string](`document.getElementById("signup-email").value`)); got != "newbie@acme.test" {
		t.Errorf("the email was not kept: %q", got)
	}
	s.noProblems("sign-up with an error")
	b.Screenshot("signup-error")

	s.fill("signup-password", "purple monkey dishwasher")
	k.tick()
	s.clickThen(siSel("signup-submit"), "signin-sent")
	b.Run(chromedp.Navigate(k.srv.URL+k.lastLink("newbie@acme.test")), chromedp.WaitVisible(chromedp.CSS(siSel("use-link"))))
	s.clickThen(siSel("use-link"), "my-orgs")
	if n := s.count(siSel("my-orgs-empty")); n != 1 {
		t.Error("a new person without orgs does not see the empty state")
	}
	s.noProblems("empty my organizations")
	b.Screenshot("my-orgs-empty")
	s.clickThen(siSel("hosted-sign-out"), "signin")

	// Back with the password.
	s.typeEmail("newbie@acme.test")
	s.fill("signin-password", "purple monkey dishwasher")
	s.clickThen(siSel("password-signin"), "my-orgs")

	// On a phone.
	s.clickThen(siSel("hosted-sign-out"), "signin")
	b.Mobile()
	s.open("/signin?return_to="+url.QueryEscape("/my-organizations"), "signin")
	s.noProblems("mobile sign-in")
	b.Screenshot("signin-mobile")
	s.typeEmail("newbie@acme.test")
	b.Screenshot("signin-methods-mobile")
	if w := testkit.Result(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > testkit.MobileWidth {
		t.Errorf("the methods page is %d px wide on a %d px phone", w, testkit.MobileWidth)
	}
}
