package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"roster/internal/adminauth"
	"roster/web/webtest"
)

func TestRolesOverview(t *testing.T) {
	k := newPeopleKit(t)
	cc := webtest.NewConsoleClient(t, k.srv, "ed@acme.test", adminauth.Editor)

	res := cc.Get("/roles")
	wantStatus(t, "roles", res, http.StatusOK)
	// The built-in roles: admin extends member and inherits its permissions.
	admin := rowOf(t, res.Body, `data-role="admin"`)
	mustShow(t, "admin row", admin, `data-testid="default-creator"`, "<code>member</code>",
		"members:invite", `data-testid="role-inherited-permissions"><ul class="chips"><li><code>members:read</code>`)
	member := rowOf(t, res.Body, `data-role="member"`)
	mustShow(t, "member row", member, `data-testid="default-member"`, "organization:read")
	mustShow(t, "roles", res.Body, `data-testid="defaults-form"`, `<option value="admin" selected`,
		`data-testid="new-role"`, `data-testid="permission-row" data-permission="members:invite"`, `href="/permissions/members:invite/edit"`)

	vc := webtest.NewConsoleClient(t, k.srv, "vic@acme.test", adminauth.Viewer)
	res = vc.Get("/roles")
	wantStatus(t, "viewer", res, http.StatusOK)
	mustShow(t, "viewer", res.Body, `data-testid="current-default-member">member`)
	mustNotShow(t, "viewer", res.Body, `data-testid="defaults-form"`, `data-testid="new-role"`, `data-testid="edit-role"`,
		`data-testid="delete-role"`, `data-testid="new-permission"`, `data-testid="edit-permission"`, `method="post"`+` action="/roles`)
	for _, path := range []string{"/roles/new", "/roles/admin/edit", "/roles/admin/delete", "/permissions/new",
		"/permissions/members:read/edit", "/permissions/members:read/delete"} {
		wantStatus(t, "viewer "+path, vc.Get(path), http.StatusForbidden)
	}
	for path, form := range map[string]url.Values{
		"/roles/new":                       {"name": {"sneaky"}},
		"/roles/admin/edit":                {"display_name": {"Sneaky"}},
		"/roles/admin/delete":              {},
		"/roles/set-defaults":              {"default_creator_role": {"member"}, "default_member_role": {"member"}},
		"/permissions/new":                 {"name": {"sneaky:do"}},
		"/permissions/members:read/edit":   {"description": {"x"}},
		"/permissions/members:read/delete": {},
	} {
		wantStatus(t, "viewer POST "+path, vc.PostForm(path, form), http.StatusForbidden)
	}
	if n := countRows(t, k.srv, `SELECT count(*) FROM roles WHERE name = 'sneaky' OR display_name = 'Sneaky'`); n != 0 {
		t.Error("a viewer changed roles")
	}
	for _, path := range []string{"/roles/nope/edit", "/roles/nope/delete", "/permissions/nope:nope/edit", "/permissions/nope:nope/delete"} {
		wantStatus(t, path, cc.Get(path), http.StatusNotFound)
	}
	wantStatus(t, "unknown role POST", cc.PostForm("/roles/nope/edit", url.Values{"display_name": {"x"}}), http.StatusNotFound)
}

