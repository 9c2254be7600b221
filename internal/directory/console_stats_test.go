package directory_test

import (
	"testing"
	"time"

	"roster/internal/directory"
)

func TestHomeStats(t *testing.T) {
	f := newFixture(t) // the clock says 2026-03-01 09:00 UTC
	org, err := f.dir.CreateOrganization(f.ctx, directory.OrganizationInput{DisplayName: ptr("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.dir.AddMember(f.ctx, org.ID, directory.UserInput{Email: ptr("ann@acme.test")}, directory.MembershipInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.dir.AddMember(f.ctx, org.ID, directory.UserInput{Email: ptr("bob@acme.test")}, directory.MembershipInput{SendInvitation: true}); err != nil {
		t.Fatal(err)
	}
	// The users' created_at is the database's now(); put them on known days.
	if _, err := f.db.Exec(`UPDATE users SET created_at = CASE email WHEN 'ann@acme.test' THEN '2026-03-01 08:00Z'::timestamptz ELSE '2026-01-31 12:00Z' END`); err != nil {
		t.Fatal(err)
	}

	s, err := f.dir.HomeStats(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Totals; got.Organizations != 1 || got.Users != 2 || got.ActiveMembers != 1 || got.PendingInvitations != 1 ||
		got.OrganizationsEstimated || got.UsersEstimated {
		t.Errorf("totals = %+v", got)
	}
	if len(s.Days) != directory.ActivityDays {
		t.Fatalf("%d days", len(s.Days))
	}
	first, last := s.Days[0], s.Days[len(s.Days)-1]
	if want := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC); !first.Day.Equal(want) || first.NewUsers != 1 {
		t.Errorf("first day = %+v, want %s with 1 new user", first, want)
	}
	if want := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC); !last.Day.Equal(want) || last.NewUsers != 1 || last.SignIns != 0 {
		t.Errorf("last day = %+v, want %s with 1 new user", last, want)
	}

	// Every day is kept: the past ones whole, today up to five minutes ago.
	var kept, keptToday int
	if err := f.db.Get(&kept, `SELECT count(*) FROM console_daily_activity`); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Get(&keptToday, `SELECT new_users FROM console_daily_activity
		WHERE day = '2026-03-01' AND counted_until = '2026-03-01 08:55Z'`); err != nil {
		t.Fatal(err)
	}
	if kept != directory.ActivityDays || keptToday != 1 {
		t.Errorf("%d days kept, today's %d new users; want %d and 1", kept, keptToday, directory.ActivityDays)
	}
	// A user created after the kept count is counted, the next day too.
	if _, err := f.db.Exec(`INSERT INTO users (email, created_at) VALUES ('cy@acme.test', '2026-03-01 23:59Z')`); err != nil {
		t.Fatal(err)
	}
	for _, now := range []time.Time{
		time.Date(2026, 3, 1, 23, 59, 30, 0, time.UTC), // still counted as it happens
		time.Date(2026, 3, 2, 0, 1, 0, 0, time.UTC),
		time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), // and kept
		time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC),
	} {
		f.clock.Set(now)
		if s, err = f.dir.HomeStats(f.ctx); err != nil {
			t.Fatal(err)
		}
		i := len(s.Days) - 1
		if now.Day() == 2 {
			i--
		}
		if got := s.Days[i]; !got.Day.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) || got.NewUsers != 2 {
			t.Errorf("at %s: March 1 = %+v, want 2 new users", now, got)
		}
	}
	if err := f.db.Get(&keptToday, `SELECT new_users FROM console_daily_activity
		WHERE day = '2026-03-01' AND counted_until = '2026-03-02'`); err != nil || keptToday != 2 {
		t.Errorf("March 1 kept as %d, %v; want 2 up to its end", keptToday, err)
	}
}
