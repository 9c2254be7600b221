package seed_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"roster/internal/seed"
	"roster/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// now pins the seeded history so runs can be compared.
var now = time.Date(2026, time.January, 15, 0, 0, 0, 0, time.UTC)

func smallOptions() seed.Options {
	return seed.Options{Users: 2000, Orgs: 200, Memberships: 4000, BigOrg: 400, Seed: 7, Now: now}
}

func count(t *testing.T, db *sqlx.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// schema lists every index and constraint of the public schema as
// PostgreSQL prints them, to show the load put back exactly what it set aside.
func schema(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var s string
	err := db.Get(&s, `
		SELECT string_agg(x, E'\n' ORDER BY x) FROM (
		    SELECT indexdef AS x FROM pg_indexes WHERE schemaname = 'public'
		    UNION ALL
		    SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' validated=' || convalidated
		    FROM pg_constraint WHERE connamespace = 'public'::regnamespace) AS s`)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRun(t *testing.T) {
	db := testkit.NewDB(t)
	before := schema(t, db)
	opts := smallOptions()
	res, err := seed.Run(context.Background(), db, opts, io.Discard)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("counts", func(t *testing.T) {
		for table, want := range map[string]int{
			"users": opts.Users, "organizations": opts.Orgs,
			"memberships": opts.Memberships, "membership_roles": opts.Memberships,
		} {
			if got := count(t, db, "SELECT count(*) FROM "+table); got != want {
				t.Errorf("%s: %d rows, want %d", table, got, want)
			}
		}
		if want := int64(opts.Users + opts.Orgs + 2*opts.Memberships); res.Rows() != want {
			t.Errorf("Result.Rows() = %d, want %d", res.Rows(), want)
		}
		if len(res.Tables) != 4 || res.RowsPerSecond() <= 0 {
			t.Errorf("result lacks per-table rates: %+v", res)
		}
	})

	t.Run("emails unique whatever the case", func(t *testing.T) {
		if n := count(t, db, "SELECT count(DISTINCT lower(email)) FROM users"); n != opts.Users {
			t.Errorf("%d distinct lowercased emails, want %d", n, opts.Users)
		}
		// Some are written with capitals, so the case-folding index is exercised.
		if n := count(t, db, "SELECT count(*) FROM users WHERE email <> lower(email)"); n == 0 {
			t.Error("no email has capitals")
		}
		if n := count(t, db, `SELECT count(*) FROM users WHERE email !~ '^[a-zA-Z]+\.[a-zA-Z]+\.[0-9]+@[a-z0-9.-]+$'`); n != 0 {
			t.Errorf("%d emails are not given.family.N@domain", n)
		}
	})

	t.Run("every org with members has an active admin, its creator", func(t *testing.T) {
		n := count(t, db, `
			SELECT count(*) FROM organizations o
			WHERE EXISTS (SELECT 1 FROM memberships m WHERE m.organization_id = o.id)
			  AND NOT EXISTS (
			      SELECT 1 FROM memberships m
			      JOIN membership_roles mr ON mr.membership_id = m.id
			      JOIN roles r ON r.id = mr.role_id AND r.name = 'admin' AND r.organization_id IS NULL
			      WHERE m.organization_id = o.id AND m.status = 'ACTIVE'
			        AND m.provisioning_method = 'org_creator')`)
		if n != 0 {
			t.Errorf("%d orgs with members have no active admin creator", n)
		}
		// One creator per org, present when the org was made.
		if n := count(t, db, `
			SELECT count(*) FROM (SELECT organization_id FROM memberships WHERE provisioning_method = 'org_creator'
			                      GROUP BY 1 HAVING count(*) > 1) AS s`); n != 0 {
			t.Errorf("%d orgs have several creators", n)
		}
		if n := count(t, db, `
			SELECT count(*) FROM memberships m JOIN organizations o ON o.id = m.organization_id
			WHERE m.provisioning_method = 'org_creator' AND m.created_at <> o.created_at`); n != 0 {
			t.Errorf("%d creators joined after making their org", n)
		}
	})

	t.Run("big org", func(t *testing.T) {
		if res.BigOrgID == "" {
			t.Fatal("no BigOrgID in the result")
		}
		if n := count(t, db, "SELECT count(*) FROM memberships WHERE organization_id = $1", res.BigOrgID); n != opts.BigOrg {
			t.Errorf("big org has %d members, want %d", n, opts.BigOrg)
		}
	})

	t.Run("statuses, methods and roles are mixed", func(t *testing.T) {
		for _, status := range []string{"ACTIVE", "PENDING_INVITE", "INVITE_EXPIRED", "INACTIVE"} {
			if n := count(t, db, "SELECT count(*) FROM memberships WHERE status = $1", status); n == 0 {
				t.Errorf("no %s membership", status)
			}
		}
		active := count(t, db, "SELECT count(*) FROM memberships WHERE status = 'ACTIVE'")
		if active < opts.Memberships*7/10 {
			t.Errorf("only %d of %d memberships are ACTIVE; want most", active, opts.Memberships)
		}
		if n := count(t, db, "SELECT count(DISTINCT provisioning_method) FROM memberships"); n < 5 {
			t.Errorf("%d provisioning methods, want all 5", n)
		}
		admins := count(t, db, `SELECT count(*) FROM membership_roles mr JOIN roles r ON r.id = mr.role_id WHERE r.name = 'admin'`)
		members := count(t, db, `SELECT count(*) FROM membership_roles mr JOIN roles r ON r.id = mr.role_id WHERE r.name = 'member'`)
		if admins == 0 || members <= admins || admins+members != opts.Memberships {
			t.Errorf("%d admins and %d members; want mostly members, every membership one role", admins, members)
		}
	})

	t.Run("times are consistent", func(t *testing.T) {
		checks := map[string]string{
			"membership before its user or org": `SELECT count(*) FROM memberships m
				JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.organization_id
				WHERE m.created_at < u.created_at OR m.created_at < o.created_at`,
			"live invitation already expired": `SELECT count(*) FROM memberships
				WHERE status = 'PENDING_INVITE' AND invite_expires_at <= $1`,
			"expired invitation still live": `SELECT count(*) FROM memberships
				WHERE status = 'INVITE_EXPIRED' AND invite_expires_at > $1`,
			"invitation without its dates or inviter": `SELECT count(*) FROM memberships
				WHERE status IN ('PENDING_INVITE', 'INVITE_EXPIRED')
				  AND (invite_created_at IS NULL OR inviter_email IS NULL OR joined_at IS NOT NULL)`,
			"active member without join time": `SELECT count(*) FROM memberships WHERE status = 'ACTIVE' AND joined_at IS NULL`,
			"time in the future":              `SELECT count(*) FROM users WHERE created_at > $1 OR updated_at > $1 OR last_login_at > $1`,
			"updated before created":          `SELECT count(*) FROM memberships WHERE updated_at < created_at`,
		}
		for name, q := range checks {
			args := []any{}
			if strings.Contains(q, "$1") {
				args = append(args, now)
			}
			if n := count(t, db, q, args...); n != 0 {
				t.Errorf("%s: %d rows", name, n)
			}
		}
		var oldest, newest time.Time
		if err := db.QueryRow("SELECT min(created_at), max(created_at) FROM users").Scan(&oldest, &newest); err != nil {
			t.Fatal(err)
		}
		if oldest.Before(now.AddDate(-2, 0, -1)) || newest.Sub(oldest) < 365*24*time.Hour {
			t.Errorf("users created from %v to %v; want spread over the two years before %v", oldest, newest, now)
		}
	})

	t.Run("external ids and metadata on some", func(t *testing.T) {
		for _, q := range []string{
			"SELECT count(*) FROM users WHERE external_id IS NOT NULL",
			"SELECT count(*) FROM users WHERE metadata <> '{}'",
			"SELECT count(*) FROM organizations WHERE external_id IS NOT NULL",
			"SELECT count(*) FROM organizations WHERE metadata <> '{}'",
			"SELECT count(*) FROM memberships WHERE metadata <> '{}'",
		} {
			n := count(t, db, q)
			total := count(t, db, "SELECT count(*) FROM "+strings.Fields(q)[3])
			if n == 0 || n == total {
				t.Errorf("%s: %d of %d; want a fraction", q, n, total)
			}
		}
	})

	t.Run("cached member counts agree", func(t *testing.T) {
		// Kept by a statement trigger on memberships, which COPY fires too.
		n := count(t, db, `
			SELECT count(*) FROM organizations o
			LEFT JOIN organization_member_counts c ON c.organization_id = o.id
			LEFT JOIN (SELECT organization_id, count(*) AS total,
			                  count(*) FILTER (WHERE status = 'ACTIVE') AS active,
			                  count(*) FILTER (WHERE status = 'PENDING_INVITE') AS pending
			           FROM memberships GROUP BY 1) AS m ON m.organization_id = o.id
			WHERE coalesce(c.total, 0) <> coalesce(m.total, 0)
			   OR coalesce(c.active, 0) <> coalesce(m.active, 0)
			   OR coalesce(c.pending, 0) <> coalesce(m.pending, 0)`)
		if n != 0 {
			t.Errorf("%d orgs have a wrong cached member count", n)
		}
	})

	t.Run("indexes and keys restored exactly", func(t *testing.T) {
		if after := schema(t, db); after != before {
			t.Errorf("schema changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})

	t.Run("analyzed", func(t *testing.T) {
		if n := count(t, db, "SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = 'memberships'"); n == 0 {
			t.Error("memberships has no statistics")
		}
	})
}

func TestRunRefusesNonEmptyDatabase(t *testing.T) {
	db := testkit.NewDB(t)
	opts := seed.Options{Users: 300, Orgs: 30, Memberships: 600, BigOrg: 50, Seed: 1, Now: now}
	if _, err := seed.Run(context.Background(), db, opts, nil); err != nil {
		t.Fatal(err)
	}

	_, err := seed.Run(context.Background(), db, opts, nil)
	if !errors.Is(err, seed.ErrNotEmpty) {
		t.Fatalf("second run without AllowNonEmpty: err = %v, want ErrNotEmpty", err)
	}
	if !strings.Contains(err.Error(), "300 users") {
		t.Errorf("message %q does not say what is there", err)
	}
	if n := count(t, db, "SELECT count(*) FROM users"); n != 300 {
		t.Errorf("refused run changed users: %d", n)
	}

	// Allowed, the same options add as much again without colliding with
	// the first run's ids, emails, slugs or external ids.
	opts.AllowNonEmpty = true
	if _, err := seed.Run(context.Background(), db, opts, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT count(*) FROM users"); n != 600 {
		t.Errorf("users after adding: %d, want 600", n)
	}
	if n := count(t, db, "SELECT count(*) FROM memberships"); n != 1200 {
		t.Errorf("memberships after adding: %d, want 1200", n)
	}
}

// fingerprint hashes every seeded row. Role ids differ between databases,
// so membership_roles is hashed by role name.
func fingerprint(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var s string
	err := db.Get(&s, `SELECT md5(
		(SELECT string_agg(u::text, E'\n' ORDER BY u.id) FROM users u) ||
		(SELECT string_agg(o::text, E'\n' ORDER BY o.id) FROM organizations o) ||
		(SELECT string_agg(m::text, E'\n' ORDER BY m.id) FROM memberships m) ||
		(SELECT string_agg(mr.membership_id || r.name, E'\n' ORDER BY mr.membership_id)
		 FROM membership_roles mr JOIN roles r ON r.id = mr.role_id))`)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunIsDeterministic(t *testing.T) {
	opts := seed.Options{Users: 500, Orgs: 50, Memberships: 1000, BigOrg: 100, Seed: 99, Now: now}
	prints := map[uint64][]string{}
	for _, s := range []uint64{99, 99, 100} {
		db := testkit.NewDB(t)
		opts.Seed = s
		if _, err := seed.Run(context.Background(), db, opts, nil); err != nil {
			t.Fatal(err)
		}
		prints[s] = append(prints[s], fingerprint(t, db))
	}
	if prints[99][0] != prints[99][1] {
		t.Error("the same seed gave different data")
	}
	if prints[99][0] == prints[100][0] {
		t.Error("different seeds gave the same data")
	}
}

// cancelOn cancels when a progress bar for table first appears: the load
// is then part way through.
type cancelOn struct {
	table  string
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelOn) Write(p []byte) (int, error) {
	if strings.Contains(string(p), c.table) {
		c.once.Do(c.cancel)
	}
	return len(p), nil
}

func TestRunInterruptedLeavesNothing(t *testing.T) {
	db := testkit.NewDB(t)
	before := schema(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := seed.Run(ctx, db, smallOptions(), &cancelOn{table: "memberships", cancel: cancel})
	if err == nil {
		t.Fatal("Run succeeded although cancelled")
	}
	t.Logf("cancelled run: %v", err)
	for _, table := range []string{"users", "organizations", "memberships", "membership_roles"} {
		if n := count(t, db, "SELECT count(*) FROM "+table); n != 0 {
			t.Errorf("%s has %d rows after a cancelled run", table, n)
		}
	}
	if after := schema(t, db); after != before {
		t.Errorf("schema changed by a cancelled run:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts seed.Options
		ok   bool
	}{
		{"defaults", seed.DefaultOptions(), true},
		{"nothing", seed.Options{}, true},
		{"negative", seed.Options{Users: -1}, false},
		{"big org larger than users", seed.Options{Users: 10, Orgs: 2, Memberships: 20, BigOrg: 11}, false},
		{"big org larger than memberships", seed.Options{Users: 10, Orgs: 2, Memberships: 5, BigOrg: 6}, false},
		{"big org without orgs", seed.Options{Users: 10, Memberships: 5, BigOrg: 5}, false},
		{"memberships without orgs", seed.Options{Users: 10, Memberships: 1}, false},
		{"every user in every org", seed.Options{Users: 10, Orgs: 3, Memberships: 30}, true},
		{"more than every user in every org", seed.Options{Users: 10, Orgs: 3, Memberships: 31}, false},
		{"big org plus full others", seed.Options{Users: 10, Orgs: 3, Memberships: 25, BigOrg: 5}, true},
		{"big org plus too many", seed.Options{Users: 10, Orgs: 3, Memberships: 26, BigOrg: 5}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if (err == nil) != tt.ok {
				t.Errorf("Validate(%+v) = %v, want ok=%v", tt.opts, err, tt.ok)
			}
		})
	}
}
