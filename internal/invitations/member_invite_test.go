package invitations_test

import (
	"errors"
	"testing"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
)

func TestInviteAsMember(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	other := f.org("Beta")
	admin := f.member(o.ID, "ada@acme.test", "admin")
	member := f.member(o.ID, "max@acme.test", "member")
	outsider := f.member(other.ID, "oz@beta.test", "admin")
	// A role between the two: may invite, but not give admin.
	if _, err := f.dir.CreateOrgRole(f.ctx, o.ID, directory.RoleInput{
		Name: "recruiter", DisplayName: ptr("Recruiter"), Extends: ptr("member"), Permissions: &[]string{"members:invite"},
	}); err != nil {
		t.Fatal(err)
	}
	recruiter := f.member(o.ID, "rae@acme.test", "recruiter")

	for _, u := range []model.User{member, outsider} {
		if _, err := f.inv.InviterFor(f.ctx, o.ID, u.ID); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("%s may invite: %v", u.Email, err)
		}
		if _, err := f.inv.InviteAsMember(f.ctx, o.ID, u.ID, "new@acme.test", "", "10.0.0.1"); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("%s invited: %v", u.Email, err)
		}
	}

	inv, err := f.inv.InviterFor(f.ctx, o.ID, recruiter.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range inv.Roles {
		names = append(names, r.Name)
	}
	if len(names) != 2 || names[0] != "member" || names[1] != "recruiter" {
		t.Fatalf("a recruiter may give %v", names)
	}
	if _, err := f.inv.InviteAsMember(f.ctx, o.ID, recruiter.ID, "new@acme.test", "admin", "10.0.0.1"); apperr.FieldErrors(err)["role"] == "" {
		t.Fatalf("a recruiter gave admin: %v", err)
	}
	u, err := f.inv.InviteAsMember(f.ctx, o.ID, recruiter.ID, "new@acme.test", "", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	m := f.membership(o.ID, u.ID)
	if m.Status != model.StatusPendingInvite || *m.InviterEmail != "rae@acme.test" || m.Roles[0].Name != "member" {
		t.Fatalf("membership %+v", m)
	}
	if _, err := f.inv.InviteAsMember(f.ctx, o.ID, admin.ID, "max@acme.test", "member", "10.0.0.1"); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("inviting a member: %v", err)
	}
	if _, err := f.inv.InviteAsMember(f.ctx, o.ID, admin.ID, "second@acme.test", "admin", "10.0.0.1"); err != nil {
		t.Fatalf("an admin giving admin: %v", err)
	}
}
