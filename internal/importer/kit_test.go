package importer_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/importer"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/store"
	"roster/internal/testkit"
)

// Password hashes made by other systems, as customers bring them.
const (
	// libxcrypt's crypt(3); "correct horse".
	bcryptHash = "$2y$05$abcdefghijklmnopqrstuuHNbAKRhpaujgo33bRWs.NLUTJO3lOy2"
	bcryptPass = "correct horse"
	// argon2-cffi (libargon2); "correct horse battery staple".
	argonHash = "$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg"
	argonPass = "correct horse battery staple"
)

var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

type fixture struct {
	t     testing.TB
	ctx   context.Context
	db    *sqlx.DB
	st    *store.Store
	clock *clock.Fake
	imp   *importer.Importer
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := testkit.NewDB(t)
	st := store.New(db).WithMailKey(testkit.MailKey)
	clk := clock.NewFake(epoch)
	ctx := audit.WithActor(context.Background(), model.Actor{Type: "admin", ID: "adm_test", Label: "tester@example.com"})
	return &fixture{t: t, ctx: ctx, db: db, st: st, clock: clk, imp: importer.New(st, clk)}
}

// run imports text as one input.
func (f *fixture) run(opts importer.Options, text string) *importer.Report {
	f.t.Helper()
	return f.runInputs(opts, importer.Input{Reader: strings.NewReader(text)})
}

func (f *fixture) runInputs(opts importer.Options, inputs ...importer.Input) *importer.Report {
	f.t.Helper()
	rep, err := f.imp.Run(f.ctx, opts, inputs...)
	if err != nil {
		f.t.Fatalf("import: %v", err)
	}
	return rep
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.Get(&n, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// snapshot describes the directory as the import sees it, one line per
// object, in a stable order: two equal snapshots mean nothing changed.
func (f *fixture) snapshot() string {
	f.t.Helper()
	var lines []string
	var users []struct {
		model.User
		Hash *string `db:"hash"`
	}
	if err := f.db.Select(&users, `SELECT u.*, p.hash FROM users u LEFT JOIN password_credentials p ON p.user_id = u.id`); err != nil {
		f.t.Fatal(err)
	}
	for _, u := range users {
		lines = append(lines, fmt.Sprintf("user %s %s verified=%v given=%s family=%s name=%s md=%v hash=%s updated=%s",
			nullable.Value(u.ExternalID), u.Email, u.EmailVerified, nullable.Value(u.GivenName), nullable.Value(u.FamilyName), nullable.Value(u.Name),
			u.Metadata, nullable.Value(u.Hash), u.UpdatedAt.UTC().Format(time.RFC3339)))
	}
	var orgs []model.Organization
	if err := f.db.Select(&orgs, `SELECT * FROM organizations`); err != nil {
		f.t.Fatal(err)
	}
	for _, o := range orgs {
		lines = append(lines, fmt.Sprintf("org %s %q slug=%s md=%v updated=%s", nullable.Value(o.ExternalID), o.DisplayName,
			nullable.Value(o.Slug), o.Metadata, o.UpdatedAt.UTC().Format(time.RFC3339)))
	}
	var ms []struct {
		User, Org, Status, Method, Roles string
		Metadata                         model.Metadata
		Expires                          *time.Time
	}
	if err := f.db.Select(&ms, `
		SELECT u.external_id AS "user", o.external_id AS org, m.status, m.provisioning_method AS method, m.metadata,
		       m.invite_expires_at AS expires,
		       coalesce((SELECT string_agg(r.name, ',' ORDER BY r.name) FROM membership_roles mr JOIN roles r ON r.id = mr.role_id
		                 WHERE mr.membership_id = m.id), '') AS roles
		FROM memberships m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.organization_id`); err != nil {
		f.t.Fatal(err)
	}
	for _, m := range ms {
		exp := ""
		if m.Expires != nil {
			exp = m.Expires.UTC().Format(time.RFC3339)
		}
		lines = append(lines, fmt.Sprintf("membership %s@%s %s %s roles=%s md=%v expires=%s", m.User, m.Org, m.Status, m.Method, m.Roles, m.Metadata, exp))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// totals counts every row an import could write.
func (f *fixture) totals() string {
	f.t.Helper()
	return fmt.Sprintf("users=%d orgs=%d memberships=%d roles=%d passwords=%d audit=%d",
		f.count(`SELECT count(*) FROM users`), f.count(`SELECT count(*) FROM organizations`),
		f.count(`SELECT count(*) FROM memberships`), f.count(`SELECT count(*) FROM membership_roles`),
		f.count(`SELECT count(*) FROM password_credentials`), f.count(`SELECT count(*) FROM audit_events`))
}

func wantCounts(t *testing.T, what string, got, want importer.Counts) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

func wantNoErrors(t testing.TB, rep *importer.Report) {
	t.Helper()
	if len(rep.Errors) > 0 {
		t.Fatalf("unexpected row errors: %+v", rep.Errors)
	}
}

func c(created, updated, unchanged int) importer.Counts {
	return importer.Counts{Created: created, Updated: updated, Unchanged: unchanged}
}
