package store

import (
	"context"
	"time"

	"github.com/lib/pq"
)

var statsQueries struct {
	TableEstimate     string `query:"table-estimate"`
	MemberTotals      string `query:"member-totals"`
	KeptDailyActivity string `query:"kept-daily-activity"`
	CountActivity     string `query:"count-activity"`
	KeepDailyActivity string `query:"keep-daily-activity"`
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
	if t.Organizations, t.OrganizationsEstimated, err = s.tableSize(ctx, "organizations", orgQueries.Count, ""); err != nil {
		return t, err
	}
	if t.Users, t.UsersEstimated, err = s.tableSize(ctx, "users", userQueries.Count); err != nil {
		return t, err
	}
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

// tableSize is the number of rows of a whole table: the planner's estimate
// when that is past countCap (counting even the capped 10,001 rows costs a
// few milliseconds), else cappedCount's answer, exact for small tables,
// where an estimate is often wrong or missing.
func (s *Store) tableSize(ctx context.Context, table, countQuery string, args ...any) (n int, estimated bool, err error) {
	var estimate float64
	if err := s.get(ctx, &estimate, statsQueries.TableEstimate, table); err != nil {
		return 0, false, err
	}
	if estimate > countCap {
		return int(estimate), true, nil
	}
	n, err = s.cappedCount(ctx, table, countQuery, args...)
	return n, n > countCap, err
}

// DayActivity is one UTC day's sign-ins (end-user sessions started) and
// new users.
type DayActivity struct {
	Day      time.Time `db:"day"` // midnight UTC
	SignIns  int       `db:"sign_ins"`
	NewUsers int       `db:"new_users"`
}

// keepStep is the least progress worth writing down: a view less than this
// after the last kept count counts the gap instead, so busy home pages
// write at most about once a minute.
const keepStep = time.Minute

// DailyActivity returns every UTC day of [from, until), oldest first (from
// and until are midnights UTC), counting incrementally: console_daily_activity
// keeps each day's counts up to a time, and a call counts only the rows
// created after it. Rows created before stable are taken to be all written
// (the caller leaves room for slow transactions and clock skew); they are
// counted once and kept. Rows from stable on are counted on every call. So a
// row written later with an older created_at than its day's kept time (a
// seed of past data) is not seen.
func (s *Store) DailyActivity(ctx context.Context, from, until, stable time.Time) ([]DayActivity, error) {
	var kept []struct {
		DayActivity
		CountedUntil time.Time `db:"counted_until"`
	}
	if err := s.selectAll(ctx, &kept, statsQueries.KeptDailyActivity,
		from.Format(time.DateOnly), until.Format(time.DateOnly)); err != nil {
		return nil, err
	}
	dayOf := func(t time.Time) string { return t.UTC().Format(time.DateOnly) }
	var out []DayActivity
	countedUntil := map[string]time.Time{}
	for d := from; d.Before(until); d = d.Add(24 * time.Hour) {
		out = append(out, DayActivity{Day: d})
		countedUntil[dayOf(d)] = d
	}
	for _, k := range kept {
		if i := int(k.Day.Sub(from) / (24 * time.Hour)); i >= 0 && i < len(out) {
			out[i].SignIns, out[i].NewUsers = k.SignIns, k.NewUsers
			countedUntil[dayOf(k.Day)] = k.CountedUntil
		}
	}

	// What each day still needs: the stable rows since its kept count (to
	// keep), and the rows after that (to count now only).
	type span struct {
		day         int
		since, upto time.Time
		keep        bool
	}
	var spans []span
	for i, d := range out {
		since, end := countedUntil[dayOf(d.Day)], d.Day.Add(24*time.Hour)
		upto := since
		if stable.After(since) {
			upto = stable
		}
		if end.Before(upto) {
			upto = end
		}
		if upto.Sub(since) >= keepStep || upto.Equal(end) && upto.After(since) {
			spans = append(spans, span{i, since, upto, true})
			since = upto
		}
		if since.Before(end) {
			spans = append(spans, span{i, since, end, false})
		}
	}
	if len(spans) == 0 {
		return out, nil
	}
	sinces, uptos := make([]string, len(spans)), make([]string, len(spans))
	for i, sp := range spans {
		sinces[i], uptos[i] = sp.since.Format(time.RFC3339Nano), sp.upto.Format(time.RFC3339Nano)
	}
	var counts []DayActivity
	if err := s.selectAll(ctx, &counts, statsQueries.CountActivity, pq.Array(sinces), pq.Array(uptos)); err != nil {
		return nil, err
	}
	var keepDays, keepUntil []string
	var keepSignIns, keepNewUsers []int64
	for i, sp := range spans {
		d := &out[sp.day]
		d.SignIns += counts[i].SignIns
		d.NewUsers += counts[i].NewUsers
		if sp.keep { // a keep span comes before its day's count-now span
			keepDays = append(keepDays, dayOf(d.Day))
			keepSignIns, keepNewUsers = append(keepSignIns, int64(d.SignIns)), append(keepNewUsers, int64(d.NewUsers))
			keepUntil = append(keepUntil, sp.upto.Format(time.RFC3339Nano))
		}
	}
	if len(keepDays) > 0 {
		if _, err := s.exec(ctx, statsQueries.KeepDailyActivity,
			pq.Array(keepDays), pq.Array(keepSignIns), pq.Array(keepNewUsers), pq.Array(keepUntil)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
