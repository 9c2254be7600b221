package store

import (
	"context"
	"time"

	"github.com/lib/pq"
)

var statsQueries struct {
	MemberTotals       string `query:"member-totals"`
	KeptDailyActivity  string `query:"kept-daily-activity"`
	CountDailyActivity string `query:"count-daily-activity"`
	KeepDailyActivity  string `query:"keep-daily-activity"`
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

// DayActivity is one UTC day's sign-ins (end-user sessions started) and
// new users.
type DayActivity struct {
	Day      time.Time `db:"day"` // midnight UTC
	SignIns  int       `db:"sign_ins"`
	NewUsers int       `db:"new_users"`
}

// DailyActivity returns every UTC day of [from, until), oldest first; from
// and until are midnights UTC. Days before settled are counted once and kept
// in console_daily_activity, so later calls read them back instead of
// counting again; days from settled on are counted on every call. The
// caller picks settled so that nothing new can land before it: rows written
// later with an older created_at (a seed of past data) are not seen in days
// already kept.
func (s *Store) DailyActivity(ctx context.Context, from, settled, until time.Time) ([]DayActivity, error) {
	if settled.Before(from) {
		settled = from
	}
	if settled.After(until) {
		settled = until
	}
	key := func(t time.Time) string { return t.UTC().Format(time.DateOnly) }
	var kept []DayActivity
	if err := s.selectAll(ctx, &kept, statsQueries.KeptDailyActivity, from, settled); err != nil {
		return nil, err
	}
	byDay := make(map[string]DayActivity, len(kept))
	for _, d := range kept {
		byDay[key(d.Day)] = d
	}
	// Count the settled days not kept yet (usually just yesterday), from the
	// first missing one on, and keep them.
	firstMissing := settled
	for d := from; d.Before(settled); d = d.Add(24 * time.Hour) {
		if _, ok := byDay[key(d)]; !ok {
			firstMissing = d
			break
		}
	}
	if firstMissing.Before(settled) {
		counted, err := s.countDailyActivity(ctx, firstMissing, settled)
		if err != nil {
			return nil, err
		}
		var days []string
		var signIns, newUsers []int64
		for _, d := range counted {
			if _, ok := byDay[key(d.Day)]; !ok {
				days = append(days, key(d.Day))
				signIns, newUsers = append(signIns, int64(d.SignIns)), append(newUsers, int64(d.NewUsers))
			}
			byDay[key(d.Day)] = d
		}
		if _, err := s.exec(ctx, statsQueries.KeepDailyActivity,
			pq.Array(days), pq.Array(signIns), pq.Array(newUsers)); err != nil {
			return nil, err
		}
	}
	// The days still open.
	if settled.Before(until) {
		live, err := s.countDailyActivity(ctx, settled, until)
		if err != nil {
			return nil, err
		}
		for _, d := range live {
			byDay[key(d.Day)] = d
		}
	}
	var out []DayActivity
	for d := from; d.Before(until); d = d.Add(24 * time.Hour) {
		a := byDay[key(d)]
		a.Day = d
		out = append(out, a)
	}
	return out, nil
}

func (s *Store) countDailyActivity(ctx context.Context, from, until time.Time) ([]DayActivity, error) {
	var out []DayActivity
	if err := s.selectAll(ctx, &out, statsQueries.CountDailyActivity, from, until); err != nil {
		return nil, err
	}
	return out, nil
}
