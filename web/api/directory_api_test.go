package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"roster/web/webtest"
)

// These tests drive the organizations, users and members endpoints over real
// HTTP with a real API token, against a real database.

func str(v any) string { s, _ := v.(string); return s }

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func list(v any) []any { l, _ := v.([]any); return l }

// wantViolation checks a 400 names field among its field_violations.
func wantViolation(t *testing.T, r *webtest.APIResponse, field string) {
	t.Helper()
	wantStatus(t, r, http.StatusBadRequest)
	for _, d := range list(r.JSON["details"]) {
		if str(obj(d)["error_code"]) != "INVALID_ARGUMENT" {
			continue
		}
		for _, v := range list(obj(d)["field_violations"]) {
			if str(obj(v)["field"]) == field {
				return
			}
		}
	}
	t.Fatalf("no field violation for %q in %s", field, r.Raw)
}

func TestOrganizationsAPI(t *testing.T) {
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)

	r := c.Do("POST", "/api/v1/organizations", map[string]any{
		"display_name": "Acme", "slug": "acme", "external_id": "crm-1", "metadata": map[string]string{"plan": "gold"},
	})
	wantStatus(t, r, http.StatusCreated)
	org := obj(r.JSON["organization"])
	id := str(org["id"])
	if !strings.HasPrefix(id, "org_") || str(org["slug"]) != "acme" || obj(org["metadata"])["plan"] != "gold" {
		t.Fatalf("created org = %v", org)
	}

	wantStatus(t, c.Do("GET", "/api/v1/organizations/"+id, nil), http.StatusOK)
	r = c.Do("GET", "/api/v1/organizations:external/crm-1", nil)
	wantStatus(t, r, http.StatusOK)
	if str(obj(r.JSON["organization"])["id"]) != id {
		t.Errorf("by external id gave %v", r.JSON)
	}

	r = c.Do("PATCH", "/api/v1/organizations/"+id, map[string]any{"display_name": "Acme Inc"})
	wantStatus(t, r, http.StatusOK)
	if got := obj(r.JSON["organization"]); str(got["display_name"]) != "Acme Inc" || str(got["slug"]) != "acme" {
		t.Errorf("patch changed more than asked: %v", got)
	}

	r = c.Do("PATCH", "/api/v1/organizations/"+id+"/settings", map[string]any{
		"features": []map[string]any{{"name": "sso", "enabled": true}}, "max_allowed_users": 10,
	})
	wantStatus(t, r, http.StatusOK)
	settings := obj(obj(r.JSON["organization"])["settings"])
	if settings["max_allowed_users"] != float64(10) {
		t.Errorf("settings = %v", settings)
	}

	// Lists page with opaque tokens.
	for i := 0; i < 4; i++ {
		wantStatus(t, c.Do("POST", "/api/v1/organizations", map[string]any{"display_name": fmt.Sprintf("Org %d", i)}), http.StatusCreated)
	}
	r = c.Do("GET", "/api/v1/organizations?page_size=2", nil)
	wantStatus(t, r, http.StatusOK)
	if len(list(r.JSON["organizations"])) != 2 || str(r.JSON["next_page_token"]) == "" || r.JSON["total_size"] != float64(5) {
		t.Fatalf("first page = %s", r.Raw)
	}
	r = c.Do("GET", "/api/v1/organizations?page_size=2&page_token="+str(r.JSON["next_page_token"]), nil)
	wantStatus(t, r, http.StatusOK)
	if len(list(r.JSON["organizations"])) != 2 || str(r.JSON["prev_page_token"]) == "" {
		t.Fatalf("second page = %s", r.Raw)
	}

	// Bad input: 400 with field violations, nothing written.
	wantViolation(t, c.Do("POST", "/api/v1/organizations", map[string]any{"display_name": ""}), "display_name")
	wantViolation(t, c.Do("POST", "/api/v1/organizations", map[string]any{"display_name": "X", "slug": "Bad Slug"}), "slug")
	wantViolation(t, c.Do("POST", "/api/v1/organizations", map[string]any{"display_name": "X", "colour": "red"}), "colour")
	wantViolation(t, c.Do("POST", "/api/v1/organizations", map[string]any{"display_name": 42}), "display_name")
	wantViolation(t, c.DoRaw("POST", "/api/v1/organizations", "application/json", []byte(`{"display_name": "X"`)), "body")
	wantViolation(t, c.DoRaw("POST", "/api/v1/organizations", "application/json", []byte(`{"display_name": "X"} {}`)), "body")
	wantViolation(t, c.DoRaw("POST", "/api/v1/organizations", "application/json", []byte(`{"display_name": "`+strings.Repeat("x", 2<<20)+`"}`)), "body")
	wantViolation(t, c.Do("GET", "/api/v1/organizations?page_size=1000", nil), "page_size")
	wantViolation(t, c.Do("GET", "/api/v1/organizations?page_token=garbage", nil), "page_token")
	r = c.Do("POST", "/api/v1/organizations", map[string]any{"display_name": "Dup", "slug": "acme"})
	wantStatus(t, r, http.StatusConflict)
	if got := s.count(t, `SELECT count(*) FROM organizations`); got != 5 {
		t.Errorf("organizations = %d after bad input, want 5", got)
	}

	wantStatus(t, c.Do("GET", "/api/v1/organizations/org_doesnotexist", nil), http.StatusNotFound)
	wantStatus(t, c.Do("DELETE", "/api/v1/organizations/"+id, nil), http.StatusOK)
	wantStatus(t, c.Do("GET", "/api/v1/organizations/"+id, nil), http.StatusNotFound)
}

