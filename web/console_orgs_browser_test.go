package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// orgBrowser walks the organization pages as a person would: it clicks,
// types and waits for the next page, never posting behind the page's back.
type orgBrowser struct {
	browserKit
	srv *webtest.Server
}

// orgSel selects by data-testid.
func orgSel(id string) string { return `[data-testid="` + id + `"]` }

// open navigates to path and waits for the element testID.
func (k orgBrowser) open(path, testID string) {
	k.t.Helper()
	k.b.Run(chromedp.Navigate(k.srv.URL+path), chromedp.WaitVisible(chromedp.CSS(orgSel(testID))))
}

// clickThen clicks sel and waits for testID on the page that follows. The
// old page is marked first, so an element it also has does not count.
func (k orgBrowser) clickThen(sel, testID string) {
	k.t.Helper()
	k.b.Run(
		chromedp.Evaluate[chromedp.Void](`document.body.setAttribute("data-stale", "")`),
		chromedp.Click(chromedp.CSS(sel)),
		chromedp.WaitVisible(chromedp.CSS(`body:not([data-stale]) `+orgSel(testID))),
	)
}

// fill replaces the value of the input with id.
func (k orgBrowser) fill(id, value string) {
	k.t.Helper()
	k.b.Run(chromedp.Clear(chromedp.CSS("#"+id)), chromedp.SendKeys(chromedp.CSS("#"+id), value))
}

// flash returns the flash message of the page, checking its kind.
func (k orgBrowser) flash(kind string) string {
	k.t.Helper()
	if got := k.attr("flash", "data-kind"); got != kind {
		k.t.Errorf("flash kind %q, want %q (%s)", got, kind, k.text("flash"))
	}
	return k.text("flash")
}

