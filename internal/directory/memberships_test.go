package directory_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/testkit"
)

func TestCreatorGetsAdminOthersGetMember(t *testing.T) {
	f := newFixture(t)
	creator := f.member(f.org("Seed").ID, "creator@acme.test") // a user to create the next org
	o, err := f.dir.CreateOrganization(f.ctx, directory.OrganizationInput{DisplayName: ptr("Acme"), CreatorUserID: creator.ID})
	if err != nil {
		t.Fatal(err)
	}
	joiner := f.member(o.ID, "joiner@acme.test")

	u, err := f.dir.User(f.ctx, creator.ID)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := membershipIn(u, o.ID)
	if got := roleNames(m); len(got) != 1 || got[0] != "admin" || m.ProvisioningMethod != model.ProvisionedOrgCreator || m.Status != model.StatusActive {
		t.Errorf("creator membership = %v %s %s, want [admin] org_creator ACTIVE", got, m.ProvisioningMethod, m.Status)
	}
	// admin extends member, so its effective permissions include member's.
	if !contains(m.Permissions, "members:read") || !contains(m.Permissions, "members:remove") {
		t.Errorf("admin permissions = %v, want inherited members:read and own members:remove", m.Permissions)
	}
	jm, _ := membershipIn(joiner, o.ID)
	if got := roleNames(jm); len(got) != 1 || got[0] != "member" {
		t.Errorf("joiner roles = %v, want [member]", got)
	}
	if jm.JoinedAt == nil || !jm.JoinedAt.Equal(f.clock.Now()) {
		t.Errorf("joiner join time = %v, want %v", jm.JoinedAt, f.clock.Now())
	}
}

