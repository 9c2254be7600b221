package web_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/store"
	"roster/web/webtest"
)

// peopleKit builds the users, organizations and sessions the user, role and
// API client tests look at, through the same services the app uses.
type peopleKit struct {
	t   *testing.T
	srv *webtest.Server
	st  *store.Store
	dir *directory.Service
}

func newPeopleKit(t *testing.T) peopleKit {
	t.Helper()
	srv := webtest.NewServer(t)
	st := srv.Store
	return peopleKit{t: t, srv: srv, st: st, dir: directory.New(st, srv.Clock)}
}

// org creates an organization with slug whose creator (its admin) has email.
func (k peopleKit) org(name, slug, creator string) (model.Organization, model.User) {
	k.t.Helper()
	o, u, err := k.dir.CreateOrganizationWithCreator(context.Background(),
		directory.OrganizationInput{DisplayName: &name, Slug: &slug}, directory.UserInput{Email: &creator})
	if err != nil {
		k.t.Fatalf("create org %s: %v", name, err)
	}
	return o, u
}

// member adds an active member with the default member role.
func (k peopleKit) member(orgID, email string) model.User {
	k.t.Helper()
	u, err := k.dir.AddMember(context.Background(), orgID, directory.UserInput{Email: &email}, directory.MembershipInput{})
	if err != nil {
		k.t.Fatalf("add member %s: %v", email, err)
	}
	return u
}

// loner creates a user without any membership.
func (k peopleKit) loner(email string) model.User {
	k.t.Helper()
	u, _, err := k.st.InsertUser(context.Background(), model.User{
		ID: ids.New(ids.User), Email: email, CreatedAt: k.srv.Clock.Now(),
	})
	if err != nil {
		k.t.Fatalf("insert user %s: %v", email, err)
	}
	return u
}

// session starts a live session of the user from a Chrome on Linux.
func (k peopleKit) session(userID string) model.Session {
	k.t.Helper()
	hash := make([]byte, 32)
	rand.Read(hash)
	ua := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
	ip := "203.0.113.7"
	now := k.srv.Clock.Now()
	s, err := k.st.CreateSession(context.Background(), model.Session{
		UserID: userID, CreatedAt: now, IdleExpiresAt: now.Add(24 * time.Hour),
		AbsoluteExpiresAt: now.Add(7 * 24 * time.Hour), UserAgent: &ua, IP: &ip,
	}, hash)
	if err != nil {
		k.t.Fatalf("create session: %v", err)
	}
	return s
}

// mustShow fails unless body holds every one of want.
func mustShow(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: no %q in the page", what, w)
		}
	}
}

// mustNotShow fails if body holds any of unwanted.
func mustNotShow(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s: %q should not be in the page", what, w)
		}
	}
}

// nextHref returns the href of the page's rel="next" link, unescaped.
func nextHref(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `rel="next" href="`)
	if i < 0 {
		return ""
	}
	rest := body[i+len(`rel="next" href="`):]
	return strings.ReplaceAll(rest[:strings.IndexByte(rest, '"')], "&amp;", "&")
}

func TestUsersListEmpty(t *testing.T) {
	k := newPeopleKit(t)
	cc := webtest.NewConsoleClient(t, k.srv, "ed@acme.test", adminauth.Editor)
	res := cc.Get("/users")
	wantStatus(t, "users", res, http.StatusOK)
	mustShow(t, "empty list", res.Body, `data-testid="empty-state"`, "No users yet", `href="/organizations"`)
}

