package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/invitations"
	"roster/internal/model"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// The invitation's whole life in a browser: invited from the console, the
// mail through the in-process SMTP server, the link opened and accepted.

// inviteBrowser walks the console and the hosted pages as a person would.
type inviteBrowser struct {
	orgBrowser
	k  inviteKit
	sm *testkit.SMTPServer
}

func newInviteBrowser(t *testing.T) inviteBrowser {
	sm := testkit.NewSMTPServer(t)
	k := newInviteKit(t)
	b := testkit.NewBrowser(t)
	webtest.SignInAdmin(t, k.srv, b, "ed@roster.test", adminauth.Editor)
	return inviteBrowser{orgBrowser: orgBrowser{browserKit{t, b}, k.srv}, k: k, sm: sm}
}

// inviteFromConsole invites email with the console's invite form and
// returns the link of the mail that arrives at the SMTP server.
func (ib inviteBrowser) inviteFromConsole(orgID, email string) string {
	ib.t.Helper()
	ib.open("/organizations/"+orgID+"/invitations", "invite-form")
	ib.fill("email", email)
	ib.clickThen(orgSel("invite-submit"), "flash")
	ib.wantFlash("success", "Invited "+email)
	before := len(ib.sm.MessagesTo(email))
	if r := webtest.DeliverMail(ib.t, ib.srv, ib.sm); r.Sent < 1 {
		ib.t.Fatalf("delivered %+v", r)
	}
	got := ib.sm.MessagesTo(email)
	if len(got) != before+1 {
		ib.t.Fatalf("%d mails to %s", len(got), email)
	}
	links := got[len(got)-1].Links()
	if len(links) == 0 || !strings.Contains(links[0], "/invitations/") {
		ib.t.Fatalf("no invitation link in\n%s", got[len(got)-1].Text())
	}
	return links[0]
}

func (ib inviteBrowser) visit(url, testID string) {
	ib.t.Helper()
	ib.b.Run(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(orgSel(testID))))
}