func TestOrgDefaultMemberRoleWins(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	if _, err := f.dir.CreateOrgRole(f.ctx, o.ID, directory.RoleInput{Name: "viewer", DisplayName: ptr("Viewer")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.dir.SetOrgDefaultMemberRole(f.ctx, o.ID, "viewer"); err != nil {
		t.Fatal(err)
	}
	u := f.member(o.ID, "v@acme.test")
	m, _ := membershipIn(u, o.ID)
	if got := roleNames(m); len(got) != 1 || got[0] != "viewer" {
		t.Errorf("roles = %v, want the org's default [viewer]", got)
	}
	// Another org still gets the environment's default.
	other := f.org("Other")
	u2 := f.member(other.ID, "m@other.test")
	m2, _ := membershipIn(u2, other.ID)
	if got := roleNames(m2); len(got) != 1 || got[0] != "member" {
		t.Errorf("other org roles = %v, want [member]", got)
	}
}

func TestEmailIsUniqueCaseInsensitively(t *testing.T) {
	f := newFixture(t)
	a, b := f.org("A"), f.org("B")
	u1 := f.member(a.ID, "Ann@Example.com")
	u2 := f.member(b.ID, "  ann@example.COM ")
	if u1.ID != u2.ID {
		t.Fatalf("two users for one email: %s and %s", u1.ID, u2.ID)
	}
	if u2.Email != "Ann@Example.com" {
		t.Errorf("email = %q, want the first spelling kept", u2.Email)
	}
	if len(u2.Memberships) != 2 {
		t.Errorf("memberships = %d, want 2", len(u2.Memberships))
	}
}

func TestParallelCreationsOfOneEmailMakeOneUser(t *testing.T) {
	f := newFixture(t)
	const n = 100
	orgs := make([]model.Organization, n)
	for i := range orgs {
		orgs[i] = f.org(fmt.Sprintf("Org %d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Mix the case differently on every request.
			email := []byte("parallel.person@example.com")
			for j := range email {
				if (i>>uint(j%7))&1 == 1 && email[j] >= 'a' && email[j] <= 'z' {
					email[j] -= 32
				}
			}
			_, err := f.dir.AddMember(f.ctx, orgs[i].ID, directory.UserInput{Email: ptr(string(email))}, directory.MembershipInput{})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("add member: %v", err)
		}
	}
	if got := f.count(`SELECT count(*) FROM users WHERE lower(email) = 'parallel.person@example.com'`); got != 1 {
		t.Fatalf("users = %d, want exactly 1", got)
	}
	if got := f.count(`SELECT count(*) FROM memberships`); got != n {
		t.Errorf("memberships = %d, want %d", got, n)
	}
}

func TestLastAdminRule(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	admin := f.member(o.ID, "admin@acme.test", "admin")

	// Alone in the org, the admin may not step down (the org would have an
	// active member and no admin), nor leave: while the org exists, it
	// keeps an admin. The refusal names a stable reason for API callers.
	_, err := f.dir.UpdateMembership(f.ctx, o.ID, admin.ID, directory.MembershipInput{Roles: []string{"member"}})
	wantCode(t, err, apperr.ErrFailedPrecondition)
	err = f.dir.RemoveMembership(f.ctx, o.ID, admin.ID, ptr(false))
	wantCode(t, err, apperr.ErrFailedPrecondition)
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Reason != directory.ReasonLastAdmin || !strings.Contains(ae.Message, "or delete the organization") {
		t.Errorf("the only member leaving: %#v", err)
	}
	if last, err := f.dir.IsLastAdmin(f.ctx, membershipOf(t, f, o.ID, admin.ID)); err != nil || !last {
		t.Errorf("IsLastAdmin = %v, %v", last, err)
	}
	member := f.member(o.ID, "member@acme.test")
	// A pending invitation does not count as an admin.
	if _, err := f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("invited@acme.test")},
		directory.MembershipInput{Roles: []string{"admin"}, SendInvitation: true}); err != nil {
		t.Fatal(err)
	}

	_, err = f.dir.UpdateMembership(f.ctx, o.ID, admin.ID, directory.MembershipInput{Roles: []string{"member"}})
	wantCode(t, err, apperr.ErrFailedPrecondition)
	if !strings.Contains(err.Error(), "last active admin") {
		t.Errorf("message %q does not say why", err)
	}
	wantCode(t, f.dir.RemoveMembership(f.ctx, o.ID, admin.ID, nil), apperr.ErrFailedPrecondition)
	wantCode(t, f.dir.DeleteUser(f.ctx, admin.ID), apperr.ErrFailedPrecondition)
	if last, err := f.dir.IsLastAdmin(f.ctx, membershipOf(t, f, o.ID, member.ID)); err != nil || last {
		t.Errorf("a member is not an admin: IsLastAdmin = %v, %v", last, err)
	}

	// Nothing changed.
	u, _ := f.dir.User(f.ctx, admin.ID)
	if m, ok := membershipIn(u, o.ID); !ok || roleNames(m)[0] != "admin" {
		t.Fatalf("admin membership changed: %+v", u.Memberships)
	}

	// With a second admin, the first may go.
	if _, err := f.dir.UpdateMembership(f.ctx, o.ID, member.ID, directory.MembershipInput{Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.dir.RemoveMembership(f.ctx, o.ID, admin.ID, nil); err != nil {
		t.Fatalf("removing one of two admins: %v", err)
	}
	// The org deleted, its last admin goes with it.
	if err := f.dir.DeleteOrganization(f.ctx, o.ID); err != nil {
		t.Fatal(err)
	}
}

func membershipOf(t *testing.T, f *fixture, orgID, userID string) model.Membership {
	t.Helper()
	m, err := f.dir.Membership(f.ctx, orgID, userID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParallelAdminRemovalsLeaveOneAdmin(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	var admins []model.User
	for i := 0; i < 8; i++ {
		admins = append(admins, f.member(o.ID, fmt.Sprintf("admin%d@acme.test", i), "admin"))
	}
	f.member(o.ID, "member@acme.test")

	var wg sync.WaitGroup
	results := make(chan error, 2*len(admins))
	for _, a := range admins {
		wg.Add(2)
		go func(id string) { defer wg.Done(); results <- f.dir.RemoveMembership(f.ctx, o.ID, id, nil) }(a.ID)
		go func(id string) {
			defer wg.Done()
			_, err := f.dir.UpdateMembership(f.ctx, o.ID, id, directory.MembershipInput{Roles: []string{"member"}})
			results <- err
		}(a.ID)
	}
	wg.Wait()
	close(results)
	for err := range results {
		if err != nil && !isCode(err, apperr.ErrFailedPrecondition) && !isCode(err, apperr.ErrNotFound) {
			t.Errorf("unexpected error: %v", err)
		}
	}
	got := f.count(`SELECT count(*) FROM memberships m JOIN membership_roles mr ON mr.membership_id = m.id
		JOIN roles r ON r.id = mr.role_id WHERE m.organization_id = $1 AND r.name = 'admin' AND m.status = 'ACTIVE'`, o.ID)
	if got != 1 {
		t.Fatalf("active admins = %d, want exactly 1", got)
	}
}

func TestRemovingAMemberEndsTheirSessionsInThatOrg(t *testing.T) {
	f := newFixture(t)
	a, b := f.org("A"), f.org("B")
	f.member(a.ID, "admin@a.test", "admin")
	u := f.member(a.ID, "pat@example.com")
	f.member(b.ID, "pat@example.com")
	inA, inB := f.session(u.ID, a.ID), f.session(u.ID, b.ID)

	if err := f.dir.RemoveMembership(f.ctx, a.ID, u.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got := f.sessionStatus(inA.ID); got != "REVOKED" {
		t.Errorf("session in A = %s, want REVOKED", got)
	}
	if got := f.sessionStatus(inB.ID); got != "ACTIVE" {
		t.Errorf("session in B = %s, want ACTIVE: removal from A must not end B", got)
	}
	// The user keeps their account, since they still belong to B.
	if _, err := f.dir.User(f.ctx, u.ID); err != nil {
		t.Errorf("user gone after leaving one of two orgs: %v", err)
	}
}

func TestUserLeftWithoutMembershipIsKeptByDefault(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	f.member(o.ID, "admin@acme.test", "admin")
	gone := f.member(o.ID, "gone@acme.test")
	kept := f.member(o.ID, "kept@acme.test")
	byDefault := f.member(o.ID, "default@acme.test")
	asked := f.member(o.ID, "asked@acme.test")
	s := f.session(gone.ID, o.ID)

	// Out of the box the environment keeps users without organizations;
	// cascade=true deletes one anyway.
	if err := f.dir.RemoveMembership(f.ctx, o.ID, byDefault.ID, nil); err != nil {
		t.Fatal(err)
	}
	if u, err := f.dir.User(f.ctx, byDefault.ID); err != nil || len(u.Memberships) != 0 {
		t.Errorf("the default deleted a user: %v %+v", err, u.Memberships)
	}
	if err := f.dir.RemoveMembership(f.ctx, o.ID, asked.ID, ptr(true)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, errOf(f.dir.User(f.ctx, asked.ID)), apperr.ErrNotFound)

	// Set to delete them, the environment does, unless told to keep one.
	f.deleteOrphans()
	if err := f.dir.RemoveMembership(f.ctx, o.ID, gone.ID, nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, errOf(f.dir.User(f.ctx, gone.ID)), apperr.ErrNotFound)
	if got := f.count(`SELECT count(*) FROM sessions WHERE id = $1`, s.ID); got != 0 {
		t.Errorf("deleted user's session row still there")
	}

	if err := f.dir.RemoveMembership(f.ctx, o.ID, kept.ID, ptr(false)); err != nil {
		t.Fatal(err)
	}
	u, err := f.dir.User(f.ctx, kept.ID)
	if err != nil || len(u.Memberships) != 0 {
		t.Errorf("cascade=false should keep the user with no memberships: %v %+v", err, u.Memberships)
	}
	if got := f.count(`SELECT count(*) FROM audit_events WHERE action = 'membership.removed' AND organization_id = $1`, o.ID); got != 4 {
		t.Errorf("audit membership.removed events = %d, want 4", got)
	}
}

func TestDeleteUserRevokesEverything(t *testing.T) {
	f := newFixture(t)
	a, b := f.org("A"), f.org("B")
	f.member(a.ID, "admin@a.test", "admin")
	f.member(b.ID, "admin@b.test", "admin")
	u := f.member(a.ID, "pat@example.com")
	f.member(b.ID, "pat@example.com")
	s1, s2 := f.session(u.ID, a.ID), f.session(u.ID, b.ID)
	// Keep the session rows to look at: they go with the user, so watch
	// for the revocation through a second connection's view before delete.
	if err := f.dir.DeleteUser(f.ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{s1.ID, s2.ID} {
		if got := f.count(`SELECT count(*) FROM sessions WHERE id = $1 AND status = 'ACTIVE'`, id); got != 0 {
			t.Errorf("session %s still active", id)
		}
	}
	if got := f.count(`SELECT count(*) FROM memberships WHERE user_id = $1`, u.ID); got != 0 {
		t.Errorf("memberships left: %d", got)
	}
	if got := f.count(`SELECT count(*) FROM audit_events WHERE action = 'user.deleted' AND user_id = $1`, u.ID); got != 1 {
		t.Errorf("user.deleted audit events = %d, want 1", got)
	}
}

func TestDeleteOrganization(t *testing.T) {
	f := newFixture(t)
	f.deleteOrphans()
	a, b := f.org("A"), f.org("B")
	only := f.member(a.ID, "only@a.test", "admin")
	both := f.member(a.ID, "both@example.com")
	f.member(b.ID, "both@example.com", "admin")
	s := f.session(both.ID, a.ID)

	members, orphans, err := f.dir.DeletionImpact(f.ctx, a.ID)
	if err != nil || members != 2 || orphans != 1 {
		t.Fatalf("impact = %d members, %d users deleted, %v; want 2, 1", members, orphans, err)
	}
	if err := f.dir.DeleteOrganization(f.ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, errOf(f.dir.Organization(f.ctx, a.ID)), apperr.ErrNotFound)
	wantCode(t, errOf(f.dir.User(f.ctx, only.ID)), apperr.ErrNotFound)
	u, err := f.dir.User(f.ctx, both.ID)
	if err != nil || len(u.Memberships) != 1 || u.Memberships[0].OrganizationID != b.ID {
		t.Fatalf("user of two orgs after deleting one: %v %+v", err, u.Memberships)
	}
	if got := f.sessionStatus(s.ID); got != "REVOKED" {
		t.Errorf("session in deleted org = %s, want REVOKED", got)
	}
}

func TestInvitationLifecycle(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme & Co")
	invite := directory.MembershipInput{SendInvitation: true, InviterEmail: ptr("boss@acme.test"), Roles: []string{"admin"}}
	u, err := f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("new@acme.test")}, invite)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := membershipIn(u, o.ID)
	if m.Status != model.StatusPendingInvite || m.ProvisioningMethod != model.ProvisionedInvitation {
		t.Fatalf("status %s via %s, want PENDING_INVITE via invitation", m.Status, m.ProvisioningMethod)
	}
	wantExpiry := f.clock.Now().Add(15 * 24 * time.Hour)
	if m.InviteExpiresAt == nil || !m.InviteExpiresAt.Equal(wantExpiry) {
		t.Errorf("expires %v, want %v (15 days)", m.InviteExpiresAt, wantExpiry)
	}
	if got := f.count(`SELECT count(*) FROM email_outbox WHERE to_address = 'new@acme.test' AND kind = 'invitation'`); got != 1 {
		t.Fatalf("invitation mails = %d, want 1", got)
	}
	body := testkit.Outbox(t, f.st, "new@acme.test")[0].Text
	if !strings.Contains(body, "boss@acme.test") || !strings.Contains(body, "Acme & Co") || !strings.Contains(body, "http://roster.test/invitations/") {
		t.Errorf("mail body lacks inviter, org or link:\n%s", body)
	}
	// Only a hash of the link's token is stored.
	token := body[strings.Index(body, "/invitations/")+len("/invitations/"):]
	token = strings.Fields(token)[0]
	if got := f.count(`SELECT count(*) FROM one_time_tokens WHERE token_hash = sha256($1::bytea)`, token); got != 1 {
		t.Errorf("token hash rows = %d, want 1", got)
	}
	if got := f.count(`SELECT count(*) FROM one_time_tokens WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%'`, token); got != 0 {
		t.Errorf("the token is stored in clear")
	}

	// Inviting again is a reminder: one more mail, same expiry, resent_count 1.
	f.clock.Advance(time.Hour)
	u, err = f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("NEW@acme.test")}, invite)
	if err != nil {
		t.Fatal(err)
	}
	m, _ = membershipIn(u, o.ID)
	if m.ResentCount != 1 || !m.InviteExpiresAt.Equal(wantExpiry) {
		t.Errorf("after re-invite: resent %d expires %v; want 1 and unchanged", m.ResentCount, m.InviteExpiresAt)
	}
	if got := f.count(`SELECT count(*) FROM one_time_tokens WHERE membership_id = $1 AND revoked_at IS NULL`, m.ID); got != 1 {
		t.Errorf("live invitation links = %d, want 1 (the old one revoked)", got)
	}

	// Past expiry, a resend sets a new expiry.
	f.clock.Advance(16 * 24 * time.Hour)
	u, _ = f.dir.User(f.ctx, u.ID)
	if m, _ = membershipIn(u, o.ID); m.Status != model.StatusInviteExpired {
		t.Errorf("status past expiry = %s, want INVITE_EXPIRED on read", m.Status)
	}
	u, err = f.dir.ResendInvite(f.ctx, o.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	m, _ = membershipIn(u, o.ID)
	if m.ResentCount != 2 || !m.InviteExpiresAt.Equal(f.clock.Now().Add(15*24*time.Hour)) {
		t.Errorf("after expired resend: resent %d expires %v", m.ResentCount, m.InviteExpiresAt)
	}
	if got := f.count(`SELECT count(*) FROM email_outbox WHERE to_address = 'new@acme.test'`); got != 3 {
		t.Errorf("mails = %d, want 3", got)
	}

	// An active member cannot be re-invited, and gets no mail.
	active := f.member(o.ID, "active@acme.test")
	_, err = f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("active@acme.test")}, invite)
	wantCode(t, err, apperr.ErrConflict)
	wantCode(t, errOf(f.dir.ResendInvite(f.ctx, o.ID, active.ID)), apperr.ErrFailedPrecondition)
	if got := f.count(`SELECT count(*) FROM email_outbox WHERE to_address = 'active@acme.test'`); got != 0 {
		t.Errorf("an active member got %d mails", got)
	}
}

// TestInvitingAnExpiredInviteeInvitesAgain: once the expiry job has marked
// an invitation INVITE_EXPIRED, inviting the address again is a new
// invitation (fresh link and expiry), not "already a member"; within the
// org's user limit, which an expired invitation no longer counts in.
func TestInvitingAnExpiredInviteeInvitesAgain(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	invite := directory.MembershipInput{SendInvitation: true, InvitedBy: "ed@acme.test"}
	u, err := f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("late@acme.test")}, invite)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(16 * 24 * time.Hour)
	// As the expiry job leaves it.
	if _, err := f.db.Exec(`UPDATE memberships SET status = 'INVITE_EXPIRED' WHERE user_id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	u, err = f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("Late@acme.test")}, invite)
	if err != nil {
		t.Fatalf("inviting an expired invitee again: %v", err)
	}
	m, _ := membershipIn(u, o.ID)
	if m.Status != model.StatusPendingInvite || m.ResentCount != 1 || !m.InviteExpiresAt.Equal(f.clock.Now().Add(15*24*time.Hour)) {
		t.Errorf("after inviting again: %s, resent %d, expires %v", m.Status, m.ResentCount, m.InviteExpiresAt)
	}
	if got := f.count(`SELECT count(*) FROM email_outbox WHERE to_address = 'late@acme.test'`); got != 2 {
		t.Errorf("mails = %d, want 2", got)
	}

	// An expired invitation holds no place under the user limit; renewing
	// it takes one, so it is refused when the org is full.
	if _, err := f.db.Exec(`UPDATE memberships SET status = 'INVITE_EXPIRED' WHERE user_id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.dir.UpdateOrganizationSettings(f.ctx, o.ID, directory.OrganizationSettings{MaxAllowedUsers: ptr(1)}); err != nil {
		t.Fatal(err)
	}
	f.member(o.ID, "one@acme.test")
	_, err = f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("late@acme.test")}, invite)
	wantCode(t, err, apperr.ErrFailedPrecondition)
	wantCode(t, errOf(f.dir.ResendInvite(f.ctx, o.ID, u.ID)), apperr.ErrFailedPrecondition)
}

