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

	// The 29 days before today are counted once and kept; today is not.
	var kept int
	if err := f.db.Get(&kept, `SELECT count(*) FROM console_daily_activity`); err != nil {
		t.Fatal(err)
	}
	if kept != directory.ActivityDays-1 {
		t.Errorf("%d days kept, want %d", kept, directory.ActivityDays-1)
	}
	// The next morning, before the hour that settles it, yesterday is still
	// counted live; after it, it is kept too.
	f.clock.Set(time.Date(2026, 3, 2, 0, 30, 0, 0, time.UTC))
	if _, err := f.db.Exec(`INSERT INTO users (email, created_at) VALUES ('cy@acme.test', '2026-03-01 23:59Z')`); err != nil {
		t.Fatal(err)
	}
	s, err = f.dir.HomeStats(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Days[len(s.Days)-2]; got.NewUsers != 2 {
		t.Errorf("yesterday = %+v, want 2 new users", got)
	}
	f.clock.Set(time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC))
	if s, err = f.dir.HomeStats(f.ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.Days[len(s.Days)-2]; got.NewUsers != 2 {
		t.Errorf("yesterday, kept = %+v, want 2 new users", got)
	}
	if err := f.db.Get(&kept, `SELECT count(*) FROM console_daily_activity`); err != nil {
		t.Fatal(err)
	}
	if kept != directory.ActivityDays {
		t.Errorf("%d days kept, want %d", kept, directory.ActivityDays)
	}
}