func (k orgBrowser) count(sel string) int {
	k.t.Helper()
	return testkit.Result(k.b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}

func (k orgBrowser) wantFlash(kind, contains string) {
	k.t.Helper()
	if got := k.flash(kind); !strings.Contains(got, contains) {
		k.t.Errorf("flash %q, want it to say %q", got, contains)
	}
}

func TestOrgsInBrowser(t *testing.T) {
	srv := webtest.NewServer(t)
	b := testkit.NewBrowser(t)
	k := orgBrowser{browserKit{t, b}, srv}
	dir := directory.New(srv.Store, srv.Clock)
	ctx := context.Background()
	webtest.SignInAdmin(t, srv, b, "ed@roster.test", adminauth.Editor)

	// The empty list says what to do.
	k.open("/organizations", "empty-state")
	k.noProblems("empty list")

	// Create an organization, inviting its first admin.
	k.clickThen(orgSel("create-org"), "org-form")
	k.noProblems("create form")
	k.fill("display_name", "Acme Corp")
	k.fill("slug", "Acme!")
	k.fill("admin_email", "ann@acme.test")
	k.clickThen(orgSel("org-form-submit"), "error-slug")
	if got := testkit.Result(b, chromedp.Value(chromedp.CSS("#admin_email"))); got != "ann@acme.test" {
		t.Errorf("the email typed was not kept: %q", got)
	}
	k.noProblems("create form with errors")
	k.fill("slug", "acme")
	k.fill("external_id", "cus_001")
	k.clickThen(orgSel("org-form-submit"), "org-details")
	k.wantFlash("success", "Invited ann@acme.test as its first admin.")
	orgID := k.text("org-id")
	if got := k.text("page-title"); got != "Acme Corp" {
		t.Errorf("title %q", got)
	}

	// The first admin is invited, pending.
	k.clickThen(orgSel("tab-invitations"), "invitations-table")
	if got := k.attr("invitation-row", "data-email"); got != "ann@acme.test" {
		t.Errorf("invitation for %q", got)
	}
	if got := k.attr("status-badge", "data-status"); got != "PENDING_INVITE" {
		t.Errorf("invitation status %q", got)
	}

	// Edit the profile, add metadata, switch SSO on.
	k.clickThen(orgSel("tab-overview"), "org-edit-form")
	k.fill("display_name", "Acme Corporation")
	k.clickThen(orgSel("org-edit-submit"), "flash")
	k.wantFlash("success", "Saved the profile of Acme Corporation.")
	if got := k.text("page-title"); got != "Acme Corporation" {
		t.Errorf("title after edit %q", got)
	}
	k.fill("meta-key-0", "plan")
	k.fill("meta-value-0", "enterprise")
	k.fill("meta-key-1", "x")
	k.clickThen(orgSel("metadata-submit"), "metadata-error")
	if got := k.text("metadata-error"); !strings.Contains(got, "3 to 25 characters") {
		t.Errorf("metadata error %q", got)
	}
	k.fill("meta-key-1", "region")
	k.fill("meta-value-1", "eu-west")
	k.clickThen(orgSel("metadata-submit"), "flash")
	k.wantFlash("success", "Saved the metadata.")
	if got := testkit.Result(b, chromedp.Value(chromedp.CSS("#meta-value-0"))); got != "enterprise" {
		t.Errorf("first metadata value after saving %q", got)
	}
	b.Run(chromedp.Click(chromedp.CSS(orgSel("feature-input-sso"))))
	k.clickThen(orgSel("settings-submit"), "flash")
	k.wantFlash("success", "Saved the settings")
	if on := testkit.Result(b, chromedp.Evaluate[bool](`document.querySelector('[data-testid="feature-input-sso"]').checked`)); !on {
		t.Error("SSO is not on after saving")
	}
	k.noProblems("overview")
	b.Screenshot("org-detail")

	// Invite, resend and revoke.
	k.clickThen(orgSel("tab-invitations"), "invite-form")
	k.fill("email", "bob@acme.test")
	b.Run(chromedp.Click(chromedp.CSS(orgSel("invite-role-member"))))
	k.clickThen(orgSel("invite-submit"), "flash")
	k.wantFlash("success", "Invited bob@acme.test.")
	bobRow := `[data-testid="invitation-row"][data-email="bob@acme.test"] `
	k.clickThen(bobRow+orgSel("invitation-resend"), "flash")
	k.wantFlash("success", "Sent the invitation to bob@acme.test again.")
	if got := strings.TrimSpace(testkit.Result(b, chromedp.Text(chromedp.CSS(bobRow+orgSel("resent-count"))))); got != "1" {
		t.Errorf("resent count %q", got)
	}
	k.noProblems("invitations")
	b.Screenshot("org-invitations")
	k.clickThen(bobRow+orgSel("invitation-revoke"), "confirm-form")
	if got := k.text("confirm-consequences"); !strings.Contains(got, "stops working") {
		t.Errorf("the revoke step says %q", got)
	}
	k.noProblems("revoke confirmation")
	k.clickThen(orgSel("confirm-submit"), "flash")
	k.wantFlash("success", "Revoked the invitation of bob@acme.test.")
	if n := k.count(bobRow); n != 0 {
		t.Error("bob is still listed")
	}

	// A domain, with its TXT record.
	k.clickThen(orgSel("tab-domains"), "domain-form")
	k.fill("domain", "acme.example")
	k.clickThen(orgSel("domain-submit"), "domain-row")
	k.wantFlash("success", "Added acme.example.")
	if got := k.text("txt-name"); got != "_roster-verification.acme.example" {
		t.Errorf("TXT name %q", got)
	}
	if got := k.text("txt-value"); !strings.HasPrefix(got, "roster-verification=") {
		t.Errorf("TXT value %q", got)
	}
	k.noProblems("domains")
	b.Screenshot("org-domains")

	// An org role, made the default.
	k.clickThen(orgSel("tab-roles"), "role-form")
	k.fill("name", "billing")
	k.fill("display_name", "Billing")
	k.fill("description", "Sees invoices")
	b.Run(
		chromedp.SetValue(chromedp.CSS("#extends"), "member"),
		chromedp.Click(chromedp.CSS(orgSel("role-permission-organization:update"))),
	)
	k.clickThen(orgSel("role-submit"), "flash")
	k.wantFlash("success", "Created the role billing.")
	b.Run(chromedp.SetValue(chromedp.CSS("#default_member_role"), "billing"))
	k.clickThen(orgSel("default-role-submit"), "flash")
	k.wantFlash("success", "now get the role billing")
	if n := k.count(`[data-role="billing"] ` + orgSel("role-default")); n != 1 {
		t.Error("billing is not marked the default")
	}
	k.noProblems("roles")
	b.Screenshot("org-roles")

	// Members: one active admin and one member, made here as the API would.
	carol, dave := "carol@acme.test", "dave@acme.test"
	if _, err := dir.AddMember(ctx, orgID, directory.UserInput{Email: &carol}, directory.MembershipInput{Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.AddMember(ctx, orgID, directory.UserInput{Email: &dave}, directory.MembershipInput{Roles: []string{"member"}}); err != nil {
		t.Fatal(err)
	}
	k.clickThen(orgSel("tab-members"), "members-table")
	if n := k.count(orgSel("member-row")); n != 3 {
		t.Errorf("%d member rows, want ann, carol and dave", n)
	}
	k.noProblems("members")
	b.Screenshot("org-members")
	carolRow := `[data-testid="member-row"][data-email="carol@acme.test"] `
	daveRow := `[data-testid="member-row"][data-email="dave@acme.test"] `

	// Carol is the only active admin: the removal step says why she cannot
	// go, before any click, and offers no button to try.
	k.clickThen(carolRow+orgSel("member-manage"), "member-roles-form")
	k.clickThen(orgSel("member-remove"), "confirm-form")
	if got := k.text("form-problem"); !strings.Contains(got, "carol@acme.test is the last admin of Acme Corporation") || !strings.Contains(got, "Make another member admin first, or delete the organization.") {
		t.Errorf("the removal step of the last admin says %q", got)
	}
	if n := k.count(orgSel("confirm-submit")); n != 0 {
		t.Error("the last admin's removal step has a remove button")
	}
	if got := k.text("confirm-account"); !strings.Contains(got, "Their user account is not deleted") {
		t.Errorf("the removal step says of the account %q", got)
	}
	k.noProblems("remove confirmation")
	b.Screenshot("org-remove-last-admin")

	// Make Dave an admin, then Carol may go.
	k.open("/organizations/"+orgID+"/members", "members-table")
	k.clickThen(daveRow+orgSel("member-manage"), "member-roles-form")
	b.Run(
		chromedp.Click(chromedp.CSS(orgSel("member-role-member"))),
		chromedp.Click(chromedp.CSS(orgSel("member-role-admin"))),
	)
	k.clickThen(orgSel("member-roles-submit"), "flash")
	k.wantFlash("success", "Changed the roles of dave@acme.test to admin.")
	// Where the environment deletes users left without an organization,
	// the removal step says in plain words that Carol's account goes too.
	if _, err := srv.DB.Exec(`UPDATE environment_settings SET delete_users_without_memberships = true`); err != nil {
		t.Fatal(err)
	}
	k.open("/organizations/"+orgID+"/members?q=carol", "members-table")
	k.clickThen(carolRow+orgSel("member-manage"), "member-roles-form")
	k.clickThen(orgSel("member-remove"), "confirm-form")
	if got := k.text("confirm-consequences"); !strings.Contains(got, "sessions in this organization end") ||
		!strings.Contains(got, "Their user account is deleted too: this is their only organization") {
		t.Errorf("the removal step says %q", got)
	}
	if got := k.attr("confirm-account", "data-deletes-account"); got != "true" {
		t.Errorf("data-deletes-account %q", got)
	}
	b.Screenshot("org-remove-deletes-account")
	k.clickThen(orgSel("confirm-submit"), "flash")
	k.wantFlash("success", "Removed carol@acme.test from Acme Corporation. Their user account was deleted")
	if n := k.count(carolRow); n != 0 {
		t.Error("carol is still listed")
	}

	// Delete the organization by typing its name.
	k.clickThen(orgSel("tab-overview"), "delete-org-link")
	k.clickThen(orgSel("delete-org-link"), "delete-org-form")
	if got := k.text("delete-members"); !strings.Contains(got, "2 memberships end") {
		t.Errorf("the delete page says %q", got)
	}
	k.fill("confirm_name", "Acme")
	k.clickThen(orgSel("delete-org-submit"), "error-confirm_name")
	k.noProblems("delete page")
	b.Screenshot("org-delete")
	k.fill("confirm_name", "Acme Corporation")
	k.clickThen(orgSel("delete-org-submit"), "flash")
	k.wantFlash("success", "Deleted Acme Corporation.")
	if got := k.path(); got != "/organizations" {
		t.Errorf("after deleting at %q", got)
	}

	// The list with a few organizations, on a desktop and on a phone.
	for i, name := range []string{"Globex", "Initech", "Umbrella Corporation", "Vandelay Industries", "Wayne Enterprises"} {
		email := fmt.Sprintf("admin%d@example.test", i)
		o, _, err := dir.CreateOrganizationWithCreator(ctx, directory.OrganizationInput{DisplayName: &name}, directory.UserInput{Email: &email})
		if err != nil {
			t.Fatal(err)
		}
		for j := range i * 3 {
			m := fmt.Sprintf("m%d-%d@example.test", i, j)
			if _, err := dir.AddMember(ctx, o.ID, directory.UserInput{Email: &m}, directory.MembershipInput{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	k.open("/organizations?sort=name", "orgs-table")
	if got := k.text("org-link"); got != "Globex" {
		t.Errorf("first by name: %q", got)
	}
	k.fill("q", "corp")
	k.clickThen(orgSel("org-search-submit"), "orgs-table")
	if n := k.count(orgSel("org-row")); n != 1 {
		t.Errorf("search corp: %d rows", n)
	}
	k.open("/organizations", "orgs-table")
	k.noProblems("list")
	b.Screenshot("orgs-list")
	b.Mobile()
	k.open("/organizations", "orgs-table")
	k.noProblems("list on a phone")
	b.Screenshot("orgs-list-mobile")
	if wide := testkit.Result(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); wide {
		t.Error("the list is wider than a phone's screen")
	}
	k.clickThen(orgSel("org-link"), "org-details")
	k.clickThen(orgSel("tab-members"), "members-table")
	k.noProblems("members on a phone")
	b.Screenshot("org-members-mobile")
	if wide := testkit.Result(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); wide {
		t.Error("the members tab is wider than a phone's screen")
	}
}

// A viewer sees every page and no control that changes anything.
func TestOrgsViewerInBrowser(t *testing.T) {
	srv := webtest.NewServer(t)
	b := testkit.NewBrowser(t)
	k := orgBrowser{browserKit{t, b}, srv}
	dir := directory.New(srv.Store, srv.Clock)
	ctx := context.Background()
	name, admin, guest := "Hooli", "gavin@hooli.test", "guest@hooli.test"
	o, _, err := dir.CreateOrganizationWithCreator(ctx, directory.OrganizationInput{DisplayName: &name}, directory.UserInput{Email: &admin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dir.AddMember(ctx, o.ID, directory.UserInput{Email: &guest}, directory.MembershipInput{SendInvitation: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.CreateDomain(ctx, o.ID, directory.NewDomain{Domain: "hooli.example", DomainType: directory.DomainTypeOrganization}); err != nil {
		t.Fatal(err)
	}
	webtest.SignInAdmin(t, srv, b, "vic@roster.test", adminauth.Viewer)

	base := "/organizations/" + o.ID
	pages := []struct{ path, ready string }{
		{"/organizations", "orgs-table"},
		{base, "org-details"},
		{base + "/members", "members-table"},
		{base + "/members/" + orgUserID(t, srv, admin), "member-details"},
		{base + "/invitations", "invitations-table"},
		{base + "/domains", "domains-table"},
		{base + "/roles", "roles-table"},
	}
	writeControls := []string{"create-org", "org-edit-form", "org-metadata-form", "settings-submit", "delete-org-link",
		"member-roles-submit", "member-remove", "invite-form", "invitation-resend", "invitation-revoke",
		"domain-form", "domain-remove", "role-form", "role-delete", "default-role-submit"}
	for _, p := range pages {
		k.open(p.path, p.ready)
		k.noProblems(p.path)
		for _, id := range writeControls {
			if n := k.count(orgSel(id)); n != 0 {
				t.Errorf("%s: a viewer sees %s", p.path, id)
			}
		}
	}
}

func orgUserID(t *testing.T, srv *webtest.Server, email string) string {
	t.Helper()
	var id string
	if err := srv.DB.Get(&id, `SELECT id FROM users WHERE lower(email) = lower($1)`, email); err != nil {
		t.Fatal(err)
	}
	return id
}
