package directory_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
)

// roleState fingerprints everything role and permission writes touch, so a
// test can show that a refused request changed nothing, audit log included.
func roleState(f *fixture) string {
	f.t.Helper()
	var s string
	err := f.db.Get(&s, `SELECT concat_ws(' | ',
		(SELECT string_agg(concat_ws(',', id, organization_id, name, display_name, description, extends_role_id, updated_at), ';' ORDER BY id) FROM roles),
		(SELECT string_agg(role_id || ',' || permission_id, ';' ORDER BY role_id, permission_id) FROM role_permissions),
		(SELECT string_agg(concat_ws(',', id, name, description, updated_at), ';' ORDER BY id) FROM permissions),
		(SELECT string_agg(membership_id || ',' || role_id, ';' ORDER BY membership_id, role_id) FROM membership_roles),
		(SELECT concat_ws(',', default_creator_role_id, default_member_role_id) FROM environment_settings),
		(SELECT string_agg(id || ',' || coalesce(default_member_role_id, ''), ';' ORDER BY id) FROM organizations),
		(SELECT count(*) FROM audit_events))`)
	if err != nil {
		f.t.Fatalf("role state: %v", err)
	}
	return s
}

// wantField checks err is bad input naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	fields := apperr.FieldErrors(err)
	if _, ok := fields[field]; !ok || !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("got %v, want INVALID_ARGUMENT on field %q", err, field)
	}
}

func (f *fixture) role(orgID string, in directory.RoleInput) model.Role {
	f.t.Helper()
	var r model.Role
	var err error
	if orgID == "" {
		r, err = f.dir.CreateRole(f.ctx, in)
	} else {
		r, err = f.dir.CreateOrgRole(f.ctx, orgID, in)
	}
	if err != nil {
		f.t.Fatalf("create role %q: %v", in.Name, err)
	}
	return r
}

func (f *fixture) permission(name string) model.Permission {
	f.t.Helper()
	p, err := f.dir.CreatePermission(f.ctx, directory.PermissionInput{Name: name, Description: ptr("about " + name)})
	if err != nil {
		f.t.Fatalf("create permission %q: %v", name, err)
	}
	return p
}

