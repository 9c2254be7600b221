package directory_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"roster/internal/apperr"
	"roster/internal/clock"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/store"
	"roster/internal/testkit"
)

// fixture is a directory on a fresh database with a controllable clock.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *sqlx.DB
	st    *store.Store
	dir   *directory.Service
	clock *clock.Fake
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testkit.NewDB(t)
	st := store.New(db).WithMailKey(testkit.MailKey)
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	dir := directory.New(st, clk)
	dir.BaseURL = "http://roster.test"
	return &fixture{t: t, ctx: context.Background(), db: db, st: st, dir: dir, clock: clk}
}

func ptr[T any](v T) *T { return &v }

func (f *fixture) org(name string) model.Organization {
	f.t.Helper()
	o, err := f.dir.CreateOrganization(f.ctx, directory.OrganizationInput{DisplayName: ptr(name)})
	if err != nil {
		f.t.Fatalf("create org %q: %v", name, err)
	}
	return o
}

// member adds email to org as an active member with the given roles.
func (f *fixture) member(orgID, email string, roles ...string) model.User {
	f.t.Helper()
	u, err := f.dir.AddMember(f.ctx, orgID, directory.UserInput{Email: ptr(email)}, directory.MembershipInput{Roles: roles})
	if err != nil {
		f.t.Fatalf("add %s to %s: %v", email, orgID, err)
	}
	return u
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.Get(&n, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// session opens an active end-user session for the user acting in org.
func (f *fixture) session(userID, orgID string) model.Session {
	f.t.Helper()
	hash := make([]byte, 32)
	_, _ = rand.Read(hash)
	now := f.clock.Now()
	s, err := f.st.CreateSession(f.ctx, model.Session{
		UserID: userID, OrganizationID: &orgID, Status: "ACTIVE", CreatedAt: now,
		IdleExpiresAt: now.Add(time.Hour), AbsoluteExpiresAt: now.Add(24 * time.Hour),
	}, hash)
	if err != nil {
		f.t.Fatalf("create session: %v", err)
	}
	return s
}

func (f *fixture) sessionStatus(id string) string {
	f.t.Helper()
	var status string
	if err := f.db.Get(&status, `SELECT status FROM sessions WHERE id = $1`, id); err != nil {
		f.t.Fatalf("session %s: %v", id, err)
	}
	return status
}

func roleNames(m model.Membership) []string {
	var out []string
	for _, r := range m.Roles {
		out = append(out, r.Name)
	}
	return out
}

func membershipIn(u model.User, orgID string) (model.Membership, bool) {
	for _, m := range u.Memberships {
		if m.OrganizationID == orgID {
			return m, true
		}
	}
	return model.Membership{}, false
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if !errors.Is(err, code) {
		t.Fatalf("got error %v, want %s", err, code)
	}
}

func errorsIs(err error, target error) bool { return errors.Is(err, target) }

func storeFilter(q string) store.MemberFilter { return store.MemberFilter{Query: q} }

func pageOf(size int, token string) store.PageRequest {
	return store.PageRequest{Size: size, Token: token}
}

// deleteOrphans turns on the environment setting that deletes users left
// without a membership (off by default).
func (f *fixture) deleteOrphans() {
	f.t.Helper()
	if _, err := f.db.Exec(`UPDATE environment_settings SET delete_users_without_memberships = true`); err != nil {
		f.t.Fatal(err)
	}
}
