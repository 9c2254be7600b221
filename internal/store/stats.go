package store

import (
	"context"
	"time"
)

var statsQueries struct {
	MemberTotals   string `query:"member-totals"`
	NewUsersPerDay string `query:"new-users-per-day"`
	SignInsPerDay  string `query:"sign-ins-per-day"`
}

func init() { loadQueries("stats.sql", &statsQueries) }

// DirectoryTotals is the size of the directory as the console's home page
// shows it. Organizations and Users are exact up to countCap and the
// planner's estimate beyond (then the Estimated flag is set); the member
// totals are exact, summed from the trigger-kept per-org counts.
type DirectoryTotals struct {
	Organizations          int
	OrganizationsEstimated bool
	Users                  int
	UsersEstimated         bool
	ActiveMembers          int
	PendingInvitations     int
}

// DirectoryTotals counts organizations, users, active memberships and
// pending invitations without reading the big tables.
func (s *Store) DirectoryTotals(ctx context.Context) (DirectoryTotals, error) {
	var t DirectoryTotals
	var err error
	if t.Organizations, err = s.cappedCount(ctx, "organizations", orgQueries.Count, ""); err != nil {
		return t, err
	}
	if t.Users, err = s.cappedCount(ctx, "users", userQueries.Count); err != nil {
		return t, err
	}
	t.OrganizationsEstimated, t.UsersEstimated = t.Organizations > countCap, t.Users > countCap
	var members struct {
		Active  int `db:"active"`
		Pending int `db:"pending"`
	}
	if err := s.get(ctx, &members, statsQueries.MemberTotals); err != nil {
		return t, err
	}
	t.ActiveMembers, t.PendingInvitations = members.Active, members.Pending
	return t, nil
}

// DayCount is how many things happened on one UTC day.
type DayCount struct {
	Day   time.Time `db:"day"`
	Count int       `db:"n"`
}

// NewUsersPerDay counts users created in [from, until) per UTC day, oldest
// first; days with none are missing.
func (s *Store) NewUsersPerDay(ctx context.Context, from, until time.Time) ([]DayCount, error) {
	var out []DayCount
	return out, s.selectAll(ctx, &out, statsQueries.NewUsersPerDay, from, until)
}

// SignInsPerDay counts end-user sessions started in [from, until) per UTC
// day, oldest first; days with none are missing.
func (s *Store) SignInsPerDay(ctx context.Context, from, until time.Time) ([]DayCount, error) {
	var out []DayCount
	return out, s.selectAll(ctx, &out, statsQueries.SignInsPerDay, from, until)
}
