package directory

import (
	"context"
	"time"

	"roster/internal/store"
)

// ActivityDays is how many days of sign-ins and new users the console's home
// page charts, today included.
const ActivityDays = 30

// activityLag is how far back from now rows are taken to be all written,
// so their counts can be kept: a sign-in's transaction commits a moment
// after its created_at, and another server's clock may run a little behind.
const activityLag = 5 * time.Minute

// HomeStats is what the console's home page shows: how big the directory
// is, and what happened in it lately.
type HomeStats struct {
	Totals store.DirectoryTotals
	// Days holds ActivityDays UTC days, oldest first, ending today by the
	// service's clock; days without activity are there with zeros.
	Days []store.DayActivity
}

// HomeStats counts the directory and its last ActivityDays days. Nothing
// here reads a whole big table: totals come from capped counts, estimates
// and the per-org member counts; activity is counted incrementally (see
// store.DailyActivity), so a view counts only the last few minutes' rows.
func (s *Service) HomeStats(ctx context.Context) (HomeStats, error) {
	var out HomeStats
	totals, err := s.store.DirectoryTotals(ctx)
	if err != nil {
		return out, err
	}
	out.Totals = totals

	now := s.clock.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	from, until := today.AddDate(0, 0, 1-ActivityDays), today.AddDate(0, 0, 1)
	if totals.Users == 0 {
		// No users, so no sign-ins and no new users: nothing to count, and
		// nothing to keep before the first data arrives.
		for d := from; d.Before(until); d = d.AddDate(0, 0, 1) {
			out.Days = append(out.Days, store.DayActivity{Day: d})
		}
		return out, nil
	}
	out.Days, err = s.store.DailyActivity(ctx, from, until, now.Add(-activityLag))
	return out, err
}
