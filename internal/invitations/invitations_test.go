package invitations_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/invitations"
	"roster/internal/model"
	"roster/internal/store"
)

func TestLookupShowsTheInvitationWithoutUsingIt(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	u, token := f.invite(o.ID, "ann@acme.test", "admin")

	for range 3 { // a mail scanner opening the link changes nothing
		inv := f.lookup(token)
		wantState(t, inv, invitations.Open)
		if inv.OrganizationName != "Acme" || inv.Email != "ann@acme.test" || inv.InviterEmail != "ed@console.test" || inv.UserID != u.ID {
			t.Fatalf("invitation %+v", inv)
		}
		if len(inv.Roles) != 1 || inv.Roles[0].Name != "admin" {
			t.Fatalf("roles %+v", inv.Roles)
		}
	}
	if got := f.membership(o.ID, u.ID).Status; got != model.StatusPendingInvite {
		t.Fatalf("status after looking %s", got)
	}
	wantState(t, f.lookup("nonsense"), invitations.Unknown)
	wantState(t, f.lookup(""), invitations.Unknown)
}

func TestAcceptActivatesAndProvesTheEmail(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	u, token := f.invite(o.ID, "Ann@Acme.test")
	if f.user(u.ID).EmailVerified {
		t.Fatal("verified before accepting")
	}
	f.clock.Advance(time.Hour)

	userID, orgID, err := f.inv.Accept(f.ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if userID != u.ID || orgID != o.ID {
		t.Fatalf("accepted %s in %s", userID, orgID)
	}
	m := f.membership(o.ID, u.ID)
	now := f.clock.Now()
	if m.Status != model.StatusActive || m.InviteAcceptedAt == nil || !m.InviteAcceptedAt.Equal(now) || m.JoinedAt == nil || !m.JoinedAt.Equal(now) {
		t.Fatalf("membership after accept %+v", m)
	}
	if !f.user(u.ID).EmailVerified {
		t.Error("email not verified by accepting")
	}
	if n := f.count(`SELECT count(*) FROM identities WHERE user_id = $1 AND provider_kind = 'EMAIL' AND subject = 'ann@acme.test'`, u.ID); n != 1 {
		t.Errorf("%d email identities", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'invitation.accepted' AND target_id = $1`, m.ID); n != 1 {
		t.Errorf("%d accepted events", n)
	}

	// The link is used up: a second submit is told so, and names nobody.
	_, _, err = f.inv.Accept(f.ctx, token)
	var le *invitations.LinkError
	if !errors.As(err, &le) || le.Invitation.State != invitations.Used {
		t.Fatalf("second accept: %v", err)
	}
	if le.Invitation.Email != "" || le.Invitation.UserID != "" {
		t.Errorf("a used link tells who it was for: %+v", le.Invitation)
	}
}

func TestAcceptForAnExistingUserOfAnotherOrg(t *testing.T) {
	f := newFixture(t)
	beta := f.org("Beta")
	bob := f.member(beta.ID, "bob@beta.test")
	acme := f.org("Acme")
	_, token := f.invite(acme.ID, "bob@beta.test")
	userID, orgID, err := f.inv.Accept(f.ctx, token)
	if err != nil || userID != bob.ID || orgID != acme.ID {
		t.Fatalf("accept: %s %s %v", userID, orgID, err)
	}
	if f.membership(beta.ID, bob.ID).Status != model.StatusActive || f.membership(acme.ID, bob.ID).Status != model.StatusActive {
		t.Fatal("not active in both orgs")
	}
}

func TestParallelAcceptsMakeOneActiveMembership(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	u, token := f.invite(o.ID, "ann@acme.test")

	var wg sync.WaitGroup
	results := make([]error, 10)
	for i := range results {
		wg.Go(func() { _, _, results[i] = f.inv.Accept(f.ctx, token) })
	}
	wg.Wait()
	ok, used := 0, 0
	for _, err := range results {
		var le *invitations.LinkError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &le) && le.Invitation.State == invitations.Used:
			used++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || used != 9 {
		t.Fatalf("%d accepted, %d told used", ok, used)
	}
	if n := f.count(`SELECT count(*) FROM memberships WHERE user_id = $1 AND status = 'ACTIVE'`, u.ID); n != 1 {
		t.Fatalf("%d active memberships", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'invitation.accepted'`); n != 1 {
		t.Fatalf("%d accepted events", n)
	}
}

func TestLinkStates(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	other := f.org("Beta")

	// Expired: past the 15 days of the default setting.
	_, expired := f.invite(o.ID, "exp@acme.test")
	// Revoked, for a new user (deleted with it) and for a user of another
	// org (who stays): the link is gone either way, its tombstone is not.
	newUser, revokedNew := f.invite(o.ID, "rev@acme.test")
	kept := f.member(other.ID, "kept@beta.test")
	_, revokedKept := f.invite(o.ID, "kept@beta.test")
	// Replaced by a resend.
	resent, old := f.invite(o.ID, "res@acme.test")

	if err := f.dir.RevokeInvitation(f.ctx, o.ID, newUser.ID, ptr(true)); err != nil {
		t.Fatal(err)
	}
	if err := f.dir.RevokeInvitation(f.ctx, o.ID, kept.ID, nil); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute) // so the reminder is the newest mail
	if _, err := f.dir.ResendInvite(f.ctx, o.ID, resent.ID); err != nil {
		t.Fatal(err)
	}
	newer := f.lastToken("res@acme.test")

	for _, tok := range []string{revokedNew, revokedKept} {
		inv := f.lookup(tok)
		wantState(t, inv, invitations.Revoked)
		if inv.OrganizationName != "Acme" || inv.Replaced || inv.Email != "" {
			t.Errorf("revoked link shows %+v", inv)
		}
	}
	inv := f.lookup(old)
	wantState(t, inv, invitations.Revoked)
	if !inv.Replaced {
		t.Error("a resent invitation's old link does not say it was replaced")
	}
	wantState(t, f.lookup(newer), invitations.Open)

	f.clock.Advance(15 * 24 * time.Hour)
	inv = f.lookup(expired)
	wantState(t, inv, invitations.Expired)
	if inv.Email != "exp@acme.test" || inv.InviterEmail != "ed@console.test" {
		t.Errorf("expired link shows %+v", inv)
	}
	_, _, err := f.inv.Accept(f.ctx, expired)
	var le *invitations.LinkError
	if !errors.As(err, &le) || le.Invitation.State != invitations.Expired {
		t.Fatalf("accepting an expired link: %v", err)
	}

	// Accepted, then removed from the org: still "used", not "unknown".
	f.clock.Advance(-15 * 24 * time.Hour)
	u, token := f.invite(o.ID, "gone@acme.test")
	if _, _, err := f.inv.Accept(f.ctx, token); err != nil {
		t.Fatal(err)
	}
	if err := f.dir.RemoveMembership(f.ctx, o.ID, u.ID, nil); err != nil {
		t.Fatal(err)
	}
	wantState(t, f.lookup(token), invitations.Used)
}

// TestEmailChangeClosesTheInvitationLink: an invitation link went to the
// user's old address; after an email change it must not sign anyone in to
// the account, and its page says it was withdrawn, not that a newer
// invitation went out (none did). The invitation itself stays pending.
func TestEmailChangeClosesTheInvitationLink(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	ann, token := f.invite(o.ID, "ann@acme.test")
	if _, err := f.dir.UpdateUser(f.ctx, ann.ID, directory.UserInput{Email: ptr("ann@newco.test")}); err != nil {
		t.Fatal(err)
	}
	inv := f.lookup(token)
	wantState(t, inv, invitations.Revoked)
	if inv.Replaced {
		t.Error("the link's page says a newer invitation was sent")
	}
	_, _, err := f.inv.Accept(f.ctx, token)
	var le *invitations.LinkError
	if !errors.As(err, &le) || le.Invitation.State != invitations.Revoked {
		t.Fatalf("accepting the old address's link: %v", err)
	}
	u, err := f.dir.User(f.ctx, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.EmailVerified || len(u.Memberships) != 1 || u.Memberships[0].Status != model.StatusPendingInvite {
		t.Errorf("after the old link: verified %v, memberships %+v", u.EmailVerified, u.Memberships)
	}
}

func TestRequestRenewalMailsTheInviterOnce(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	_, token := f.invite(o.ID, "ann@acme.test")

	if _, err := f.inv.RequestRenewal(f.ctx, token); err == nil {
		t.Fatal("a live link asked for renewal")
	}
	f.clock.Advance(16 * 24 * time.Hour)
	r, err := f.inv.RequestRenewal(f.ctx, token)
	if err != nil || !r.Notified {
		t.Fatalf("renewal: %+v %v", r, err)
	}
	r, err = f.inv.RequestRenewal(f.ctx, token)
	if err != nil || r.Notified || !r.AlreadyAsked {
		t.Fatalf("second renewal: %+v %v", r, err)
	}
	if n := f.count(`SELECT count(*) FROM email_outbox WHERE to_address = 'ed@console.test' AND kind = 'invitation_renewal_request'`); n != 1 {
		t.Fatalf("%d mails to the inviter", n)
	}
	if !f.lookup(token).RenewalRequested {
		t.Error("the page does not know it asked already")
	}
}

func TestAcceptAndDeclineForSignedInUser(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	beta := f.org("Beta")
	u, token := f.invite(o.ID, "ann@acme.test")

	// Unproven address: refused, whoever holds the account.
	err := f.inv.AcceptForUser(f.ctx, u.ID, o.ID)
	if !errors.Is(err, apperr.ErrFailedPrecondition) {
		t.Fatalf("unverified accept: %v", err)
	}
	if _, err := f.db.Exec(`UPDATE users SET email_verified = true WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.inv.AcceptForUser(f.ctx, u.ID, o.ID); err != nil {
		t.Fatal(err)
	}
	if f.membership(o.ID, u.ID).Status != model.StatusActive {
		t.Fatal("not active")
	}
	if err := f.inv.AcceptForUser(f.ctx, u.ID, o.ID); err != nil {
		t.Fatalf("accepting again: %v", err)
	}
	wantState(t, f.lookup(token), invitations.Used) // the mailed link is spent too

	// Declining the only membership keeps the user (default setting), and
	// deletes them where the environment deletes users left without one.
	v, _ := f.invite(beta.ID, "vic@beta.test")
	w, _ := f.invite(beta.ID, "wes@beta.test")
	if _, err := f.db.Exec(`UPDATE users SET email_verified = true WHERE id IN ($1, $2)`, v.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.inv.DeclineForUser(f.ctx, w.ID, beta.ID, nil); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM users WHERE id = $1`, w.ID); n != 1 {
		t.Error("user deleted after declining their only invitation, by default")
	}
	if _, err := f.db.Exec(`UPDATE environment_settings SET delete_users_without_memberships = true`); err != nil {
		t.Fatal(err)
	}
	if err := f.inv.DeclineForUser(f.ctx, v.ID, beta.ID, nil); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM users WHERE id = $1`, v.ID); n != 0 {
		t.Error("user kept after declining their only invitation")
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'invitation.declined'`); n != 2 {
		t.Errorf("%d declined events", n)
	}
	// An active member cannot decline.
	if err := f.inv.DeclineForUser(f.ctx, u.ID, o.ID, nil); !errors.Is(err, apperr.ErrFailedPrecondition) {
		t.Errorf("declining an accepted invitation: %v", err)
	}
	// Someone else's org: not found.
	if err := f.inv.AcceptForUser(f.ctx, u.ID, beta.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("accepting without an invitation: %v", err)
	}
}

func TestAcceptForUserRefusesExpired(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	u, _ := f.invite(o.ID, "ann@acme.test")
	if _, err := f.db.Exec(`UPDATE users SET email_verified = true WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(15 * 24 * time.Hour)
	if err := f.inv.AcceptForUser(f.ctx, u.ID, o.ID); !errors.Is(err, apperr.ErrFailedPrecondition) {
		t.Fatalf("expired accept: %v", err)
	}
}

func TestAcceptSettingPassword(t *testing.T) {
	f := newFixture(t)
	var got struct{ userID, password string }
	inv := invitations.New(f.st, f.dir, f.clock, invitations.Options{
		SetPassword: func(_ context.Context, _ *store.Store, userID, password string) error {
			if len(password) < 8 {
				return apperr.Invalid(apperr.Field("password", "must be at least 8 characters"))
			}
			got.userID, got.password = userID, password
			return nil
		},
	})
	o := f.org("Acme")
	u, token := f.invite(o.ID, "ann@acme.test")

	// A refused password leaves the link unused.
	if _, _, err := inv.AcceptSettingPassword(f.ctx, token, "short"); apperr.FieldErrors(err)["password"] == "" {
		t.Fatalf("short password: %v", err)
	}
	wantState(t, f.lookup(token), invitations.Open)
	if _, _, err := inv.AcceptSettingPassword(f.ctx, token, "a long enough one"); err != nil {
		t.Fatal(err)
	}
	if got.userID != u.ID || got.password != "a long enough one" {
		t.Fatalf("password set %+v", got)
	}
	// Without a way to set passwords, asking for one is bad input.
	_, token2 := f.invite(o.ID, "bo@acme.test")
	if _, _, err := f.inv.AcceptSettingPassword(f.ctx, token2, "a long enough one"); apperr.FieldErrors(err)["password"] == "" {
		t.Fatalf("password without a setter: %v", err)
	}
}
