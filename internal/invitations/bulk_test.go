package invitations_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/invitations"
	"roster/internal/model"
	"roster/internal/ratelimit"
	"roster/internal/testkit"
)

func TestParseList(t *testing.T) {
	rows, err := invitations.ParseList("email,role\r\n ann@acme.test \n\nbob@acme.test, admin\ncy@acme.test,admin;member\nnot an address\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line  int
		email string
		roles []string
	}{{2, "ann@acme.test", nil}, {4, "bob@acme.test", []string{"admin"}}, {5, "cy@acme.test", []string{"admin", "member"}}, {6, "not an address", nil}}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v", rows)
	}
	for i, w := range want {
		r := rows[i]
		if r.Line != w.line || r.Email != w.email || !slices.Equal(r.Roles, w.roles) {
			t.Errorf("row %d = %+v, want %+v", i, r, w)
		}
	}
	if _, err := invitations.ParseList(" \n\n"); apperr.FieldErrors(err)["addresses"] == "" {
		t.Errorf("empty list: %v", err)
	}
	if _, err := invitations.ParseList(strings.Repeat("a@b.test\n", invitations.MaxBulk+1)); apperr.FieldErrors(err)["addresses"] == "" {
		t.Errorf("too long a list: %v", err)
	}
}

func TestParseCSV(t *testing.T) {
	rows, err := invitations.ParseCSV(strings.NewReader("\ufeffRole,Email\nadmin,ann@acme.test\n,bob@acme.test\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Email != "ann@acme.test" || !slices.Equal(rows[0].Roles, []string{"admin"}) ||
		rows[1].Email != "bob@acme.test" || rows[1].Roles != nil || rows[1].Line != 3 {
		t.Fatalf("rows %+v", rows)
	}
	for _, bad := range []string{"", "name,role\nann,admin\n", "email\n\"unterminated\n"} {
		if _, err := invitations.ParseCSV(strings.NewReader(bad)); apperr.FieldErrors(err)["file"] == "" {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestPlanBulkSaysWhatWillHappenAndWritesNothing(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	beta := f.org("Beta")
	f.member(o.ID, "member@acme.test")
	f.member(beta.ID, "known@beta.test")
	f.invite(o.ID, "pending@acme.test")
	f.clock.Advance(-16 * 24 * time.Hour)
	f.invite(o.ID, "stale@acme.test")
	f.clock.Advance(16 * 24 * time.Hour)

	rows, err := invitations.ParseList(strings.Join([]string{
		"new@acme.test",
		"known@beta.test",
		"Pending@Acme.test",
		"stale@acme.test",
		"member@acme.test",
		"nope",
		"Ann <ann@acme.test>",
		"new@acme.test",
		"role@acme.test,owner",
		"admin@acme.test,admin",
	}, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	tables := []string{"users", "memberships", "email_outbox", "one_time_tokens", "audit_events"}
	before := map[string]int{}
	for _, tb := range tables {
		before[tb] = f.count(`SELECT count(*) FROM ` + tb)
	}
	plan, err := f.inv.PlanBulk(f.ctx, o.ID, "ed@console.test", rows, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if n := f.count(`SELECT count(*) FROM ` + tb); n != before[tb] {
			t.Errorf("the preview wrote to %s: %d rows, was %d", tb, n, before[tb])
		}
	}
	want := []invitations.Outcome{
		invitations.InviteNew, invitations.InviteExisting, invitations.Remind, invitations.Reinvite,
		invitations.AlreadyMember, invitations.BadAddress, invitations.BadAddress, invitations.Duplicate,
		invitations.BadRole, invitations.InviteNew,
	}
	for i, w := range want {
		if got := plan.Rows[i]; got.Outcome != w {
			t.Errorf("line %d %q: %s (%s), want %s", got.Line, got.Input, got.Outcome, got.Reason, w)
		}
	}
	if r := plan.Rows[0]; !slices.Equal(r.RoleNames, []string{"member"}) {
		t.Errorf("default roles %v", r.RoleNames)
	}
	if r := plan.Rows[9]; !slices.Equal(r.RoleNames, []string{"admin"}) {
		t.Errorf("line roles %v", r.RoleNames)
	}
	if r := plan.Rows[5]; !strings.Contains(r.Reason, "no @") {
		t.Errorf("bad address reason %q", r.Reason)
	}
	if r := plan.Rows[8]; !strings.Contains(r.Reason, "owner") {
		t.Errorf("bad role reason %q", r.Reason)
	}
	if plan.Sending() != 5 {
		t.Errorf("sending %d", plan.Sending())
	}

	// A role chosen for all that does not exist is the field's problem.
	if _, err := f.inv.PlanBulk(f.ctx, o.ID, "ed@console.test", rows, "owner"); apperr.FieldErrors(err)["role"] == "" {
		t.Errorf("unknown default role: %v", err)
	}
	// Another org's id: not found.
	if _, err := f.inv.PlanBulk(f.ctx, "org_aaaaaaaaaaaaaaaaaaaaaaaaaa", "ed@console.test", rows, ""); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("unknown org: %v", err)
	}
}

func TestPlanBulkRespectsTheUserLimit(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	if _, err := f.dir.UpdateOrganizationSettings(f.ctx, o.ID, directory.OrganizationSettings{MaxAllowedUsers: ptr(3)}); err != nil {
		t.Fatal(err)
	}
	f.member(o.ID, "one@acme.test")
	rows, _ := invitations.ParseList("a@acme.test\nb@acme.test\nc@acme.test\none@acme.test")
	plan, err := f.inv.PlanBulk(f.ctx, o.ID, "ed@console.test", rows, "")
	if err != nil {
		t.Fatal(err)
	}
	got := []invitations.Outcome{plan.Rows[0].Outcome, plan.Rows[1].Outcome, plan.Rows[2].Outcome, plan.Rows[3].Outcome}
	want := []invitations.Outcome{invitations.InviteNew, invitations.InviteNew, invitations.OverLimit, invitations.AlreadyMember}
	if !slices.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	if plan.Limit != 3 || plan.Used != 1 {
		t.Errorf("limit %d used %d", plan.Limit, plan.Used)
	}
}

func TestSendBulkInvitesTheGoodOnes(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	f.member(o.ID, "member@acme.test")
	rows, _ := invitations.ParseList("ann@acme.test\nbad address\nbob@acme.test,admin\nmember@acme.test")
	plan, err := f.inv.SendBulk(f.ctx, o.ID, "ed@console.test", rows, "")
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, r := range plan.Rows {
		if r.Sent {
			sent++
		}
	}
	if sent != 2 || plan.Rows[1].Sent || plan.Rows[3].Sent {
		t.Fatalf("sent %+v", plan.Rows)
	}
	for _, e := range []string{"ann@acme.test", "bob@acme.test"} {
		if n := f.count(`SELECT count(*) FROM email_outbox WHERE to_address = $1 AND kind = 'invitation'`, e); n != 1 {
			t.Errorf("%d mails to %s", n, e)
		}
	}
	if n := f.count(`SELECT count(*) FROM email_outbox WHERE to_address = 'member@acme.test'`); n != 0 {
		t.Error("the member got a mail")
	}
	u, err := f.dir.UserByEmail(f.ctx, "bob@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	m := f.membership(o.ID, u.ID)
	if m.Status != model.StatusPendingInvite || len(m.Roles) != 1 || m.Roles[0].Name != "admin" || *m.InviterEmail != "ed@console.test" {
		t.Errorf("bob's membership %+v", m)
	}
}

func TestSendBulkIsRateLimited(t *testing.T) {
	f := newFixture(t)
	inv := invitations.New(f.st, f.dir, f.clock, invitations.Options{})
	o := f.org("Acme")
	rows, _ := invitations.ParseList("ann@acme.test")
	// One invitation and four reminders to one address in an hour are fine;
	// the sixth is refused, and says when to try again.
	for i := range ratelimit.InviteMail.PerKey + 1 {
		plan, err := inv.SendBulk(f.ctx, o.ID, "ed@console.test", rows, "")
		if err != nil {
			t.Fatal(err)
		}
		r := plan.Rows[0]
		if last := i == ratelimit.InviteMail.PerKey; r.Failed != last {
			t.Fatalf("send %d: failed %v (%s)", i+1, r.Failed, r.Reason)
		}
		f.clock.Advance(time.Minute)
	}
	if n := f.count(`SELECT count(*) FROM email_outbox WHERE to_address = 'ann@acme.test'`); n != ratelimit.InviteMail.PerKey {
		t.Errorf("%d mails", n)
	}
}

// An address at a domain the settings block shows as skipped in the
// preview, and sending invites the others only.
func TestBulkSkipsBlockedDomains(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	rows, err := invitations.ParseList("ann@gmail.com\nbob@acme.test\ncy@Mail.Gmail.com\ndee@mailinator.com")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := f.inv.SendBulk(f.ctx, o.ID, "ed@console.test", rows, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []invitations.Outcome{invitations.BlockedDomain, invitations.InviteNew, invitations.BlockedDomain, invitations.BlockedDomain}
	for i, w := range want {
		if got := plan.Rows[i]; got.Outcome != w || got.Sent != w.Sends() {
			t.Errorf("line %d %q: %s (%s, sent %v), want %s", got.Line, got.Input, got.Outcome, got.Reason, got.Sent, w)
		}
	}
	if r := plan.Rows[0]; !strings.Contains(r.Reason, "gmail.com, a public email provider") {
		t.Errorf("reason %q", r.Reason)
	}
	if n := f.count(`SELECT count(*) FROM users WHERE email <> 'bob@acme.test'`) + f.count(`SELECT count(*) FROM email_outbox WHERE to_address <> 'bob@acme.test'`); n != 0 {
		t.Errorf("%d users or mails at blocked domains", n)
	}

	// With the blocks off, they are invited like anyone.
	if _, err := f.db.Exec(`UPDATE environment_settings SET block_public_email_domains = false, block_disposable_email_domains = false`); err != nil {
		t.Fatal(err)
	}
	plan, err = f.inv.PlanBulk(f.ctx, o.ID, "ed@console.test", rows, "")
	if err != nil {
		t.Fatal(err)
	}
	if plan.Count(invitations.BlockedDomain) != 0 || plan.Count(invitations.InviteNew) != 3 {
		t.Errorf("with the blocks off: %d blocked, %d new", plan.Count(invitations.BlockedDomain), plan.Count(invitations.InviteNew))
	}
}

// TestPreviewRunsTheChecksOfTheSend: what the preview says of each row is
// what the send then does, refusals included; the preview writes nothing.
// Before, the preview only sorted addresses, and promised invitations the
// send refused (an inviter that is not a mailbox, a recipient over the
// per-address mail cap).
func TestPreviewRunsTheChecksOfTheSend(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	f.member(o.ID, "member@acme.test")
	// Five invitation mails to busy@ this hour: the sixth is refused.
	f.invite(o.ID, "busy@acme.test")
	for range ratelimit.InviteMail.PerKey - 1 {
		if _, err := f.dir.ResendInvite(f.ctx, o.ID, f.membershipByEmail(o.ID, "busy@acme.test").UserID); err != nil {
			t.Fatal(err)
		}
	}
	rows, _ := invitations.ParseList("ann@acme.test\nbusy@acme.test\nbob@acme.test,admin\nmember@acme.test\nnope")
	before := f.count(`SELECT count(*) FROM email_outbox`)

	// The setup owner, owner@localhost, is who invites.
	preview, err := f.inv.PlanBulk(f.ctx, o.ID, "owner@localhost", rows, "")
	if err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM email_outbox`); n != before {
		t.Errorf("the preview queued %d mails", n-before)
	}
	if n := f.count(`SELECT count(*) FROM users WHERE email IN ('ann@acme.test', 'bob@acme.test')`); n != 0 {
		t.Error("the preview created users")
	}
	busy := preview.Rows[1]
	if busy.Outcome != invitations.Remind || !busy.Failed || !strings.Contains(busy.Reason, "too many invitations") {
		t.Errorf("the preview of a capped address: %+v", busy)
	}
	if preview.Sending() != 2 {
		t.Errorf("the preview sends %d, want 2", preview.Sending())
	}

	sent, err := f.inv.SendBulk(f.ctx, o.ID, "owner@localhost", rows, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range preview.Rows {
		s := sent.Rows[i]
		if p.Outcome != s.Outcome || p.Failed != s.Failed || p.Reason != s.Reason || s.Sent != (p.Outcome.Sends() && !p.Failed) {
			t.Errorf("line %d: previewed %s failed=%v %q; sent %s failed=%v sent=%v %q",
				p.Line, p.Outcome, p.Failed, p.Reason, s.Outcome, s.Failed, s.Sent, s.Reason)
		}
	}
	if n := f.count(`SELECT count(*) FROM email_outbox`); n != before+2 {
		t.Errorf("the send queued %d mails, want 2", n-before)
	}
}

// TestBulkReinvitesAnExpiredInvitee: an invitation the expiry job marked
// INVITE_EXPIRED is previewed and sent as a new invitation, not refused as
// "already a member".
func TestBulkReinvitesAnExpiredInvitee(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	u, _ := f.invite(o.ID, "late@acme.test")
	f.clock.Advance(16 * 24 * time.Hour)
	job := invitations.NewExpiryJob(f.st, f.clock, testkit.Logger(t), invitations.ExpiryOptions{})
	if n, err := job.RunOnce(f.ctx); err != nil || n != 1 {
		t.Fatalf("expiry job: %d %v", n, err)
	}
	rows, _ := invitations.ParseList("late@acme.test")
	preview, err := f.inv.PlanBulk(f.ctx, o.ID, "ed@console.test", rows, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := preview.Rows[0]; r.Outcome != invitations.Reinvite || r.Failed {
		t.Fatalf("preview: %+v", r)
	}
	sent, err := f.inv.SendBulk(f.ctx, o.ID, "ed@console.test", rows, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := sent.Rows[0]; r.Outcome != invitations.Reinvite || !r.Sent {
		t.Fatalf("send: %+v", r)
	}
	m := f.membership(o.ID, u.ID)
	if m.Status != model.StatusPendingInvite || !m.InviteExpiresAt.Equal(f.clock.Now().Add(15*24*time.Hour)) {
		t.Errorf("after the send: %s, expires %v", m.Status, m.InviteExpiresAt)
	}
}
