package store

import "context"

// countCap is where exact counting stops. Counting a million rows on every
// page costs more than the page itself; past the cap, lists report the
// planner's estimate of the table's size, which is what a person needs.
const countCap = 10000

// cappedCount runs a count query that stops at countCap+1 rows. When it hits
// the cap and table is named (an unfiltered list of a whole table), it
// answers the table's estimated size; a filtered list answers countCap+1,
// "more than 10,000".
func (s *Store) cappedCount(ctx context.Context, table, query string, args ...any) (int, error) {
	var n int
	if err := s.get(ctx, &n, query, args...); err != nil {
		return 0, err
	}
	if n <= countCap || table == "" {
		return n, nil
	}
	var estimate float64
	if err := s.get(ctx, &estimate, `SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, table); err != nil {
		return 0, err
	}
	if int(estimate) > n {
		return int(estimate), nil
	}
	return n, nil
}
