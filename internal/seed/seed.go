// Package seed fills a Roster database with realistic organizations, users
// and memberships at scale, for demos and for measuring the application
// against tables the size of a large customer base.
//
// Everything lands in one transaction through COPY, so a failed or
// interrupted run leaves the database as it was. The same Options (Seed and
// Now included) on the same database give the same rows.
package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/schollz/progressbar/v3"
)

// Options say how much to make.
type Options struct {
	Users int
	Orgs  int
	// Memberships counts every membership, the big org's included.
	Memberships int
	// BigOrg, when above zero, gives one organization exactly this many members.
	BigOrg int
	// Seed drives every random choice: the same seed gives the same data.
	Seed uint64
	// Now is the end of the seeded history, which spans the two years before
	// it. Zero means the start of the current UTC day, so runs with the same
	// seed on the same day match exactly.
	Now time.Time
	// AllowNonEmpty lets Run add to a database that already has users or
	// organizations; without it Run refuses with ErrNotEmpty.
	AllowNonEmpty bool
}

// DefaultOptions are the command's defaults: a small but lived-in directory.
func DefaultOptions() Options {
	return Options{Users: 1000, Orgs: 100, Memberships: 2000}
}

// ErrNotEmpty is returned when the database already has users or
// organizations and Options.AllowNonEmpty is not set.
var ErrNotEmpty = errors.New("the database is not empty")

// Validate reports options that cannot be seeded, before any database work.
func (o Options) Validate() error {
	switch {
	case o.Users < 0 || o.Orgs < 0 || o.Memberships < 0 || o.BigOrg < 0:
		return errors.New("counts cannot be negative")
	case o.Users > 1<<30 || o.Orgs > 1<<30 || o.Memberships > 1<<31:
		return errors.New("counts too large: at most 2^30 users or organizations and 2^31 memberships")
	case o.BigOrg > o.Users:
		return fmt.Errorf("the big org cannot have %d members with only %d users", o.BigOrg, o.Users)
	case o.BigOrg > o.Memberships:
		return fmt.Errorf("the big org's %d members do not fit in %d memberships", o.BigOrg, o.Memberships)
	case o.BigOrg > 0 && o.Orgs == 0:
		return errors.New("a big org needs at least one organization")
	}
	// An org holds each user at most once.
	others := o.Orgs
	if o.BigOrg > 0 {
		others--
	}
	if capacity := int64(others)*int64(o.Users) + int64(o.BigOrg); int64(o.Memberships) > capacity {
		return fmt.Errorf("%d memberships do not fit: %d organizations and %d users make at most %d", o.Memberships, o.Orgs, o.Users, capacity)
	}
	return nil
}

// TableResult is what one table's COPY did.
type TableResult struct {
	Table    string
	Rows     int64
	Duration time.Duration
}

// RowsPerSecond is the table's COPY rate.
func (t TableResult) RowsPerSecond() float64 { return float64(t.Rows) / t.Duration.Seconds() }

// Result reports a run.
type Result struct {
	Tables []TableResult // in load order
	// Indexes is the time spent rebuilding the indexes and foreign keys that
	// were set aside during the load; Analyze the time of the final ANALYZE.
	Indexes  time.Duration
	Analyze  time.Duration
	Duration time.Duration // the whole run
	// BigOrgID is the organization with Options.BigOrg members, if any.
	BigOrgID string
}

// Rows counts every row written.
func (r Result) Rows() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// RowsPerSecond is the overall rate: every row over the whole run, index
// rebuilds and ANALYZE included.
func (r Result) RowsPerSecond() float64 { return float64(r.Rows()) / r.Duration.Seconds() }

// WriteSummary prints the rates, one line per table and one overall.
func (r Result) WriteSummary(w io.Writer) {
	for _, t := range r.Tables {
		fmt.Fprintf(w, "%-18s %10d rows  %7.1fs  %9.0f rows/s (COPY)\n", t.Table, t.Rows, t.Duration.Seconds(), t.RowsPerSecond())
	}
	fmt.Fprintf(w, "%-18s %26.1fs\n", "indexes and keys", r.Indexes.Seconds())
	fmt.Fprintf(w, "%-18s %26.1fs\n", "analyze", r.Analyze.Seconds())
	fmt.Fprintf(w, "%-18s %10d rows  %7.1fs  %9.0f rows/s overall\n", "total", r.Rows(), r.Duration.Seconds(), r.RowsPerSecond())
}

// The tables Run writes, in load order (each references only earlier ones).
var seededTables = []string{"organizations", "users", "memberships", "membership_roles"}