// TestConsoleInviterNeedNotBeAMailbox: the setup owner (owner@localhost)
// invites like anyone; only an address people can write to is recorded as
// the inviter. An API caller's inviter_email must still be an address.
func TestConsoleInviterNeedNotBeAMailbox(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	u, err := f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("ann@acme.test")},
		directory.MembershipInput{SendInvitation: true, InvitedBy: "owner@localhost"})
	if err != nil {
		t.Fatalf("the setup owner inviting: %v", err)
	}
	if m, _ := membershipIn(u, o.ID); m.Status != model.StatusPendingInvite || m.InviterEmail != nil {
		t.Errorf("invited by the setup owner: %s, inviter %v", m.Status, m.InviterEmail)
	}
	if body := testkit.Outbox(t, f.st, "ann@acme.test")[0].Text; strings.Contains(body, "localhost") {
		t.Errorf("the mail names the setup owner:\n%s", body)
	}
	u, err = f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("bob@acme.test")},
		directory.MembershipInput{SendInvitation: true, InvitedBy: "Ed@Acme.test"})
	if m, _ := membershipIn(u, o.ID); err != nil || m.InviterEmail == nil || *m.InviterEmail != "Ed@Acme.test" {
		t.Errorf("invited by a mailbox: %v, inviter %v", err, m.InviterEmail)
	}
	org, err := f.dir.CreateOrganizationInvitingAdmin(f.ctx, directory.OrganizationInput{DisplayName: ptr("Beta")}, "cy@beta.test", "owner@localhost")
	if err != nil {
		t.Fatalf("creating an org with a first admin as the setup owner: %v", err)
	}
	if f.count(`SELECT count(*) FROM memberships WHERE organization_id = $1 AND status = 'PENDING_INVITE'`, org.ID) != 1 {
		t.Error("the first admin is not invited")
	}
	_, err = f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("cat@acme.test")},
		directory.MembershipInput{SendInvitation: true, InviterEmail: ptr("owner@localhost")})
	if apperr.FieldErrors(err)["inviter_email"] == "" {
		t.Errorf("API inviter_email owner@localhost: %v", err)
	}
}

