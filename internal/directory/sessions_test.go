package directory_test

import (
	"slices"
	"testing"
	"time"

	"roster/internal/directory"
	"roster/internal/model"
)

func TestRevokeUserSessionsInOrg(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acme, globex, initech := f.org("Acme"), f.org("Globex"), f.org("Initech")
	ann := f.member(acme.ID, "ann@acme.com")
	f.member(globex.ID, "ann@acme.com")
	bob := f.member(acme.ID, "bob@acme.com")

	inAcme := f.session(ann.ID, acme.ID)                    // acting in Acme: ends
	inGlobex := f.sessionIn(ann.ID, globex.ID, acme.ID)     // in Globex, also signed in to Acme: forgets Acme
	inInitech := f.sessionIn(ann.ID, initech.ID, globex.ID) // never in Acme: untouched
	bobInAcme := f.session(bob.ID, acme.ID)                 // another user: untouched
	lapsedInAcme := f.session(ann.ID, acme.ID)              // past its idle expiry when Ann leaves
	lapse := f.clock.Now().Add(time.Minute)
	if _, err := f.db.Exec(`UPDATE sessions SET idle_expires_at = $2 WHERE id = $1`, lapsedInAcme.ID, lapse); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30 * time.Minute) // the others live an hour

	at := f.clock.Now()
	n, err := f.st.RevokeUserSessionsInOrg(f.ctx, ann.ID, acme.ID, at)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("revoked %d, want 1 (the lapsed one is closed as EXPIRED, not counted)", n)
	}

	get := func(id string) model.Session {
		t.Helper()
		s, err := f.st.Session(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := get(inAcme.ID); s.Status != "REVOKED" || s.EndedAt == nil || !s.EndedAt.Equal(at) {
		t.Errorf("session in Acme: %s ended %v", s.Status, s.EndedAt)
	}
	if s := get(lapsedInAcme.ID); s.Status != "EXPIRED" || s.EndedAt == nil || !s.EndedAt.Equal(lapse) {
		t.Errorf("lapsed session in Acme: %s ended %v", s.Status, s.EndedAt)
	}
	if s := get(inGlobex.ID); s.Status != "ACTIVE" || slices.Contains(s.AuthenticatedOrganizations, acme.ID) ||
		!slices.Contains(s.AuthenticatedOrganizations, globex.ID) {
		t.Errorf("session in Globex: %s %v", s.Status, s.AuthenticatedOrganizations)
	}
	if s := get(inInitech.ID); s.Status != "ACTIVE" || len(s.AuthenticatedOrganizations) != 2 {
		t.Errorf("session in Initech: %s %v", s.Status, s.AuthenticatedOrganizations)
	}
	if s := get(bobInAcme.ID); s.Status != "ACTIVE" || !slices.Contains(s.AuthenticatedOrganizations, acme.ID) {
		t.Errorf("bob's session: %s %v", s.Status, s.AuthenticatedOrganizations)
	}

	// Everything of Ann's, in one go.
	n, err = f.st.RevokeAllUserSessions(f.ctx, ann.ID, f.clock.Now())
	if err != nil || n != 2 {
		t.Errorf("revoke all: %d, %v; want the 2 live ones", n, err)
	}
	if get(bobInAcme.ID).Status != "ACTIVE" {
		t.Error("revoking Ann's sessions ended Bob's")
	}
}

// sessionIn opens a session acting in orgID that has also signed in to others.
func (f *fixture) sessionIn(userID, orgID string, others ...string) model.Session {
	f.t.Helper()
	s := f.session(userID, orgID)
	for _, o := range others {
		if _, err := f.db.Exec(`INSERT INTO session_organizations (session_id, organization_id) VALUES ($1, $2)`, s.ID, o); err != nil {
			f.t.Fatal(err)
		}
	}
	return s
}

func TestSessionStatusOnRead(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s := model.Session{Status: "ACTIVE", IdleExpiresAt: now.Add(time.Hour), AbsoluteExpiresAt: now.Add(2 * time.Hour)}
	cases := []struct {
		at   time.Time
		want string
	}{
		{now, "ACTIVE"},
		{now.Add(time.Hour - time.Second), "ACTIVE"},
		{now.Add(time.Hour), "EXPIRED"},
		{now.Add(3 * time.Hour), "EXPIRED"},
	}
	for _, c := range cases {
		if got := directory.SessionStatus(s, c.at); got != c.want {
			t.Errorf("at %v: %s, want %s", c.at, got, c.want)
		}
	}
	s.Status = "REVOKED"
	if got := directory.SessionStatus(s, now.Add(3*time.Hour)); got != "REVOKED" {
		t.Errorf("revoked session reads %s", got)
	}
}

func TestParseUserAgent(t *testing.T) {
	t.Parallel()
	cases := []struct{ ua, browser, os string }{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome", "Windows"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Edge", "Windows"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari", "macOS"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari", "iOS"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36", "Chrome", "Android"},
		{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox", "Linux"},
		{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome", "ChromeOS"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0", "Opera", "Windows"},
		{"curl/8.5.0", "", ""},
		{"", "", ""},
	}
	for _, c := range cases {
		b, o := directory.ParseUserAgent(c.ua)
		if b != c.browser || o != c.os {
			t.Errorf("%q: %q/%q, want %q/%q", c.ua, b, o, c.browser, c.os)
		}
	}
}
