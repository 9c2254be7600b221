package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// peopleBrowser walks the user, role and API client pages as a person
// would: it clicks, types and waits for the page that follows.
type peopleBrowser struct {
	browserKit
	srv *webtest.Server
}

func testIDSel(id string) string { return `[data-testid="` + id + `"]` }

// open navigates to path and waits for the element testID.
func (k peopleBrowser) open(path, testID string) {
	k.t.Helper()
	k.b.Run(chromedp.Navigate(k.srv.URL+path), chromedp.WaitVisible(chromedp.CSS(testIDSel(testID))))
}

// clickThen clicks sel and waits for testID on the next page; the old page
// is marked first, so its own copy of the element does not count.
func (k peopleBrowser) clickThen(sel, testID string) {
	k.t.Helper()
	k.b.Run(
		chromedp.Evaluate[chromedp.Void](`document.body.setAttribute("data-stale", "")`),
		chromedp.Click(chromedp.CSS(sel)),
		chromedp.WaitVisible(chromedp.CSS(`body:not([data-stale]) `+testIDSel(testID))),
	)
}

// fill replaces what the input with id holds.
func (k peopleBrowser) fill(id, value string) {
	k.t.Helper()
	// Emptied by script: chromedp.Clear fails on an empty textarea.
	k.b.Run(
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).value = ""`, id)),
		chromedp.SendKeys(chromedp.CSS("#"+id), value),
	)
}

func (k peopleBrowser) value(id string) string {
	k.t.Helper()
	return testkit.Result(k.b, chromedp.Value(chromedp.CSS("#"+id)))
}

func (k peopleBrowser) count(sel string) int {
	k.t.Helper()
	return testkit.Result(k.b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}

// wantFlash checks the page's flash: its kind and what it says.
func (k peopleBrowser) wantFlash(kind, says string) {
	k.t.Helper()
	if got := k.attr("flash", "data-kind"); got != kind {
		k.t.Errorf("flash kind %q, want %q", got, kind)
	}
	if got := k.text("flash"); !strings.Contains(got, says) {
		k.t.Errorf("flash %q, want it to say %q", got, says)
	}
}

// fitsPhone fails if the page is wider than a 360 px screen.
func (k peopleBrowser) fitsPhone(page string) {
	k.t.Helper()
	if w := testkit.Result(k.b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > testkit.MobileWidth {
		k.t.Errorf("%s: %d px wide on a %d px screen", page, w, testkit.MobileWidth)
	}
}

// acceptConfirms makes window.confirm say yes and remember what it asked
// (across the navigation that follows), standing in for a person clicking OK.
func (k peopleBrowser) acceptConfirms() {
	k.t.Helper()
	k.b.Run(chromedp.Evaluate[chromedp.Void](
		`window.confirm = (m) => { sessionStorage.setItem("asked", m); return true; }`))
}

func (k peopleBrowser) asked() string {
	k.t.Helper()
	return testkit.Result(k.b, chromedp.Evaluate[string](`sessionStorage.getItem("asked") || ""`))
}

func TestUsersInBrowser(t *testing.T) {
	k := newPeopleKit(t)
	b := testkit.NewBrowser(t)
	pb := peopleBrowser{browserKit{t, b}, k.srv}
	acme, _ := k.org("Acme Corporation", "acme", "ann.admin@acme.test")
	bob := k.member(acme.ID, "bob.builder@acme.test")
	globex, _ := k.org("Globex", "globex", "gus@globex.test")
	if _, err := k.dir.CreateMembership(context.Background(), globex.ID, bob.ID, directory.MembershipInput{}); err != nil {
		t.Fatal(err)
	}
	k.loner("zed@lonely.test")
	first := k.session(bob.ID)
	k.session(bob.ID)
	webtest.SignInAdmin(t, k.srv, b, "ed@roster.test", adminauth.Editor)

	// The list, then a search.
	pb.open("/users", "users-table")
	if n := pb.count(testIDSel("user-row")); n != 4 {
		t.Errorf("%d users listed, want 4", n)
	}
	pb.noProblems("users list")
	b.Screenshot("users-list")
	pb.fill("q", "builder")
	pb.clickThen(testIDSel("apply-filters"), "users-table")
	if got := pb.path(); !strings.Contains(got, "q=builder") {
		t.Errorf("search at %q", got)
	}
	if n := pb.count(testIDSel("user-row")); n != 1 {
		t.Errorf("%d users found, want 1", n)
	}

	// A user's page.
	pb.clickThen(testIDSel("user-link"), "profile")
	if got := pb.text("user-email"); got != "bob.builder@acme.test" {
		t.Errorf("user page of %q", got)
	}
	if n := pb.count(testIDSel("membership-row")); n != 2 {
		t.Errorf("%d memberships shown, want 2", n)
	}
	if n := pb.count(testIDSel("session-row") + `[data-status="ACTIVE"]`); n != 2 {
		t.Errorf("%d live sessions shown, want 2", n)
	}
	pb.noProblems("user page")
	b.Screenshot("user-detail")

	// Edit the profile: an editor may not change the email (only owners
	// may hand an account to another mailbox), so it is read-only. A bad
	// picture URL is shown beside its field, typed values stay.
	pb.clickThen(testIDSel("edit-user"), "profile-form")
	if !testkit.Result(b, chromedp.Evaluate[bool](`document.getElementById("email").readOnly`)) {
		t.Error("the email is editable for an editor")
	}
	pb.fill("picture", "http://bob.test/me.png")
	pb.fill("given_name", "Robert")
	pb.fill("metadata", "plan = gold")
	pb.clickThen(testIDSel("save-profile"), "error-picture")
	if got := pb.text("error-picture"); !strings.Contains(got, "https URL") {
		t.Errorf("picture error %q", got)
	}
	if got := pb.attr("field-picture", "class"); !strings.Contains(got, "field--invalid") {
		t.Errorf("picture field class %q", got)
	}
	if pb.value("given_name") != "Robert" || pb.value("picture") != "http://bob.test/me.png" || !strings.Contains(pb.value("metadata"), "plan = gold") {
		t.Errorf("typed values lost: %q %q %q", pb.value("given_name"), pb.value("picture"), pb.value("metadata"))
	}
	pb.noProblems("profile form with errors")
	b.Screenshot("user-edit-editor")
	pb.fill("picture", "")
	pb.clickThen(testIDSel("save-profile"), "profile")
	pb.wantFlash("success", "Saved the profile of bob.builder@acme.test.")
	if got := pb.text("profile-given-name"); got != "Robert" {
		t.Errorf("given name %q after saving", got)
	}
	if got := pb.text("metadata"); !strings.Contains(got, "plan") || !strings.Contains(got, "gold") {
		t.Errorf("metadata %q after saving", got)
	}

	// Revoke one session; the browser asks first.
	pb.acceptConfirms()
	pb.clickThen(`[data-session-id="`+first.ID+`"] `+testIDSel("revoke-session"), "sessions-table")
	pb.wantFlash("success", "Revoked the session.")
	if got := pb.asked(); !strings.Contains(got, "Revoke this session?") {
		t.Errorf("the browser asked %q", got)
	}
	if n := pb.count(`[data-session-id="` + first.ID + `"][data-status="REVOKED"]`); n != 1 {
		t.Error("the revoked session is not shown as revoked")
	}

	// A viewer sees the page without any write control.
	webtest.SignInAdmin(t, k.srv, b, "vic@roster.test", adminauth.Viewer)
	pb.open("/users/"+bob.ID, "profile")
	for _, id := range []string{"edit-user", "delete-user", "revoke-session", "revoke-all-sessions"} {
		if n := pb.count(testIDSel(id)); n != 0 {
			t.Errorf("a viewer sees %s", id)
		}
	}

	// Delete the user through the confirmation page.
	webtest.SignInAdmin(t, k.srv, b, "ed@roster.test", adminauth.Editor)
	pb.open("/users/"+bob.ID, "profile")
	pb.clickThen(testIDSel("delete-user"), "delete-impact")
	for id, says := range map[string][]string{
		"impact-sessions":    {"1 live session ends"},
		"impact-memberships": {"2 memberships go:", "Acme Corporation", "Globex"},
	} {
		for _, s := range says {
			if got := pb.text(id); !strings.Contains(got, s) {
				t.Errorf("%s says %q, want %q", id, got, s)
			}
		}
	}
	pb.noProblems("delete confirmation")
	pb.clickThen(testIDSel("confirm-delete"), "users-table")
	pb.wantFlash("success", "Deleted the user.")
	if n := pb.count(`[data-user-id="` + bob.ID + `"]`); n != 0 {
		t.Error("the deleted user is still listed")
	}

	// On a phone the list fits the screen; the table scrolls inside it.
	b.Mobile()
	pb.open("/users", "users-table")
	pb.fitsPhone("users list")
	pb.noProblems("users list on a phone")
	b.Screenshot("users-list-mobile")
	pb.open("/users/"+acme.ID, "error-page") // an org id is no user
	if got := pb.attr("error-page", "data-status"); got != "404" {
		t.Errorf("an org id as a user: %s", got)
	}
}

func TestRolesInBrowser(t *testing.T) {
	k := newPeopleKit(t)
	b := testkit.NewBrowser(t)
	pb := peopleBrowser{browserKit{t, b}, k.srv}
	acme, _ := k.org("Acme", "acme", "ann@acme.test")
	bob := k.member(acme.ID, "bob@acme.test")
	webtest.SignInAdmin(t, k.srv, b, "ed@roster.test", adminauth.Editor)

	pb.open("/roles", "roles-table")
	pb.noProblems("roles")
	b.Screenshot("roles")

	// A role extending member, with permissions of its own.
	pb.clickThen(testIDSel("new-role"), "role-form")
	pb.fill("name", "support_lead")
	pb.fill("display_name", "Support lead")
	pb.fill("description", "Runs the support desk")
	b.Run(
		chromedp.SetValue(chromedp.CSS("#extends"), "member"),
		chromedp.Click(chromedp.CSS(testIDSel("permission-members:invite"))),
		chromedp.Click(chromedp.CSS(testIDSel("permission-members:update"))),
	)
	pb.clickThen(testIDSel("save-role"), "roles-table")
	pb.wantFlash("success", "Created the role support_lead.")
	row := `[data-role="support_lead"] `
	if got := testkit.Result(b, chromedp.Text(chromedp.CSS(row+testIDSel("role-extends")))); got != "member" {
		t.Errorf("extends %q", got)
	}
	if got := testkit.Result(b, chromedp.Text(chromedp.CSS(row+testIDSel("role-own-permissions")))); !strings.Contains(got, "members:invite") || !strings.Contains(got, "members:update") {
		t.Errorf("own permissions %q", got)
	}
	if got := testkit.Result(b, chromedp.Text(chromedp.CSS(row+testIDSel("role-inherited-permissions")))); !strings.Contains(got, "members:read") {
		t.Errorf("inherited permissions %q", got)
	}

	// Its edit page.
	pb.clickThen(row+testIDSel("edit-role"), "role-form")
	if !testkit.Result(b, chromedp.Evaluate[bool](`document.querySelector('[data-testid="permission-members:invite"]').checked`)) {
		t.Error("the edit form lost a permission")
	}
	pb.noProblems("role form")
	b.Screenshot("role-edit")

	// Make it the default for members.
	pb.open("/roles", "defaults-form")
	b.Run(chromedp.SetValue(chromedp.CSS("#default_member_role"), "support_lead"))
	pb.clickThen(testIDSel("save-defaults"), "roles-table")
	pb.wantFlash("success", "everyone else support_lead")
	if n := pb.count(row + testIDSel("default-member")); n != 1 {
		t.Error("support_lead is not marked the default for members")
	}

	// Delete a role held by a member, giving them another one.
	if _, err := k.dir.CreateRole(context.Background(), directory.RoleInput{Name: "temp"}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.dir.UpdateMembership(context.Background(), acme.ID, bob.ID, directory.MembershipInput{Roles: []string{"temp"}}); err != nil {
		t.Fatal(err)
	}
	pb.open("/roles", "roles-table")
	pb.clickThen(`[data-role="temp"] `+testIDSel("delete-role"), "role-usage")
	if got := pb.text("usage-members"); !strings.Contains(got, "1 membership holds") {
		t.Errorf("usage says %q", got)
	}
	pb.clickThen(testIDSel("confirm-delete-role"), "refusal") // no role chosen yet
	if got := pb.text("refusal"); !strings.Contains(got, "choose a role to give them") {
		t.Errorf("refusal %q", got)
	}
	b.Run(chromedp.SetValue(chromedp.CSS("#reassign"), "support_lead"))
	pb.clickThen(testIDSel("confirm-delete-role"), "roles-table")
	pb.wantFlash("success", "Deleted the role temp; its members hold support_lead instead.")
	if n := pb.count(`[data-role="temp"]`); n != 0 {
		t.Error("the deleted role is still listed")
	}
	pb.noProblems("roles after deleting")

	// A viewer sees the roles and no write controls.
	webtest.SignInAdmin(t, k.srv, b, "vic@roster.test", adminauth.Viewer)
	pb.open("/roles", "roles-table")
	for _, id := range []string{"new-role", "edit-role", "delete-role", "defaults-form", "new-permission", "edit-permission"} {
		if n := pb.count(testIDSel(id)); n != 0 {
			t.Errorf("a viewer sees %s", id)
		}
	}
}

func TestAPIClientsInBrowser(t *testing.T) {
	k := newPeopleKit(t)
	b := testkit.NewBrowser(t)
	pb := peopleBrowser{browserKit{t, b}, k.srv}
	webtest.SignInAdmin(t, k.srv, b, "owner@roster.test", adminauth.Owner)

	pb.open("/api-clients", "empty-state")
	pb.fill("name", "Billing service")
	pb.clickThen(testIDSel("create-client"), "client-secret")
	secret, id := pb.value("client-secret"), pb.value("client-id")
	if !strings.HasPrefix(secret, "rsk_") || !strings.HasPrefix(id, "cli_") {
		t.Fatalf("created page shows id %q, secret %q", id, secret)
	}
	if got := pb.text("secret-warning"); !strings.Contains(got, "you won't see it again") {
		t.Errorf("warning %q", got)
	}
	if !testkit.Result(b, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('[data-testid="copy-secret"]')).display !== "none"`)) {
		t.Error("no copy button")
	}
	pb.noProblems("client created")
	b.Screenshot("api-client-created")
	if got := pb.path(); got != "/api-clients" {
		t.Errorf("after creating, the address is %q", got)
	}

	// A reload shows the list, without the secret and without a second client.
	b.Run(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(testIDSel("clients-table"))))
	if n := pb.count(testIDSel("client-secret")); n != 0 {
		t.Error("the secret shows after a reload")
	}
	if html := testkit.Result(b, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); strings.Contains(html, secret) {
		t.Error("the list holds the secret")
	}
	if n := pb.count(testIDSel("client-row")); n != 1 {
		t.Errorf("%d clients after a reload, want 1", n)
	}
	pb.noProblems("clients")
	b.Screenshot("api-clients")
	if status := tokenStatus(t, k.srv, id, secret); status != http.StatusOK {
		t.Fatalf("token with the new secret: %d", status)
	}

	// Revoke it; its secret gets no token any more.
	pb.clickThen(testIDSel("revoke-client"), "confirm-revoke")
	pb.noProblems("revoke confirmation")
	pb.clickThen(testIDSel("confirm-revoke"), "clients-table")
	pb.wantFlash("success", "Revoked Billing service.")
	if n := pb.count(`[data-client-id="` + id + `"] [data-status="REVOKED"]`); n != 1 {
		t.Error("the client is not shown as revoked")
	}
	if status := tokenStatus(t, k.srv, id, secret); status != http.StatusUnauthorized {
		t.Errorf("token after revoking: %d, want 401", status)
	}

	// An editor has no API clients link and is refused the page.
	webtest.SignInAdmin(t, k.srv, b, "ed@roster.test", adminauth.Editor)
	pb.open("/users", "nav")
	if n := pb.count(testIDSel("nav-api-clients")); n != 0 {
		t.Error("an editor sees the API clients link")
	}
	pb.open("/api-clients", "error-page")
	if got := pb.attr("error-page", "data-status"); got != "403" {
		t.Errorf("editor at /api-clients: %s", got)
	}
}
