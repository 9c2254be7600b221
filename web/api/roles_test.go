package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"roster/web/webtest"
)

// These tests drive the roles and permissions endpoints over real HTTP with
// a real API token, against a real database.

// roleNamesIn lists the names of the roles in a {"roles": […]} answer.
func roleNamesIn(r *webtest.APIResponse) []string {
	var out []string
	for _, v := range list(r.JSON["roles"]) {
		out = append(out, str(obj(v)["name"]))
	}
	return out
}

// permissionNamesIn lists the names in a list of {name, description}.
func permissionNamesIn(v any) []string {
	out := []string{}
	for _, p := range list(v) {
		out = append(out, str(obj(p)["name"]))
	}
	return out
}

// rolesFingerprint sums up everything a role or permission request may
// write, to show a refused one wrote nothing.
func rolesFingerprint(t *testing.T, s *apiServer) string {
	t.Helper()
	var out string
	err := s.DB.Get(&out, `SELECT concat_ws(' | ',
		(SELECT string_agg(concat_ws(',', id, name, display_name, description, extends_role_id, updated_at), ';' ORDER BY id) FROM roles),
		(SELECT string_agg(role_id || permission_id, ';' ORDER BY role_id, permission_id) FROM role_permissions),
		(SELECT string_agg(concat_ws(',', name, description, updated_at), ';' ORDER BY name) FROM permissions),
		(SELECT string_agg(membership_id || role_id, ';' ORDER BY membership_id, role_id) FROM membership_roles),
		(SELECT concat_ws(',', default_creator_role_id, default_member_role_id) FROM environment_settings),
		(SELECT string_agg(id || coalesce(default_member_role_id, ''), ';' ORDER BY id) FROM organizations),
		(SELECT count(*) FROM audit_events))`)
	if err != nil {
		t.Fatalf("fingerprint: %v", err)
	}
	return out
}

// holdRole makes userID an active member of orgID holding the environment
// role called role, straight in the database.
func holdRole(t *testing.T, s *apiServer, orgID, userID, role string) {
	t.Helper()
	var mem string
	err := s.DB.Get(&mem, `INSERT INTO memberships (user_id, organization_id, status, provisioning_method, joined_at)
		VALUES ($1, $2, 'ACTIVE', 'direct_provision', now()) RETURNING id`, userID, orgID)
	if err == nil {
		_, err = s.DB.Exec(`INSERT INTO membership_roles (membership_id, role_id)
			SELECT $1, id FROM roles WHERE organization_id IS NULL AND name = $2`, mem, role)
	}
	if err != nil {
		t.Fatalf("membership: %v", err)
	}
}