func permissionNames(ps []model.Permission) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func TestCreateRole(t *testing.T) {
	f := newFixture(t)
	r := f.role("", directory.RoleInput{
		Name: "billing_admin", DisplayName: ptr(" Billing admin "), Description: ptr("Pays the bills"),
		Extends: ptr("member"), Permissions: &[]string{"organization:update", "organization:update"},
	})
	if r.Name != "billing_admin" || r.DisplayName != "Billing admin" || r.OrganizationID != nil {
		t.Errorf("role = %+v", r)
	}
	if r.ExtendsName == nil || *r.ExtendsName != "member" {
		t.Errorf("extends = %v, want member", r.ExtendsName)
	}
	if !slices.Equal(r.Permissions, []string{"organization:update"}) {
		t.Errorf("own permissions = %v", r.Permissions)
	}
	if r.DefaultCreator || r.DefaultMember {
		t.Errorf("a new role is no default: %+v", r)
	}
	eff, err := f.dir.EffectivePermissions(f.ctx, []string{r.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := permissionNames(eff); !slices.Equal(got, []string{"members:read", "organization:read", "organization:update"}) {
		t.Errorf("effective = %v, want own plus member's", got)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'role.created' AND target_id = $1`, r.ID); n != 1 {
		t.Errorf("audit events = %d, want 1", n)
	}
	got, err := f.dir.GetRole(f.ctx, "billing_admin")
	if err != nil || got.ID != r.ID {
		t.Fatalf("get = %+v, %v", got, err)
	}
	admin, err := f.dir.GetRole(f.ctx, "admin")
	if err != nil || !admin.DefaultCreator || admin.DefaultMember {
		t.Errorf("admin flags = %+v, %v; want the default creator", admin, err)
	}
}

func TestBadRoleInputChangesNothing(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	long := func(n int) *string { return ptr(strings.Repeat("x", n)) }
	cases := []struct {
		name  string
		org   string
		in    directory.RoleInput
		field string
	}{
		{"no name", "", directory.RoleInput{}, "name"},
		{"space in name", "", directory.RoleInput{Name: "bad name"}, "name"},
		{"colon in name", "", directory.RoleInput{Name: "a:b"}, "name"},
		{"name too long", "", directory.RoleInput{Name: strings.Repeat("a", 65)}, "name"},
		{"display name too long", "", directory.RoleInput{Name: "ok", DisplayName: long(101)}, "display_name"},
		{"description too long", "", directory.RoleInput{Name: "ok", Description: long(2001)}, "description"},
		{"unknown extends", "", directory.RoleInput{Name: "ok", Extends: ptr("nobody")}, "extends"},
		{"unknown permission", "", directory.RoleInput{Name: "ok", Permissions: &[]string{"members:read", "nope:nope"}}, "permissions"},
		{"org: unknown extends", o.ID, directory.RoleInput{Name: "ok", Extends: ptr("nobody")}, "extends"},
		{"org: unknown permission", o.ID, directory.RoleInput{Name: "ok", Permissions: &[]string{"nope:nope"}}, "permissions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := roleState(f)
			var err error
			if c.org == "" {
				_, err = f.dir.CreateRole(f.ctx, c.in)
			} else {
				_, err = f.dir.CreateOrgRole(f.ctx, c.org, c.in)
			}
			wantField(t, err, c.field)
			if after := roleState(f); after != before {
				t.Errorf("refused create changed the database:\n%s\n%s", before, after)
			}
		})
	}
}

func TestRoleNamesNeverClash(t *testing.T) {
	f := newFixture(t)
	a, b := f.org("A"), f.org("B")
	f.role(a.ID, directory.RoleInput{Name: "viewer"})
	// Another org may use the same name for its own role.
	f.role(b.ID, directory.RoleInput{Name: "viewer"})

	cases := []struct {
		name string
		org  string
		role string
	}{
		{"environment duplicate", "", "member"},
		{"org role named like an environment role", a.ID, "admin"},
		{"org duplicate", a.ID, "viewer"},
		{"environment role named like an org role", "", "viewer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := roleState(f)
			var err error
			if c.org == "" {
				_, err = f.dir.CreateRole(f.ctx, directory.RoleInput{Name: c.role})
			} else {
				_, err = f.dir.CreateOrgRole(f.ctx, c.org, directory.RoleInput{Name: c.role})
			}
			wantCode(t, err, apperr.ErrConflict)
			if _, ok := apperr.FieldErrors(err)["name"]; !ok {
				t.Errorf("conflict %v names no field \"name\"", err)
			}
			if roleState(f) != before {
				t.Error("refused create changed the database")
			}
		})
	}
}

func TestRoleInheritance(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"a:one", "b:two", "c:three"} {
		f.permission(p)
	}
	a := f.role("", directory.RoleInput{Name: "a", Permissions: &[]string{"a:one"}})
	b := f.role("", directory.RoleInput{Name: "b", Extends: ptr("a"), Permissions: &[]string{"b:two"}})
	c := f.role("", directory.RoleInput{Name: "c", Extends: ptr("b"), Permissions: &[]string{"c:three"}})
	o, other := f.org("Acme"), f.org("Other")
	orgRole := f.role(o.ID, directory.RoleInput{Name: "auditor", Extends: ptr("c")})
	f.role(other.ID, directory.RoleInput{Name: "outsider"})

	eff := func(ids ...string) []string {
		t.Helper()
		ps, err := f.dir.EffectivePermissions(f.ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		return permissionNames(ps)
	}
	if got := eff(c.ID); !slices.Equal(got, []string{"a:one", "b:two", "c:three"}) {
		t.Errorf("c's effective permissions = %v", got)
	}
	if got := eff(orgRole.ID); !slices.Equal(got, []string{"a:one", "b:two", "c:three"}) {
		t.Errorf("org role extending c = %v", got)
	}
	if got := eff(a.ID, b.ID); !slices.Equal(got, []string{"a:one", "b:two"}) {
		t.Errorf("a and b together = %v (each permission once)", got)
	}
	if got := eff(); len(got) != 0 {
		t.Errorf("no roles = %v", got)
	}

	refused := []struct {
		name  string
		org   string
		role  string
		in    directory.RoleInput
		field string
	}{
		{"direct cycle", "", "a", directory.RoleInput{Extends: ptr("b")}, "extends"},
		{"long cycle", "", "a", directory.RoleInput{Extends: ptr("c")}, "extends"},
		{"itself", "", "b", directory.RoleInput{Extends: ptr("b")}, "extends"},
		{"environment role extending an org role", "", "a", directory.RoleInput{Extends: ptr("auditor")}, "extends"},
		{"another org's role", o.ID, "auditor", directory.RoleInput{Extends: ptr("outsider")}, "extends"},
		{"renaming", "", "a", directory.RoleInput{Name: "z"}, "name"},
	}
	for _, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			before := roleState(f)
			var err error
			if r.org == "" {
				_, err = f.dir.UpdateRole(f.ctx, r.role, r.in)
			} else {
				_, err = f.dir.UpdateOrgRole(f.ctx, r.org, r.role, r.in)
			}
			wantField(t, err, r.field)
			if roleState(f) != before {
				t.Error("refused update changed the database")
			}
		})
	}

	// Breaking the chain is fine, and so is pointing elsewhere.
	got, err := f.dir.UpdateRole(f.ctx, "b", directory.RoleInput{Extends: ptr(""), DisplayName: ptr("B")})
	if err != nil || got.ExtendsName != nil || got.DisplayName != "B" {
		t.Fatalf("clear extends = %+v, %v", got, err)
	}
	if got := eff(c.ID); !slices.Equal(got, []string{"b:two", "c:three"}) {
		t.Errorf("after b stops extending a, c = %v", got)
	}
	got, err = f.dir.UpdateRole(f.ctx, "a", directory.RoleInput{Extends: ptr("c"), Permissions: &[]string{}})
	if err != nil || got.ExtendsName == nil || *got.ExtendsName != "c" || len(got.Permissions) != 0 {
		t.Fatalf("a extends c = %+v, %v", got, err)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'role.updated'`); n != 2 {
		t.Errorf("role.updated events = %d, want 2", n)
	}
}

// Two requests each making one half of a cycle must not both succeed.
func TestConcurrentExtendsNeverMakeACycle(t *testing.T) {
	f := newFixture(t)
	f.role("", directory.RoleInput{Name: "x"})
	f.role("", directory.RoleInput{Name: "y"})
	for range 5 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, errs[0] = f.dir.UpdateRole(f.ctx, "x", directory.RoleInput{Extends: ptr("y")})
		}()
		go func() {
			defer wg.Done()
			_, errs[1] = f.dir.UpdateRole(f.ctx, "y", directory.RoleInput{Extends: ptr("x")})
		}()
		wg.Wait()
		if errs[0] == nil && errs[1] == nil {
			t.Fatal("both halves of a cycle were saved")
		}
		if n := f.count(`SELECT count(*) FROM roles WHERE name IN ('x', 'y') AND extends_role_id IS NOT NULL`); n != 1 {
			t.Fatalf("%d of x, y extend something, want 1 (errors %v)", n, errs)
		}
		// Reset for the next round.
		for _, n := range []string{"x", "y"} {
			if _, err := f.dir.UpdateRole(f.ctx, n, directory.RoleInput{Extends: ptr("")}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestDeleteRole(t *testing.T) {
	f := newFixture(t)
	o, other := f.org("Acme"), f.org("Other")
	f.role("", directory.RoleInput{Name: "editor"})
	f.role("", directory.RoleInput{Name: "base"})
	f.role("", directory.RoleInput{Name: "derived", Extends: ptr("base")})
	f.role(o.ID, directory.RoleInput{Name: "org_editor"})
	f.role(o.ID, directory.RoleInput{Name: "org_default"})
	f.role(other.ID, directory.RoleInput{Name: "other_role"})
	f.role("", directory.RoleInput{Name: "orgs_pick"})
	if _, err := f.dir.SetOrgDefaultMemberRole(f.ctx, o.ID, "org_default"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.dir.SetOrgDefaultMemberRole(f.ctx, other.ID, "orgs_pick"); err != nil {
		t.Fatal(err)
	}
	ann := f.member(o.ID, "ann@acme.test", "editor")
	bob := f.member(o.ID, "bob@acme.test", "editor", "member")
	f.member(o.ID, "cat@acme.test", "org_editor")

	refused := []struct {
		name     string
		org      string
		role     string
		reassign string
		code     apperr.Code
		field    string
	}{
		{"default creator role", "", "admin", "", apperr.ErrFailedPrecondition, ""},
		{"default member role", "", "member", "editor", apperr.ErrFailedPrecondition, ""},
		{"an org's default member role", "", "orgs_pick", "", apperr.ErrFailedPrecondition, ""},
		{"this org's default member role", o.ID, "org_default", "", apperr.ErrFailedPrecondition, ""},
		{"extended by another role", "", "base", "", apperr.ErrFailedPrecondition, ""},
		{"in use, no reassignment", "", "editor", "", apperr.ErrFailedPrecondition, ""},
		{"org role in use, no reassignment", o.ID, "org_editor", "", apperr.ErrFailedPrecondition, ""},
		{"reassign to unknown role", "", "editor", "ghost", apperr.ErrInvalid, "reassign_role_name"},
		{"reassign to itself", "", "editor", "editor", apperr.ErrInvalid, "reassign_role_name"},
		{"reassign env role to an org role", "", "editor", "org_editor", apperr.ErrInvalid, "reassign_role_name"},
		{"reassign to another org's role", o.ID, "org_editor", "other_role", apperr.ErrInvalid, "reassign_role_name"},
		{"unknown role", "", "ghost", "", apperr.ErrNotFound, ""},
		{"another org's role", o.ID, "other_role", "", apperr.ErrNotFound, ""},
		{"environment role through an org", o.ID, "editor", "member", apperr.ErrFailedPrecondition, ""},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			before := roleState(f)
			var err error
			if c.org == "" {
				err = f.dir.DeleteRole(f.ctx, c.role, c.reassign)
			} else {
				err = f.dir.DeleteOrgRole(f.ctx, c.org, c.role, c.reassign)
			}
			wantCode(t, err, c.code)
			if c.field != "" {
				wantField(t, err, c.field)
			}
			var ae *apperr.Error
			if errors.As(err, &ae) && ae.Message == "" {
				t.Error("refusal has no message")
			}
			if roleState(f) != before {
				t.Error("refused delete changed the database")
			}
		})
	}

	// Reassigned: ann gets member; bob, who had member already, keeps one row.
	if err := f.dir.DeleteRole(f.ctx, "editor", "member"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []model.User{ann, bob} {
		roles := f.count(`SELECT count(*) FROM membership_roles mr JOIN memberships m ON m.id = mr.membership_id
			JOIN roles r ON r.id = mr.role_id WHERE m.user_id = $1 AND r.name = 'member'`, u.ID)
		if roles != 1 {
			t.Errorf("%s holds member %d times, want 1", u.Email, roles)
		}
	}
	if _, err := f.dir.GetRole(f.ctx, "editor"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("deleted role still there: %v", err)
	}
	// An org role may be reassigned to another of the org's roles.
	if err := f.dir.DeleteOrgRole(f.ctx, o.ID, "org_editor", "org_default"); err != nil {
		t.Fatal(err)
	}
	// Unused roles go without reassignment; the extender first, then the base.
	for _, n := range []string{"derived", "base"} {
		if err := f.dir.DeleteRole(f.ctx, n, ""); err != nil {
			t.Fatalf("delete %s: %v", n, err)
		}
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'role.deleted'`); n != 4 {
		t.Errorf("role.deleted events = %d, want 4", n)
	}
}

func TestDefaultRoles(t *testing.T) {
	f := newFixture(t)
	o := f.org("Acme")
	f.role("", directory.RoleInput{Name: "owner"})
	f.role("", directory.RoleInput{Name: "guest"})
	f.role(o.ID, directory.RoleInput{Name: "org_only"})

	refused := []struct {
		name            string
		creator, member *string
		field           string
	}{
		{name: "nothing to set", field: "body"},
		{name: "clearing the creator role", creator: ptr(""), field: "default_creator_role"},
		{name: "unknown member role", member: ptr("ghost"), field: "default_member_role"},
		{name: "an org's role as the environment's default", member: ptr("org_only"), field: "default_member_role"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			before := roleState(f)
			_, err := f.dir.SetDefaultRoles(f.ctx, c.creator, c.member)
			wantField(t, err, c.field)
			if roleState(f) != before {
				t.Error("refused change wrote something")
			}
		})
	}

	d, err := f.dir.SetDefaultRoles(f.ctx, ptr("owner"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Creator.Name != "owner" || !d.Creator.DefaultCreator || d.Member.Name != "member" || !d.Member.DefaultMember {
		t.Errorf("defaults = %s/%s", d.Creator.Name, d.Member.Name)
	}
	ref, err := f.dir.DefaultCreatorRole(f.ctx, nil)
	if err != nil || ref.Name != "owner" {
		t.Errorf("default creator = %+v, %v", ref, err)
	}
	if _, err := f.dir.SetDefaultRoles(f.ctx, nil, ptr("guest")); err != nil {
		t.Fatal(err)
	}
	// The org follows the environment until it picks its own.
	ref, err = f.dir.DefaultMemberRole(f.ctx, nil, o.ID)
	if err != nil || ref.Name != "guest" {
		t.Errorf("org default member = %+v, %v; want the environment's guest", ref, err)
	}
	for _, pick := range []string{"org_only", "owner"} { // its own role, or an environment role
		r, err := f.dir.SetOrgDefaultMemberRole(f.ctx, o.ID, pick)
		if err != nil || r.Name != pick || !r.DefaultMember {
			t.Fatalf("set org default %s = %+v, %v", pick, r, err)
		}
		if ref, _ := f.dir.DefaultMemberRole(f.ctx, nil, o.ID); ref.Name != pick {
			t.Errorf("org default member = %s, want %s", ref.Name, pick)
		}
	}
	roles, err := f.dir.ListOrgRoles(f.ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if r.DefaultMember != (r.Name == "owner") {
			t.Errorf("in the org, %s default_member = %v", r.Name, r.DefaultMember)
		}
	}
	r, err := f.dir.SetOrgDefaultMemberRole(f.ctx, o.ID, "")
	if err != nil || r.Name != "guest" {
		t.Errorf("cleared org default = %+v, %v; want the environment's guest", r, err)
	}
	if _, err := f.dir.DefaultMemberRole(f.ctx, nil, "org_aaaaaaaaaaaaaaaaaaaaaaaaaa"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("unknown org: %v", err)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'role.defaults_updated'`); n != 5 {
		t.Errorf("role.defaults_updated events = %d, want 5", n)
	}
}

// An organization's roles are reachable only through that organization.
func TestOrgRolesStayInTheirOrg(t *testing.T) {
	f := newFixture(t)
	a, b := f.org("A"), f.org("B")
	f.role(a.ID, directory.RoleInput{Name: "a_only", Permissions: &[]string{"members:read"}})
	f.role(b.ID, directory.RoleInput{Name: "b_only"})
	before := roleState(f)

	notFound := map[string]func() error{
		"get": func() error { _, err := f.dir.GetOrgRole(f.ctx, b.ID, "a_only"); return err },
		"update": func() error {
			_, err := f.dir.UpdateOrgRole(f.ctx, b.ID, "a_only", directory.RoleInput{DisplayName: ptr("mine")})
			return err
		},
		"delete": func() error { return f.dir.DeleteOrgRole(f.ctx, b.ID, "a_only", "") },
		"permissions": func() error {
			_, err := f.dir.OrgRolePermissions(f.ctx, b.ID, "a_only")
			return err
		},
		"add permissions": func() error {
			_, err := f.dir.AddOrgRolePermissions(f.ctx, b.ID, "a_only", []string{"members:invite"})
			return err
		},
		"remove permission": func() error { return f.dir.RemoveOrgRolePermission(f.ctx, b.ID, "a_only", "members:read") },
		"unknown org":       func() error { _, err := f.dir.ListOrgRoles(f.ctx, "org_aaaaaaaaaaaaaaaaaaaaaaaaaa"); return err },
		"empty org":         func() error { _, err := f.dir.ListOrgRoles(f.ctx, ""); return err },
	}
	for name, call := range notFound {
		t.Run(name, func(t *testing.T) { wantCode(t, call(), apperr.ErrNotFound) })
	}
	t.Run("default", func(t *testing.T) {
		_, err := f.dir.SetOrgDefaultMemberRole(f.ctx, b.ID, "a_only")
		wantField(t, err, "default_member_role")
	})
	t.Run("assign", func(t *testing.T) {
		_, err := f.dir.ResolveRoleNames(f.ctx, nil, b.ID, []string{"member", "a_only"})
		wantField(t, err, "roles")
	})
	t.Run("extend", func(t *testing.T) {
		_, err := f.dir.CreateOrgRole(f.ctx, b.ID, directory.RoleInput{Name: "x", Extends: ptr("a_only")})
		wantField(t, err, "extends")
	})
	if roleState(f) != before {
		t.Error("cross-tenant attempts changed the database")
	}

	roles, err := f.dir.ListOrgRoles(f.ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range roles {
		names = append(names, r.Name)
		if (r.OrganizationID != nil) != (r.Name == "b_only") {
			t.Errorf("%s: org role = %v", r.Name, r.OrganizationID)
		}
	}
	if !slices.Equal(names, []string{"admin", "b_only", "member"}) {
		t.Errorf("B's roles = %v, want its own and the environment's", names)
	}
	refs, err := f.dir.ResolveRoleNames(f.ctx, nil, a.ID, []string{"a_only", "member", "a_only"})
	if err != nil || len(refs) != 2 || refs[0].Name != "a_only" || refs[1].Name != "member" {
		t.Errorf("resolve in A = %+v, %v", refs, err)
	}
	env, err := f.dir.ListRoles(f.ctx)
	if err != nil || len(env) != 2 {
		t.Errorf("environment roles = %d, %v; org roles must not show there", len(env), err)
	}
}

func TestRolePermissions(t *testing.T) {
	f := newFixture(t)
	f.role("", directory.RoleInput{Name: "support"})
	before := roleState(f)
	_, err := f.dir.AddRolePermissions(f.ctx, "support", []string{"members:read", "ghost:read"})
	wantField(t, err, "permission_names")
	_, err = f.dir.AddRolePermissions(f.ctx, "support", nil)
	wantField(t, err, "permission_names")
	if roleState(f) != before {
		t.Error("refused grant changed the database")
	}

	for range 2 { // granting twice is harmless
		got, err := f.dir.AddRolePermissions(f.ctx, "support", []string{"members:read", "members:update"})
		if err != nil || !slices.Equal(permissionNames(got), []string{"members:read", "members:update"}) {
			t.Fatalf("add = %v, %v", permissionNames(got), err)
		}
	}
	if err := f.dir.RemoveRolePermission(f.ctx, "support", "members:update"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.dir.RemoveRolePermission(f.ctx, "support", "members:update"), apperr.ErrNotFound)
	wantCode(t, f.dir.RemoveRolePermission(f.ctx, "support", "ghost:read"), apperr.ErrNotFound)
	// admin inherits members:read from member; it cannot drop it itself.
	wantCode(t, f.dir.RemoveRolePermission(f.ctx, "admin", "members:read"), apperr.ErrNotFound)
	got, err := f.dir.RolePermissions(f.ctx, "support")
	if err != nil || !slices.Equal(permissionNames(got), []string{"members:read"}) {
		t.Errorf("own permissions = %v, %v", permissionNames(got), err)
	}
}

func TestPermissions(t *testing.T) {
	f := newFixture(t)
	refused := []struct {
		name  string
		in    directory.PermissionInput
		field string
	}{
		{"no name", directory.PermissionInput{}, "name"},
		{"no colon", directory.PermissionInput{Name: "billing"}, "name"},
		{"empty resource", directory.PermissionInput{Name: ":read"}, "name"},
		{"empty action", directory.PermissionInput{Name: "billing:"}, "name"},
		{"space", directory.PermissionInput{Name: "billing: read"}, "name"},
		{"too long", directory.PermissionInput{Name: "a:" + strings.Repeat("b", 63)}, "name"},
		{"description too long", directory.PermissionInput{Name: "a:b", Description: ptr(strings.Repeat("d", 2001))}, "description"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			before := roleState(f)
			_, err := f.dir.CreatePermission(f.ctx, c.in)
			wantField(t, err, c.field)
			if roleState(f) != before {
				t.Error("refused create changed the database")
			}
		})
	}

	p := f.permission("billing:invoices:read")
	if _, err := f.dir.CreatePermission(f.ctx, directory.PermissionInput{Name: "billing:invoices:read"}); !errors.Is(err, apperr.ErrConflict) {
		t.Errorf("duplicate: %v", err)
	}
	got, err := f.dir.UpdatePermission(f.ctx, p.Name, directory.PermissionInput{Description: ptr("Read invoices")})
	if err != nil || got.Description != "Read invoices" {
		t.Errorf("update = %+v, %v", got, err)
	}
	_, err = f.dir.UpdatePermission(f.ctx, p.Name, directory.PermissionInput{Name: "billing:read"})
	wantField(t, err, "name")
	_, err = f.dir.UpdatePermission(f.ctx, "ghost:read", directory.PermissionInput{Description: ptr("x")})
	wantCode(t, err, apperr.ErrNotFound)

	f.role("", directory.RoleInput{Name: "accountant", Permissions: &[]string{p.Name}})
	if err := f.dir.DeletePermission(f.ctx, p.Name); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.dir.GetRole(f.ctx, "accountant"); len(r.Permissions) != 0 {
		t.Errorf("role still grants a deleted permission: %v", r.Permissions)
	}
	wantCode(t, f.dir.DeletePermission(f.ctx, p.Name), apperr.ErrNotFound)
	for _, action := range []string{"permission.created", "permission.updated", "permission.deleted"} {
		if n := f.count(`SELECT count(*) FROM audit_events WHERE action = $1`, action); n != 1 {
			t.Errorf("%s events = %d, want 1", action, n)
		}
	}
}

// Deleting an organization takes its roles along, even while its members
// hold them and they extend one another.
func TestDeleteOrganizationWithItsRoles(t *testing.T) {
	f := newFixture(t)
	o, other := f.org("Acme"), f.org("Other")
	f.role(o.ID, directory.RoleInput{Name: "r1"})
	f.role(o.ID, directory.RoleInput{Name: "r2", Extends: ptr("r1")})
	f.role(other.ID, directory.RoleInput{Name: "r1"})
	f.member(o.ID, "a@acme.test", "r1")
	f.member(o.ID, "b@acme.test", "r2", "member")
	if _, err := f.dir.SetOrgDefaultMemberRole(f.ctx, o.ID, "r2"); err != nil {
		t.Fatal(err)
	}
	if err := f.dir.DeleteOrganization(f.ctx, o.ID); err != nil {
		t.Fatalf("delete organization: %v", err)
	}
	if n := f.count(`SELECT count(*) FROM roles WHERE organization_id IS NOT NULL`); n != 1 {
		t.Errorf("%d org roles left, want only Other's", n)
	}
}
