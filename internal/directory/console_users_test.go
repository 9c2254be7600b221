package directory_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/store"
)

// plainUser inserts a user without memberships, one second after the last.
func (f *fixture) plainUser(email string, verified bool) model.User {
	f.t.Helper()
	f.clock.Advance(time.Second)
	u, _, err := f.st.InsertUser(f.ctx, model.User{ID: ids.New(ids.User), Email: email, EmailVerified: verified, CreatedAt: f.clock.Now()})
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func emailsOf(users []model.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.Email
	}
	return out
}

func TestScanUsersLooksThroughAWindow(t *testing.T) {
	f := newFixture(t)
	// u0 … u9: every third one unverified (u0, u3, u6, u9).
	for i := range 10 {
		f.plainUser("u"+strconv.Itoa(i)+"@scan.test", i%3 != 0)
	}
	var got []string
	var ends int
	token := ""
	for range 10 {
		users, info, windowEnded, err := f.st.ScanUsers(f.ctx, store.UserScan{Verified: "no", Window: 4}, pageOf(3, token))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, emailsOf(users)...)
		if windowEnded {
			ends++
		}
		if info.PrevToken != "" {
			t.Error("a scan page offers a way back")
		}
		if token = info.NextToken; token == "" {
			break
		}
	}
	if want := "u0@scan.test u3@scan.test u6@scan.test u9@scan.test"; strings.Join(got, " ") != want {
		t.Errorf("found %v, want %s", got, want)
	}
	if ends == 0 {
		t.Error("no page stopped at the end of its window")
	}

	// The membership filter: only users without any.
	o := f.org("Scan Co")
	member := f.member(o.ID, "u1@scan.test")
	users, _, _, err := f.st.ScanUsers(f.ctx, store.UserScan{NoMembership: true, Window: 100}, pageOf(50, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.ID == member.ID {
			t.Error("a member is listed as having no membership")
		}
	}
	if len(users) != 9 {
		t.Errorf("%d users without membership, want 9", len(users))
	}
}

func TestUsersByEmailPrefix(t *testing.T) {
	f := newFixture(t)
	for _, e := range []string{"Anna@p.test", "ann@p.test", "an_dy@p.test", "bob@p.test", "éz@p.test", "ê@p.test"} {
		f.plainUser(e, true)
	}
	all := func(prefix string) []string {
		var out []string
		token := ""
		for range 10 {
			users, info, err := f.st.UsersByEmailPrefix(f.ctx, prefix, pageOf(1, token))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, emailsOf(users)...)
			if token = info.NextToken; token == "" {
				return out
			}
		}
		t.Fatal("too many pages")
		return nil
	}
	for prefix, want := range map[string]string{
		"an": "an_dy@p.test ann@p.test Anna@p.test", // byte order of the lowercased emails
		"AN": "an_dy@p.test ann@p.test Anna@p.test",
		"b":  "bob@p.test",
		"éz": "éz@p.test",
		"x":  "",
	} {
		if got := strings.Join(all(prefix), " "); got != want {
			t.Errorf("prefix %q: %s, want %s", prefix, got, want)
		}
	}

	// Back from the last page comes the one before it.
	first, info, _ := f.st.UsersByEmailPrefix(f.ctx, "an", pageOf(2, ""))
	last, info, _ := f.st.UsersByEmailPrefix(f.ctx, "an", pageOf(2, info.NextToken))
	back, _, err := f.st.UsersByEmailPrefix(f.ctx, "an", pageOf(2, info.PrevToken))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(emailsOf(back), " ") != strings.Join(emailsOf(first), " ") || len(last) != 1 {
		t.Errorf("pages %v, %v; back %v", emailsOf(first), emailsOf(last), emailsOf(back))
	}
}

func TestConsoleListUsersRefusesWhatNoIndexServes(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		filter directory.ConsoleUserFilter
		field  string
	}{
		{directory.ConsoleUserFilter{Query: "ann", Verified: "yes"}, "verified"},
		{directory.ConsoleUserFilter{Org: "acme", Membership: "none"}, "membership"},
		{directory.ConsoleUserFilter{Org: "no-such-org"}, "org"},
		{directory.ConsoleUserFilter{Verified: "perhaps"}, "verified"},
	} {
		_, err := f.dir.ConsoleListUsers(f.ctx, tt.filter, store.PageRequest{})
		if apperr.FieldErrors(err)[tt.field] == "" {
			t.Errorf("%+v: error %v, want one on %s", tt.filter, err, tt.field)
		}
	}
}

func TestUserSessionsInTheConsole(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	ann, bob := f.member(o.ID, "ann@acme.test"), f.member(o.ID, "bob@acme.test")
	var mine []model.Session
	for range 3 {
		mine = append(mine, f.session(ann.ID, o.ID))
		f.clock.Advance(time.Minute)
	}
	other := f.session(bob.ID, o.ID)

	// Newest first, paged both ways.
	page1, info, err := f.dir.ConsoleUserSessions(f.ctx, ann.ID, pageOf(2, ""))
	if err != nil {
		t.Fatal(err)
	}
	page2, info2, err := f.dir.ConsoleUserSessions(f.ctx, ann.ID, pageOf(2, info.NextToken))
	if err != nil {
		t.Fatal(err)
	}
	if len(page1) != 2 || page1[0].ID != mine[2].ID || page1[1].ID != mine[1].ID || len(page2) != 1 || page2[0].ID != mine[0].ID {
		t.Errorf("pages out of order")
	}
	back, _, _ := f.dir.ConsoleUserSessions(f.ctx, ann.ID, pageOf(2, info2.PrevToken))
	if len(back) != 2 || back[0].ID != mine[2].ID {
		t.Errorf("back: %d sessions", len(back))
	}

	// A session of someone else is not found through this user.
	_, err = f.dir.RevokeUserSession(f.ctx, ann.ID, other.ID)
	wantCode(t, err, apperr.ErrNotFound)
	if f.sessionStatus(other.ID) != "ACTIVE" {
		t.Error("another user's session was revoked")
	}

	// Live sessions: an expired one does not count.
	f.clock.Advance(57 * time.Minute) // an hour after mine[0] began: it is idle-expired
	impact, err := f.dir.UserDeletionImpact(f.ctx, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if impact.LiveSessions != 2 {
		t.Errorf("%d live sessions, want 2", impact.LiveSessions)
	}
	if _, err := f.dir.RevokeUserSession(f.ctx, ann.ID, mine[2].ID); err != nil {
		t.Fatal(err)
	}
	if impact, _ := f.dir.UserDeletionImpact(f.ctx, ann.ID); impact.LiveSessions != 1 {
		t.Errorf("%d live sessions after revoking one, want 1", impact.LiveSessions)
	}
}