func TestRoleCreateAndEdit(t *testing.T) {
	k := newPeopleKit(t)
	cc := webtest.NewConsoleClient(t, k.srv, "ed@acme.test", adminauth.Editor)
	for _, p := range []string{"invoices:read", "invoices:write"} {
		res := cc.PostForm("/permissions/new", url.Values{"name": {p}, "description": {"About " + p}})
		wantStatus(t, "permission "+p, res, http.StatusSeeOther)
	}

	res := cc.Get("/roles/new")
	wantStatus(t, "form", res, http.StatusOK)
	mustShow(t, "form", res.Body, `name="permissions" value="invoices:read"`, `<option value="member">`)

	good := url.Values{
		"name": {"billing_admin"}, "display_name": {"Billing admin"}, "description": {"Pays the bills"},
		"extends": {"member"}, "permissions": {"invoices:read", "invoices:write"},
	}
	// Bad input: the error beside its field, everything typed and checked kept.
	for _, tt := range []struct{ field, value, text string }{
		{"name", "bad name!", "letters, digits or underscores"},
		{"name", "admin", "already used by another role"},
		{"extends", "nobody", "names no environment role"},
	} {
		bad := url.Values{}
		for key, v := range good {
			bad[key] = v
		}
		bad.Set(tt.field, tt.value)
		res := cc.PostForm("/roles/new", bad)
		wantStatus(t, tt.field+"="+tt.value, res, http.StatusUnprocessableEntity)
		mustShow(t, tt.field+"="+tt.value, res.Body, `data-testid="error-`+tt.field+`"`, tt.text,
			`value="Billing admin"`, `value="invoices:write" checked`)
	}

	res = cc.PostForm("/roles/new", good)
	wantStatus(t, "create", res, http.StatusSeeOther)
	mustShow(t, "after create", cc.Get(res.Location).Body, "Created the role billing_admin.")
	r, err := k.dir.GetRole(context.Background(), "billing_admin")
	if err != nil {
		t.Fatal(err)
	}
	if r.DisplayName != "Billing admin" || r.ExtendsName == nil || *r.ExtendsName != "member" ||
		!slices.Equal(r.Permissions, []string{"invoices:read", "invoices:write"}) {
		t.Errorf("created role = %+v", r)
	}

	// Edit: the form holds what is saved; unchecking removes a permission.
	res = cc.Get("/roles/billing_admin/edit")
	wantStatus(t, "edit form", res, http.StatusOK)
	mustShow(t, "edit form", res.Body, `value="invoices:read" checked`, `<option value="member" selected`, `data-testid="role-name">billing_admin`,
		`data-testid="inherited">inherited from member`)
	mustNotShow(t, "edit form", res.Body, `<option value="billing_admin"`) // it cannot extend itself
	res = cc.PostForm("/roles/billing_admin/edit", url.Values{
		"display_name": {"Billing"}, "description": {""}, "extends": {""}, "permissions": {"invoices:write"},
	})
	wantStatus(t, "save", res, http.StatusSeeOther)
	r, _ = k.dir.GetRole(context.Background(), "billing_admin")
	if r.DisplayName != "Billing" || r.ExtendsName != nil || !slices.Equal(r.Permissions, []string{"invoices:write"}) {
		t.Errorf("saved role = %+v", r)
	}

	// A cycle is refused beside the extends field.
	res = cc.PostForm("/roles/member/edit", url.Values{"display_name": {"Member"}, "extends": {"admin"}})
	wantStatus(t, "cycle", res, http.StatusUnprocessableEntity)
	mustShow(t, "cycle", res.Body, `data-testid="error-extends"`, "would make a cycle")

	// A role may be called "new": its own pages still work.
	wantStatus(t, "role new", cc.PostForm("/roles/new", url.Values{"name": {"new"}}), http.StatusSeeOther)
	wantStatus(t, "edit role new", cc.Get("/roles/new/edit"), http.StatusOK)
	wantStatus(t, "save role new", cc.PostForm("/roles/new/edit", url.Values{"display_name": {"Newcomer"}}), http.StatusSeeOther)
	if r, _ := k.dir.GetRole(context.Background(), "new"); r.DisplayName != "Newcomer" {
		t.Errorf("role new: display name %q", r.DisplayName)
	}
}

