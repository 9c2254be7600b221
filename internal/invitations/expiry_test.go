package invitations_test

import (
	"testing"
	"time"

	"roster/internal/invitations"
	"roster/internal/model"
	"roster/internal/testkit"
)

func TestExpiryJobMarksExpiredInvitations(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	early, _ := f.invite(o.ID, "early@acme.test")
	f.clock.Advance(24 * time.Hour)
	late, _ := f.invite(o.ID, "late@acme.test")
	// Batches of two: five invitations take three rounds of one RunOnce.
	var more []model.User
	for _, e := range []string{"c@acme.test", "d@acme.test", "e@acme.test"} {
		u, _ := f.invite(o.ID, e)
		more = append(more, u)
	}
	job := invitations.NewExpiryJob(f.st, f.clock, testkit.Logger(t), invitations.ExpiryOptions{Batch: 2})

	// Nothing is due yet.
	if n, err := job.RunOnce(f.ctx); err != nil || n != 0 {
		t.Fatalf("first round: %d %v", n, err)
	}
	// 15 days after the first invitation only it is past its expiry.
	f.clock.Advance(14 * 24 * time.Hour)
	if n, err := job.RunOnce(f.ctx); err != nil || n != 1 {
		t.Fatalf("after 15 days: %d %v", n, err)
	}
	if got := f.membership(o.ID, early.ID).Status; got != model.StatusInviteExpired {
		t.Fatalf("early: %s", got)
	}
	if got := f.membership(o.ID, late.ID).Status; got != model.StatusPendingInvite {
		t.Fatalf("late: %s", got)
	}
	f.clock.Advance(24 * time.Hour)
	if n, err := job.RunOnce(f.ctx); err != nil || n != 4 {
		t.Fatalf("a day later: %d %v", n, err)
	}
	for _, u := range append(more, late) {
		if got := f.membership(o.ID, u.ID).Status; got != model.StatusInviteExpired {
			t.Fatalf("%s: %s", u.Email, got)
		}
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'invitation.expired'`); n != 5 {
		t.Errorf("%d expired events", n)
	}
	// The counts the console shows follow (kept by triggers).
	if n := f.count(`SELECT pending FROM organization_member_counts WHERE organization_id = $1`, o.ID); n != 0 {
		t.Errorf("%d pending after expiry", n)
	}
	// An expired invitation resent is open again, and the job leaves it.
	if _, err := f.dir.ResendInvite(f.ctx, o.ID, early.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := job.RunOnce(f.ctx); err != nil || n != 0 {
		t.Fatalf("after resend: %d %v", n, err)
	}
	if got := f.membership(o.ID, early.ID).Status; got != model.StatusPendingInvite {
		t.Fatalf("resent: %s", got)
	}
}

func TestExpiryJobForgetsOldTombstones(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	u, token := f.invite(o.ID, "ann@acme.test")
	if err := f.dir.RevokeInvitation(f.ctx, o.ID, u.ID, nil); err != nil {
		t.Fatal(err)
	}
	wantState(t, f.lookup(token), invitations.Revoked)
	keep := invitations.NewExpiryJob(f.st, f.clock, testkit.Logger(t), invitations.ExpiryOptions{})
	if _, err := keep.RunOnce(f.ctx); err != nil {
		t.Fatal(err)
	}
	wantState(t, f.lookup(token), invitations.Revoked) // 90 days are far off
	forget := invitations.NewExpiryJob(f.st, f.clock, testkit.Logger(t), invitations.ExpiryOptions{KeepTombstones: time.Nanosecond})
	if _, err := forget.RunOnce(f.ctx); err != nil {
		t.Fatal(err)
	}
	wantState(t, f.lookup(token), invitations.Unknown)
}
