package invitations_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
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

	userID, orgID, err := f.inv.Accept(f.ctx, token, newcomer)
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
	_, _, err = f.inv.Accept(f.ctx, token, newcomer)
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
	userID, orgID, err := f.inv.Accept(f.ctx, token, newcomer)
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
		wg.Go(func() { _, _, results[i] = f.inv.Accept(f.ctx, token, newcomer) })
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
	_, _, err := f.inv.Accept(f.ctx, expired, newcomer)
	var le *invitations.LinkError
	if !errors.As(err, &le) || le.Invitation.State != invitations.Expired {
		t.Fatalf("accepting an expired link: %v", err)
	}

	// Accepted, then removed from the org: still "used", not "unknown".
	f.clock.Advance(-15 * 24 * time.Hour)
	u, token := f.invite(o.ID, "gone@acme.test")
	if _, _, err := f.inv.Accept(f.ctx, token, newcomer); err != nil {
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
	_, _, err := f.inv.Accept(f.ctx, token, newcomer)
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

func TestAcceptSetsUpANewAccount(t *testing.T) {
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
	if !f.lookup(token).NewAccount {
		t.Fatal("a person the invitation created is not new")
	}

	// No name, and a refused password: both are named, the link stays unused.
	_, _, err := inv.Accept(f.ctx, token, invitations.Setup{Name: "  ", Password: "short"})
	fe := apperr.FieldErrors(err)
	if fe["name"] == "" || fe["password"] == "" {
		t.Fatalf("no name and a short password: %v", err)
	}
	wantState(t, f.lookup(token), invitations.Open)
	if _, _, err := inv.Accept(f.ctx, token, invitations.Setup{Name: strings.Repeat("n", 256)}); apperr.FieldErrors(err)["name"] == "" {
		t.Fatalf("a name of 256 characters: %v", err)
	}
	if f.user(u.ID).EmailVerified {
		t.Fatal("a refused accept proved the email")
	}

	// Name and password together, in the accepting transaction.
	if _, _, err := inv.Accept(f.ctx, token, invitations.Setup{Name: " Ann Example ", Password: "a long enough one"}); err != nil {
		t.Fatal(err)
	}
	if got.userID != u.ID || got.password != "a long enough one" {
		t.Fatalf("password set %+v", got)
	}
	if name := f.user(u.ID).Name; name == nil || *name != "Ann Example" {
		t.Fatalf("name %v", name)
	}

	// Without a way to set passwords, asking for one is bad input.
	_, token2 := f.invite(o.ID, "bo@acme.test")
	if _, _, err := f.inv.Accept(f.ctx, token2, invitations.Setup{Name: "Bo", Password: "a long enough one"}); apperr.FieldErrors(err)["password"] == "" {
		t.Fatalf("password without a setter: %v", err)
	}
}

// TestAcceptLeavesAnAccountInUseAlone: a person who has a name, a password
// or has signed in only accepts; a name or password sent anyway (a
// hand-made form, or a page opened before they signed in elsewhere) is
// refused and changes nothing.
func TestAcceptLeavesAnAccountInUseAlone(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	beta := f.org("Beta")
	for _, tt := range []struct {
		email string
		input directory.UserInput
		sql   string
	}{
		{email: "named@beta.test", input: directory.UserInput{Name: ptr("Nora Named")}},
		{email: "given@beta.test", input: directory.UserInput{GivenName: ptr("Gil")}},
		{email: "seen@beta.test", sql: `UPDATE users SET last_login_at = now() WHERE email = 'seen@beta.test'`},
	} {
		t.Run(tt.email, func(t *testing.T) {
			u := f.member(beta.ID, tt.email)
			if _, err := f.dir.UpdateUser(f.ctx, u.ID, tt.input); err != nil {
				t.Fatal(err)
			}
			if tt.sql != "" {
				if _, err := f.db.Exec(tt.sql); err != nil {
					t.Fatal(err)
				}
			}
			_, token := f.invite(o.ID, tt.email)
			if f.lookup(token).NewAccount {
				t.Fatal("an account in use counts as new")
			}
			before := f.user(u.ID)
			_, _, err := f.inv.Accept(f.ctx, token, invitations.Setup{Name: "Mallory"})
			if !errors.Is(err, apperr.ErrFailedPrecondition) {
				t.Fatalf("a name for an account in use: %v", err)
			}
			wantState(t, f.lookup(token), invitations.Open)
			if after := f.user(u.ID); !reflect.DeepEqual(after.Name, before.Name) {
				t.Errorf("name %v → %v", before.Name, after.Name)
			}
			if _, _, err := f.inv.Accept(f.ctx, token, invitations.Setup{}); err != nil {
				t.Fatal(err)
			}
			if f.membership(o.ID, u.ID).Status != model.StatusActive {
				t.Error("not active after accepting")
			}
		})
	}
	// A password counts as use too.
	u, token := f.invite(o.ID, "pw@acme.test")
	if err := f.st.SetPasswordHash(f.ctx, u.ID, "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if f.lookup(token).NewAccount {
		t.Error("an account with a password counts as new")
	}
}

func TestDeclineWithTheLink(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	beta := f.org("Beta")

	// In an environment that deletes users left without an org, a person
	// with no other org goes with the invitation, and the confirmation
	// could say so beforehand.
	f.db.MustExec(`UPDATE environment_settings SET delete_users_without_memberships = true`)
	nia, token := f.invite(o.ID, "nia@acme.test")
	inv := f.lookup(token)
	if deletes, err := f.inv.DeclineImpact(f.ctx, inv); err != nil || !deletes {
		t.Fatalf("impact for a person with one invitation: %v %v", deletes, err)
	}
	out, err := f.inv.Decline(f.ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if !out.AccountDeleted || out.Invitation.OrganizationName != "Acme" || out.Invitation.UserID != nia.ID {
		t.Fatalf("declined %+v", out)
	}
	if n := f.count(`SELECT count(*) FROM users WHERE id = $1`, nia.ID); n != 0 {
		t.Error("the account is still there")
	}
	// The link now says it was declined, and cannot be used again.
	inv = f.lookup(token)
	wantState(t, inv, invitations.Declined)
	if inv.Email != "" || inv.UserID != "" {
		t.Errorf("a declined link names someone: %+v", inv)
	}
	var le *invitations.LinkError
	if _, err := f.inv.Decline(f.ctx, token); !errors.As(err, &le) || le.Invitation.State != invitations.Declined {
		t.Fatalf("declining twice: %v", err)
	}
	if _, _, err := f.inv.Accept(f.ctx, token, newcomer); !errors.As(err, &le) || le.Invitation.State != invitations.Declined {
		t.Fatalf("accepting after declining: %v", err)
	}

	// A member of another org keeps the account.
	bob := f.member(beta.ID, "bob@beta.test")
	_, token = f.invite(o.ID, "bob@beta.test")
	if deletes, err := f.inv.DeclineImpact(f.ctx, f.lookup(token)); err != nil || deletes {
		t.Fatalf("impact for a member elsewhere: %v %v", deletes, err)
	}
	out, err = f.inv.Decline(f.ctx, token)
	if err != nil || out.AccountDeleted {
		t.Fatalf("bob declines: %+v %v", out, err)
	}
	if f.membership(beta.ID, bob.ID).Status != model.StatusActive {
		t.Error("declining touched another membership")
	}
	if n := f.count(`SELECT count(*) FROM memberships WHERE user_id = $1 AND organization_id = $2`, bob.ID, o.ID); n != 0 {
		t.Error("the invitation is still there")
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'invitation.declined'`); n != 2 {
		t.Errorf("%d declined events", n)
	}

	// With users kept, nobody's account goes.
	if _, err := f.db.Exec(`UPDATE environment_settings SET delete_users_without_memberships = false`); err != nil {
		t.Fatal(err)
	}
	kim, token := f.invite(o.ID, "kim@acme.test")
	if deletes, _ := f.inv.DeclineImpact(f.ctx, f.lookup(token)); deletes {
		t.Error("impact says deleted while users are kept")
	}
	if out, err := f.inv.Decline(f.ctx, token); err != nil || out.AccountDeleted {
		t.Fatalf("kim declines: %+v %v", out, err)
	}
	if n := f.count(`SELECT count(*) FROM users WHERE id = $1`, kim.ID); n != 1 {
		t.Error("kim's account went")
	}

	// Used, revoked and replaced links decline nothing.
	_, used := f.invite(o.ID, "used@acme.test")
	if _, _, err := f.inv.Accept(f.ctx, used, newcomer); err != nil {
		t.Fatal(err)
	}
	resent, old := f.invite(o.ID, "res@acme.test")
	f.clock.Advance(time.Minute)
	if _, err := f.dir.ResendInvite(f.ctx, o.ID, resent.ID); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{used, old, "nonsense"} {
		if _, err := f.inv.Decline(f.ctx, tok); !errors.As(err, &le) {
			t.Errorf("declining a closed link: %v", err)
		}
	}
	if f.membership(o.ID, resent.ID).Status != model.StatusPendingInvite {
		t.Error("an old link declined the newer invitation")
	}
}

// TestDeclinedOnMyOrganizationsSaysSo: declining from "my organizations"
// leaves the mailed link saying it was declined, not withdrawn by the org.
func TestDeclinedOnMyOrganizationsSaysSo(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	u, token := f.invite(o.ID, "ann@acme.test")
	if _, err := f.db.Exec(`UPDATE users SET email_verified = true WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.inv.DeclineForUser(f.ctx, u.ID, o.ID, nil); err != nil {
		t.Fatal(err)
	}
	wantState(t, f.lookup(token), invitations.Declined)
	// A revoke still reads as revoked.
	v, revoked := f.invite(o.ID, "vic@acme.test")
	if err := f.dir.RevokeInvitation(f.ctx, o.ID, v.ID, nil); err != nil {
		t.Fatal(err)
	}
	wantState(t, f.lookup(revoked), invitations.Revoked)
}