func TestRoleDefaultsAndDelete(t *testing.T) {
	k := newPeopleKit(t)
	acme, _ := k.org("Acme", "acme", "ann@acme.test")
	bob := k.member(acme.ID, "bob@acme.test")
	cc := webtest.NewConsoleClient(t, k.srv, "ed@acme.test", adminauth.Editor)
	wantStatus(t, "create", cc.PostForm("/roles/new", url.Values{"name": {"staff"}, "extends": {"member"}}), http.StatusSeeOther)

	// Defaults: a bad choice is shown beside its select.
	res := cc.PostForm("/roles/set-defaults", url.Values{"default_creator_role": {"admin"}, "default_member_role": {"ghost"}})
	wantStatus(t, "bad default", res, http.StatusUnprocessableEntity)
	mustShow(t, "bad default", res.Body, `data-testid="error-default_member_role"`, "names no environment role")

	// The member role is a default: deleting it is refused, with the reason.
	res = cc.PostForm("/roles/member/delete", url.Values{"reassign": {"staff"}})
	wantStatus(t, "delete default", res, http.StatusConflict)
	mustShow(t, "delete default", res.Body, `data-testid="refusal"`, "is a default role of the environment")

	res = cc.PostForm("/roles/set-defaults", url.Values{"default_creator_role": {"admin"}, "default_member_role": {"staff"}})
	wantStatus(t, "set defaults", res, http.StatusSeeOther)
	res = cc.Get(res.Location)
	mustShow(t, "defaults saved", res.Body, "Saved the default roles", `<option value="staff" selected`)

	// Still extended by staff and admin, and held by bob.
	res = cc.Get("/roles/member/delete")
	wantStatus(t, "confirm", res, http.StatusOK)
	mustShow(t, "confirm", res.Body, "1 membership holds", "2 roles extend")
	wantStatus(t, "unlink staff", cc.PostForm("/roles/staff/edit", url.Values{"extends": {""}}), http.StatusSeeOther)
	wantStatus(t, "unlink admin", cc.PostForm("/roles/admin/edit", url.Values{"extends": {""}, "permissions": {"members:invite"}}), http.StatusSeeOther)

	// Held by a member: a role to give them is needed.
	res = cc.PostForm("/roles/member/delete", url.Values{"reassign": {""}})
	wantStatus(t, "no reassign", res, http.StatusConflict)
	mustShow(t, "no reassign", res.Body, "held by 1 membership(s); choose a role to give them")
	res = cc.PostForm("/roles/member/delete", url.Values{"reassign": {"member"}})
	wantStatus(t, "reassign to itself", res, http.StatusUnprocessableEntity)
	mustShow(t, "reassign to itself", res.Body, `data-testid="error-reassign"`, "another role")

	res = cc.PostForm("/roles/member/delete", url.Values{"reassign": {"staff"}})
	wantStatus(t, "delete", res, http.StatusSeeOther)
	mustShow(t, "deleted", cc.Get(res.Location).Body, "Deleted the role member; its members hold staff instead.")
	m, err := k.dir.Membership(context.Background(), acme.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Roles) != 1 || m.Roles[0].Name != "staff" {
		t.Errorf("bob's roles after the reassignment: %+v", m.Roles)
	}
}

func TestPermissionPages(t *testing.T) {
	k := newPeopleKit(t)
	cc := webtest.NewConsoleClient(t, k.srv, "ed@acme.test", adminauth.Editor)

	res := cc.Get("/permissions")
	wantStatus(t, "list", res, http.StatusSeeOther)
	if res.Location != "/roles#permissions" {
		t.Errorf("/permissions sends to %q", res.Location)
	}
	for _, tt := range []struct{ name, text string }{
		{"invoices", `must look like`},
		{"members:read", "already used by another permission"},
		{"", "is required"},
	} {
		res := cc.PostForm("/permissions/new", url.Values{"name": {tt.name}, "description": {"Kept"}})
		wantStatus(t, "name "+tt.name, res, http.StatusUnprocessableEntity)
		mustShow(t, "name "+tt.name, res.Body, `data-testid="error-name"`, tt.text, ">Kept</textarea>")
	}
	res = cc.PostForm("/permissions/new", url.Values{"name": {"reports:export"}, "description": {"Export reports"}})
	wantStatus(t, "create", res, http.StatusSeeOther)
	mustShow(t, "created", cc.Get("/roles").Body, `data-permission="reports:export"`, "Export reports")

	res = cc.PostForm("/permissions/reports:export/edit", url.Values{"description": {strings.Repeat("x", 2001)}})
	wantStatus(t, "too long", res, http.StatusUnprocessableEntity)
	mustShow(t, "too long", res.Body, `data-testid="error-description"`, "at most 2000 characters")
	wantStatus(t, "edit", cc.PostForm("/permissions/reports:export/edit", url.Values{"description": {"Download reports"}}), http.StatusSeeOther)
	if p, _ := k.dir.GetPermission(context.Background(), "reports:export"); p.Description != "Download reports" {
		t.Errorf("description = %q", p.Description)
	}

	// Deleting a permission a role grants says so first.
	res = cc.Get("/permissions/members:read/delete")
	wantStatus(t, "confirm", res, http.StatusOK)
	mustShow(t, "confirm", res.Body, "1 role grants it", "member")
	wantStatus(t, "delete", cc.PostForm("/permissions/members:read/delete", nil), http.StatusSeeOther)
	if _, err := k.dir.GetPermission(context.Background(), "members:read"); err == nil {
		t.Error("the permission is still there")
	}
	wantStatus(t, "again", cc.PostForm("/permissions/members:read/delete", nil), http.StatusNotFound)
}

// rowOf returns the table row of body that holds marker.
func rowOf(t *testing.T, body, marker string) string {
	t.Helper()
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatalf("no row with %s", marker)
	}
	end := strings.Index(body[i:], "</tr>")
	return body[i : i+end]
}
