package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// phoneWidth is a common phone's CSS width (390 px), a little wider than
// testkit's smallest phone.
const phoneWidth, phoneHeight = 390, 844

// The organization's settings (stored entitlement flags) and its domains
// (pending, routing nobody) as people see them, at desktop and phone width,
// and the sign-in step telling a gmail.com address it cannot sign up.
func TestHonestPagesInBrowser(t *testing.T) {
	srv := webtest.NewServer(t)
	b := testkit.NewBrowser(t)
	k := orgBrowser{browserKit{t, b}, srv}
	dir := directory.New(srv.Store, srv.Clock)
	ctx := context.Background()
	name, admin := "Acme Corp", "ann@acme.test"
	o, _, err := dir.CreateOrganizationWithCreator(ctx, directory.OrganizationInput{DisplayName: &name}, directory.UserInput{Email: &admin})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []directory.NewDomain{
		{Domain: "acme.example", DomainType: directory.DomainTypeOrganization},
		{Domain: "acme-careers.example", DomainType: directory.DomainTypeAllowedEmail},
	} {
		if _, err := dir.CreateDomain(ctx, o.ID, d); err != nil {
			t.Fatal(err)
		}
	}
	webtest.SignInAdmin(t, srv, b, "ed@roster.test", adminauth.Editor)
	fitsWidth := func(page string) {
		t.Helper()
		if over := testkit.Result(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > innerWidth`)); over {
			t.Errorf("%s: the page is wider than the screen", page)
		}
	}

	// Turning SSO on is saved, and the page keeps saying it is a stored flag.
	k.open("/organizations/"+o.ID, "org-settings-form")
	if got := k.text("features-note"); !strings.Contains(got, "Roster does not act on them yet") {
		t.Errorf("features note %q", got)
	}
	b.Run(chromedp.Click(chromedp.CSS(orgSel("feature-input-sso"))))
	k.clickThen(orgSel("settings-submit"), "flash")
	k.wantFlash("success", "Saved the settings")
	if n := k.count(orgSel("feature-stored")); n != 4 {
		t.Errorf("%d flags marked stored only, want 4", n)
	}
	b.Run(chromedp.ScrollIntoView(chromedp.CSS(orgSel("org-settings-form"))))
	k.noProblems("org settings")
	fitsWidth("org settings")
	b.Screenshot("org-settings-flags")

	k.open("/organizations/"+o.ID+"/domains", "domains-table")
	for domain, want := range map[string]string{"acme.example": "Pending.", "acme-careers.example": "Recorded without proof."} {
		got := testkit.Result(b, chromedp.Text(chromedp.CSS(`[data-testid="domain-effect"][data-domain="`+domain+`"]`)))
		if !strings.HasPrefix(strings.TrimSpace(got), want) {
			t.Errorf("%s says %q, want it to start %q", domain, got, want)
		}
	}
	k.noProblems("domains")
	fitsWidth("domains")
	b.Screenshot("org-domains-pending")

	b.Run(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile))
	k.open("/organizations/"+o.ID, "org-settings-form")
	b.Run(chromedp.ScrollIntoView(chromedp.CSS(orgSel("org-settings-form"))))
	k.noProblems("org settings on a phone")
	fitsWidth("org settings on a phone")
	b.Screenshot("org-settings-flags-phone")
	k.open("/organizations/"+o.ID+"/domains", "domains-table")
	k.noProblems("domains on a phone")
	fitsWidth("domains on a phone")
	b.Screenshot("org-domains-pending-phone")

	// The sign-in step for a gmail.com address, on a phone.
	v := testkit.NewBrowser(t)
	v.Run(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile))
	vk := orgBrowser{browserKit{t, v}, srv}
	vk.open("/signin", "signin-continue")
	vk.fill("signin-email", "zed@gmail.com")
	vk.clickThen(orgSel("signin-continue"), "signin-methods")
	if got := vk.text("signup-blocked"); !strings.Contains(got, "gmail.com, a public email provider") {
		t.Errorf("sign-up note %q", got)
	}
	if n := vk.count(orgSel("signup-link")); n != 0 {
		t.Error("the page offers sign-up to a gmail.com address")
	}
	vk.noProblems("methods for gmail.com")
	v.Screenshot("signin-methods-blocked-domain-phone")
}
