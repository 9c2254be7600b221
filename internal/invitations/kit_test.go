package invitations_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"roster/internal/clock"
	"roster/internal/directory"
	"roster/internal/invitations"
	"roster/internal/model"
	"roster/internal/store"
	"roster/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// fixture is the invitation service on a fresh database with a fake clock.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *sqlx.DB
	st    *store.Store
	dir   *directory.Service
	inv   *invitations.Service
	clock *clock.Fake
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testkit.NewDB(t)
	st := store.New(db).WithMailKey(testkit.MailKey)
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	dir := directory.New(st, clk)
	dir.BaseURL = "http://roster.test"
	inv := invitations.New(st, dir, clk, invitations.Options{BaseURL: "http://roster.test"})
	return &fixture{t: t, ctx: context.Background(), db: db, st: st, dir: dir, inv: inv, clock: clk}
}

func ptr[T any](v T) *T { return &v }

// newcomer is what a person the invitation created gives while accepting.
var newcomer = invitations.Setup{Name: "Nia Newcomer"}

func (f *fixture) org(name string) model.Organization {
	f.t.Helper()
	o, err := f.dir.CreateOrganization(f.ctx, directory.OrganizationInput{DisplayName: ptr(name)})
	if err != nil {
		f.t.Fatalf("create org %q: %v", name, err)
	}
	return o
}

// member adds email to org as an active member with roles.
func (f *fixture) member(orgID, email string, roles ...string) model.User {
	f.t.Helper()
	u, err := f.dir.AddMember(f.ctx, orgID, directory.UserInput{Email: ptr(email)}, directory.MembershipInput{Roles: roles})
	if err != nil {
		f.t.Fatalf("add %s to %s: %v", email, orgID, err)
	}
	return u
}

// invite invites email to org as ed@console.test would, and returns the
// user and the token of the link in the mail.
func (f *fixture) invite(orgID, email string, roles ...string) (model.User, string) {
	f.t.Helper()
	u, err := f.dir.AddMember(f.ctx, orgID, directory.UserInput{Email: ptr(email)},
		directory.MembershipInput{Roles: roles, InviterEmail: ptr("ed@console.test"), SendInvitation: true})
	if err != nil {
		f.t.Fatalf("invite %s to %s: %v", email, orgID, err)
	}
	return u, f.lastToken(email)
}

var linkToken = regexp.MustCompile(`/invitations/([A-Za-z0-9_-]+)`)

// lastToken is the token of the newest invitation mail to email.
func (f *fixture) lastToken(email string) string {
	f.t.Helper()
	text := ""
	for _, m := range testkit.Outbox(f.t, f.st, email) {
		if m.Kind == "invitation" {
			text = m.Text
			break
		}
	}
	if text == "" {
		f.t.Fatalf("no invitation mail to %s", email)
	}
	m := linkToken.FindStringSubmatch(text)
	if m == nil {
		f.t.Fatalf("no link in the mail to %s:\n%s", email, text)
	}
	return m[1]
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.Get(&n, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (f *fixture) membership(orgID, userID string) model.Membership {
	f.t.Helper()
	m, err := f.st.Membership(f.ctx, userID, orgID)
	if err != nil {
		f.t.Fatalf("membership of %s in %s: %v", userID, orgID, err)
	}
	return m
}

func (f *fixture) user(id string) model.User {
	f.t.Helper()
	u, err := f.st.User(f.ctx, id)
	if err != nil {
		f.t.Fatalf("user %s: %v", id, err)
	}
	return u
}

func (f *fixture) lookup(token string) invitations.Invitation {
	f.t.Helper()
	inv, err := f.inv.Lookup(f.ctx, token)
	if err != nil {
		f.t.Fatalf("lookup: %v", err)
	}
	return inv
}

func wantState(t *testing.T, got invitations.Invitation, want invitations.State) {
	t.Helper()
	if got.State != want {
		t.Fatalf("state %q, want %q (%+v)", got.State, want, got)
	}
}

// membershipByEmail is the membership in org of the user with email.
func (f *fixture) membershipByEmail(orgID, email string) model.Membership {
	f.t.Helper()
	u, err := f.dir.UserByEmail(f.ctx, email)
	if err != nil {
		f.t.Fatalf("user %s: %v", email, err)
	}
	return f.membership(orgID, u.ID)
}