func TestEnvironmentRolesAPI(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)

	r := c.Do("GET", "/roles", nil)
	wantStatus(t, r, http.StatusOK)
	if got := roleNamesIn(r); !slices.Equal(got, []string{"admin", "member"}) {
		t.Fatalf("built-in roles = %v", got)
	}
	admin := obj(list(r.JSON["roles"])[0])
	if admin["default_creator"] != true || admin["default_member"] != false || admin["is_org_role"] != false ||
		str(admin["extends"]) != "member" || !strings.HasPrefix(str(admin["id"]), "role_") {
		t.Errorf("admin = %v", admin)
	}
	if p := obj(list(admin["permissions"])[0]); str(p["name"]) == "" || str(p["description"]) == "" {
		t.Errorf("permissions carry name and description: %v", p)
	}

	r = c.Do("POST", "/roles", map[string]any{
		"name": "support", "display_name": "Support", "description": "Answers tickets",
		"extends": "member", "permissions": []string{"members:invite"},
	})
	wantStatus(t, r, http.StatusCreated)
	role := obj(r.JSON["role"])
	for _, key := range []string{"id", "name", "display_name", "description", "extends", "permissions",
		"default_creator", "default_member", "is_org_role"} {
		if _, ok := role[key]; !ok {
			t.Errorf("role has no %q: %s", key, r.Raw)
		}
	}
	if str(role["name"]) != "support" || str(role["extends"]) != "member" ||
		!slices.Equal(permissionNamesIn(role["permissions"]), []string{"members:invite"}) {
		t.Errorf("created %s", r.Raw)
	}
	if _, ok := role["effective_permissions"]; ok {
		t.Error("effective_permissions without ?include=permissions")
	}

	r = c.Do("GET", "/roles/support?include=permissions", nil)
	wantStatus(t, r, http.StatusOK)
	eff := permissionNamesIn(obj(r.JSON["role"])["effective_permissions"])
	if !slices.Equal(eff, []string{"members:invite", "members:read", "organization:read"}) {
		t.Errorf("effective permissions = %v, want own plus member's", eff)
	}

	// permissions may be sent as the API shows them, and replace the role's own.
	r = c.Do("PUT", "/roles/support", map[string]any{
		"description": "Helps customers",
		"permissions": []any{map[string]any{"name": "members:update", "description": "ignored"}, "members:invite"},
	})
	wantStatus(t, r, http.StatusOK)
	role = obj(r.JSON["role"])
	if str(role["description"]) != "Helps customers" || str(role["display_name"]) != "Support" ||
		!slices.Equal(permissionNamesIn(role["permissions"]), []string{"members:invite", "members:update"}) {
		t.Errorf("updated %s", r.Raw)
	}

	r = c.Do("POST", "/roles/support/permissions", map[string]any{"permission_names": []string{"members:remove"}})
	wantStatus(t, r, http.StatusOK)
	if got := permissionNamesIn(r.JSON["permissions"]); len(got) != 3 {
		t.Errorf("after adding = %v", got)
	}
	wantStatus(t, c.Do("DELETE", "/roles/support/permissions/members:remove", nil), http.StatusOK)
	wantStatus(t, c.Do("DELETE", "/roles/support/permissions/members:remove", nil), http.StatusNotFound)
	// A client escaping the colon names the same permission.
	wantStatus(t, c.Do("DELETE", "/roles/support/permissions/members%3Aupdate", nil), http.StatusOK)
	r = c.Do("GET", "/roles/support/permissions", nil)
	wantStatus(t, r, http.StatusOK)
	if got := permissionNamesIn(r.JSON["permissions"]); !slices.Equal(got, []string{"members:invite"}) {
		t.Errorf("own permissions = %v", got)
	}

	// The path with a literal colon reaches its own handler, not /roles/{name}.
	r = c.Do("PATCH", "/roles:set_defaults", map[string]any{"default_member_role": "support"})
	wantStatus(t, r, http.StatusOK)
	if str(obj(r.JSON["default_member_role"])["name"]) != "support" ||
		str(obj(r.JSON["default_creator_role"])["name"]) != "admin" {
		t.Fatalf("set defaults %s", r.Raw)
	}
	r = c.Do("GET", "/roles/support", nil)
	if obj(r.JSON["role"])["default_member"] != true {
		t.Errorf("support is not flagged default member: %s", r.Raw)
	}
	r = c.Do("DELETE", "/roles/support", nil)
	wantStatus(t, r, http.StatusBadRequest)
	if errorCode(r) != "FAILED_PRECONDITION" {
		t.Errorf("deleting a default role: %s", r.Raw)
	}
	wantStatus(t, c.Do("PATCH", "/roles:set_defaults", map[string]any{"default_member_role": "member"}), http.StatusOK)

	// A role in use goes only with a role for its members to hold instead.
	org, user := s.org(t, "Acme"), s.user(t, "ann@acme.test")
	holdRole(t, s, org, user, "support")
	r = c.Do("DELETE", "/roles/support", nil)
	wantStatus(t, r, http.StatusBadRequest)
	if errorCode(r) != "FAILED_PRECONDITION" || !strings.Contains(str(r.JSON["message"]), "reassign_role_name") {
		t.Errorf("deleting a role in use: %s", r.Raw)
	}
	wantViolation(t, c.Do("DELETE", "/roles/support?reassign_role_name=ghost", nil), "reassign_role_name")
	wantStatus(t, c.Do("DELETE", "/roles/support?reassign_role_name=member", nil), http.StatusOK)
	var held string
	if err := s.DB.Get(&held, `SELECT r.name FROM membership_roles mr JOIN roles r ON r.id = mr.role_id
		JOIN memberships m ON m.id = mr.membership_id WHERE m.user_id = $1`, user); err != nil || held != "member" {
		t.Errorf("member holds %q (%v), want member", held, err)
	}
	r = c.Do("GET", "/roles/support", nil)
	wantStatus(t, r, http.StatusNotFound)
	if errorCode(r) != "NOT_FOUND" {
		t.Errorf("deleted role: %s", r.Raw)
	}
	// admin extends member, so member cannot go whatever happens.
	wantStatus(t, c.Do("DELETE", "/roles/member?reassign_role_name=admin", nil), http.StatusBadRequest)
}

func TestRolesAPIBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	org := s.org(t, "Acme")
	cases := []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"bad name", "POST", "/roles", map[string]any{"name": "bad name"}, "name"},
		{"unknown field", "POST", "/roles", map[string]any{"name": "ok", "colour": "red"}, "colour"},
		{"permissions not names", "POST", "/roles", map[string]any{"name": "ok", "permissions": []any{1}}, "permissions"},
		{"permissions not a list", "POST", "/roles", map[string]any{"name": "ok", "permissions": "members:read"}, "permissions"},
		{"unknown permission", "POST", "/roles", map[string]any{"name": "ok", "permissions": []string{"ghost:read"}}, "permissions"},
		{"unknown extends", "POST", "/roles", map[string]any{"name": "ok", "extends": "ghost"}, "extends"},
		{"long display name", "POST", "/roles", map[string]any{"name": "ok", "display_name": strings.Repeat("x", 101)}, "display_name"},
		{"cycle", "PUT", "/roles/member", map[string]any{"extends": "admin"}, "extends"},
		{"rename", "PUT", "/roles/member", map[string]any{"name": "members"}, "name"},
		{"no defaults", "PATCH", "/roles:set_defaults", map[string]any{}, "body"},
		{"unknown default", "PATCH", "/roles:set_defaults", map[string]any{"default_creator_role": "ghost", "default_member_role": "member"}, "default_creator_role"},
		{"grant unknown permission", "POST", "/roles/member/permissions", map[string]any{"permission_names": []string{"members:read", "ghost:x"}}, "permission_names"},
		{"grant nothing", "POST", "/roles/member/permissions", map[string]any{"permission_names": []string{}}, "permission_names"},
		{"bad include", "GET", "/roles/member?include=everything", nil, "include"},
		{"org role bad name", "POST", "/organizations/" + org + "/roles", map[string]any{"name": ""}, "name"},
		{"org default unknown", "PATCH", "/organizations/" + org + "/roles:set_defaults", map[string]any{"default_member_role": "ghost"}, "default_member_role"},
		{"permission without colon", "POST", "/permissions", map[string]any{"name": "reports"}, "name"},
		{"permission too long", "POST", "/permissions", map[string]any{"name": "a:" + strings.Repeat("b", 63)}, "name"},
		{"permission rename", "PUT", "/permissions/members:read", map[string]any{"name": "members:list"}, "name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := rolesFingerprint(t, s)
			wantViolation(t, c.Do(tc.method, tc.path, tc.body), tc.field)
			if rolesFingerprint(t, s) != before {
				t.Error("refused request changed the database")
			}
		})
	}
	r := c.DoRaw("POST", "/roles", "application/json", []byte(`{"name": "ok"`))
	wantViolation(t, r, "body")

	before := rolesFingerprint(t, s)
	r = c.Do("POST", "/roles", map[string]any{"name": "member"})
	wantStatus(t, r, http.StatusConflict)
	if errorCode(r) != "ALREADY_EXISTS" || !slices.Contains(violatedFields(r), "name") {
		t.Errorf("duplicate role: %s", r.Raw)
	}
	r = c.Do("POST", "/permissions", map[string]any{"name": "members:read"})
	wantStatus(t, r, http.StatusConflict)
	if rolesFingerprint(t, s) != before {
		t.Error("conflicts changed the database")
	}
}