func TestUsersListSearchAndFilters(t *testing.T) {
	k := newPeopleKit(t)
	acme, ann := k.org("Acme", "acme", "ann@acme.test")
	k.member(acme.ID, "bob@acme.test")
	k.org("Globex", "globex", "gus@globex.test")
	k.loner("zed@lonely.test")
	if _, err := k.srv.DB.Exec(`UPDATE users SET email_verified = true WHERE email = 'ann@acme.test'`); err != nil {
		t.Fatal(err)
	}
	cc := webtest.NewConsoleClient(t, k.srv, "vic@acme.test", adminauth.Viewer)

	for _, tt := range []struct {
		query    string
		want     []string
		dontWant []string
	}{
		{"", []string{"ann@acme.test", "bob@acme.test", "gus@globex.test", "zed@lonely.test", "4 users"}, nil},
		{"q=acme.te", []string{"ann@acme.test", "bob@acme.test"}, []string{"gus@", "zed@"}},
		{"q=B", []string{"bob@acme.test"}, []string{"ann@", "gus@", "zed@"}},          // a prefix, any case
		{"q=e", []string{"No users match"}, []string{"ann@", "bob@", "gus@", "zed@"}}, // no email starts with e
		{"org=acme", []string{"ann@acme.test", "bob@acme.test", "Members of", "2 members"}, []string{"gus@", "zed@"}},
		{"org=" + acme.ID + "&q=bob", []string{"bob@acme.test"}, []string{"ann@", "gus@"}},
		{"membership=none", []string{"zed@lonely.test"}, []string{"ann@", "bob@", "gus@"}},
		{"verified=yes", []string{"ann@acme.test"}, []string{"bob@", "gus@", "zed@"}},
		{"verified=no&membership=none", []string{"zed@lonely.test"}, []string{"ann@", "bob@", "gus@"}},
	} {
		res := cc.Get("/users?" + tt.query)
		wantStatus(t, tt.query, res, http.StatusOK)
		mustShow(t, tt.query, res.Body, tt.want...)
		mustNotShow(t, tt.query, res.Body, tt.dontWant...)
	}
	res := cc.Get("/users?q=zzz")
	mustShow(t, "no match", res.Body, "No users match", `href="/users"`)

	// A user's memberships show in the list, and rows link to the user.
	res = cc.Get("/users?q=ann@")
	mustShow(t, "row", res.Body, `href="/users/`+ann.ID+`"`, "Acme")

	// Filters that cannot work say so beside their field, keeping what was typed.
	for _, tt := range []struct{ query, field, text string }{
		{"org=no-such-org", "org", "names no organization"},
		{"org=acme&membership=none", "membership", "cannot be combined"},
		{"q=ann&verified=yes", "verified", "without a search"},
		{"org=acme&q=an", "q", "at least 3 characters"},
		{"verified=maybe", "verified", "must be yes, no"},
	} {
		res := cc.Get("/users?" + tt.query)
		wantStatus(t, tt.query, res, http.StatusBadRequest)
		mustShow(t, tt.query, res.Body, `data-testid="error-`+tt.field+`"`, tt.text)
	}
	res = cc.Get("/users?org=no-such-org")
	mustShow(t, "typed value kept", res.Body, `value="no-such-org"`)
	res = cc.Get("/users?page=garbage")
	wantStatus(t, "bad token", res, http.StatusBadRequest)
	mustShow(t, "bad token", res.Body, "page_token")
}

func TestUsersListPages(t *testing.T) {
	k := newPeopleKit(t)
	for i := range 55 {
		k.loner("user" + strconv.Itoa(100+i) + "@pages.test")
		k.srv.Clock.Advance(time.Second)
	}
	cc := webtest.NewConsoleClient(t, k.srv, "ed@acme.test", adminauth.Editor)
	for _, tt := range []struct{ name, query string }{
		{"list", ""},
		{"prefix", "q=us"},
		{"search", "q=pages.test"},
		{"window", "membership=none"},
	} {
		seen := map[string]bool{}
		path := "/users?" + tt.query
		for pages := 0; path != ""; pages++ {
			if pages > 3 {
				t.Fatalf("%s: more than 3 pages", tt.name)
			}
			res := cc.Get(path)
			wantStatus(t, tt.name, res, http.StatusOK)
			for _, row := range strings.Split(res.Body, `data-testid="user-row"`)[1:] {
				id := row[strings.Index(row, `data-user-id="`)+14:][:30]
				if seen[id] {
					t.Errorf("%s: %s shown twice", tt.name, id)
				}
				seen[id] = true
			}
			path = nextHref(t, res.Body)
			if path != "" && !strings.Contains(path, tt.query) {
				t.Errorf("%s: next link %q lost the filters", tt.name, path)
			}
		}
		if len(seen) != 55 {
			t.Errorf("%s: %d users over all pages, want 55", tt.name, len(seen))
		}
	}
	// The previous link of page 2 leads back to page 1.
	res := cc.Get(nextHref(t, cc.Get("/users").Body))
	mustShow(t, "page 2", res.Body, `rel="prev"`)
}

