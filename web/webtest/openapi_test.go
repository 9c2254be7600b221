package webtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// recordingTB stands in for a test: it keeps the failures ValidateAPIResponse
// reports instead of failing the real test.
type recordingTB struct {
	testing.TB
	failures []string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Error(args ...any) { r.failures = append(r.failures, fmt.Sprint(args...)) }
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Fatal(args ...any) { r.failures = append(r.failures, fmt.Sprint(args...)) }
func (r *recordingTB) Fail()             { r.failures = append(r.failures, "Fail") }
func (r *recordingTB) FailNow()          { r.failures = append(r.failures, "FailNow") }
func (r *recordingTB) Failed() bool      { return len(r.failures) > 0 }

const (
	orgID  = "org_abcdefghijklmnopqrstuvwxyz"
	userID = "usr_abcdefghijklmnopqrstuvwx23"
	roleID = "role_abcdefghijklmnopqrstuvwx45"
)

func organization() map[string]any {
	return map[string]any{
		"id": orgID, "display_name": "Acme", "slug": "acme",
		"metadata": map[string]any{"plan": "gold"},
		"settings": map[string]any{
			"features":          []any{map[string]any{"name": "sso", "enabled": true}},
			"max_allowed_users": 0,
		},
		"create_time": "2026-01-15T09:00:00Z", "update_time": "2026-01-15T09:00:00Z",
	}
}

func user() map[string]any {
	return map[string]any{
		"id": userID, "email": "ann@example.com", "external_id": "ext-1", "metadata": map[string]any{},
		"create_time": "2026-01-15T09:00:00Z", "update_time": "2026-01-15T09:00:00Z",
		"user_profile": map[string]any{
			"given_name": "Ann", "name": "Ann", "email_verified": false, "custom_attributes": map[string]any{"n": 1},
			"external_identities": []any{},
		},
		"memberships": []any{map[string]any{
			"organization_id": orgID, "name": "Acme", "display_name": "Acme",
			"membership_status": "PENDING_INVITE",
			"roles":             []any{map[string]any{"id": roleID, "name": "member", "display_name": "Member"}},
			"permissions":       []any{"members:read"}, "metadata": map[string]any{},
			"created_at": "2026-01-15T09:00:00Z", "expires_at": "2026-01-30T09:00:00Z",
			"resent_count": 0, "provisioning_method": "invitation",
		}},
	}
}

func apiError(status int, code string) map[string]any {
	return map[string]any{"code": status, "message": "nope", "details": []any{
		map[string]any{"error_code": code, "field_violations": []any{}},
	}}
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// validate runs ValidateAPIResponse on a fake test and returns its failures.
func validate(t *testing.T, method, target string, status int, header http.Header, body any) []string {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recordingTB{TB: t}
	ValidateAPIResponse(rec, httptest.NewRequest(method, target, nil), status, header, raw)
	return rec.failures
}

func wantPass(t *testing.T, failures []string) {
	t.Helper()
	if len(failures) > 0 {
		t.Errorf("want no failure, got:\n%s", strings.Join(failures, "\n"))
	}
}

func wantFail(t *testing.T, failures []string, mentions ...string) {
	t.Helper()
	if len(failures) == 0 {
		t.Fatalf("want a failure mentioning %q, got none", mentions)
	}
	all := strings.Join(failures, "\n")
	for _, m := range mentions {
		if !strings.Contains(all, m) {
			t.Errorf("the failure does not mention %q:\n%s", m, all)
		}
	}
}

func with(m map[string]any, key string, value any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	if value == nil {
		delete(out, key)
	} else {
		out[key] = value
	}
	return out
}

func TestValidateAPIResponseGoodAnswersPass(t *testing.T) {
	org := map[string]any{"organization": organization()}
	wantPass(t, validate(t, "GET", "/api/v1/organizations/"+orgID, 200, jsonHeader, org))
	wantPass(t, validate(t, "GET", "/api/v1/organizations/"+orgID+"?ignored=1", 200,
		http.Header{"Content-Type": {"application/json; charset=UTF-8"}}, org))
	wantPass(t, validate(t, "POST", "/api/v1/organizations", 201, jsonHeader, org))
	wantPass(t, validate(t, "GET", "/api/v1/users/"+userID, 200, jsonHeader, map[string]any{"user": user()}))
	wantPass(t, validate(t, "GET", "/api/v1/users", 200, jsonHeader, map[string]any{
		"users": []any{user()}, "next_page_token": "", "prev_page_token": "", "total_size": 1,
	}))
	// An error answer, a body-less 200 and a header the document requires.
	wantPass(t, validate(t, "GET", "/api/v1/organizations/"+orgID, 404, jsonHeader, apiError(404, "NOT_FOUND")))
	wantPass(t, validate(t, "DELETE", "/api/v1/organizations/"+orgID, 200, http.Header{}, nil))
	wantPass(t, validate(t, "GET", "/api/v1/organizations", 401,
		http.Header{"Content-Type": {"application/json"}, "Www-Authenticate": {"Bearer"}}, apiError(401, "UNAUTHENTICATED")))
}

func TestValidateAPIResponseWrongTypeFails(t *testing.T) {
	org := with(organization(), "display_name", 42)
	wantFail(t, validate(t, "GET", "/api/v1/organizations/"+orgID, 200, jsonHeader, map[string]any{"organization": org}),
		"getOrganization", "/organization/display_name")
}

func TestValidateAPIResponseMissingFieldFails(t *testing.T) {
	org := with(organization(), "create_time", nil)
	wantFail(t, validate(t, "GET", "/api/v1/organizations/"+orgID, 200, jsonHeader, map[string]any{"organization": org}),
		"create_time")
}

func TestValidateAPIResponseStrictShapes(t *testing.T) {
	get := func(org map[string]any) []string {
		return validate(t, "GET", "/api/v1/organizations/"+orgID, 200, jsonHeader, map[string]any{"organization": org})
	}
	wantFail(t, get(with(organization(), "secret", "x")), "secret")                       // no undocumented fields
	wantFail(t, get(with(organization(), "create_time", "yesterday")), "create_time")     // date-time format
	wantFail(t, get(with(organization(), "id", "acme")), "/organization/id")              // id pattern
	wantFail(t, get(with(organization(), "metadata", map[string]any{"plan": 1})), "plan") // metadata holds strings
	// An unset optional field is left out, never null.
	nullLogo := organization()
	nullLogo["logo_url"] = nil
	wantFail(t, get(nullLogo), "/organization/logo_url")
	u := user()
	u["memberships"].([]any)[0].(map[string]any)["membership_status"] = "INVITED"
	wantFail(t, validate(t, "GET", "/api/v1/users/"+userID, 200, jsonHeader, map[string]any{"user": u}), "membership_status")
	// The error's code and error_code must agree with the status.
	wantFail(t, validate(t, "GET", "/api/v1/organizations/"+orgID, 404, jsonHeader, apiError(400, "NOT_FOUND")), "/code")
	wantFail(t, validate(t, "GET", "/api/v1/organizations/"+orgID, 404, jsonHeader, apiError(404, "ALREADY_EXISTS")), "error_code")
}

func TestValidateAPIResponseUndocumentedStatusFails(t *testing.T) {
	wantFail(t, validate(t, "GET", "/api/v1/organizations/"+orgID, 418, jsonHeader, apiError(418, "INTERNAL")),
		"status 418 is not documented", "getOrganization")
	wantFail(t, validate(t, "GET", "/api/v1/organizations/"+orgID, 500, jsonHeader, apiError(500, "INTERNAL")),
		"status 500 is not documented")
	// A listing has no 404: nothing in its path can be missing.
	wantFail(t, validate(t, "GET", "/api/v1/organizations", 404, jsonHeader, apiError(404, "NOT_FOUND")),
		"status 404 is not documented")
}

func TestValidateAPIResponseUndocumentedRouteFails(t *testing.T) {
	wantFail(t, validate(t, "GET", "/api/v1/nothing-here", 404, jsonHeader, apiError(404, "NOT_FOUND")),
		"no path that matches")
	wantFail(t, validate(t, "GET", "/api/v1/organizations/", 404, jsonHeader, apiError(404, "NOT_FOUND")),
		"no path that matches")
	wantFail(t, validate(t, "PUT", "/api/v1/organizations/"+orgID, 200, jsonHeader, map[string]any{"organization": organization()}),
		"no PUT operation on /api/v1/organizations/{org}")
}

func TestValidateAPIResponseBodyAndHeaders(t *testing.T) {
	// A body where none is documented, none where one is, the wrong media
	// type, and a body that is not JSON.
	wantFail(t, validate(t, "DELETE", "/api/v1/organizations/"+orgID, 200, jsonHeader, map[string]any{}), "without a body")
	wantFail(t, validate(t, "GET", "/api/v1/organizations/"+orgID, 200, jsonHeader, nil), "empty")
	wantFail(t, validate(t, "GET", "/api/v1/organizations/"+orgID, 200, http.Header{"Content-Type": {"text/plain"}},
		map[string]any{"organization": organization()}), "Content-Type text/plain is not documented")
	wantFail(t, validate(t, "GET", "/api/v1/organizations/"+orgID, 200, jsonHeader, []byte(`{"organization":`)), "not JSON")
	// 401 must say how to authenticate.
	wantFail(t, validate(t, "GET", "/api/v1/organizations", 401, jsonHeader, apiError(401, "UNAUTHENTICATED")),
		"header WWW-Authenticate is required")
}

// TestOpenAPIRouteMatching checks a literal segment wins over a template,
// as OpenAPI says, and that escaped characters match their literal.
func TestOpenAPIRouteMatching(t *testing.T) {
	v, err := sharedOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/api/v1/users:search":                                             "/api/v1/users:search",
		"/api/v1/users%3Asearch":                                           "/api/v1/users:search",
		"/api/v1/users/" + userID:                                          "/api/v1/users/{user}",
		"/api/v1/users:external/abc":                                       "/api/v1/users:external/{external_id}",
		"/api/v1/users/" + userID + "/sessions":                            "/api/v1/users/{id}/sessions",
		"/api/v1/roles:set_defaults":                                       "/api/v1/roles:set_defaults",
		"/api/v1/roles/admin":                                              "/api/v1/roles/{name}",
		"/api/v1/organizations:external/acme":                              "/api/v1/organizations:external/{external_id}",
		"/api/v1/organizations/" + orgID + "/users:search":                 "/api/v1/organizations/{org}/users:search",
		"/api/v1/organizations/" + orgID + "/roles:set_defaults":           "/api/v1/organizations/{org}/roles:set_defaults",
		"/api/v1/permissions/members:read":                                 "/api/v1/permissions/{perm}",
		"/api/v1/permissions/members%3Aread":                               "/api/v1/permissions/{perm}",
		"/api/v1/roles/admin/permissions/members%3Aread":                   "/api/v1/roles/{name}/permissions/{perm}",
		"/oauth/token":                                                     "/oauth/token",
		"/api/v1/openapi.json":                                             "/api/v1/openapi.json",
		"/api/v1/memberships/organizations/" + orgID + "/users:external/x": "/api/v1/memberships/organizations/{org}/users:external/{external_id}",
	} {
		req := httptest.NewRequest("GET", path, nil)
		r, ok := v.route(req.URL.EscapedPath())
		if !ok {
			t.Errorf("%s matches no documented path, want %s", path, want)
			continue
		}
		if r.template != want {
			t.Errorf("%s matches %s, want %s", path, r.template, want)
		}
	}
}

func TestNewOpenAPIValidatorRefusesOtherDocuments(t *testing.T) {
	for _, doc := range []string{`not json`, `[]`, `{"openapi": "3.0.3", "paths": {}}`, `{"openapi": "3.1.0"}`} {
		if _, err := newOpenAPIValidator([]byte(doc)); err == nil {
			t.Errorf("newOpenAPIValidator(%s) succeeded, want an error", doc)
		}
	}
}
