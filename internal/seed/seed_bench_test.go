package seed_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"roster/internal/seed"
	"roster/internal/testkit"
)

// BenchmarkSeed seeds a fresh database at the target scale (1,000,000 users,
// 100,000 orgs, 2,000,000 memberships, one org of 200,000) or at
// ROSTER_BENCH_USERS users with the other counts in the same proportions.
// Run it once:
//
//	go test -run XXX -bench BenchmarkSeed -benchtime 1x ./internal/seed
//
// The test kit's cluster runs with fsync off, which flatters the COPYs a
// little against a durable server.
func BenchmarkSeed(b *testing.B) {
	users := 1_000_000
	if v := os.Getenv("ROSTER_BENCH_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 {
			b.Fatalf("ROSTER_BENCH_USERS=%q: want a whole number of at least 10", v)
		}
		users = n
	}
	opts := seed.Options{
		Users:       users,
		Orgs:        users / 10,
		Memberships: 2 * users,
		BigOrg:      users / 5,
		Seed:        1,
	}
	var last seed.Result
	for b.Loop() {
		b.StopTimer()
		db := testkit.NewDB(b)
		b.StartTimer()
		res, err := seed.Run(context.Background(), db, opts, nil)
		if err != nil {
			b.Fatal(err)
		}
		last = res
	}
	b.ReportMetric(last.RowsPerSecond(), "rows/s")
	b.ReportMetric(last.Duration.Seconds(), "s/seed")
	for _, t := range last.Tables {
		b.ReportMetric(t.RowsPerSecond(), t.Table+"_rows/s")
	}
	var sb strings.Builder
	last.WriteSummary(&sb)
	b.Logf("fsync off (test cluster)\n%s", sb.String())
}
