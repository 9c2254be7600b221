package web_test

import (
	"context"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"roster/internal/adminauth"
	"roster/internal/seed"
	"roster/internal/store"
	"roster/internal/testkit"
	"roster/web"
	"roster/web/webtest"
)

// BenchmarkConsolePages times the server side of console pages (the whole
// echo stack in process: middleware, session check, services, SQL, templ)
// for a signed-in owner, on a database seeded at scale: by default
// 1,000,000 users, 100,000 orgs, 2,000,000 memberships and one org of
// 200,000 members. Seeding takes minutes; set ROSTER_BENCH_USERS for a
// smaller run, or ROSTER_BENCH_DATABASE_URL to a database already filled by
// `roster seed` (this benchmark then adds nothing to it).
//
// On a database it seeds itself it also writes what the seed leaves out and
// these pages read: one audit event per user (membership.created for real
// memberships, plus a mix of other actions and actors) and, for the home
// page's chart, end-user sessions over the last 30 days (a tenth of the
// users sign in each day).
//
//	ROSTER_BENCH_USERS=200000 go test -run '^$' -bench BenchmarkConsolePages -benchtime 2s ./web
//
// Pages another area has not built yet answer 404 and are skipped.

var (
	consoleBenchOnce sync.Once
	consoleBenchDB   *sqlx.DB
	consoleBenchErr  error
)

// consoleBenchDatabase returns the benchmark database, seeding it on first use.
func consoleBenchDatabase(b *testing.B) *sqlx.DB {
	consoleBenchOnce.Do(func() {
		if u := os.Getenv("ROSTER_BENCH_DATABASE_URL"); u != "" {
			consoleBenchDB, consoleBenchErr = sqlx.Open("postgres", u)
			return
		}
		users := 1_000_000
		if v := os.Getenv("ROSTER_BENCH_USERS"); v != "" {
			if users, consoleBenchErr = strconv.Atoi(v); consoleBenchErr != nil {
				return
			}
		}
		// A database that outlives any one benchmark: the cluster and its
		// databases go when the test binary ends.
		consoleBenchDB = testkit.NewDB(&testing.T{})
		ctx := context.Background()
		start := time.Now()
		_, consoleBenchErr = seed.Run(ctx, consoleBenchDB, seed.Options{
			Users: users, Orgs: users / 10, Memberships: 2 * users, BigOrg: users / 5, Seed: 1,
		}, nil)
		if consoleBenchErr != nil {
			return
		}
		b.Logf("seeded %d users in %s", users, time.Since(start).Round(time.Second))
		start = time.Now()
		consoleBenchErr = seedConsoleActivity(ctx, consoleBenchDB, users)
		b.Logf("added audit events and sessions in %s", time.Since(start).Round(time.Second))
	})
	if consoleBenchErr != nil {
		b.Fatalf("benchmark database: %v", consoleBenchErr)
	}
	return consoleBenchDB
}

