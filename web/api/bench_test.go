package api_test

import (
	"context"
	"encoding/json"
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

	"roster/internal/apiclients"
	"roster/internal/seed"
	"roster/internal/store"
	"roster/internal/testkit"
	"roster/web"
	"roster/web/webtest"
)

// The benchmarks below time, in the same run, each endpoint's server-side
// time (the whole handler stack: middleware, bearer check, service, JSON)
// and the store calls it makes (its SQL and row scanning, nothing else), on
// a database seeded at scale: by default 1,000,000 users, 100,000 orgs,
// 2,000,000 memberships and one org of 200,000 members. Seeding takes a
// couple of minutes; set ROSTER_BENCH_DATABASE_URL to a database already
// filled by `roster seed` to skip it, or ROSTER_BENCH_USERS for a smaller run.
//
//	go test -run '^$' -bench BenchmarkAPI -benchtime 2s ./web/api

var (
	benchOnce sync.Once
	benchDB   *sqlx.DB
	benchErr  error
)

// seededDB returns the benchmark database, seeding it on first use.
func seededDB(b *testing.B) *sqlx.DB {
	benchOnce.Do(func() {
		if u := os.Getenv("ROSTER_BENCH_DATABASE_URL"); u != "" {
			benchDB, benchErr = sqlx.Open("postgres", u)
			return
		}
		users := 1_000_000
		if v := os.Getenv("ROSTER_BENCH_USERS"); v != "" {
			users, benchErr = strconv.Atoi(v)
			if benchErr != nil {
				return
			}
		}
		// A database that outlives any one benchmark: the cluster and its
		// databases go when the test binary ends.
		benchDB = testkit.NewDB(&testing.T{})
		_, benchErr = seed.Run(context.Background(), benchDB, seed.Options{
			Users: users, Orgs: users / 10, Memberships: 2 * users, BigOrg: users / 5, Seed: 1,
		}, nil)
	})
	if benchErr != nil {
		b.Fatalf("benchmark database: %v", benchErr)
	}
	return benchDB
}

type benchEnv struct {
	srv    *webtest.Server
	st     *store.Store
	token  string
	bigOrg string
}

func newBenchEnv(b *testing.B) *benchEnv {
	db := seededDB(b)
	srv := webtest.NewServer(b, webtest.WithEnv("ROSTER_LOG_LEVEL", "error"),
		webtest.WithDeps(func(d *web.Deps) { d.DB = db }))
	env := &benchEnv{srv: srv, st: store.New(db)}
	tokens := apiclients.New(env.st, srv.Clock, apiclients.Options{SecretKey: srv.Deps.SecretKey})
	client, secret, err := tokens.Create(context.Background(), "benchmark "+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err != nil {
		b.Fatal(err)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {client.ID}, "client_secret": {secret}}
	rec := env.serve(b, "POST", "/oauth/token", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		b.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	env.token = tok.AccessToken
	if err := db.Get(&env.bigOrg, `SELECT organization_id FROM organization_member_counts ORDER BY total DESC LIMIT 1`); err != nil {
		b.Fatal(err)
	}
	return env
}

func (e *benchEnv) serve(b *testing.B, method, path string, body *strings.Reader, contentType string) *httptest.ResponseRecorder {
	var req *http.Request
	if body != nil {
		req = httptest.NewRequest(method, path, body)
		req.Header.Set("Content-Type", contentType)
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	rec := httptest.NewRecorder()
	e.srv.Echo.ServeHTTP(rec, req)
	return rec
}

func (e *benchEnv) get(b *testing.B, path string) {
	if rec := e.serve(b, "GET", path, nil, ""); rec.Code != http.StatusOK {
		b.Fatalf("GET %s = %d %s", path, rec.Code, rec.Body)
	}
}

// deepToken is the page token for page `page` (of 50) of the big org's members.
func (e *benchEnv) deepToken(b *testing.B, page int) string {
	var c store.Cursor
	err := e.st.DB().QueryRowx(`SELECT created_at, id FROM memberships WHERE organization_id = $1
		ORDER BY created_at, id OFFSET $2 LIMIT 1`, e.bigOrg, (page-1)*50-1).Scan(&c.CreatedAt, &c.ID)
	if err != nil {
		b.Fatal(err)
	}
	return c.Token()
}

func BenchmarkAPI(b *testing.B) {
	e := newBenchEnv(b)
	ctx := context.Background()

	var busiest string
	if err := e.st.DB().Get(&busiest, `SELECT user_id FROM memberships GROUP BY user_id ORDER BY count(*) DESC LIMIT 1`); err != nil {
		b.Fatal(err)
	}
	// Page 2,000 of 50 at full scale; the last page of a smaller seed.
	var total int
	if err := e.st.DB().Get(&total, `SELECT total FROM organization_member_counts WHERE organization_id = $1`, e.bigOrg); err != nil {
		b.Fatal(err)
	}
	deep := e.deepToken(b, min(2000, total/50))
	var query string // an email substring that matches a few of the big org's members
	if err := e.st.DB().Get(&query, `SELECT substr(u.email, 1, 9) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.organization_id = $1 ORDER BY m.created_at OFFSET 1000 LIMIT 1`, e.bigOrg); err != nil {
		b.Fatal(err)
	}
	page := func(token string) store.PageRequest { return store.PageRequest{Size: 50, Token: token} }
	members := func(f store.MemberFilter, p store.PageRequest) {
		users, _, err := e.st.ListMembers(ctx, e.bigOrg, f, p)
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]string, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		if _, err := e.st.MembershipsOfUsers(ctx, ids); err != nil {
			b.Fatal(err)
		}
	}

	cases := []struct {
		name     string
		endpoint string
		sql      func()
	}{
		{"get-user", "/api/v1/users/" + busiest, func() {
			if _, err := e.st.User(ctx, busiest); err != nil {
				b.Fatal(err)
			}
			if _, err := e.st.MembershipsOfUsers(ctx, []string{busiest}); err != nil {
				b.Fatal(err)
			}
			if _, err := e.st.Identities(ctx, busiest); err != nil {
				b.Fatal(err)
			}
		}},
		{"members-first-page", "/api/v1/organizations/" + e.bigOrg + "/users?page_size=50", func() {
			members(store.MemberFilter{}, page(""))
		}},
		{"members-page-2000", "/api/v1/organizations/" + e.bigOrg + "/users?page_size=50&page_token=" + deep, func() {
			members(store.MemberFilter{}, page(deep))
		}},
		{"members-search", "/api/v1/organizations/" + e.bigOrg + "/users:search?page_size=50&query=" + url.QueryEscape(query), func() {
			members(store.MemberFilter{Query: query}, page(""))
		}},
	}
	for _, c := range cases {
		b.Run(c.name+"/endpoint", func(b *testing.B) {
			for b.Loop() {
				e.get(b, c.endpoint)
			}
		})
		b.Run(c.name+"/sql", func(b *testing.B) {
			for b.Loop() {
				c.sql()
			}
		})
	}
}