// An organization's roles are reachable only through its own path.
func TestOrganizationRolesAPI(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	a, b := s.org(t, "A"), s.org(t, "B")
	aRoles, bRoles := "/organizations/"+a+"/roles", "/organizations/"+b+"/roles"

	r := c.Do("POST", aRoles, map[string]any{"name": "a_viewer", "display_name": "Viewer", "extends": "member"})
	wantStatus(t, r, http.StatusCreated)
	if role := obj(r.JSON["role"]); role["is_org_role"] != true || str(role["extends"]) != "member" {
		t.Errorf("created %s", r.Raw)
	}
	wantStatus(t, c.Do("POST", bRoles, map[string]any{"name": "b_viewer"}), http.StatusCreated)

	before := rolesFingerprint(t, s)
	for _, req := range []struct{ method, path string }{
		{"GET", bRoles + "/a_viewer"},
		{"PUT", bRoles + "/a_viewer"},
		{"DELETE", bRoles + "/a_viewer"},
		{"GET", bRoles + "/a_viewer/permissions"},
		{"POST", bRoles + "/a_viewer/permissions"},
		{"DELETE", bRoles + "/a_viewer/permissions/members:read"},
		{"GET", "/roles/a_viewer"},
		{"GET", "/organizations/org_aaaaaaaaaaaaaaaaaaaaaaaaaa/roles"},
		{"POST", "/organizations/org_aaaaaaaaaaaaaaaaaaaaaaaaaa/roles"},
	} {
		var body any
		switch req.method {
		case "PUT":
			body = map[string]any{"display_name": "Taken over"}
		case "POST":
			if strings.HasSuffix(req.path, "/permissions") {
				body = map[string]any{"permission_names": []string{"members:invite"}}
			} else {
				body = map[string]any{"name": "intruder"}
			}
		}
		r := c.Do(req.method, req.path, body)
		if r.Status != http.StatusNotFound || errorCode(r) != "NOT_FOUND" {
			t.Errorf("%s %s = %d %s, want 404", req.method, req.path, r.Status, r.Raw)
		}
	}
	wantViolation(t, c.Do("PATCH", "/organizations/"+b+"/roles:set_defaults", map[string]any{"default_member_role": "a_viewer"}), "default_member_role")
	wantViolation(t, c.Do("POST", bRoles, map[string]any{"name": "b_sub", "extends": "a_viewer"}), "extends")
	if rolesFingerprint(t, s) != before {
		t.Fatal("requests across organizations changed the database")
	}

	r = c.Do("GET", bRoles, nil)
	wantStatus(t, r, http.StatusOK)
	if got := roleNamesIn(r); !slices.Equal(got, []string{"admin", "b_viewer", "member"}) {
		t.Errorf("B's roles = %v, want its own and the environment's", got)
	}
	if got := roleNamesIn(c.Do("GET", "/roles", nil)); slices.Contains(got, "a_viewer") {
		t.Errorf("environment roles show an org's role: %v", got)
	}

	// Names stay unambiguous in an org: no org role named like an environment role.
	r = c.Do("POST", aRoles, map[string]any{"name": "admin"})
	wantStatus(t, r, http.StatusConflict)
	if !slices.Contains(violatedFields(r), "name") {
		t.Errorf("clash with an environment role: %s", r.Raw)
	}
	// Environment roles are seen through an org but changed only as the environment's.
	wantStatus(t, c.Do("GET", aRoles+"/member", nil), http.StatusOK)
	r = c.Do("PUT", aRoles+"/member", map[string]any{"display_name": "Mine"})
	if r.Status != http.StatusBadRequest || errorCode(r) != "FAILED_PRECONDITION" {
		t.Errorf("changing an environment role through an org: %s", r.Raw)
	}

	r = c.Do("PATCH", "/organizations/"+a+"/roles:set_defaults", map[string]any{"default_member_role": "a_viewer"})
	wantStatus(t, r, http.StatusOK)
	if role := obj(r.JSON["default_member_role"]); str(role["name"]) != "a_viewer" || role["default_member"] != true {
		t.Errorf("org default %s", r.Raw)
	}
	r = c.Do("GET", aRoles, nil)
	for _, v := range list(r.JSON["roles"]) {
		role := obj(v)
		if role["default_member"] != (str(role["name"]) == "a_viewer") {
			t.Errorf("in A, %s default_member = %v", role["name"], role["default_member"])
		}
	}
	// B still follows the environment.
	r = c.Do("GET", bRoles+"/member", nil)
	if obj(r.JSON["role"])["default_member"] != true {
		t.Errorf("B's default member: %s", r.Raw)
	}
	r = c.Do("DELETE", aRoles+"/a_viewer", nil)
	if r.Status != http.StatusBadRequest || errorCode(r) != "FAILED_PRECONDITION" {
		t.Errorf("deleting the org's default role: %s", r.Raw)
	}
	r = c.Do("PATCH", "/organizations/"+a+"/roles:set_defaults", map[string]any{"default_member_role": nil})
	wantStatus(t, r, http.StatusOK)
	if str(obj(r.JSON["default_member_role"])["name"]) != "member" {
		t.Errorf("cleared org default: %s", r.Raw)
	}
	wantStatus(t, c.Do("DELETE", aRoles+"/a_viewer", nil), http.StatusOK)
	wantStatus(t, c.Do("GET", aRoles+"/a_viewer", nil), http.StatusNotFound)
	wantStatus(t, c.Do("GET", bRoles+"/b_viewer", nil), http.StatusOK)
}

