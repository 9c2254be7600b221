package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/internal/adminauth"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// TestSetupOwnerFirstRunInBrowser walks a new user's first minutes: signed
// in through the setup link as the default first owner, owner@localhost
// (an address nobody can write to), they create an organization with its
// first admin, invite one person and then several at once, and every
// invitation goes out. Before, each was refused with "Inviter_email: must
// be a valid email address", while the bulk preview promised success.
func TestSetupOwnerFirstRunInBrowser(t *testing.T) {
	srv := webtest.NewServer(t)
	b := testkit.NewBrowser(t)
	k := orgBrowser{browserKit{t, b}, srv}

	// The link `roster serve` prints in setup mode.
	token, _, err := adminauth.New(srv.Store, srv.Clock).CreateLoginLink(context.Background(), "owner@localhost")
	if err != nil {
		t.Fatal(err)
	}
	b.Run(chromedp.Navigate(srv.URL + "/login/link/" + token))
	k.waitFor("use-link")
	b.Run(chromedp.Click(chromedp.CSS(orgSel("use-link"))))
	k.waitFor("admin-menu")

	// An organization with its first admin.
	k.open("/organizations/new", "org-form")
	k.fill("display_name", "Acme Corp")
	k.fill("admin_email", "ann@acme.test")
	k.clickThen(orgSel("org-form-submit"), "org-details")
	k.wantFlash("success", "Invited ann@acme.test as its first admin.")
	orgID := k.text("org-id")

	// One person.
	k.open("/organizations/"+orgID+"/invitations", "invite-form")
	k.fill("email", "bob@acme.test")
	k.clickThen(orgSel("invite-submit"), "flash")
	k.wantFlash("success", "Invited bob@acme.test")

	// Several at once: the preview promises three, and three go.
	k.open("/organizations/"+orgID+"/invitations/bulk", "bulk-form")
	b.Run(chromedp.SetValue(chromedp.CSS("#addresses"), "cy@acme.test\ndee@acme.test\neve@acme.test,admin\n"))
	k.clickThen(orgSel("bulk-preview"), "bulk-preview-title")
	outcomes := testkit.Result(b, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid="bulk-row"]')].map(r => r.dataset.email + " " + r.dataset.outcome + " " + r.querySelector('[data-testid="bulk-outcome"]').textContent.trim())`))
	want := "cy@acme.test invite_new New person, invited|dee@acme.test invite_new New person, invited|eve@acme.test invite_new New person, invited"
	if got := strings.Join(outcomes, "|"); got != want {
		t.Errorf("preview %s", got)
	}
	k.noProblems("bulk preview")
	k.clickThen(orgSel("bulk-confirm"), "bulk-done-title")
	if got := k.text("bulk-done-title"); got != "3 invitations sent" {
		t.Errorf("the result says %q", got)
	}
	if n := k.count(`[data-testid="bulk-outcome"].badge--danger`); n != 0 {
		t.Errorf("%d rows failed", n)
	}
	k.noProblems("bulk result")
	b.Screenshot("first-run-bulk-sent")

	var pending, mails, withInviter int
	db := srv.DB
	if err := db.Get(&pending, `SELECT count(*) FROM memberships WHERE organization_id = $1 AND status = 'PENDING_INVITE'`, orgID); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&mails, `SELECT count(*) FROM email_outbox WHERE kind = 'invitation' AND organization_id = $1`, orgID); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&withInviter, `SELECT count(*) FROM memberships WHERE organization_id = $1 AND inviter_email IS NOT NULL`, orgID); err != nil {
		t.Fatal(err)
	}
	if pending != 5 || mails != 5 || withInviter != 0 {
		t.Errorf("%d pending invitations, %d mails, %d naming an inviter; want 5, 5, 0", pending, mails, withInviter)
	}
	for _, m := range testkit.Outbox(t, srv.Store, "eve@acme.test") {
		if strings.Contains(m.Text, "localhost") {
			t.Errorf("the invitation names the setup owner:\n%s", m.Text)
		}
	}
}