func TestUserPage(t *testing.T) {
	k := newPeopleKit(t)
	acme, ann := k.org("Acme", "acme", "ann@acme.test")
	k.session(ann.ID)
	_, bob := k.org("Bobco", "bobco", "bob@bobco.test")
	if _, err := k.srv.DB.Exec(`INSERT INTO identities (user_id, provider_kind, is_social, issuer, subject, email, email_verified, last_login_at)
		VALUES ($1, 'GOOGLE', true, 'https://accounts.google.com', 'g-1234', 'bob@bobco.test', true, $2)`, bob.ID, k.srv.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	cc := webtest.NewConsoleClient(t, k.srv, "ed@acme.test", adminauth.Editor)

	res := cc.Get("/users/" + bob.ID)
	wantStatus(t, "user with an identity", res, http.StatusOK)
	mustShow(t, "identity", rowOf(t, res.Body, `data-testid="identity-row"`), "GOOGLE", "https://accounts.google.com", "g-1234",
		"bob@bobco.test", `data-status="VERIFIED"`, "2026-01-15 09:00 UTC")
	mustShow(t, "no sessions", res.Body, `data-testid="sessions-empty"`)
	mustNotShow(t, "no sessions", res.Body, `data-testid="revoke-all-sessions"`)

	res = cc.Get("/users/" + ann.ID)
	wantStatus(t, "user page", res, http.StatusOK)
	mustShow(t, "user page", res.Body,
		`data-testid="user-email">ann@acme.test`, ann.ID,
		`data-testid="identities-empty"`,
		`href="/organizations/`+acme.ID+`"`, "Acme", `data-testid="membership-roles">admin`, `data-status="ACTIVE"`,
		"Created the organization",
		`data-testid="session-row"`, "Chrome on Linux", "203.0.113.7",
		`data-testid="edit-user"`, `data-testid="delete-user"`, `data-testid="revoke-session"`, `data-testid="revoke-all-sessions"`)

	// A viewer sees the same, without a single write control.
	vc := webtest.NewConsoleClient(t, k.srv, "vic@acme.test", adminauth.Viewer)
	res = vc.Get("/users/" + ann.ID)
	wantStatus(t, "viewer", res, http.StatusOK)
	mustNotShow(t, "viewer", res.Body, `data-testid="edit-user"`, `data-testid="delete-user"`,
		`data-testid="revoke-session"`, `data-testid="revoke-all-sessions"`, `method="post" action="/users`)
	for _, path := range []string{"/users/" + ann.ID + "/edit", "/users/" + ann.ID + "/delete", "/users/" + ann.ID + "/sessions/revoke"} {
		wantStatus(t, "viewer "+path, vc.Get(path), http.StatusForbidden)
	}

	for _, path := range []string{"/users/usr_aaaaaaaaaaaaaaaaaaaaaaaaaa", "/users/nonsense", "/users/usr_aaaaaaaaaaaaaaaaaaaaaaaaaa/edit"} {
		res := cc.Get(path)
		wantStatus(t, path, res, http.StatusNotFound)
		mustShow(t, path, res.Body, `data-testid="error-page"`)
	}
}

func TestUserEdit(t *testing.T) {
	k := newPeopleKit(t)
	acme, ann := k.org("Acme", "acme", "ann@acme.test")
	k.member(acme.ID, "bob@acme.test")
	// An owner: only owners may change an email (console_email_change_test.go).
	cc := webtest.NewConsoleClient(t, k.srv, "olga@acme.test", adminauth.Owner)
	path := "/users/" + ann.ID

	res := cc.Get(path + "/edit")
	wantStatus(t, "form", res, http.StatusOK)
	mustShow(t, "form", res.Body, `value="ann@acme.test"`, `name="csrf_token"`)

	good := url.Values{
		"email": {"ann@acme.test"}, "external_id": {"crm-42"}, "given_name": {"Ann"}, "family_name": {"Lee"},
		"name": {""}, "locale": {"en-GB"}, "phone_number": {"+44 20 7946 0000"}, "picture": {"https://cdn.acme.test/ann.png"},
		"metadata": {"plan = gold\ncost_center = CC-7\n"}, "custom_attributes": {`{"department": "Sales"}`},
	}
	res = cc.PostForm(path, good)
	wantStatus(t, "save", res, http.StatusSeeOther)
	if res.Location != path {
		t.Errorf("saved: to %q", res.Location)
	}
	u, err := k.dir.User(context.Background(), ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ptrText(u.Name) != "Ann Lee" || ptrText(u.ExternalID) != "crm-42" || u.Metadata["plan"] != "gold" ||
		u.Metadata["cost_center"] != "CC-7" || u.CustomAttributes["department"] != "Sales" || ptrText(u.Locale) != "en-GB" {
		t.Errorf("saved user = %+v", u)
	}
	res = cc.Get(path)
	mustShow(t, "after save", res.Body, "Saved the profile of ann@acme.test.", "Ann Lee", "crm-42", "cost_center")

	// Bad input: errors beside the fields, everything typed kept, nothing saved.
	for _, tt := range []struct {
		field, value, text string
	}{
		{"email", "not-an-email", "must be a valid email address"},
		{"email", "bob@acme.test", "already used by another user"},
		{"picture", "http://insecure.test/a.png", "https URL"},
		{"metadata", "no equals sign here", "line 1 needs a key, an equals sign"},
		{"metadata", "k = too short a key", "keys must be 3 to 25 characters"},
		{"custom_attributes", "[1, 2]", "must be a JSON object"},
	} {
		bad := url.Values{}
		for key, v := range good {
			bad[key] = v
		}
		bad.Set("given_name", "Annie")
		bad.Set(tt.field, tt.value)
		res := cc.PostForm(path, bad)
		wantStatus(t, tt.field+"="+tt.value, res, http.StatusUnprocessableEntity)
		mustShow(t, tt.field+"="+tt.value, res.Body, `data-testid="error-`+tt.field+`"`, tt.text, `value="Annie"`, `aria-invalid="true"`)
	}
	if u, _ := k.dir.User(context.Background(), ann.ID); ptrText(u.GivenName) != "Ann" {
		t.Errorf("a refused form changed the user: given name %q", ptrText(u.GivenName))
	}

	vc := webtest.NewConsoleClient(t, k.srv, "vic@acme.test", adminauth.Viewer)
	wantStatus(t, "viewer save", vc.PostForm(path, good), http.StatusForbidden)
	wantStatus(t, "unknown user", cc.PostForm("/users/usr_aaaaaaaaaaaaaaaaaaaaaaaaaa", good), http.StatusNotFound)
}

func TestUserSessionsRevoke(t *testing.T) {
	k := newPeopleKit(t)
	_, ann := k.org("Acme", "acme", "ann@acme.test")
	_, gus := k.org("Globex", "globex", "gus@globex.test")
	one, two := k.session(ann.ID), k.session(ann.ID)
	other := k.session(gus.ID)
	cc := webtest.NewConsoleClient(t, k.srv, "ed@acme.test", adminauth.Editor)
	vc := webtest.NewConsoleClient(t, k.srv, "vic@acme.test", adminauth.Viewer)
	status := func(id string) string {
		var s string
		if err := k.srv.DB.Get(&s, `SELECT status FROM sessions WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := "/users/" + ann.ID

	wantStatus(t, "viewer revoke", vc.PostForm(base+"/sessions/"+one.ID+"/revoke", nil), http.StatusForbidden)
	// Another user's session through this user's URL is not found.
	wantStatus(t, "other's session", cc.PostForm(base+"/sessions/"+other.ID+"/revoke", nil), http.StatusNotFound)
	wantStatus(t, "no such session", cc.PostForm(base+"/sessions/ses_aaaaaaaaaaaaaaaaaaaaaaaaaa/revoke", nil), http.StatusNotFound)
	if status(other.ID) != "ACTIVE" {
		t.Fatal("another user's session was revoked")
	}

	res := cc.PostForm(base+"/sessions/"+one.ID+"/revoke", nil)
	wantStatus(t, "revoke", res, http.StatusSeeOther)
	if status(one.ID) != "REVOKED" || status(two.ID) != "ACTIVE" {
		t.Errorf("after revoking one: %s, %s", status(one.ID), status(two.ID))
	}
	mustShow(t, "flash", cc.Get(res.Location).Body, "Revoked the session.")

	// Revoke all: a confirmation page first, which says what happens.
	res = cc.Get(base + "/sessions/revoke")
	wantStatus(t, "confirm", res, http.StatusOK)
	mustShow(t, "confirm", res.Body, "1 live session ends", `data-testid="confirm-revoke-all"`)
	wantStatus(t, "viewer revoke all", vc.PostForm(base+"/sessions/revoke", nil), http.StatusForbidden)
	res = cc.PostForm(base+"/sessions/revoke", nil)
	wantStatus(t, "revoke all", res, http.StatusSeeOther)
	if status(two.ID) != "REVOKED" || status(other.ID) != "ACTIVE" {
		t.Errorf("after revoking all: %s, other user's %s", status(two.ID), status(other.ID))
	}
	mustShow(t, "flash", cc.Get(res.Location).Body, "Revoked 1 session.")
	wantStatus(t, "unknown user", cc.PostForm("/users/usr_aaaaaaaaaaaaaaaaaaaaaaaaaa/sessions/revoke", nil), http.StatusNotFound)
}

func TestUserDelete(t *testing.T) {
	k := newPeopleKit(t)
	acme, ann := k.org("Acme", "acme", "ann@acme.test")
	bob := k.member(acme.ID, "bob@acme.test")
	k.session(bob.ID)
	cc := webtest.NewConsoleClient(t, k.srv, "ed@acme.test", adminauth.Editor)
	vc := webtest.NewConsoleClient(t, k.srv, "vic@acme.test", adminauth.Viewer)

	res := cc.Get("/users/" + bob.ID + "/delete")
	wantStatus(t, "confirm", res, http.StatusOK)
	mustShow(t, "confirm", res.Body, "1 live session ends", "0 identities go", "1 membership goes", "Acme", `data-testid="confirm-delete"`)

	wantStatus(t, "viewer", vc.PostForm("/users/"+bob.ID+"/delete", nil), http.StatusForbidden)
	res = cc.PostForm("/users/"+bob.ID+"/delete", nil)
	wantStatus(t, "delete", res, http.StatusSeeOther)
	if res.Location != "/users" {
		t.Errorf("after delete: to %q", res.Location)
	}
	mustShow(t, "flash", cc.Get("/users").Body, "Deleted the user.")
	if n := countRows(t, k.srv, `SELECT count(*) FROM users WHERE id = $1`, bob.ID); n != 0 {
		t.Error("the user is still there")
	}
	wantStatus(t, "gone", cc.Get("/users/"+bob.ID), http.StatusNotFound)
	wantStatus(t, "again", cc.PostForm("/users/"+bob.ID+"/delete", nil), http.StatusNotFound)

	// The last admin of an org with other active members stays, and the
	// confirmation page says why.
	k.member(acme.ID, "cat@acme.test")
	res = cc.PostForm("/users/"+ann.ID+"/delete", nil)
	wantStatus(t, "last admin", res, http.StatusConflict)
	mustShow(t, "last admin", res.Body, `data-testid="refusal"`, "last active admin of Acme")
	if n := countRows(t, k.srv, `SELECT count(*) FROM users WHERE id = $1`, ann.ID); n != 1 {
		t.Error("the last admin was deleted")
	}
}

func ptrText(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