func TestPermissionsAPI(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)

	r := c.Do("POST", "/permissions", map[string]any{"name": "reports:read", "description": "See reports"})
	wantStatus(t, r, http.StatusCreated)
	p := obj(r.JSON["permission"])
	if str(p["name"]) != "reports:read" || str(p["description"]) != "See reports" || !strings.HasPrefix(str(p["id"]), "perm_") {
		t.Errorf("created %s", r.Raw)
	}
	r = c.Do("GET", "/permissions", nil)
	wantStatus(t, r, http.StatusOK)
	if got := permissionNamesIn(r.JSON["permissions"]); len(got) != 11 || !slices.Contains(got, "reports:read") {
		t.Errorf("permissions = %v", got)
	}
	r = c.Do("PUT", "/permissions/reports:read", map[string]any{"description": "Read every report"})
	wantStatus(t, r, http.StatusOK)
	if str(obj(r.JSON["permission"])["description"]) != "Read every report" {
		t.Errorf("updated %s", r.Raw)
	}
	wantStatus(t, c.Do("POST", "/roles/member/permissions", map[string]any{"permission_names": []string{"reports:read"}}), http.StatusOK)
	wantStatus(t, c.Do("DELETE", "/permissions/reports:read", nil), http.StatusOK)
	wantStatus(t, c.Do("GET", "/permissions/reports:read", nil), http.StatusNotFound)
	r = c.Do("GET", "/roles/member", nil)
	if got := permissionNamesIn(obj(r.JSON["role"])["permissions"]); slices.Contains(got, "reports:read") {
		t.Errorf("member still grants a deleted permission: %v", got)
	}
	var events int
	_ = s.DB.Get(&events, `SELECT count(*) FROM audit_events WHERE action LIKE 'permission.%' AND actor_type = 'api_client'`)
	if events != 3 {
		t.Errorf("%d permission audit events by the API client, want 3", events)
	}
}