// phone sets the viewport of a 390-pixel-wide phone.
func (ib inviteBrowser) phone() {
	ib.t.Helper()
	ib.b.Run(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
}

// screenshots saves the page at desktop and phone width, checking it has
// no problems at either.
func (ib inviteBrowser) screenshots(name string) {
	ib.t.Helper()
	ib.noProblems(name)
	ib.b.Screenshot(name)
	ib.phone()
	ib.b.Screenshot(name + "-phone")
	ib.noProblems(name + " on a phone")
	ib.b.Desktop()
}

func TestInvitationsInBrowser(t *testing.T) {
	ib := newInviteBrowser(t)
	k := ib.k
	acme := k.org("Acme Corp", "ada@acme.test")
	beta := k.org("Beta", "bea@beta.test")
	// Bob and Carl have used their accounts before: they have names.
	for _, email := range []string{"bob@beta.test", "carl@beta.test"} {
		u := k.member(beta.ID, email)
		name := strings.ToUpper(email[:1]) + email[1:strings.Index(email, "@")] + " Beta"
		if _, err := k.dir.UpdateUser(context.Background(), u.ID, directory.UserInput{Name: &name}); err != nil {
			t.Fatal(err)
		}
	}

	// A new person: the mail's link opens the invitation, which asks for a
	// name and offers a password.
	link := ib.inviteFromConsole(acme.ID, "ann@acme.test")
	ib.visit(link, "invitation")
	if got := ib.attr("invitation", "data-variant"); got != "new" {
		t.Errorf("variant for a new person %q", got)
	}
	if got := ib.text("invitation-inviter"); got != "ed@roster.test" {
		t.Errorf("inviter %q", got)
	}
	if got := ib.text("invitation-org"); got != "Acme Corp" {
		t.Errorf("org %q", got)
	}
	if got := ib.text("invitation-roles"); got != "Member" {
		t.Errorf("roles %q", got)
	}
	if got := ib.text("invitation-accept"); got != "Accept and join Acme Corp" {
		t.Errorf("accept button %q", got)
	}
	ib.screenshots("invitation-new")
	// No name: the page says so beside the field.
	ib.clickThen(orgSel("invitation-accept"), "error-name")
	ib.noProblems("invitation without a name")
	ib.fill("invitation-name", "Ann Archer")
	ib.fill("invitation-password", "a walk in the acme park")
	ib.clickThen(orgSel("invitation-accept"), "hosted-account")
	ib.wantFlash("success", "You joined Acme Corp.")
	if got := ib.text("hosted-user-email"); got != "ann@acme.test" {
		t.Errorf("signed in as %q", got)
	}
	if got := ib.text("hosted-current-org"); got != "Acme Corp" {
		t.Errorf("signed in to %q", got)
	}
	ib.noProblems("joined")
	ib.b.Screenshot("invitation-joined")
	m := k.membership(acme.ID, "ann@acme.test")
	if m.Status != model.StatusActive || m.InviteAcceptedAt == nil {
		t.Fatalf("ann's membership %+v", m)
	}
	if u, _ := k.dir.UserByEmail(context.Background(), "ann@acme.test"); !u.EmailVerified || u.Name == nil || *u.Name != "Ann Archer" {
		t.Errorf("ann: verified %v, name %v", u.EmailVerified, u.Name)
	}

	// Later, she signs in with the password she set.
	ib.clickThen(orgSel("hosted-sign-out"), "signin")
	ib.fill("signin-email", "ann@acme.test")
	ib.clickThen(orgSel("signin-continue"), "signin-methods")
	ib.fill("signin-password", "a walk in the acme park")
	ib.clickThen(orgSel("password-signin"), "hosted-account")
	if got := ib.text("hosted-user-email"); got != "ann@acme.test" {
		t.Errorf("signed in with the password as %q", got)
	}

	// The link again: used.
	ib.visit(link, "invitation-closed")
	if got := ib.attr("invitation-closed", "data-state"); got != "used" {
		t.Errorf("reused link: %q", got)
	}
	if got := ib.text("invitation-member"); got != "You are a member of Acme Corp already." {
		t.Errorf("used link for a member: %q", got)
	}
	ib.noProblems("used")
	ib.b.Screenshot("invitation-used")

	// A hosted error page, for a signed-in person: the way back is their
	// organizations.
	ib.visit(ib.srv.URL+"/my-organizations/no-such-org", "hosted-notice")
	if got := ib.attr("notice-action", "href"); got != "/my-organizations" {
		t.Errorf("the 404's way on %q", got)
	}
	if n := ib.count(orgSel("nav")); n != 0 {
		t.Error("a hosted 404 shows the console's navigation")
	}
	ib.screenshots("hosted-not-found")

	// An existing user of another org, while ann is signed in here: the
	// page says whose invitation it is, asks nothing, and accepting
	// switches account.
	link = ib.inviteFromConsole(acme.ID, "bob@beta.test")
	ib.visit(link, "invitation-other-account")
	if got := ib.text("invitation-signed-in-as"); got != "ann@acme.test" {
		t.Errorf("signed in as %q", got)
	}
	if n := ib.count("#invitation-name"); n != 0 {
		t.Error("the page asks bob for a name")
	}
	ib.b.Screenshot("invitation-other-account")
	ib.clickThen(orgSel("invitation-accept"), "hosted-account")
	if got := ib.text("hosted-user-email"); got != "bob@beta.test" {
		t.Errorf("after switching: %q", got)
	}
	if m := k.membership(acme.ID, "bob@beta.test"); m.Status != model.StatusActive {
		t.Errorf("bob in Acme: %s", m.Status)
	}
	if m := k.membership(beta.ID, "bob@beta.test"); m.Status != model.StatusActive {
		t.Errorf("bob in Beta: %s", m.Status)
	}
	ib.clickThen(orgSel("hosted-sign-out"), "signin")

	// An existing person, nobody signed in: accept or decline, nothing
	// else. Carl declines, after a confirmation.
	link = ib.inviteFromConsole(acme.ID, "carl@beta.test")
	ib.visit(link, "invitation")
	if got := ib.attr("invitation", "data-variant"); got != "existing" {
		t.Errorf("variant for an existing person %q", got)
	}
	if n := ib.count("#invitation-name") + ib.count("#invitation-password"); n != 0 {
		t.Error("the page asks an existing person for a name or password")
	}
	ib.screenshots("invitation-existing")
	ib.clickThen(orgSel("invitation-decline"), "invitation-decline-confirm")
	ib.noProblems("decline confirmation")
	ib.b.Screenshot("invitation-decline")
	if m := k.membership(acme.ID, "carl@beta.test"); m.Status != model.StatusPendingInvite {
		t.Fatalf("the confirmation declined: %s", m.Status)
	}
	ib.clickThen(orgSel("confirm-decline"), "invitation-closed")
	ib.wantFlash("success", "You declined the invitation to Acme Corp.")
	if got := ib.attr("invitation-closed", "data-state"); got != "declined" {
		t.Errorf("declined link: %q", got)
	}
	ib.noProblems("declined")
	if n := k.count(`SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'carl@beta.test' AND m.organization_id = $1`, acme.ID); n != 0 {
		t.Error("carl's invitation is still open")
	}
	// Invited again, he accepts: only the one button.
	link = ib.inviteFromConsole(acme.ID, "carl@beta.test")
	ib.visit(link, "invitation")
	ib.clickThen(orgSel("invitation-accept"), "hosted-account")
	ib.wantFlash("success", "You joined Acme Corp.")
	if m := k.membership(acme.ID, "carl@beta.test"); m.Status != model.StatusActive {
		t.Errorf("carl in Acme: %s", m.Status)
	}

	// Revoked from the console: the link says it was withdrawn.
	link = ib.inviteFromConsole(acme.ID, "rev@acme.test")
	ib.open("/organizations/"+acme.ID+"/invitations", "invitations-table")
	ib.clickThen(`[data-email="rev@acme.test"] `+orgSel("invitation-revoke"), "confirm-form")
	ib.clickThen(orgSel("confirm-submit"), "flash")
	ib.visit(link, "invitation-closed")
	if got := ib.attr("invitation-closed", "data-state"); got != "revoked" {
		t.Errorf("revoked link: %q", got)
	}
	ib.noProblems("revoked")
	ib.b.Screenshot("invitation-revoked")

	// Expired: 15 days on, the page says so; asking tells the inviter.
	link = ib.inviteFromConsole(acme.ID, "late@acme.test")
	ib.srv.Clock.Advance(15*24*time.Hour + time.Minute)
	ib.visit(link, "invitation-ask")
	if got := ib.attr("invitation-closed", "data-state"); got != "expired" {
		t.Errorf("expired link: %q", got)
	}
	ib.noProblems("expired")
	ib.b.Screenshot("invitation-expired")
	ib.clickThen(orgSel("invitation-ask"), "invitation-asked")
	ib.wantFlash("success", "We let ed@roster.test know")
	if n := len(webtest.OutboxTo(t, ib.srv, "ed@roster.test")); n != 1 {
		t.Errorf("%d mails to the inviter", n)
	}

	// The expiry job writes down what the pages already showed.
	webtest.DeliverMail(t, ib.srv, ib.sm)
	if m := k.membership(acme.ID, "late@acme.test"); m.Status != model.StatusPendingInvite {
		t.Fatalf("stored status before the job: %s", m.Status)
	}
	runExpiryJob(t, ib.srv)
	if m := k.membership(acme.ID, "late@acme.test"); m.Status != model.StatusInviteExpired {
		t.Errorf("stored status after the job: %s", m.Status)
	}
}

func TestBulkInviteInBrowser(t *testing.T) {
	ib := newInviteBrowser(t)
	k := ib.k
	acme := k.org("Acme Corp", "ada@acme.test")
	k.member(acme.ID, "max@acme.test")

	ib.open("/organizations/"+acme.ID+"/invitations/bulk", "bulk-form")
	ib.noProblems("bulk form")
	// Nothing typed: the message stands beside the box.
	ib.clickThen(orgSel("bulk-preview"), "error-addresses")
	ib.b.Screenshot("bulk-invite-form")
	ib.b.Run(
		chromedp.SendKeys(chromedp.CSS("#addresses"), "ann@acme.test\nbob@acme.test,admin\nnot an address\nmax@acme.test\ncy@acme.test\n"),
		chromedp.SetValue(chromedp.CSS("#role"), "member"),
	)
	ib.clickThen(orgSel("bulk-preview"), "bulk-preview-title")
	ib.noProblems("bulk preview")
	outcomes := testkit.Result(ib.b, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid="bulk-row"]')].map(r => r.dataset.email + " " + r.dataset.outcome)`))
	want := []string{"ann@acme.test invite_new", "bob@acme.test invite_new", "not an address bad_address", "max@acme.test already_member", "cy@acme.test invite_new"}
	if strings.Join(outcomes, "|") != strings.Join(want, "|") {
		t.Errorf("preview %v", outcomes)
	}
	if n := k.count(`SELECT count(*) FROM users WHERE email IN ('ann@acme.test', 'bob@acme.test', 'cy@acme.test')`); n != 0 {
		t.Fatal("the preview created users")
	}
	ib.b.Screenshot("bulk-invite-preview")
	ib.b.Mobile()
	ib.b.Screenshot("bulk-invite-preview-mobile")
	ib.b.Desktop()

	// Change the list: the form comes back with it; preview again.
	ib.clickThen(orgSel("bulk-edit"), "bulk-form")
	if got := testkit.Result(ib.b, chromedp.Value(chromedp.CSS("#addresses"))); !strings.Contains(got, "not an address") {
		t.Errorf("list after going back: %q", got)
	}
	ib.clickThen(orgSel("bulk-preview"), "bulk-preview-title")
	if got := ib.text("bulk-confirm"); got != "Send 3 invitations" {
		t.Errorf("confirm button %q", got)
	}
	ib.clickThen(orgSel("bulk-confirm"), "bulk-done-title")
	ib.noProblems("bulk done")
	ib.b.Screenshot("bulk-invite-done")
	for _, e := range []string{"ann@acme.test", "bob@acme.test", "cy@acme.test"} {
		if m := k.membership(acme.ID, e); m.Status != model.StatusPendingInvite {
			t.Errorf("%s: %s", e, m.Status)
		}
	}
	if m := k.membership(acme.ID, "bob@acme.test"); m.Roles[0].Name != "admin" {
		t.Errorf("bob's roles %+v", m.Roles)
	}
	if r := webtest.DeliverMail(t, ib.srv, ib.sm); r.Sent != 3 {
		t.Errorf("delivered %+v", r)
	}
	ib.clickThen(orgSel("bulk-back"), "invitations-table")
}

// runExpiryJob runs one round of the invitation expiry job on srv's clock.
func runExpiryJob(t *testing.T, srv *webtest.Server) int {
	t.Helper()
	n, err := invitations.NewExpiryJob(srv.Store, srv.Clock, testkit.Logger(t), invitations.ExpiryOptions{}).RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
