package directory_test

import (
	"errors"
	"testing"
	"time"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/store"
)

func TestCreateOrganizationInvitingAdmin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	// A bad email refuses the whole thing, with every field's problem.
	_, err := f.dir.CreateOrganizationInvitingAdmin(f.ctx, directory.OrganizationInput{DisplayName: ptr("Acme"), Slug: ptr("Bad Slug")}, "ann@", "ed@roster.test")
	errs := apperr.FieldErrors(err)
	if errs["admin_email"] == "" || errs["slug"] == "" {
		t.Fatalf("errors %v", errs)
	}
	if n := f.count(`SELECT count(*) FROM organizations`) + f.count(`SELECT count(*) FROM users`); n != 0 {
		t.Fatalf("%d rows left by a refused create", n)
	}

	o, err := f.dir.CreateOrganizationInvitingAdmin(f.ctx, directory.OrganizationInput{DisplayName: ptr("Acme")}, " ann@acme.test ", "ed@roster.test")
	if err != nil {
		t.Fatal(err)
	}
	var m model.Membership
	if err := f.db.Get(&m, `SELECT m.* , '[]'::json AS roles, '' AS organization_name FROM memberships m WHERE organization_id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	if m.Status != model.StatusPendingInvite || m.InviterEmail == nil || *m.InviterEmail != "ed@roster.test" {
		t.Errorf("membership %s invited by %v", m.Status, m.InviterEmail)
	}
	if n := f.count(`SELECT count(*) FROM membership_roles mr JOIN roles r ON r.id = mr.role_id WHERE mr.membership_id = $1 AND r.name = 'admin'`, m.ID); n != 1 {
		t.Error("the first admin is not invited as admin")
	}
	if n := f.count(`SELECT count(*) FROM email_outbox WHERE to_address = 'ann@acme.test'`); n != 1 {
		t.Errorf("%d invitation emails", n)
	}

	// Without an email: the org alone.
	solo, err := f.dir.CreateOrganizationInvitingAdmin(f.ctx, directory.OrganizationInput{DisplayName: ptr("Solo")}, "", "ed@roster.test")
	if err != nil || f.count(`SELECT count(*) FROM memberships WHERE organization_id = $1`, solo.ID) != 0 {
		t.Errorf("org without admin: %v", err)
	}
}

func TestRevokeInvitation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.org("Acme")
	other := f.org("Other")
	active := f.member(o.ID, "ann@acme.test")
	invite := func(orgID, email string) model.User {
		u, err := f.dir.AddMember(f.ctx, orgID, directory.UserInput{Email: ptr(email)}, directory.MembershipInput{SendInvitation: true})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	only := invite(o.ID, "bob@acme.test")
	both := invite(o.ID, "cat@acme.test")
	promised := invite(o.ID, "dan@acme.test")
	f.member(other.ID, "cat@acme.test")
	f.deleteOrphans()

	if err := f.dir.RevokeInvitation(f.ctx, o.ID, active.ID, nil); !errors.Is(err, apperr.ErrFailedPrecondition) {
		t.Errorf("revoking an active member: %v", err)
	}
	if err := f.dir.RevokeInvitation(f.ctx, other.ID, only.ID, nil); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("revoking through another org: %v", err)
	}
	if err := f.dir.RevokeInvitation(f.ctx, o.ID, only.ID, nil); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM users WHERE id = $1`, only.ID); n != 0 {
		t.Error("a user left without memberships was kept")
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'invitation.revoked' AND user_id = $1`, only.ID); n != 1 {
		t.Errorf("%d audit events", n)
	}
	// A page that did not say the account goes keeps it, whatever the
	// environment says.
	if err := f.dir.RevokeInvitation(f.ctx, o.ID, promised.ID, directory.DeleteOrphanAsShown(false)); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM users WHERE id = $1`, promised.ID); n != 1 {
		t.Error("a user was deleted though the page did not say so")
	}

	// Expired invitations are revoked too; a user with another org stays.
	f.clock.Advance(30 * 24 * time.Hour)
	rows, _, err := f.dir.ListInvitations(f.ctx, o.ID, store.PageRequest{})
	if err != nil || len(rows) != 1 || rows[0].Status != model.StatusInviteExpired {
		t.Fatalf("open invitations: %v %+v", err, rows)
	}
	tokens := f.count(`SELECT count(*) FROM one_time_tokens WHERE user_id = $1`, both.ID)
	if err := f.dir.RevokeInvitation(f.ctx, o.ID, both.ID, nil); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM memberships WHERE user_id = $1`, both.ID); n != 1 {
		t.Errorf("cat has %d memberships, want the other org's", n)
	}
	if tokens == 0 || f.count(`SELECT count(*) FROM one_time_tokens WHERE user_id = $1 AND membership_id IS NOT NULL`, both.ID) != 0 {
		t.Error("the invitation's link outlived it")
	}
}

func TestMemberRemovalImpact(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o, other := f.org("Acme"), f.org("Other")
	ann := f.member(o.ID, "ann@acme.test")
	bob := f.member(o.ID, "bob@acme.test")
	f.member(other.ID, "bob@acme.test")
	ada := f.member(o.ID, "ada@acme.test", "admin")

	impact, err := f.dir.MemberRemovalImpact(f.ctx, o.ID, ann.ID)
	if err != nil || impact.DeletesUser || impact.OtherOrganizations != 0 || impact.LastAdmin {
		t.Errorf("ann, by default: %+v %v", impact, err)
	}
	f.deleteOrphans()
	impact, err = f.dir.MemberRemovalImpact(f.ctx, o.ID, ann.ID)
	if err != nil || !impact.DeletesUser || impact.OtherOrganizations != 0 {
		t.Errorf("ann, deleting orphans: %+v %v", impact, err)
	}
	impact, err = f.dir.MemberRemovalImpact(f.ctx, o.ID, ada.ID)
	if err != nil || !impact.LastAdmin {
		t.Errorf("ada, the only admin: %+v %v", impact, err)
	}
	impact, err = f.dir.MemberRemovalImpact(f.ctx, o.ID, bob.ID)
	if err != nil || impact.DeletesUser || impact.OtherOrganizations != 1 {
		t.Errorf("bob: %+v %v", impact, err)
	}
	if _, err := f.dir.MemberRemovalImpact(f.ctx, other.ID, ann.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("ann through another org: %v", err)
	}
}
