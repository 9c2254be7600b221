package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/web/webtest"
)

// orgKit sets up organizations, members and invitations for the console's
// organization tests through the directory, as the API would.
type orgKit struct {
	t   *testing.T
	srv *webtest.Server
	dir *directory.Service
}

func newOrgKit(t *testing.T) orgKit {
	t.Helper()
	srv := webtest.NewServer(t)
	return orgKit{t: t, srv: srv, dir: directory.New(srv.Store, srv.Clock)}
}

// org creates an organization whose first member, email, is its admin.
func (k orgKit) org(name, adminEmail string) model.Organization {
	k.t.Helper()
	o, _, err := k.dir.CreateOrganizationWithCreator(context.Background(),
		directory.OrganizationInput{DisplayName: &name}, directory.UserInput{Email: &adminEmail})
	if err != nil {
		k.t.Fatal(err)
	}
	return o
}

// member adds an active member with roles (the default when none).
func (k orgKit) member(orgID, email string, roles ...string) model.User {
	k.t.Helper()
	u, err := k.dir.AddMember(context.Background(), orgID, directory.UserInput{Email: &email},
		directory.MembershipInput{Roles: roles})
	if err != nil {
		k.t.Fatal(err)
	}
	return u
}

// invite invites email to the org.
func (k orgKit) invite(orgID, email string) model.User {
	k.t.Helper()
	inviter := "owner@roster.test"
	u, err := k.dir.AddMember(context.Background(), orgID, directory.UserInput{Email: &email},
		directory.MembershipInput{InviterEmail: &inviter, SendInvitation: true})
	if err != nil {
		k.t.Fatal(err)
	}
	return u
}

// deleteOrphans turns on the environment setting that deletes users left
// without an organization (off by default).
func (k orgKit) deleteOrphans() {
	k.t.Helper()
	if _, err := k.srv.DB.Exec(`UPDATE environment_settings SET delete_users_without_memberships = true`); err != nil {
		k.t.Fatal(err)
	}
}

func (k orgKit) count(query string, args ...any) int {
	k.t.Helper()
	return countRows(k.t, k.srv, query, args...)
}

func (k orgKit) editor() *webtest.ConsoleClient {
	return webtest.NewConsoleClient(k.t, k.srv, "ed@roster.test", adminauth.Editor)
}

func (k orgKit) viewer() *webtest.ConsoleClient {
	return webtest.NewConsoleClient(k.t, k.srv, "vic@roster.test", adminauth.Viewer)
}

// orgFollow checks a 303 and fetches where it goes, returning that page.
func orgFollow(t *testing.T, cc *webtest.ConsoleClient, what string, res *webtest.PageResponse, to string) *webtest.PageResponse {
	t.Helper()
	wantStatus(t, what, res, http.StatusSeeOther)
	if to != "" && res.Location != to {
		t.Fatalf("%s: redirected to %q, want %q", what, res.Location, to)
	}
	page := cc.Get(res.Location)
	wantStatus(t, what+": the page after", page, http.StatusOK)
	return page
}

// orgHas tells whether body holds s as markup or as escaped text.
func orgHas(body, s string) bool {
	return strings.Contains(body, s) || strings.Contains(body, html.EscapeString(s))
}

// orgWantText fails unless body has every text or piece of markup.
func orgWantText(t *testing.T, what, body string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !orgHas(body, s) {
			t.Errorf("%s: the page lacks %q", what, s)
		}
	}
}

func orgLacksText(t *testing.T, what, body string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if orgHas(body, s) {
			t.Errorf("%s: the page shows %q", what, s)
		}
	}
}

var orgRowPattern = regexp.MustCompile(`data-testid="org-row" data-org-id="([^"]+)"`)