func TestMembersAndUsersAPI(t *testing.T) {
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	org := str(obj(c.Do("POST", "/api/v1/organizations", map[string]any{"display_name": "Acme"}).JSON["organization"])["id"])

	// A direct member, then an invited one.
	r := c.Do("POST", "/api/v1/organizations/"+org+"/users?send_invitation_email=false", map[string]any{
		"email": "Admin@Acme.test", "external_id": "u-1",
		"user_profile": map[string]any{"given_name": "Ada", "family_name": "Admin"},
		"membership":   map[string]any{"roles": []map[string]string{{"name": "admin"}}},
	})
	wantStatus(t, r, http.StatusCreated)
	admin := obj(r.JSON["user"])
	adminID := str(admin["id"])
	ms := list(admin["memberships"])
	if len(ms) != 1 || str(obj(ms[0])["membership_status"]) != "ACTIVE" || str(obj(list(obj(ms[0])["roles"])[0])["name"]) != "admin" {
		t.Fatalf("admin memberships = %v", ms)
	}
	if str(obj(admin["user_profile"])["name"]) != "Ada Admin" {
		t.Errorf("profile = %v", admin["user_profile"])
	}

	r = c.Do("POST", "/api/v1/organizations/"+org+"/users", map[string]any{"email": "invitee@acme.test",
		"membership": map[string]any{"inviter_email": "Admin@Acme.test"}})
	wantStatus(t, r, http.StatusCreated)
	invitee := obj(r.JSON["user"])
	m := obj(list(invitee["memberships"])[0])
	if str(m["membership_status"]) != "PENDING_INVITE" || m["expires_at"] == nil || str(m["inviter_email"]) != "Admin@Acme.test" {
		t.Fatalf("invited membership = %v", m)
	}
	if got := s.count(t, `SELECT count(*) FROM email_outbox WHERE to_address = 'invitee@acme.test'`); got != 1 {
		t.Errorf("invitation mails = %d, want 1", got)
	}
	r = c.Do("PATCH", "/api/v1/invites/organizations/"+org+"/users/"+str(invitee["id"])+"/resend", nil)
	wantStatus(t, r, http.StatusOK)
	if got := obj(list(obj(r.JSON["user"])["memberships"])[0])["resent_count"]; got != float64(1) {
		t.Errorf("resent_count = %v", got)
	}
	// Resending to an active member is a 400.
	wantStatus(t, c.Do("PATCH", "/api/v1/invites/organizations/"+org+"/users/"+adminID+"/resend", nil), http.StatusBadRequest)

	// Members list and search.
	r = c.Do("GET", "/api/v1/organizations/"+org+"/users", nil)
	wantStatus(t, r, http.StatusOK)
	if len(list(r.JSON["users"])) != 2 || r.JSON["total_size"] != float64(2) {
		t.Errorf("members = %s", r.Raw)
	}
	r = c.Do("GET", "/api/v1/organizations/"+org+"/users:search?query=invitee", nil)
	wantStatus(t, r, http.StatusOK)
	if users := list(r.JSON["users"]); len(users) != 1 || str(obj(users[0])["email"]) != "invitee@acme.test" {
		t.Errorf("search = %s", r.Raw)
	}
	wantViolation(t, c.Do("GET", "/api/v1/organizations/"+org+"/users:search?query=a", nil), "query")

	// Users, by id and external id.
	wantStatus(t, c.Do("GET", "/api/v1/users/"+adminID, nil), http.StatusOK)
	r = c.Do("GET", "/api/v1/users:external/u-1", nil)
	wantStatus(t, r, http.StatusOK)
	if str(obj(r.JSON["user"])["id"]) != adminID {
		t.Errorf("by external id = %s", r.Raw)
	}
	r = c.Do("PATCH", "/api/v1/users:external/u-1", map[string]any{"metadata": map[string]string{"team": "core"}})
	wantStatus(t, r, http.StatusOK)
	r = c.Do("GET", "/api/v1/users?page_size=1", nil)
	wantStatus(t, r, http.StatusOK)
	if len(list(r.JSON["users"])) != 1 || str(r.JSON["next_page_token"]) == "" {
		t.Errorf("users page = %s", r.Raw)
	}
	r = c.Do("GET", "/api/v1/users:search?query=acme.test", nil)
	wantStatus(t, r, http.StatusOK)
	if len(list(r.JSON["users"])) != 2 {
		t.Errorf("user search = %s", r.Raw)
	}
	wantViolation(t, c.Do("PATCH", "/api/v1/users/"+adminID, map[string]any{"email": "nope"}), "email")
	wantViolation(t, c.Do("PATCH", "/api/v1/users/"+adminID, map[string]any{"user_profile": map[string]any{"shoe_size": 9}}), "shoe_size")

	// Roles and permissions of a member.
	r = c.Do("GET", "/api/v1/organizations/"+org+"/users/"+adminID+"/permissions", nil)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.Raw), "members:remove") || !strings.Contains(string(r.Raw), "members:read") {
		t.Errorf("admin permissions = %s", r.Raw)
	}
	wantStatus(t, c.Do("GET", "/api/v1/organizations/"+org+"/users/"+adminID+"/roles", nil), http.StatusOK)

	// Membership changes, and the last-admin rule.
	r = c.Do("POST", "/api/v1/memberships/organizations/"+org+"/users/"+str(invitee["id"]), map[string]any{})
	wantStatus(t, r, http.StatusConflict)
	r = c.Do("PATCH", "/api/v1/memberships/organizations/"+org+"/users/"+adminID, map[string]any{"roles": []map[string]string{{"name": "member"}}})
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(str(r.JSON["message"]), "last active admin") {
		t.Errorf("last-admin refusal says %q", r.JSON["message"])
	}
	wantViolation(t, c.Do("PATCH", "/api/v1/memberships/organizations/"+org+"/users/"+adminID, map[string]any{"roles": []map[string]string{{"name": "wizard"}}}), "roles")
	wantStatus(t, c.Do("DELETE", "/api/v1/memberships/organizations/"+org+"/users/"+str(invitee["id"])+"?cascade=false", nil), http.StatusOK)
	// Nor removed, even alone in the org: the answer names a stable reason.
	for _, path := range []string{"/users/" + adminID, "/users:external/u-1"} {
		r = c.Do("DELETE", "/api/v1/memberships/organizations/"+org+path+"?cascade=true", nil)
		wantStatus(t, r, http.StatusBadRequest)
		if d := list(r.JSON["details"]); len(d) != 1 || str(obj(d[0])["error_code"]) != "FAILED_PRECONDITION" ||
			str(obj(d[0])["reason"]) != "LAST_ADMIN" || !strings.Contains(str(r.JSON["message"]), "or delete the organization") {
			t.Errorf("removing the last admin by %s: %s", path, r.Raw)
		}
	}
	wantStatus(t, c.Do("GET", "/api/v1/users/"+str(invitee["id"]), nil), http.StatusOK) // kept: cascade=false
	wantStatus(t, c.Do("DELETE", "/api/v1/users:external/u-1", nil), http.StatusOK)
	wantStatus(t, c.Do("GET", "/api/v1/users/"+adminID, nil), http.StatusNotFound)
}

