package directory

import (
	"context"
	"time"

	"roster/internal/store"
)

// ActivityDays is how many days of sign-ins and new users the console's home
// page charts, today included.
const ActivityDays = 30

// HomeStats is what the console's home page shows: how big the directory
// is, and what happened in it lately.
type HomeStats struct {
	Totals store.DirectoryTotals
	// Days holds ActivityDays UTC days, oldest first, ending today by the
	// service's clock; days without activity are there with zeros.
	Days []DayActivity
}

// DayActivity is one UTC day of activity.
type DayActivity struct {
	Day      time.Time // midnight UTC
	SignIns  int       // end-user sessions started
	NewUsers int       // users created
}

// HomeStats counts the directory and its last ActivityDays days. Every
// query reads an index range or the per-org counts, never a whole big table,
// so the page costs the same at a million users as at ten.
func (s *Service) HomeStats(ctx context.Context) (HomeStats, error) {
	var out HomeStats
	totals, err := s.store.DirectoryTotals(ctx)
	if err != nil {
		return out, err
	}
	out.Totals = totals

	today := s.clock.Now().UTC().Truncate(24 * time.Hour)
	from, until := today.AddDate(0, 0, 1-ActivityDays), today.AddDate(0, 0, 1)
	signIns, err := s.store.SignInsPerDay(ctx, from, until)
	if err != nil {
		return out, err
	}
	newUsers, err := s.store.NewUsersPerDay(ctx, from, until)
	if err != nil {
		return out, err
	}
	out.Days = make([]DayActivity, ActivityDays)
	for i := range out.Days {
		out.Days[i].Day = from.AddDate(0, 0, i)
	}
	// The queries leave out empty days; put each count on its own day.
	dayIndex := func(t time.Time) int { return int(t.UTC().Sub(from) / (24 * time.Hour)) }
	for _, d := range signIns {
		if i := dayIndex(d.Day); i >= 0 && i < ActivityDays {
			out.Days[i].SignIns = d.Count
		}
	}
	for _, d := range newUsers {
		if i := dayIndex(d.Day); i >= 0 && i < ActivityDays {
			out.Days[i].NewUsers = d.Count
		}
	}
	return out, nil
}
