package directory_test

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/store"
	"roster/internal/testkit"
)

// token stores an open one-time token of purpose for email (and userID
// when not ""), as the sign-in, reset and invitation flows do.
func (f *fixture) token(purpose, email, userID string) string {
	f.t.Helper()
	hash := make([]byte, 32)
	_, _ = rand.Read(hash)
	var uid *string
	if userID != "" {
		uid = &userID
	}
	now := f.clock.Now()
	var id string
	if err := f.db.Get(&id, `INSERT INTO one_time_tokens (purpose, token_hash, email, user_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, purpose, hash, email, uid, now, now.Add(time.Hour)); err != nil {
		f.t.Fatalf("insert %s token: %v", purpose, err)
	}
	return id
}

func (f *fixture) tokenOpen(id string) bool {
	f.t.Helper()
	return f.count(`SELECT count(*) FROM one_time_tokens WHERE id = $1 AND revoked_at IS NULL AND used_at IS NULL`, id) == 1
}

// verified marks the user's address proven, as a sign-in with it would.
func (f *fixture) verified(userID string) {
	f.t.Helper()
	if _, err := f.db.Exec(`UPDATE users SET email_verified = true WHERE id = $1`, userID); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.db.Exec(`INSERT INTO identities (user_id, provider_kind, issuer, subject, email, email_verified)
		SELECT id, 'EMAIL', 'roster:email', lower(email), email, true FROM users WHERE id = $1`, userID); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) asAdmin(email string) *fixture {
	g := *f
	g.ctx = audit.WithActor(f.ctx, model.Actor{Type: "admin", ID: "ses_test", Label: email})
	return &g
}

// TestEmailChangeHandsTheAccountOver: moving a user to another address
// ends everything the old address could still do, tells the old address,
// and leaves the new one to be proven.
func TestEmailChangeHandsTheAccountOver(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acme := f.org("Acme")
	ann := f.member(acme.ID, "ann@acme.test")
	bob := f.member(acme.ID, "bob@acme.test")
	f.verified(ann.ID)
	s1, s2 := f.session(ann.ID, acme.ID), f.session(ann.ID, acme.ID)
	bobs := f.session(bob.ID, acme.ID)
	annTokens := []string{
		f.token("magic_link", "ann@acme.test", ""),
		f.token("email_code", "Ann@Acme.test", ""),
		f.token("password_reset", "ann@acme.test", ann.ID),
		f.token("email_verification", "ann@acme.test", ann.ID),
		f.token("invitation", "ann@acme.test", ann.ID),
	}
	bobToken := f.token("magic_link", "bob@acme.test", "")

	g := f.asAdmin("owner@acme.test")
	u, err := g.dir.UpdateUser(g.ctx, ann.ID, directory.UserInput{Email: ptr(" attacker@evil.test "), GivenName: ptr("Ann")})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "attacker@evil.test" || u.EmailVerified || ptrText(u.GivenName) != "Ann" {
		t.Errorf("after the change: email %q verified %v given name %q", u.Email, u.EmailVerified, ptrText(u.GivenName))
	}
	for _, s := range []model.Session{s1, s2} {
		if st := f.sessionStatus(s.ID); st != "REVOKED" {
			t.Errorf("ann's session %s is %s, want REVOKED", s.ID, st)
		}
	}
	if st := f.sessionStatus(bobs.ID); st != "ACTIVE" {
		t.Errorf("bob's session is %s", st)
	}
	for _, id := range annTokens {
		if f.tokenOpen(id) {
			t.Errorf("token %s of the old address is still open", id)
		}
	}
	if !f.tokenOpen(bobToken) {
		t.Error("bob's sign-in link was revoked too")
	}
	if n := f.count(`SELECT count(*) FROM identities WHERE user_id = $1`, ann.ID); n != 0 {
		t.Errorf("%d identities left: the old inbox identity must go", n)
	}

	// One mail, to the old address, naming the new one masked.
	var mails []store.OutboxEmail
	for _, to := range []string{"ann@acme.test", "attacker@evil.test"} {
		for _, m := range testkit.Outbox(t, f.st, to) {
			if m.Kind == "email_changed" {
				mails = append(mails, m)
			}
		}
	}
	if len(mails) != 1 || mails[0].To != "ann@acme.test" {
		t.Fatalf("email_changed mails: %+v", mails)
	}
	for _, want := range []string{"changed to a***@evil.test", "If this wasn't you, contact your administrator."} {
		if !strings.Contains(mails[0].Text, want) {
			t.Errorf("the notice lacks %q:\n%s", want, mails[0].Text)
		}
	}
	if strings.Contains(mails[0].Text, "attacker@evil.test") {
		t.Errorf("the notice gives the new address away:\n%s", mails[0].Text)
	}

	// The audit event names both addresses and what the change ended.
	ev := f.lastEvent(ann.ID)
	email, _ := ev.Changes["email"].(map[string]any)
	if ev.Action != "user.email_changed" || ev.ActorLabel == nil || *ev.ActorLabel != "owner@acme.test" ||
		email["from"] != "ann@acme.test" || email["to"] != "attacker@evil.test" ||
		ev.Changes["sessions_ended"] != float64(2) || ev.Changes["links_revoked"] != float64(5) {
		t.Errorf("audit event %s by %v: %v", ev.Action, ev.ActorLabel, ev.Changes)
	}

	// A proof of the old address that lands after the change verifies
	// nothing; a proof of the new one does.
	if ok, err := f.st.MarkUserEmailVerified(f.ctx, ann.ID, "ann@acme.test", f.clock.Now()); err != nil || ok {
		t.Errorf("old address proof: verified %v, %v", ok, err)
	}
	if ok, err := f.st.MarkUserEmailVerified(f.ctx, ann.ID, "Attacker@evil.test", f.clock.Now()); err != nil || !ok {
		t.Errorf("new address proof: verified %v, %v", ok, err)
	}
}

// TestEmailChangeCaseOnly: the same address in other letter case is the
// same mailbox, so only the spelling changes.
func TestEmailChangeCaseOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acme := f.org("Acme")
	ann := f.member(acme.ID, "ann@acme.test")
	f.verified(ann.ID)
	s := f.session(ann.ID, acme.ID)
	link := f.token("password_reset", "ann@acme.test", ann.ID)

	u, err := f.dir.UpdateUser(f.ctx, ann.ID, directory.UserInput{Email: ptr("Ann@ACME.test"), EmailLocked: true})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "Ann@ACME.test" || !u.EmailVerified {
		t.Errorf("after a case change: %q verified %v", u.Email, u.EmailVerified)
	}
	if f.sessionStatus(s.ID) != "ACTIVE" || !f.tokenOpen(link) {
		t.Error("a case change ended a session or a link")
	}
	if n := f.count(`SELECT count(*) FROM email_outbox`); n != 0 {
		t.Errorf("%d mails for a case change", n)
	}
	if n := f.count(`SELECT count(*) FROM identities WHERE user_id = $1`, ann.ID); n != 1 {
		t.Errorf("%d identities, want the inbox identity kept", n)
	}
	ev := f.lastEvent(ann.ID)
	email, _ := ev.Changes["email"].(map[string]any)
	if ev.Action != "user.updated" || email["from"] != "ann@acme.test" || email["to"] != "Ann@ACME.test" {
		t.Errorf("audit event %s: %v", ev.Action, ev.Changes)
	}
}

// TestEmailLockedRefusesAnotherAddress: a caller who may not change
// addresses (a console editor) is refused, and nothing changes.
func TestEmailLockedRefusesAnotherAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acme := f.org("Acme")
	ann := f.member(acme.ID, "ann@acme.test")
	f.verified(ann.ID)
	s := f.session(ann.ID, acme.ID)
	events := f.count(`SELECT count(*) FROM audit_events`)

	_, err := f.dir.UpdateUser(f.ctx, ann.ID, directory.UserInput{
		Email: ptr("attacker@evil.test"), GivenName: ptr("Mallory"), EmailLocked: true,
	})
	wantCode(t, err, apperr.ErrInvalid)
	if msg := apperr.FieldErrors(err)["email"]; !strings.Contains(msg, "only by an owner") {
		t.Errorf("email error %q", msg)
	}
	u, _ := f.dir.User(f.ctx, ann.ID)
	if u.Email != "ann@acme.test" || !u.EmailVerified || u.GivenName != nil || f.sessionStatus(s.ID) != "ACTIVE" {
		t.Errorf("a refused change changed the user: %q verified %v given %v, session %s", u.Email, u.EmailVerified, u.GivenName, f.sessionStatus(s.ID))
	}
	if n := f.count(`SELECT count(*) FROM email_outbox`); n != 0 {
		t.Errorf("%d mails after a refused change", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_events`); n != events {
		t.Errorf("%d audit events after a refused change, want %d", n, events)
	}

	// The rest of the profile is theirs to edit.
	if _, err := f.dir.UpdateUser(f.ctx, ann.ID, directory.UserInput{Email: ptr("ann@acme.test"), GivenName: ptr("Ann"), EmailLocked: true}); err != nil {
		t.Fatal(err)
	}
}

// lastEvent is the one user.updated or user.email_changed event of the user.
func (f *fixture) lastEvent(userID string) model.AuditEvent {
	f.t.Helper()
	var id string
	if err := f.db.Get(&id, `SELECT id FROM audit_events
		WHERE user_id = $1 AND action IN ('user.updated', 'user.email_changed')`, userID); err != nil {
		f.t.Fatalf("the user's one update event: %v", err)
	}
	ev, err := f.st.AuditEvent(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return ev
}

func ptrText(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