func TestMaxAllowedUsers(t *testing.T) {
	f := newFixture(t)
	o := f.org("Small")
	if _, err := f.dir.UpdateOrganizationSettings(f.ctx, o.ID, directory.OrganizationSettings{MaxAllowedUsers: ptr(2)}); err != nil {
		t.Fatal(err)
	}
	f.member(o.ID, "one@small.test")
	if _, err := f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("two@small.test")}, directory.MembershipInput{SendInvitation: true}); err != nil {
		t.Fatal(err)
	}
	_, err := f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("three@small.test")}, directory.MembershipInput{})
	wantCode(t, err, apperr.ErrFailedPrecondition)
	if got := f.count(`SELECT count(*) FROM users WHERE email = 'three@small.test'`); got != 0 {
		t.Errorf("a refused add left its user behind")
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	cases := []struct {
		name  string
		field string
		call  func() error
	}{
		{"bad email", "email", func() error {
			return errOf(f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("not-an-email")}, directory.MembershipInput{}))
		}},
		{"email with display name", "email", func() error {
			return errOf(f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("Ann <ann@x.test>")}, directory.MembershipInput{}))
		}},
		{"unknown role", "roles", func() error {
			return errOf(f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("ok@x.test")}, directory.MembershipInput{Roles: []string{"nope"}}))
		}},
		{"short metadata key", "metadata.ab", func() error {
			return errOf(f.dir.AddMember(f.ctx, o.ID, directory.UserInput{Email: ptr("ok@x.test")}, directory.MembershipInput{Metadata: model.Metadata{"ab": "x"}}))
		}},
		{"long metadata value", "metadata.key", func() error {
			return errOf(f.dir.UpdateOrganization(f.ctx, o.ID, directory.OrganizationInput{Metadata: model.Metadata{"key": strings.Repeat("x", 257)}}))
		}},
		{"slug not a DNS label", "slug", func() error {
			return errOf(f.dir.CreateOrganization(f.ctx, directory.OrganizationInput{DisplayName: ptr("X"), Slug: ptr("Not_A_Label")}))
		}},
		{"empty name", "display_name", func() error {
			return errOf(f.dir.CreateOrganization(f.ctx, directory.OrganizationInput{DisplayName: ptr("  ")}))
		}},
		{"long name", "display_name", func() error {
			return errOf(f.dir.CreateOrganization(f.ctx, directory.OrganizationInput{DisplayName: ptr(strings.Repeat("n", 201))}))
		}},
		{"http logo", "logo_url", func() error {
			return errOf(f.dir.CreateOrganization(f.ctx, directory.OrganizationInput{DisplayName: ptr("X"), LogoURL: ptr("http://x.test/a.png")}))
		}},
		{"unknown feature", "features.teleport", func() error {
			return errOf(f.dir.UpdateOrganizationSettings(f.ctx, o.ID, directory.OrganizationSettings{Features: map[string]bool{"teleport": true}}))
		}},
	}
	before := f.count(`SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM organizations) + (SELECT count(*) FROM memberships) + (SELECT count(*) FROM audit_events)`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			wantCode(t, err, apperr.ErrInvalid)
			if _, ok := apperr.FieldErrors(err)[c.field]; !ok {
				t.Errorf("violations %v do not name %q", apperr.FieldErrors(err), c.field)
			}
		})
	}
	after := f.count(`SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM organizations) + (SELECT count(*) FROM memberships) + (SELECT count(*) FROM audit_events)`)
	if after != before {
		t.Errorf("rows changed from %d to %d after bad input", before, after)
	}
}