// Run seeds db as opts say, writing progress bars to progress (nil for none).
func Run(ctx context.Context, db *sqlx.DB, opts Options, progress io.Writer) (Result, error) {
	if err := opts.Validate(); err != nil {
		return Result{}, err
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now().UTC().Truncate(24 * time.Hour)
	}
	if progress == nil {
		progress = io.Discard
	}
	started := time.Now()

	// COPY data goes through the driver connection itself (see copyTable),
	// which database/sql only lends through Conn.Raw, not inside a sql.Tx:
	// so the transaction is opened and closed by hand on one connection.
	conn, err := db.Conn(ctx)
	if err != nil {
		return Result{}, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return Result{}, err
	}
	committed := false
	defer func() {
		if !committed {
			// The caller's ctx may be the reason we are here.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()

	res, err := load(ctx, conn, opts, progress)
	if ctx.Err() != nil {
		// The driver's own error then says little ("bad connection").
		return res, fmt.Errorf("interrupted, nothing was written: %w", context.Cause(ctx))
	}
	if err != nil {
		return res, err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	committed = true

	// Fresh statistics, or the planner takes million-row tables for empty.
	t := time.Now()
	if _, err := conn.ExecContext(ctx, "ANALYZE "+strings.Join(seededTables, ", ")); err != nil {
		return res, fmt.Errorf("analyze: %w", err)
	}
	res.Analyze = time.Since(t)
	res.Duration = time.Since(started)
	return res, nil
}

// load does the work inside the transaction.
func load(ctx context.Context, conn *sql.Conn, opts Options, progress io.Writer) (Result, error) {
	var res Result
	exec := func(q string) error {
		_, err := conn.ExecContext(ctx, q)
		return err
	}
	// Index builds are the bulk of the work after the COPYs; more memory
	// lets them sort in memory. LOCAL: it ends with the transaction.
	if err := exec("SET LOCAL maintenance_work_mem = '512MB'"); err != nil {
		return res, err
	}
	// Validating a foreign key is one big join; in the default 4 MB it
	// sorts and hashes on disk.
	if err := exec("SET LOCAL work_mem = '256MB'"); err != nil {
		return res, err
	}
	// Taken up front so the emptiness check holds until commit and two
	// seeds cannot interleave. Readers of these tables wait too: the
	// indexes they would use are being rebuilt.
	if err := exec("LOCK TABLE " + strings.Join(seededTables, ", ") + " IN ACCESS EXCLUSIVE MODE"); err != nil {
		return res, fmt.Errorf("lock tables: %w", err)
	}

	var users, orgs int64
	err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM organizations)`).Scan(&users, &orgs)
	if err != nil {
		return res, err
	}
	var userBase, orgBase int64
	if users > 0 || orgs > 0 {
		if !opts.AllowNonEmpty {
			return res, fmt.Errorf("%w: it has %d users and %d organizations; seeding would add to them", ErrNotEmpty, users, orgs)
		}
		if userBase, orgBase, err = numberingBases(ctx, conn); err != nil {
			return res, err
		}
	}

	var adminRole, memberRole string
	err = conn.QueryRowContext(ctx, `
		SELECT (SELECT id FROM roles WHERE organization_id IS NULL AND name = 'admin'),
		       (SELECT id FROM roles WHERE organization_id IS NULL AND name = 'member')`).Scan(&adminRole, &memberRole)
	if err != nil {
		return res, fmt.Errorf("find the environment's admin and member roles (is the database migrated?): %w", err)
	}

	g := newGenerator(opts, userBase, orgBase, adminRole, memberRole)
	g.plan()
	if opts.BigOrg > 0 {
		res.BigOrgID = formatID("org", &g.orgs[0].id)
	}

	setAside, err := setAsideIndexes(ctx, conn)
	if err != nil {
		return res, err
	}

	tables := []struct {
		name  string
		cols  []string
		total int
		write func(*rowWriter) error
	}{
		{"organizations", orgColumns, opts.Orgs, g.writeOrgs},
		{"users", userColumns, opts.Users, g.writeUsers},
		{"memberships", membershipColumns, opts.Memberships, g.writeMemberships},
		{"membership_roles", membershipRoleColumns, opts.Memberships, g.writeMembershipRoles},
	}
	for _, t := range tables {
		bar := newBar(progress, int64(t.total), t.name, "rows")
		start := time.Now()
		n, err := copyTable(ctx, conn, t.name, t.cols, bar, t.write)
		if err != nil {
			return res, fmt.Errorf("copy %s: %w", t.name, err)
		}
		_ = bar.Finish()
		res.Tables = append(res.Tables, TableResult{Table: t.name, Rows: n, Duration: time.Since(start)})
	}

	start := time.Now()
	if err := restore(ctx, conn, setAside, progress); err != nil {
		return res, err
	}
	res.Indexes = time.Since(start)
	return res, nil
}

// numberingBases returns the first free numbers for users and orgs: one
// past the highest number an earlier seeding put in an email, slug or
// external id, so this run's values cannot collide with those.
func numberingBases(ctx context.Context, conn *sql.Conn) (userBase, orgBase int64, err error) {
	err = conn.QueryRowContext(ctx, `
		SELECT (SELECT coalesce(max(n), -1) + 1 FROM (
		            SELECT (regexp_match(email, '\.(\d{1,15})@'))[1]::bigint FROM users
		            UNION ALL
		            SELECT (regexp_match(external_id, '^emp-(\d{1,15})$'))[1]::bigint FROM users) AS u(n)),
		       (SELECT coalesce(max(n), -1) + 1 FROM (
		            SELECT (regexp_match(slug, '-(\d{1,15})$'))[1]::bigint FROM organizations
		            UNION ALL
		            SELECT (regexp_match(external_id, '^crm-(\d{1,15})$'))[1]::bigint FROM organizations) AS o(n))`,
	).Scan(&userBase, &orgBase)
	if err != nil {
		return 0, 0, fmt.Errorf("number after earlier seedings: %w", err)
	}
	return userBase, orgBase, nil
}

// newBar makes a progress bar on w counting toward total; unit, when set,
// shows the rate ("rows/s").
func newBar(w io.Writer, total int64, name, unit string) *progressbar.ProgressBar {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("%-16s", name)),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	}
	if unit != "" {
		opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit))
	}
	return progressbar.NewOptions64(total, opts...)
}