// seedConsoleActivity writes `users` audit events and 30 days of sessions,
// ending at the newest user's creation, then vacuums so index-only scans
// stay index-only, as they would on a database in use.
func seedConsoleActivity(ctx context.Context, db *sqlx.DB, users int) error {
	for _, step := range []struct {
		query string
		args  []any
	}{
		// Audit events, one per membership up to `users` of them (the big
		// org holds a tenth): membership.created by an API client, and
		// every fifth one another action by one of seven admins, at the
		// membership's time, so they spread over the seed's two years.
		{`INSERT INTO audit_events (occurred_at, actor_type, actor_id, actor_label, action, organization_id, user_id,
		                            target_type, target_id, changes, ip, user_agent, request_id,
		                            organization_name, user_label)
		  SELECT m.created_at,
		         CASE WHEN n % 5 = 0 THEN 'admin' ELSE 'api_client' END,
		         CASE WHEN n % 5 = 0 THEN 'ses_admin' || (n % 7) ELSE 'cli_billing' END,
		         CASE WHEN n % 5 = 0 THEN 'admin' || (n % 7) || '@owner.test' ELSE 'Billing sync' END,
		         CASE WHEN n % 5 = 0 THEN (ARRAY['user.updated', 'membership.updated', 'organization.updated', 'role.created'])[1 + (n / 5) % 4]
		              ELSE 'membership.created' END,
		         m.organization_id, m.user_id, 'membership', m.id,
		         CASE WHEN n % 5 = 0 THEN jsonb_build_object('roles', jsonb_build_object('from', jsonb_build_array('member'), 'to', jsonb_build_array('admin')))
		              ELSE jsonb_build_object('status', m.status, 'roles', jsonb_build_array('member')) END,
		         '203.0.113.' || (n % 250), 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0', 'req' || n,
		         (SELECT o.display_name FROM organizations o WHERE o.id = m.organization_id),
		         (SELECT u.email FROM users u WHERE u.id = m.user_id)
		  FROM (SELECT m.*, row_number() OVER () AS n FROM memberships m LIMIT $1) AS m`, []any{users}},
		// Sessions: about a tenth of the users sign in on each of the 30
		// days before the newest user was created.
		{`INSERT INTO sessions (token_hash, user_id, status, created_at, last_active_at, idle_expires_at, absolute_expires_at, ended_at)
		  SELECT sha256(convert_to(u.id || '/' || d, 'UTF8')), u.id, 'EXPIRED', x.t, x.t, x.t + interval '1 hour', x.t + interval '1 day', x.t + interval '1 hour'
		  FROM generate_series(0, 29) AS d
		  CROSS JOIN users AS u
		  CROSS JOIN LATERAL (SELECT date_trunc('day', (SELECT max(created_at) FROM users)) - d * interval '1 day'
		                             + (hashtext(u.id) & 65535) * interval '1 second' AS t) AS x
		  WHERE abs(hashtext(u.id || '/' || d)) % 10 = 0`, nil},
		{`VACUUM ANALYZE audit_events`, nil},
		{`VACUUM ANALYZE sessions`, nil},
		{`VACUUM ANALYZE users`, nil},
		{`VACUUM ANALYZE organization_member_counts`, nil},
	} {
		start := time.Now()
		if _, err := db.ExecContext(ctx, step.query, step.args...); err != nil {
			return err
		}
		log.Printf("bench: %.60s… took %s", strings.Join(strings.Fields(step.query), " "), time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func BenchmarkConsolePages(b *testing.B) {
	db := consoleBenchDatabase(b)
	srv := webtest.NewServer(b, webtest.WithEnv("ROSTER_LOG_LEVEL", "error"),
		webtest.WithDeps(func(d *web.Deps) { d.DB = db }))
	// The chart's 30 days end at the data's newest day, not at the test
	// clock's fixed date.
	var newest time.Time
	if err := db.Get(&newest, `SELECT max(created_at) FROM users`); err != nil {
		b.Fatal(err)
	}
	srv.Clock.Set(newest)
	// The server reads the seeded database, so the console session must be
	// made there too, not in the fresh one NewServer made.
	srv.DB = db
	owner := webtest.NewAdminSession(b, srv, "owner@bench.test", adminauth.Owner)

	var bigOrg, busiest, anEvent string
	if err := db.Get(&bigOrg, `SELECT organization_id FROM organization_member_counts ORDER BY total DESC LIMIT 1`); err != nil {
		b.Fatal(err)
	}
	if err := db.Get(&busiest, `SELECT user_id FROM memberships GROUP BY user_id ORDER BY count(*) DESC LIMIT 1`); err != nil {
		b.Fatal(err)
	}
	if err := db.Get(&anEvent, `SELECT id FROM audit_events ORDER BY occurred_at DESC, id DESC LIMIT 1`); err != nil {
		b.Fatal(err)
	}
	// Page 2,000 of 50 of the big org's members at full scale; the last
	// page of a smaller seed. The audit log's deep page is as far down.
	var total int
	if err := db.Get(&total, `SELECT total FROM organization_member_counts WHERE organization_id = $1`, bigOrg); err != nil {
		b.Fatal(err)
	}
	deep := min(2000, total/50)
	membersDeep := benchCursor(b, db, `SELECT created_at, id FROM memberships WHERE organization_id = $1
		ORDER BY created_at, id OFFSET $2 LIMIT 1`, bigOrg, (deep-1)*50-1)
	auditDeep := benchCursor(b, db, `SELECT occurred_at, id FROM audit_events
		ORDER BY occurred_at DESC, id DESC OFFSET $1 LIMIT 1`, (deep-1)*50-1)

	serve := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(owner.Cookie)
		rec := httptest.NewRecorder()
		srv.Echo.ServeHTTP(rec, req)
		return rec
	}
	for _, c := range []struct{ name, path string }{
		{"home", "/"},
		{"organizations", "/organizations"},
		{"org-members-first-page", "/organizations/" + bigOrg + "/members"},
		{"org-members-page-" + strconv.Itoa(deep), "/organizations/" + bigOrg + "/members?page=" + url.QueryEscape(membersDeep)},
		{"users", "/users"},
		{"user", "/users/" + busiest},
		{"audit", "/audit"},
		{"audit-page-" + strconv.Itoa(deep), "/audit?page=" + url.QueryEscape(auditDeep)},
		{"audit-big-org", "/audit?org=" + bigOrg},
		{"audit-user", "/audit?user=" + busiest},
		{"audit-actor-label", "/audit?actor=admin3%40owner"},
		{"audit-action-family", "/audit?action=role."},
		{"audit-entry", "/audit/" + anEvent},
		{"audit-export-user", "/audit.csv?user=" + busiest},
	} {
		b.Run(c.name, func(b *testing.B) {
			switch rec := serve(c.path); rec.Code {
			case http.StatusOK:
			case http.StatusNotFound:
				b.Fatalf("GET %s is 404", c.path)
			default:
				b.Fatalf("GET %s = %d\n%.500s", c.path, rec.Code, rec.Body)
			}
			for b.Loop() {
				if rec := serve(c.path); rec.Code != http.StatusOK {
					b.Fatalf("GET %s = %d", c.path, rec.Code)
				}
			}
		})
	}
}

// benchCursor is the page token that continues after the row query finds.
func benchCursor(b *testing.B, db *sqlx.DB, query string, args ...any) string {
	var c store.Cursor
	if err := db.QueryRowx(query, args...).Scan(&c.CreatedAt, &c.ID); err != nil {
		b.Fatal(err)
	}
	return c.Token()
}