// TestOrgScopedPathsRefuseOtherOrgsObjects tries every org-scoped path with
// a user of another organization: each answers 404, never the object.
func TestOrgScopedPathsRefuseOtherOrgsObjects(t *testing.T) {
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	orgA := str(obj(c.Do("POST", "/api/v1/organizations", map[string]any{"display_name": "A"}).JSON["organization"])["id"])
	orgB := str(obj(c.Do("POST", "/api/v1/organizations", map[string]any{"display_name": "B"}).JSON["organization"])["id"])
	userB := str(obj(c.Do("POST", "/api/v1/organizations/"+orgB+"/users?send_invitation_email=false",
		map[string]any{"email": "b@b.test", "external_id": "ext-b", "membership": map[string]any{"roles": []map[string]string{{"name": "admin"}}}}).JSON["user"])["id"])

	for _, p := range []struct{ method, path string }{
		{"GET", "/api/v1/organizations/" + orgA + "/users/" + userB + "/roles"},
		{"GET", "/api/v1/organizations/" + orgA + "/users/" + userB + "/permissions"},
		{"PATCH", "/api/v1/memberships/organizations/" + orgA + "/users/" + userB},
		{"DELETE", "/api/v1/memberships/organizations/" + orgA + "/users/" + userB},
		{"PATCH", "/api/v1/memberships/organizations/" + orgA + "/users:external/ext-b"},
		{"DELETE", "/api/v1/memberships/organizations/" + orgA + "/users:external/ext-b"},
		{"PATCH", "/api/v1/invites/organizations/" + orgA + "/users/" + userB + "/resend"},
	} {
		var body any
		if p.method == "PATCH" {
			body = map[string]any{"metadata": map[string]string{"key": "value"}}
		}
		r := c.Do(p.method, p.path, body)
		if r.Status != http.StatusNotFound {
			t.Errorf("%s %s = %d, want 404; body %s", p.method, p.path, r.Status, r.Raw)
		}
		if strings.Contains(string(r.Raw), "b@b.test") {
			t.Errorf("%s %s leaked the other org's user: %s", p.method, p.path, r.Raw)
		}
	}
	// B's membership is untouched.
	if got := s.count(t, `SELECT count(*) FROM memberships WHERE organization_id = $1 AND metadata = '{}'`, orgB); got != 1 {
		t.Errorf("org B's membership changed")
	}
	r := c.Do("GET", "/api/v1/organizations/"+orgA+"/users", nil)
	if strings.Contains(string(r.Raw), "b@b.test") {
		t.Errorf("org A's member list shows org B's user")
	}
}

func (s *apiServer) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