// orgRowIDs lists the org ids of a list page, in order.
func orgRowIDs(body string) []string {
	var out []string
	for _, m := range orgRowPattern.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

var orgNextLink = regexp.MustCompile(`rel="next" href="([^"]+)"`)
var orgPrevLink = regexp.MustCompile(`rel="prev" href="([^"]+)"`)

func orgLink(re *regexp.Regexp, body string) string {
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestOrgListSearchSortAndPages(t *testing.T) {
	t.Parallel()
	k := newOrgKit(t)
	ed, vic := k.editor(), k.viewer()

	// Empty: say what to do, with the button for writers only.
	res := ed.Get("/organizations")
	wantStatus(t, "empty list", res, http.StatusOK)
	orgWantText(t, "empty list", res.Body, "No organizations yet", `href="/organizations/new"`)
	if res := vic.Get("/organizations"); strings.Contains(res.Body, `href="/organizations/new"`) {
		t.Error("a viewer is offered to create an organization")
	}

	ctx := context.Background()
	acme := k.org("Acme Corp", "ann@acme.test")
	k.member(acme.ID, "bob@acme.test")
	slug, ext := "cobalt", "CUS-42"
	cobaltName := "Cobalt Ltd"
	cobalt, err := k.dir.CreateOrganization(ctx, directory.OrganizationInput{DisplayName: &cobaltName, Slug: &slug, ExternalID: &ext})
	if err != nil {
		t.Fatal(err)
	}
	beta := k.org("beta systems", "bea@beta.test")
	if _, err := k.dir.CreateDomain(ctx, beta.ID, directory.NewDomain{Domain: "beta.example", DomainType: directory.DomainTypeAllowedEmail}); err != nil {
		t.Fatal(err)
	}

	res = ed.Get("/organizations?sort=name")
	wantStatus(t, "by name", res, http.StatusOK)
	if got, want := orgRowIDs(res.Body), []string{acme.ID, beta.ID, cobalt.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("by name: %v, want %v", got, want)
	}
	orgWantText(t, "list", res.Body, "3 organizations")
	if !regexp.MustCompile(`data-org-id="` + acme.ID + `"[\s\S]*?data-testid="org-members">2<`).MatchString(res.Body) {
		t.Error("Acme's row does not show its 2 members")
	}

	for _, tt := range []struct{ q, want string }{
		{"acme", acme.ID}, {"ME CO", acme.ID}, {"cobalt", cobalt.ID}, {"CUS-42", cobalt.ID}, {"Beta.Example", beta.ID},
	} {
		res := ed.Get("/organizations?q=" + url.QueryEscape(tt.q))
		wantStatus(t, "search "+tt.q, res, http.StatusOK)
		if got := orgRowIDs(res.Body); len(got) != 1 || got[0] != tt.want {
			t.Errorf("search %q: %v, want [%s]", tt.q, got, tt.want)
		}
	}
	res = ed.Get("/organizations?q=zzzz")
	orgWantText(t, "no match", res.Body, "No organization matches")
	res = ed.Get("/organizations?q=ab")
	wantStatus(t, "short search", res, http.StatusUnprocessableEntity)
	orgWantText(t, "short search", res.Body, `data-testid="error-q"`, "must be 3 to 100 characters", `value="ab"`)
	if res := ed.Get("/organizations?page=garbage"); res.Status != http.StatusBadRequest {
		t.Errorf("a bad page token: %d, want 400", res.Status)
	}

	// Keyset pages in each order: every org once, and back again.
	for i := range 52 {
		k.org(fmt.Sprintf("Org %02d", i), fmt.Sprintf("a%d@many.test", i))
	}
	for _, sort := range []string{"newest", "oldest", "name"} {
		first := ed.Get("/organizations?sort=" + sort)
		seen := map[string]bool{}
		page1 := orgRowIDs(first.Body)
		for _, id := range page1 {
			seen[id] = true
		}
		next := orgLink(orgNextLink, first.Body)
		if len(page1) != 50 || next == "" || orgLink(orgPrevLink, first.Body) != "" {
			t.Fatalf("%s: first page has %d rows, next %q", sort, len(page1), next)
		}
		second := ed.Get(next)
		wantStatus(t, sort+" page 2", second, http.StatusOK)
		for _, id := range orgRowIDs(second.Body) {
			if seen[id] {
				t.Errorf("%s: %s on both pages", sort, id)
			}
			seen[id] = true
		}
		if len(seen) != 55 || orgLink(orgNextLink, second.Body) != "" {
			t.Errorf("%s: %d orgs over two pages, want 55", sort, len(seen))
		}
		back := ed.Get(orgLink(orgPrevLink, second.Body))
		if got := orgRowIDs(back.Body); fmt.Sprint(got) != fmt.Sprint(page1) {
			t.Errorf("%s: previous page differs from the first", sort)
		}
	}
	// The name order is the names' order.
	res = ed.Get("/organizations?sort=name")
	names := regexp.MustCompile(`data-testid="org-link">([^<]+)<`).FindAllStringSubmatch(res.Body, -1)
	for i := 1; i < len(names); i++ {
		if strings.ToLower(names[i-1][1]) > strings.ToLower(names[i][1]) {
			t.Errorf("by name: %q before %q", names[i-1][1], names[i][1])
		}
	}
}

func TestOrgCreate(t *testing.T) {
	t.Parallel()
	k := newOrgKit(t)
	ed := k.editor()

	res := ed.Get("/organizations/new")
	wantStatus(t, "form", res, http.StatusOK)
	orgWantText(t, "form", res.Body, `name="display_name"`, `name="admin_email"`)

	// Bad input everywhere: every message beside its field, values kept, nothing made.
	res = ed.PostForm("/organizations/new", url.Values{"display_name": {"Initech"}, "slug": {"Not A Slug"}, "admin_email": {"peter@"}})
	wantStatus(t, "bad input", res, http.StatusUnprocessableEntity)
	orgWantText(t, "bad input", res.Body, `data-testid="error-slug"`, `data-testid="error-admin_email"`,
		`value="Initech"`, `value="Not A Slug"`, `value="peter@"`)
	// A bad email alone refuses the org too.
	res = ed.PostForm("/organizations/new", url.Values{"display_name": {"Initech"}, "admin_email": {"not an email"}})
	wantStatus(t, "bad email", res, http.StatusUnprocessableEntity)
	orgWantText(t, "bad email", res.Body, `data-testid="error-admin_email"`)
	if n := k.count(`SELECT count(*) FROM organizations`); n != 0 {
		t.Fatalf("%d organizations after refused forms", n)
	}

	res = ed.PostForm("/organizations/new", url.Values{"display_name": {"Initech"}, "slug": {"initech"},
		"external_id": {"cus_1"}, "admin_email": {"peter@initech.test"}})
	wantStatus(t, "create", res, http.StatusSeeOther)
	id := strings.TrimPrefix(res.Location, "/organizations/")
	page := orgFollow(t, ed, "create", res, "")
	orgWantText(t, "created", page.Body, "Created Initech. Invited peter@initech.test as its first admin.", "initech", "cus_1")
	var status, role, inviter string
	if err := k.srv.DB.QueryRow(`SELECT m.status, r.name, m.inviter_email FROM memberships m
		JOIN users u ON u.id = m.user_id JOIN membership_roles mr ON mr.membership_id = m.id JOIN roles r ON r.id = mr.role_id
		WHERE m.organization_id = $1 AND u.email = 'peter@initech.test'`, id).Scan(&status, &role, &inviter); err != nil {
		t.Fatal(err)
	}
	if status != model.StatusPendingInvite || role != "admin" || inviter != "ed@roster.test" {
		t.Errorf("first admin: %s %s invited by %s", status, role, inviter)
	}
	if n := k.count(`SELECT count(*) FROM email_outbox WHERE to_address = 'peter@initech.test' AND kind = 'invitation'`); n != 1 {
		t.Errorf("%d invitation emails", n)
	}

	// Taken slug: beside the field.
	res = ed.PostForm("/organizations/new", url.Values{"display_name": {"Initech 2"}, "slug": {"initech"}})
	wantStatus(t, "taken slug", res, http.StatusConflict)
	orgWantText(t, "taken slug", res.Body, `data-testid="error-slug"`, "already used")

	// Without an admin: just the org.
	res = ed.PostForm("/organizations/new", url.Values{"display_name": {"Solo"}})
	page = orgFollow(t, ed, "create without admin", res, "")
	orgWantText(t, "solo", page.Body, "Created Solo.")

	vic := k.viewer()
	wantStatus(t, "viewer create", vic.PostForm("/organizations/new", url.Values{"display_name": {"Nope"}}), http.StatusForbidden)
	if res := vic.Get("/organizations/new"); res.Status != http.StatusOK {
		t.Errorf("viewer GET form: %d", res.Status)
	}
}

func TestOrgOverviewEditMetadataSettings(t *testing.T) {
	t.Parallel()
	k := newOrgKit(t)
	ed, vic := k.editor(), k.viewer()
	o := k.org("Umbrella", "al@umbrella.test")
	base := "/organizations/" + o.ID

	res := ed.Get(base)
	wantStatus(t, "overview", res, http.StatusOK)
	orgWantText(t, "overview", res.Body, o.ID, `data-copy="#org-id"`, `data-testid="org-edit-form"`,
		`data-testid="org-metadata-form"`, `data-testid="org-settings-form"`, `data-testid="delete-org-link"`)

	// Profile.
	res = ed.PostForm(base, url.Values{"display_name": {"Umbrella Corp"}, "slug": {"umbrella"}, "external_id": {"u-1"}})
	page := orgFollow(t, ed, "edit", res, base)
	orgWantText(t, "edited", page.Body, "Saved the profile of Umbrella Corp.", "umbrella", "u-1")
	res = ed.PostForm(base, url.Values{"display_name": {"  "}, "slug": {"umbrella"}})
	wantStatus(t, "empty name", res, http.StatusUnprocessableEntity)
	orgWantText(t, "empty name", res.Body, `data-testid="error-display_name"`)

	// Metadata: add, then one bad key per kind of mistake.
	res = ed.PostForm(base+"/metadata", url.Values{"key": {"plan", "", "region"}, "value": {"gold", "", "eu"}})
	page = orgFollow(t, ed, "metadata", res, base)
	orgWantText(t, "metadata", page.Body, "Saved the metadata.", `value="plan"`, `value="gold"`, `value="region"`)
	var meta string
	k.srv.DB.QueryRow(`SELECT metadata::text FROM organizations WHERE id = $1`, o.ID).Scan(&meta)
	if meta != `{"plan": "gold", "region": "eu"}` {
		t.Errorf("metadata = %s", meta)
	}
	res = ed.PostForm(base+"/metadata", url.Values{"key": {"ab", "plan", "plan", ""}, "value": {"x", "1", "2", "orphan"}})
	wantStatus(t, "bad metadata", res, http.StatusUnprocessableEntity)
	orgWantText(t, "bad metadata", res.Body, "Keys must be 3 to 25 characters.", "This key is used twice", "Give this value a key", `value="orphan"`)
	// Emptying a row removes its entry.
	res = ed.PostForm(base+"/metadata", url.Values{"key": {"plan", ""}, "value": {"gold", ""}})
	orgFollow(t, ed, "remove metadata", res, base)
	k.srv.DB.QueryRow(`SELECT metadata::text FROM organizations WHERE id = $1`, o.ID).Scan(&meta)
	if meta != `{"plan": "gold"}` {
		t.Errorf("metadata after removing a row = %s", meta)
	}

	// Settings: ticked features on, the rest off.
	res = ed.PostForm(base+"/settings", url.Values{"feature": {"sso", "directory_sync"}, "max_allowed_users": {"25"}})
	page = orgFollow(t, ed, "settings", res, base)
	orgWantText(t, "settings", page.Body, "Saved the settings")
	var settings string
	var limit int
	k.srv.DB.QueryRow(`SELECT settings::text, max_allowed_users FROM organizations WHERE id = $1`, o.ID).Scan(&settings, &limit)
	if limit != 25 || !strings.Contains(settings, `"sso": true`) || !strings.Contains(settings, `"session_policy": false`) {
		t.Errorf("settings = %s, limit %d", settings, limit)
	}
	res = ed.PostForm(base+"/settings", url.Values{"feature": {"sso"}, "max_allowed_users": {"lots"}})
	wantStatus(t, "bad limit", res, http.StatusUnprocessableEntity)
	orgWantText(t, "bad limit", res.Body, `data-testid="error-max_allowed_users"`, `value="lots"`)
	res = ed.PostForm(base+"/settings", url.Values{"max_allowed_users": {"-1"}})
	wantStatus(t, "negative limit", res, http.StatusUnprocessableEntity)
	orgWantText(t, "negative limit", res.Body, `data-testid="error-max_allowed_users"`)

	// Viewers read, without forms that write, and are refused posts.
	res = vic.Get(base)
	wantStatus(t, "viewer overview", res, http.StatusOK)
	orgLacksText(t, "viewer overview", res.Body, `data-testid="org-edit-form"`, `data-testid="org-metadata-form"`,
		`data-testid="settings-submit"`, `data-testid="delete-org-link"`)
	orgWantText(t, "viewer overview", res.Body, "gold")
	for _, path := range []string{base, base + "/metadata", base + "/settings", base + "/delete"} {
		wantStatus(t, "viewer POST "+path, vic.PostForm(path, url.Values{"display_name": {"x"}, "confirm_name": {"Umbrella Corp"}}), http.StatusForbidden)
	}
	if n := k.count(`SELECT count(*) FROM organizations WHERE id = $1`, o.ID); n != 1 {
		t.Error("a viewer deleted the org")
	}

	for _, path := range []string{"/organizations/org_nope", "/organizations/org_nope/members", "/organizations/org_nope/invitations",
		"/organizations/org_nope/domains", "/organizations/org_nope/roles", "/organizations/org_nope/delete"} {
		wantStatus(t, path, ed.Get(path), http.StatusNotFound)
	}
	wantStatus(t, "edit unknown", ed.PostForm("/organizations/org_nope", url.Values{"display_name": {"x"}}), http.StatusNotFound)
}

func TestOrgMembers(t *testing.T) {
	t.Parallel()
	k := newOrgKit(t)
	ed, vic := k.editor(), k.viewer()
	o := k.org("Hooli", "gavin@hooli.test")
	other := k.org("Pied Piper", "richard@pp.test")
	gavin := orgUserByEmail(t, k, "gavin@hooli.test")
	dinesh := k.member(o.ID, "dinesh@hooli.test")
	both := k.member(o.ID, "jared@hooli.test")
	k.member(other.ID, "jared@hooli.test")
	erlich := k.member(o.ID, "erlich@hooli.test")
	k.invite(o.ID, "newbie@hooli.test")
	base := "/organizations/" + o.ID + "/members"

	res := ed.Get(base)
	wantStatus(t, "members", res, http.StatusOK)
	orgWantText(t, "members", res.Body, "gavin@hooli.test", "dinesh@hooli.test", "newbie@hooli.test", "5 members")
	monica := k.member(o.ID, "monica@hooli.test")
	orgLacksText(t, "members", res.Body, "richard@pp.test")
	res = ed.Get(base + "?q=dine")
	orgWantText(t, "search", res.Body, "dinesh@hooli.test")
	orgLacksText(t, "search", res.Body, "gavin@hooli.test")
	res = ed.Get(base + "?status=PENDING_INVITE")
	orgWantText(t, "status filter", res.Body, "newbie@hooli.test", "1 member")
	orgLacksText(t, "status filter", res.Body, "dinesh@hooli.test")
	res = ed.Get(base + "?role=admin&q=hooli")
	orgWantText(t, "role filter with search", res.Body, "gavin@hooli.test")
	orgLacksText(t, "role filter with search", res.Body, "dinesh@hooli.test", "jared@hooli.test")
	res = ed.Get(base + "?q=ab")
	wantStatus(t, "short search", res, http.StatusUnprocessableEntity)
	orgWantText(t, "short search", res.Body, `data-testid="error-q"`)

	// A member's page and their roles.
	res = ed.Get(base + "/" + dinesh.ID)
	wantStatus(t, "member page", res, http.StatusOK)
	orgWantText(t, "member page", res.Body, "dinesh@hooli.test", `data-testid="member-roles-form"`, `data-testid="member-remove"`)
	res = ed.PostForm(base+"/"+dinesh.ID+"/roles", url.Values{"role": {"admin"}})
	page := orgFollow(t, ed, "make admin", res, base+"/"+dinesh.ID)
	orgWantText(t, "make admin", page.Body, "Changed the roles of dinesh@hooli.test to admin.")
	res = ed.PostForm(base+"/"+dinesh.ID+"/roles", url.Values{})
	wantStatus(t, "no role", res, http.StatusUnprocessableEntity)
	orgWantText(t, "no role", res.Body, `data-testid="error-roles"`)
	res = ed.PostForm(base+"/"+dinesh.ID+"/roles", url.Values{"role": {"nope"}})
	wantStatus(t, "unknown role", res, http.StatusUnprocessableEntity)
	orgWantText(t, "unknown role", res.Body, `data-testid="error-roles"`)
	// Back to member, so gavin is the last admin again.
	orgFollow(t, ed, "back to member", ed.PostForm(base+"/"+dinesh.ID+"/roles", url.Values{"role": {"member"}}), "")
	res = ed.PostForm(base+"/"+gavin+"/roles", url.Values{"role": {"member"}})
	wantStatus(t, "demote the last admin", res, http.StatusBadRequest)
	orgWantText(t, "demote the last admin", res.Body, "last active admin", `data-testid="form-problem"`)

	// Removal: the confirmation says what happens to the account. By
	// default a user left without an org is kept, and the page says so.
	res = ed.Get(base + "/" + dinesh.ID + "/remove")
	wantStatus(t, "confirm remove", res, http.StatusOK)
	orgWantText(t, "confirm remove", res.Body, "Their sessions in this organization end at once.",
		`data-deletes-account="false"`, "Their user account is not deleted: this is their only organization, but this environment keeps users without one.")
	orgLacksText(t, "confirm remove", res.Body, `name="account"`)
	res = ed.Get(base + "/" + both.ID + "/remove")
	orgWantText(t, "confirm remove of a two-org user", res.Body, "Their user account is not deleted: they still belong to 1 other organization.")
	page = orgFollow(t, ed, "remove", ed.PostForm(base+"/"+dinesh.ID+"/remove", nil), base)
	orgWantText(t, "removed", page.Body, "Removed dinesh@hooli.test from Hooli.")
	orgLacksText(t, "removed", page.Body, "account was deleted")
	if n := k.count(`SELECT count(*) FROM users WHERE id = $1`, dinesh.ID); n != 1 {
		t.Error("the user without another org was deleted by default")
	}
	orgFollow(t, ed, "remove jared", ed.PostForm(base+"/"+both.ID+"/remove", nil), base)
	if n := k.count(`SELECT count(*) FROM memberships WHERE user_id = $1`, both.ID); n != 1 {
		t.Errorf("jared has %d memberships, want the other org's", n)
	}

	// Where the environment deletes such users, the page says so in plain
	// words, and its form carries that word: the account goes only then.
	k.deleteOrphans()
	res = ed.Get(base + "/" + erlich.ID + "/remove")
	orgWantText(t, "confirm remove, deleting", res.Body, `data-deletes-account="true"`,
		"Their user account is deleted too: this is their only organization, and this environment deletes users left without one.",
		`<input type="hidden" name="account" value="delete">`)
	page = orgFollow(t, ed, "remove, deleting", ed.PostForm(base+"/"+erlich.ID+"/remove", url.Values{"account": {"delete"}}), base)
	orgWantText(t, "removed, deleting", page.Body, "Removed erlich@hooli.test from Hooli. Their user account was deleted")
	if n := k.count(`SELECT count(*) FROM users WHERE id = $1`, erlich.ID); n != 0 {
		t.Error("the user without another org was kept")
	}
	// A form that did not say so (a page from before the setting changed)
	// removes the membership and keeps the account.
	page = orgFollow(t, ed, "remove, unwarned", ed.PostForm(base+"/"+monica.ID+"/remove", nil), base)
	orgLacksText(t, "removed, unwarned", page.Body, "account was deleted")
	if n := k.count(`SELECT count(*) FROM users WHERE id = $1`, monica.ID); n != 1 {
		t.Error("an account was deleted though its page did not say so")
	}

	// The last admin cannot be removed while the org exists: the page says
	// why and offers no button; a post anyway is refused, said in a flash.
	res = ed.Get(base + "/" + gavin + "/remove")
	wantStatus(t, "confirm remove of the last admin", res, http.StatusOK)
	orgWantText(t, "confirm remove of the last admin", res.Body, `data-testid="form-problem"`,
		"gavin@hooli.test is the last admin of Hooli", "Make another member admin first, or delete the organization.")
	orgLacksText(t, "confirm remove of the last admin", res.Body, `data-testid="confirm-submit"`)
	res = ed.PostForm(base+"/"+gavin+"/remove", nil)
	page = orgFollow(t, ed, "remove the last admin", res, base+"/"+gavin)
	orgWantText(t, "remove the last admin", page.Body, `data-kind="error"`, "Not removed: This member is the last active admin")

	// Another org's member through this org's URL: not found.
	richard := orgUserByEmail(t, k, "richard@pp.test")
	wantStatus(t, "other org's member", ed.Get(base+"/"+richard), http.StatusNotFound)
	wantStatus(t, "other org's member remove page", ed.Get(base+"/"+richard+"/remove"), http.StatusNotFound)
	wantStatus(t, "other org's member remove", ed.PostForm(base+"/"+richard+"/remove", nil), http.StatusNotFound)
	wantStatus(t, "other org's member roles", ed.PostForm(base+"/"+richard+"/roles", url.Values{"role": {"member"}}), http.StatusNotFound)

	// Viewers see no write controls and are refused.
	res = vic.Get(base + "/" + gavin)
	orgLacksText(t, "viewer member page", res.Body, `data-testid="member-roles-submit"`, `data-testid="member-remove"`)
	wantStatus(t, "viewer roles", vic.PostForm(base+"/"+gavin+"/roles", url.Values{"role": {"member"}}), http.StatusForbidden)
	wantStatus(t, "viewer remove", vic.PostForm(base+"/"+gavin+"/remove", nil), http.StatusForbidden)
}

func orgUserByEmail(t *testing.T, k orgKit, email string) string {
	t.Helper()
	var id string
	if err := k.srv.DB.Get(&id, `SELECT id FROM users WHERE lower(email) = lower($1)`, email); err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return id
}

func TestOrgInvitations(t *testing.T) {
	t.Parallel()
	k := newOrgKit(t)
	ed, vic := k.editor(), k.viewer()
	o := k.org("Vandelay", "art@vandelay.test")
	other := k.org("Kramerica", "kramer@kramerica.test")
	k.invite(other.ID, "bob@kramerica.test")
	base := "/organizations/" + o.ID + "/invitations"

	res := ed.Get(base)
	wantStatus(t, "no invitations", res, http.StatusOK)
	orgWantText(t, "no invitations", res.Body, "No open invitations", `data-testid="invite-form"`)
	orgLacksText(t, "no invitations", res.Body, "bob@kramerica.test")

	res = ed.PostForm(base, url.Values{"email": {"george@"}, "role": {"admin"}})
	wantStatus(t, "bad email", res, http.StatusUnprocessableEntity)
	orgWantText(t, "bad email", res.Body, `data-testid="error-email"`, `value="george@"`)
	if !regexp.MustCompile(`value="admin" checked`).MatchString(res.Body) {
		t.Error("the ticked role was not kept")
	}
	res = ed.PostForm(base, url.Values{"email": {"george@vandelay.test"}, "role": {"admin"}})
	page := orgFollow(t, ed, "invite", res, base)
	orgWantText(t, "invite", page.Body, "Invited george@vandelay.test.", "george@vandelay.test", "ed@roster.test")
	george := orgUserByEmail(t, k, "george@vandelay.test")
	res = ed.PostForm(base, url.Values{"email": {"art@vandelay.test"}})
	wantStatus(t, "invite a member", res, http.StatusConflict)
	orgWantText(t, "invite a member", res.Body, "already a member", `value="art@vandelay.test"`)

	page = orgFollow(t, ed, "resend", ed.PostForm(base+"/"+george+"/resend", nil), base)
	orgWantText(t, "resend", page.Body, "Sent the invitation to george@vandelay.test again.")
	if n := k.count(`SELECT resent_count FROM memberships WHERE user_id = $1`, george); n != 1 {
		t.Errorf("resent_count = %d", n)
	}
	art := orgUserByEmail(t, k, "art@vandelay.test")
	page = orgFollow(t, ed, "resend to a member", ed.PostForm(base+"/"+art+"/resend", nil), base)
	orgWantText(t, "resend to a member", page.Body, `data-kind="error"`, "already accepted")

	// Revoking: by default the invited user stays, and the page says so.
	newman := k.invite(o.ID, "newman@vandelay.test")
	res = ed.Get(base + "/" + newman.ID + "/revoke")
	wantStatus(t, "confirm revoke, keeping", res, http.StatusOK)
	orgWantText(t, "confirm revoke, keeping", res.Body, "stops working", `data-deletes-account="false"`, "Their user account is not deleted")
	page = orgFollow(t, ed, "revoke, keeping", ed.PostForm(base+"/"+newman.ID+"/revoke", nil), base)
	orgWantText(t, "revoke, keeping", page.Body, "Revoked the invitation of newman@vandelay.test.")
	orgLacksText(t, "revoke, keeping", page.Body, "account was deleted")
	if n := k.count(`SELECT count(*) FROM users WHERE id = $1`, newman.ID); n != 1 {
		t.Error("the invited user was deleted by default")
	}
	// Where the environment deletes users left without an org, the page
	// says the account goes too.
	k.deleteOrphans()
	res = ed.Get(base + "/" + george + "/revoke")
	wantStatus(t, "confirm revoke", res, http.StatusOK)
	orgWantText(t, "confirm revoke", res.Body, "stops working", `data-deletes-account="true"`, "Their user account is deleted too")
	page = orgFollow(t, ed, "revoke", ed.PostForm(base+"/"+george+"/revoke", url.Values{"account": {"delete"}}), base)
	orgWantText(t, "revoke", page.Body, "Revoked the invitation of george@vandelay.test. Their user account was deleted", "No open invitations")
	if n := k.count(`SELECT count(*) FROM users WHERE id = $1`, george); n != 0 {
		t.Error("the invited user without another org was kept")
	}
	if n := k.count(`SELECT count(*) FROM audit_events WHERE action = 'invitation.revoked' AND organization_id = $1`, o.ID); n != 2 {
		t.Errorf("%d invitation.revoked events", n)
	}
	// An accepted invitation: the page explains and has no button.
	res = ed.Get(base + "/" + art + "/revoke")
	orgWantText(t, "confirm revoke of a member", res.Body, "has already accepted; remove them as a member instead.")
	orgLacksText(t, "confirm revoke of a member", res.Body, `data-testid="confirm-submit"`)
	page = orgFollow(t, ed, "revoke a member", ed.PostForm(base+"/"+art+"/revoke", nil), base)
	orgWantText(t, "revoke a member", page.Body, `data-kind="error"`, "already accepted")

	bob := orgUserByEmail(t, k, "bob@kramerica.test")
	wantStatus(t, "other org's invitation", ed.PostForm(base+"/"+bob+"/revoke", nil), http.StatusNotFound)
	wantStatus(t, "other org's invitation page", ed.Get(base+"/"+bob+"/revoke"), http.StatusNotFound)
	wantStatus(t, "other org's resend", ed.PostForm(base+"/"+bob+"/resend", nil), http.StatusNotFound)

	k.invite(o.ID, "elaine@vandelay.test")
	res = vic.Get(base)
	orgWantText(t, "viewer invitations", res.Body, "elaine@vandelay.test")
	orgLacksText(t, "viewer invitations", res.Body, `data-testid="invite-form"`, `data-testid="invitation-resend"`, `data-testid="invitation-revoke"`)
	wantStatus(t, "viewer invite", vic.PostForm(base, url.Values{"email": {"x@vandelay.test"}}), http.StatusForbidden)
	elaine := orgUserByEmail(t, k, "elaine@vandelay.test")
	wantStatus(t, "viewer revoke", vic.PostForm(base+"/"+elaine+"/revoke", nil), http.StatusForbidden)
	wantStatus(t, "viewer resend", vic.PostForm(base+"/"+elaine+"/resend", nil), http.StatusForbidden)
}

func TestOrgDomains(t *testing.T) {
	t.Parallel()
	k := newOrgKit(t)
	ed, vic := k.editor(), k.viewer()
	o := k.org("Globex", "hank@globex.test")
	other := k.org("Soylent", "sol@soylent.test")
	theirs, err := k.dir.CreateDomain(context.Background(), other.ID, directory.NewDomain{Domain: "soylent.example", DomainType: directory.DomainTypeOrganization})
	if err != nil {
		t.Fatal(err)
	}
	base := "/organizations/" + o.ID + "/domains"

	res := ed.Get(base)
	wantStatus(t, "no domains", res, http.StatusOK)
	orgWantText(t, "no domains", res.Body, "No domains", `data-testid="domain-form"`)
	orgLacksText(t, "no domains", res.Body, "soylent.example")

	res = ed.PostForm(base, url.Values{"domain": {"not a domain"}, "domain_type": {"ORGANIZATION_DOMAIN"}})
	wantStatus(t, "bad domain", res, http.StatusUnprocessableEntity)
	orgWantText(t, "bad domain", res.Body, `data-testid="error-domain"`, `value="not a domain"`)
	res = ed.PostForm(base, url.Values{"domain": {"soylent.example"}, "domain_type": {"ALLOWED_EMAIL_DOMAIN"}})
	wantStatus(t, "taken domain", res, http.StatusConflict)
	orgWantText(t, "taken domain", res.Body, `data-testid="error-domain"`, "already claimed")
	res = ed.PostForm(base, url.Values{"domain": {"globex.example"}})
	wantStatus(t, "no type", res, http.StatusUnprocessableEntity)
	orgWantText(t, "no type", res.Body, `data-testid="error-domain_type"`)

	page := orgFollow(t, ed, "add", ed.PostForm(base, url.Values{"domain": {"Globex.Example"}, "domain_type": {"ORGANIZATION_DOMAIN"}}), base)
	orgWantText(t, "add", page.Body, "Added globex.example.", "_roster-verification.globex.example", "roster-verification=")
	page = orgFollow(t, ed, "add allowed", ed.PostForm(base, url.Values{"domain": {"globex.test"}, "domain_type": {"ALLOWED_EMAIL_DOMAIN"}}), base)
	orgWantText(t, "add allowed", page.Body, "globex.test", "2 domains")

	var id string
	k.srv.DB.Get(&id, `SELECT id FROM organization_domains WHERE domain = 'globex.test'`)
	res = ed.Get(base + "/" + id + "/delete")
	wantStatus(t, "confirm remove", res, http.StatusOK)
	orgWantText(t, "confirm remove", res.Body, "Remove globex.test from Globex?")
	page = orgFollow(t, ed, "remove", ed.PostForm(base+"/"+id+"/delete", nil), base)
	orgWantText(t, "remove", page.Body, "Removed globex.test.")

	wantStatus(t, "other org's domain page", ed.Get(base+"/"+theirs.ID+"/delete"), http.StatusNotFound)
	wantStatus(t, "other org's domain", ed.PostForm(base+"/"+theirs.ID+"/delete", nil), http.StatusNotFound)
	if n := k.count(`SELECT count(*) FROM organization_domains WHERE id = $1`, theirs.ID); n != 1 {
		t.Error("another org's domain was removed")
	}

	res = vic.Get(base)
	orgWantText(t, "viewer domains", res.Body, "globex.example")
	orgLacksText(t, "viewer domains", res.Body, `data-testid="domain-form"`, `data-testid="domain-remove"`)
	wantStatus(t, "viewer add", vic.PostForm(base, url.Values{"domain": {"x.example"}, "domain_type": {"ALLOWED_EMAIL_DOMAIN"}}), http.StatusForbidden)
}

func TestOrgRoles(t *testing.T) {
	t.Parallel()
	k := newOrgKit(t)
	ed, vic := k.editor(), k.viewer()
	o := k.org("Wayne", "bruce@wayne.test")
	other := k.org("Stark", "tony@stark.test")
	if _, err := k.dir.CreateOrgRole(context.Background(), other.ID, directory.RoleInput{Name: "stark_only"}); err != nil {
		t.Fatal(err)
	}
	base := "/organizations/" + o.ID + "/roles"

	res := ed.Get(base)
	wantStatus(t, "roles", res, http.StatusOK)
	orgWantText(t, "roles", res.Body, `data-role="admin"`, `data-role="member"`, `data-testid="role-form"`, "members:invite")
	orgLacksText(t, "roles", res.Body, "stark_only")

	res = ed.PostForm(base, url.Values{"name": {"bad name!"}, "display_name": {"Bad"}, "permission": {"members:read"}})
	wantStatus(t, "bad name", res, http.StatusUnprocessableEntity)
	orgWantText(t, "bad name", res.Body, `data-testid="error-name"`, `value="bad name!"`)
	if !strings.Contains(res.Body, `value="members:read" checked`) {
		t.Error("the ticked permission was not kept")
	}
	res = ed.PostForm(base, url.Values{"name": {"admin"}})
	wantStatus(t, "taken name", res, http.StatusConflict)
	orgWantText(t, "taken name", res.Body, `data-testid="error-name"`)

	res = ed.PostForm(base, url.Values{"name": {"billing"}, "display_name": {"Billing"}, "description": {"Pays"},
		"extends": {"member"}, "permission": {"members:read", "organization:update"}})
	page := orgFollow(t, ed, "create role", res, base)
	orgWantText(t, "create role", page.Body, "Created the role billing.", `data-role="billing"`, "organization:update")

	page = orgFollow(t, ed, "default", ed.PostForm(base+"/default", url.Values{"default_member_role": {"billing"}}), base)
	orgWantText(t, "default", page.Body, "New members of this organization now get the role billing.")
	newbie := k.member(o.ID, "alfred@wayne.test")
	if r := newbie.Memberships[0].Roles; len(r) != 1 || r[0].Name != "billing" {
		t.Errorf("a new member got %v", r)
	}
	res = ed.PostForm(base+"/default", url.Values{"default_member_role": {"stark_only"}})
	wantStatus(t, "another org's role as default", res, http.StatusUnprocessableEntity)
	orgWantText(t, "another org's role as default", res.Body, `data-testid="error-default_member_role"`)

	// Deleting the default is refused, on the confirmation page.
	res = ed.PostForm(base+"/billing/delete", url.Values{"reassign_role_name": {"member"}})
	wantStatus(t, "delete the default", res, http.StatusBadRequest)
	orgWantText(t, "delete the default", res.Body, "default member role", `data-testid="form-problem"`)
	orgFollow(t, ed, "default back", ed.PostForm(base+"/default", url.Values{"default_member_role": {""}}), base)

	res = ed.Get(base + "/billing/delete")
	wantStatus(t, "confirm delete", res, http.StatusOK)
	orgWantText(t, "confirm delete", res.Body, `data-testid="reassign-select"`, "Members holding it get the role you choose")
	page = orgFollow(t, ed, "delete", ed.PostForm(base+"/billing/delete", url.Values{"reassign_role_name": {"member"}}), base)
	orgWantText(t, "delete", page.Body, "Deleted the role billing. Its holders now have member.")
	if n := k.count(`SELECT count(*) FROM membership_roles mr JOIN roles r ON r.id = mr.role_id WHERE mr.membership_id = $1 AND r.name = 'member'`, newbie.Memberships[0].ID); n != 1 {
		t.Error("the holder was not given member")
	}

	wantStatus(t, "delete an environment role", ed.Get(base+"/admin/delete"), http.StatusNotFound)
	wantStatus(t, "delete an environment role", ed.PostForm(base+"/admin/delete", nil), http.StatusNotFound)
	wantStatus(t, "another org's role", ed.Get(base+"/stark_only/delete"), http.StatusNotFound)
	wantStatus(t, "another org's role", ed.PostForm(base+"/stark_only/delete", nil), http.StatusNotFound)

	res = vic.Get(base)
	orgLacksText(t, "viewer roles", res.Body, `data-testid="role-form"`, `data-testid="default-role-submit"`, `data-testid="role-delete"`)
	wantStatus(t, "viewer create", vic.PostForm(base, url.Values{"name": {"x_role"}}), http.StatusForbidden)
	wantStatus(t, "viewer default", vic.PostForm(base+"/default", url.Values{"default_member_role": {"member"}}), http.StatusForbidden)
}

func TestOrgDelete(t *testing.T) {
	t.Parallel()
	k := newOrgKit(t)
	ed := k.editor()
	o := k.org("Dunder Mifflin", "michael@dm.test")
	other := k.org("Wernham Hogg", "david@wh.test")
	k.member(o.ID, "jim@dm.test")
	k.member(o.ID, "david@wh.test")
	base := "/organizations/" + o.ID + "/delete"
	k.deleteOrphans()

	res := ed.Get(base)
	wantStatus(t, "confirm", res, http.StatusOK)
	orgWantText(t, "confirm", res.Body, "3 memberships end", "2 users are deleted")
	res = ed.PostForm(base, url.Values{"confirm_name": {"dunder mifflin"}})
	wantStatus(t, "wrong name", res, http.StatusUnprocessableEntity)
	orgWantText(t, "wrong name", res.Body, `data-testid="error-confirm_name"`, `value="dunder mifflin"`)
	if n := k.count(`SELECT count(*) FROM organizations WHERE id = $1`, o.ID); n != 1 {
		t.Fatal("deleted with the wrong name")
	}
	page := orgFollow(t, ed, "delete", ed.PostForm(base, url.Values{"confirm_name": {"Dunder Mifflin"}}), "/organizations")
	orgWantText(t, "delete", page.Body, "Deleted Dunder Mifflin.")
	if n := k.count(`SELECT count(*) FROM users WHERE email IN ('michael@dm.test', 'jim@dm.test')`); n != 0 {
		t.Errorf("%d users only in the org are left", n)
	}
	if n := k.count(`SELECT count(*) FROM memberships WHERE organization_id = $1`, other.ID); n != 1 {
		t.Error("the other org lost members")
	}
	wantStatus(t, "deleted org", ed.Get("/organizations/"+o.ID), http.StatusNotFound)
}