func TestDuplicateSlugAndExternalIDAreConflicts(t *testing.T) {
	f := newFixture(t)
	if _, err := f.dir.CreateOrganization(f.ctx, directory.OrganizationInput{DisplayName: ptr("A"), Slug: ptr("acme"), ExternalID: ptr("ext-1")}); err != nil {
		t.Fatal(err)
	}
	_, err := f.dir.CreateOrganization(f.ctx, directory.OrganizationInput{DisplayName: ptr("B"), Slug: ptr("acme")})
	wantCode(t, err, apperr.ErrConflict)
	if _, ok := apperr.FieldErrors(err)["slug"]; !ok {
		t.Errorf("conflict does not name slug: %v", err)
	}
	_, err = f.dir.CreateOrganization(f.ctx, directory.OrganizationInput{DisplayName: ptr("B"), ExternalID: ptr("ext-1")})
	wantCode(t, err, apperr.ErrConflict)
}

func TestMemberListPagesAndSearch(t *testing.T) {
	f := newFixture(t)
	o := f.org("Big")
	other := f.org("Other")
	for i := 0; i < 7; i++ {
		f.member(o.ID, fmt.Sprintf("person%02d@big.test", i))
		f.clock.Advance(time.Second)
	}
	f.member(other.ID, "person99@big.test")

	var seen []string
	page, info, err := f.dir.ListMembers(f.ctx, o.ID, storeFilter(""), pageOf(3, ""))
	for err == nil {
		for _, u := range page {
			seen = append(seen, u.Email)
		}
		if info.NextToken == "" {
			break
		}
		page, info, err = f.dir.ListMembers(f.ctx, o.ID, storeFilter(""), pageOf(3, info.NextToken))
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 7 || seen[0] != "person00@big.test" || seen[6] != "person06@big.test" {
		t.Fatalf("pages gave %v", seen)
	}
	if info.TotalSize != 7 {
		t.Errorf("total_size = %d, want 7", info.TotalSize)
	}
	// Back from the last page.
	back, _, err := f.dir.ListMembers(f.ctx, o.ID, storeFilter(""), pageOf(3, info.PrevToken))
	if err != nil || len(back) != 3 || back[0].Email != "person03@big.test" {
		t.Errorf("previous page = %v, %v", emails(back), err)
	}
	found, _, err := f.dir.ListMembers(f.ctx, o.ID, storeFilter("son0"), pageOf(10, ""))
	if err != nil || len(found) != 7 {
		t.Errorf("search son0 found %v, %v", emails(found), err)
	}
	found, _, _ = f.dir.ListMembers(f.ctx, o.ID, storeFilter("person99"), pageOf(10, ""))
	if len(found) != 0 {
		t.Errorf("search found another org's member: %v", emails(found))
	}
	// A user of this org with 50 memberships loads them all.
	u, _ := f.dir.User(f.ctx, page[0].ID)
	if len(u.Memberships) != 1 {
		t.Errorf("memberships = %d", len(u.Memberships))
	}
}

func emails(us []model.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Email)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func errOf[T any](_ T, err error) error { return err }

func isCode(err error, c apperr.Code) bool { return err != nil && errorsIs(err, c) }
