package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roster/internal/adminauth"
	"roster/internal/testkit"
	"roster/web/webtest"
)

func TestSettingsInBrowser(t *testing.T) {
	srv := webtest.NewServer(t)
	b := testkit.NewBrowser(t)
	k := orgBrowser{browserKit{t, b}, srv}
	webtest.SignInAdmin(t, srv, b, "owner@acme.test", adminauth.Owner)
	st := srv.Store

	// The owner finds the settings from the admin menu.
	k.open("/", "settings-link")
	k.clickThen(orgSel("settings-link"), "settings-form")
	k.noProblems("settings")
	b.Screenshot("settings")

	// A bad redirect URL comes back beside its field; what was chosen stays.
	b.Run(
		chromedp.Click(chromedp.CSS(orgSel("check-password_signin_enabled"))),
		chromedp.Click(chromedp.CSS(orgSel("mode-code"))),
	)
	k.fill("invitation_expiry_days", "7")
	// An empty textarea has no text node for chromedp.Clear: set it instead.
	b.Run(chromedp.SetValue(chromedp.CSS("#allowed_redirect_urls"), "https://app.acme.test\napp.acme.test/after"))
	k.clickThen(orgSel("save-settings"), "error-allowed_redirect_urls")
	if got := k.text("error-allowed_redirect_urls"); !strings.Contains(got, `"app.acme.test/after" is not an absolute http or https URL`) {
		t.Errorf("redirect URL error %q", got)
	}
	if got := testkit.Result(b, chromedp.Evaluate[string](`document.querySelector("#allowed_redirect_urls").getAttribute("aria-invalid") ?? ""`)); got != "true" {
		t.Errorf("the textarea is not marked invalid: %q", got)
	}
	checked := func(testID string) bool {
		return testkit.Result(b, chromedp.Evaluate[bool](`document.querySelector('[data-testid="`+testID+`"]').checked`))
	}
	if checked("check-password_signin_enabled") || !checked("mode-code") {
		t.Error("the form forgot what was chosen")
	}
	if got := testkit.Result(b, chromedp.Value(chromedp.CSS("#invitation_expiry_days"))); got != "7" {
		t.Errorf("invitation expiry typed 7, shows %q", got)
	}
	k.noProblems("settings with errors")
	b.Mobile()
	b.Screenshot("settings-mobile-error")
	b.Desktop()

	b.Run(chromedp.SetValue(chromedp.CSS("#allowed_redirect_urls"), "https://app.acme.test"))
	k.clickThen(orgSel("save-settings"), "flash")
	k.wantFlash("success", "Settings saved")
	es, err := st.EnvironmentSettings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if es.PasswordSigninEnabled || es.EmailSigninMode != "code" || es.InvitationExpiry != 7*24*time.Hour ||
		len(es.AllowedRedirectURLs) != 1 {
		t.Errorf("saved settings: %+v", es)
	}

	// The sign-in page follows: no password, and the mail holds a code.
	b.Run(chromedp.Navigate(srv.URL+"/signin"), chromedp.WaitVisible(chromedp.CSS("#signin-email")),
		chromedp.SendKeys(chromedp.CSS("#signin-email"), "someone@acme.test"))
	k.clickThen(orgSel("signin-continue"), "signin-methods")
	if k.count(orgSel("password-method")) != 0 || !strings.Contains(k.text("email-signin"), "code") {
		t.Errorf("the methods page does not follow the settings: password %d, email button %q",
			k.count(orgSel("password-method")), k.text("email-signin"))
	}

	// Social providers: add one, edit it, remove it.
	k.open("/settings", "tab-social")
	k.clickThen(orgSel("tab-social"), "empty-state")
	k.noProblems("social providers, empty")
	k.clickThen(orgSel("add-provider"), "provider-form")
	trustTicked := func() bool {
		t.Helper()
		return testkit.Result(b, chromedp.Evaluate[bool](`document.querySelector('input[name="trust_email_verified"]').checked`))
	}
	if !trustTicked() {
		t.Error("a new Google provider is not ticked to trust verified emails")
	}
	// Choosing OpenID Connect drops Google's trust with it.
	b.Run(chromedp.SetValue(chromedp.CSS("#kind"), "OIDC"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#kind").dispatchEvent(new Event("change", {bubbles: true}))`))
	if trustTicked() {
		t.Error("an OpenID Connect provider is ticked to trust verified emails")
	}
	// The redirect URI to register at the provider is there before saving,
	// and it is the one the saved provider has.
	callback := k.text("provider-callback")
	if !strings.HasPrefix(callback, srv.URL+"/signin/social/conn_") || !strings.HasSuffix(callback, "/callback") {
		t.Errorf("the add form shows the redirect URI %q", callback)
	}
	k.fill("display_name", "Acme ID")
	k.fill("issuer", "https://id.acme.test")
	k.fill("client_id", "acme-roster")
	k.fill("client_secret", "s3cret-acme-client")
	k.clickThen(orgSel("save-provider"), "providers-table")
	k.wantFlash("success", "Added Acme ID")
	if got := k.text("provider-callback"); got != callback {
		t.Errorf("saved with the redirect URI %q, the form showed %q", got, callback)
	}
	if got := k.text("provider-secret"); got != "•••• set" {
		t.Errorf("secret column %q", got)
	}
	if got := k.attr("provider-trust", "data-trusted"); got != "false" || !strings.Contains(k.text("provider-trust"), "Code to the address first") {
		t.Errorf("trust column %q: %q", got, k.text("provider-trust"))
	}
	k.noProblems("social providers")
	b.Screenshot("settings-social")
	b.Mobile()
	b.Screenshot("settings-social-mobile")
	b.Desktop()
	if n := countRows(t, srv, `SELECT count(*) FROM social_providers WHERE position('s3cret-acme-client' in encode(client_secret_encrypted, 'escape')) > 0`); n != 0 {
		t.Error("the secret is stored in clear")
	}

	k.clickThen(orgSel("edit-provider"), "provider-form")
	if got := testkit.Result(b, chromedp.Value(chromedp.CSS("#client_secret"))); got != "" {
		t.Errorf("the edit form shows the secret: %q", got)
	}
	k.fill("issuer", "ftp://id.acme.test")
	k.clickThen(orgSel("save-provider"), "error-issuer")
	k.noProblems("provider form with errors")
	b.Screenshot("settings-social-form")
	k.fill("issuer", "https://login.acme.test")
	b.Run(chromedp.Click(chromedp.CSS(orgSel("check-trust_email_verified"))))
	k.clickThen(orgSel("save-provider"), "providers-table")
	k.wantFlash("success", "Saved Acme ID")
	var issuer string
	var trusted bool
	_ = srv.DB.QueryRow(`SELECT issuer, trust_email_verified FROM social_providers`).Scan(&issuer, &trusted)
	if issuer != "https://login.acme.test" || !trusted {
		t.Errorf("issuer %q, trusts verified emails %v", issuer, trusted)
	}
	if got := k.attr("provider-trust", "data-trusted"); got != "true" {
		t.Errorf("trust column after ticking: %q", got)
	}

	k.clickThen(orgSel("delete-provider"), "confirm-delete-provider")
	k.noProblems("remove provider")
	k.clickThen(orgSel("confirm-delete-provider"), "empty-state")
	k.wantFlash("success", "Removed Acme ID")

	// A viewer sees no settings link, and the page refuses them.
	vb := testkit.NewBrowser(t)
	vk := orgBrowser{browserKit{t, vb}, srv}
	webtest.SignInAdmin(t, srv, vb, "viewer@acme.test", adminauth.Viewer)
	vk.open("/", "admin-menu")
	if vk.count(orgSel("settings-link")) != 0 {
		t.Error("a viewer sees the settings link")
	}
	vb.Run(chromedp.Navigate(srv.URL + "/settings"))
	if !strings.Contains(vk.text("page-title")+testkit.Result(vb, chromedp.Text(chromedp.CSS("body"))), "owner") {
		t.Error("the 403 page does not say settings are for owners")
	}
}
