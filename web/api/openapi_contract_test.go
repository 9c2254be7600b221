package api_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"roster/web/api"
	"roster/web/webtest"
)

// TestOpenAPIContract calls every documented operation of the running API,
// with answers good and bad, and checks each answer against openapi.json.
// Once testkit's API client checks every answer by itself this test still
// guarantees each operation is exercised at least once.
func TestOpenAPIContract(t *testing.T) {
	s := newAPIServer(t)
	c := &contractClient{t: t, c: webtest.NewAPIClient(t, s.Server), seen: map[string]bool{}}

	// The token endpoint: a token, a grant it does not offer, bad credentials.
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.c.ID}, "client_secret": {c.c.Secret}}
	c.raw("POST", "/oauth/token", "application/x-www-form-urlencoded", form.Encode(), 200)
	c.raw("POST", "/oauth/token", "application/x-www-form-urlencoded", "grant_type=password", 400)
	c.raw("POST", "/oauth/token", "application/json", `{}`, 400)
	form.Set("client_secret", "wrong")
	c.raw("POST", "/oauth/token", "application/x-www-form-urlencoded", form.Encode(), 401)

	// No token, and a body over the limit.
	c.anon("GET", "/api/v1/organizations", 401)
	c.raw("POST", "/api/v1/organizations", "application/json", `{"display_name":"`+strings.Repeat("x", 2<<20)+`"}`, 400) // over the size limit: a 400, not a 413

	// Organizations.
	org := c.do("POST", "/api/v1/organizations", map[string]any{
		"display_name": "Acme", "slug": "acme", "external_id": "crm-1", "metadata": map[string]string{"plan": "gold"},
		"logo_url": "https://acme.test/logo.png",
	}, 201).object("organization")
	orgID := org.str("id")
	c.do("POST", "/api/v1/organizations", map[string]any{"display_name": "Other", "slug": "acme"}, 409)
	c.do("POST", "/api/v1/organizations", map[string]any{"slug": "Not A Slug"}, 400)
	c.do("POST", "/api/v1/organizations", map[string]any{"display_name": "X", "colour": "red"}, 400)
	c.do("GET", "/api/v1/organizations?page_size=1", nil, 200)
	c.do("GET", "/api/v1/organizations?external_id=crm-1", nil, 200)
	c.do("GET", "/api/v1/organizations?page_size=500", nil, 400)
	c.do("GET", "/api/v1/organizations/"+orgID, nil, 200)
	c.do("GET", "/api/v1/organizations/org_nothing", nil, 404)
	c.do("GET", "/api/v1/organizations:external/crm-1", nil, 200)
	c.do("GET", "/api/v1/organizations:external/nothing", nil, 404)
	c.do("PATCH", "/api/v1/organizations/"+orgID, map[string]any{"display_name": "Acme Inc", "slug": ""}, 200)
	c.do("PATCH", "/api/v1/organizations/"+orgID, map[string]any{"logo_url": "http://insecure.test"}, 400)
	c.do("PATCH", "/api/v1/organizations/org_nothing", map[string]any{}, 404)
	c.do("PATCH", "/api/v1/organizations/"+orgID+"/settings", map[string]any{
		"features": []map[string]any{{"name": "sso", "enabled": true}}, "max_allowed_users": 10}, 200)
	c.do("PATCH", "/api/v1/organizations/"+orgID+"/settings", map[string]any{"features": []map[string]any{{"name": "teleport"}}}, 400)
	c.do("PATCH", "/api/v1/organizations/org_nothing/settings", map[string]any{}, 404)

	// Members: a direct one, an invited one.
	admin := c.do("POST", "/api/v1/organizations/"+orgID+"/users?send_invitation_email=false", map[string]any{
		"email": "ada@acme.test", "external_id": "u-1", "metadata": map[string]string{"team": "core"},
		"user_profile": map[string]any{"given_name": "Ada", "family_name": "Admin", "locale": "en-GB",
			"custom_attributes": map[string]any{"shoe": 42, "tags": []string{"a"}}},
		"membership": map[string]any{"roles": []map[string]string{{"name": "admin"}}, "metadata": map[string]string{"desk": "12"}},
	}, 201).object("user")
	adminID := admin.str("id")
	invitee := c.do("POST", "/api/v1/organizations/"+orgID+"/users", map[string]any{
		"email": "ivy@acme.test", "membership": map[string]any{"inviter_email": "ada@acme.test"}}, 201).object("user")
	inviteeID := invitee.str("id")
	c.do("POST", "/api/v1/organizations/"+orgID+"/users?send_invitation_email=false", map[string]any{"email": "ada@acme.test"}, 409)
	c.do("POST", "/api/v1/organizations/"+orgID+"/users", map[string]any{"email": "not-an-email"}, 400)
	c.do("POST", "/api/v1/organizations/org_nothing/users", map[string]any{"email": "x@acme.test"}, 404)
	// An identity, so external_identities has something to show.
	if _, err := s.DB.Exec(`INSERT INTO identities (user_id, provider_kind, connection_id, is_social, issuer, subject, email, email_verified, last_login_at)
		VALUES ($1, 'GOOGLE', NULL, true, 'https://accounts.google.test', 'g-123', 'ada@acme.test', true, now())`, adminID); err != nil {
		t.Fatalf("insert identity: %v", err)
	}

	c.do("GET", "/api/v1/organizations/"+orgID+"/users?page_size=1", nil, 200)
	c.do("GET", "/api/v1/organizations/"+orgID+"/users?membership_status=PENDING_INVITE", nil, 200)
	c.do("GET", "/api/v1/organizations/"+orgID+"/users?membership_status=LOST", nil, 400)
	c.do("GET", "/api/v1/organizations/org_nothing/users", nil, 404)
	c.do("GET", "/api/v1/organizations/"+orgID+"/users:search?query=ivy", nil, 200)
	c.do("GET", "/api/v1/organizations/"+orgID+"/users:search?query=i", nil, 400)
	c.do("GET", "/api/v1/organizations/org_nothing/users:search?query=ivy", nil, 404)
	c.do("GET", "/api/v1/organizations/"+orgID+"/users/"+adminID+"/roles", nil, 200)
	c.do("GET", "/api/v1/organizations/"+orgID+"/users/usr_nothing/roles", nil, 404)
	c.do("GET", "/api/v1/organizations/"+orgID+"/users/"+adminID+"/permissions", nil, 200)
	c.do("GET", "/api/v1/organizations/"+orgID+"/users/usr_nothing/permissions", nil, 404)
	c.do("PATCH", "/api/v1/invites/organizations/"+orgID+"/users/"+inviteeID+"/resend", nil, 200)
	c.do("PATCH", "/api/v1/invites/organizations/"+orgID+"/users/"+adminID+"/resend", nil, 400)
	c.do("PATCH", "/api/v1/invites/organizations/"+orgID+"/users/usr_nothing/resend", nil, 404)

	// Users.
	c.do("GET", "/api/v1/users?page_size=1", nil, 200)
	c.do("GET", "/api/v1/users?page_token=garbage", nil, 400)
	c.do("GET", "/api/v1/users:search?query=acme.test", nil, 200)
	c.do("GET", "/api/v1/users:search", nil, 400)
	c.do("GET", "/api/v1/users/"+adminID, nil, 200)
	c.do("GET", "/api/v1/users/usr_nothing", nil, 404)
	c.do("GET", "/api/v1/users:external/u-1", nil, 200)
	c.do("GET", "/api/v1/users:external/nothing", nil, 404)
	c.do("PATCH", "/api/v1/users/"+adminID, map[string]any{"user_profile": map[string]any{"phone_number": "+44 20 7946 0000"}}, 200)
	c.do("PATCH", "/api/v1/users/"+adminID, map[string]any{"email": "ivy@acme.test"}, 409)
	c.do("PATCH", "/api/v1/users/"+adminID, map[string]any{"email_verified": true}, 400)
	c.do("PATCH", "/api/v1/users/usr_nothing", map[string]any{}, 404)
	c.do("PATCH", "/api/v1/users:external/u-1", map[string]any{"metadata": map[string]string{"team": "platform"}}, 200)
	c.do("PATCH", "/api/v1/users:external/u-1", map[string]any{"external_id": 7}, 400)
	c.do("PATCH", "/api/v1/users:external/nothing", map[string]any{}, 404)

	// Memberships of existing users, by id and by external id.
	other := c.do("POST", "/api/v1/organizations", map[string]any{"display_name": "Other"}, 201).object("organization").str("id")
	c.do("POST", "/api/v1/memberships/organizations/"+other+"/users/"+adminID, map[string]any{
		"roles": []map[string]string{{"name": "admin"}}}, 201)
	c.do("POST", "/api/v1/memberships/organizations/"+other+"/users/"+adminID, map[string]any{}, 409)
	c.do("POST", "/api/v1/memberships/organizations/"+other+"/users/usr_nothing", map[string]any{}, 404)
	c.do("POST", "/api/v1/memberships/organizations/"+other+"/users/"+inviteeID, map[string]any{"roles": []map[string]string{{"name": "wizard"}}}, 400)
	c.do("POST", "/api/v1/memberships/organizations/"+other+"/users/"+inviteeID+"?send_invitation_email=true", map[string]any{}, 201)
	c.do("PATCH", "/api/v1/memberships/organizations/"+other+"/users/"+inviteeID, map[string]any{"metadata": map[string]string{"floor": "3"}}, 200)
	c.do("PATCH", "/api/v1/memberships/organizations/"+other+"/users/"+adminID, map[string]any{"roles": []map[string]string{}}, 400)
	c.do("PATCH", "/api/v1/memberships/organizations/"+other+"/users/usr_nothing", map[string]any{}, 404)
	c.do("DELETE", "/api/v1/memberships/organizations/"+other+"/users/"+inviteeID+"?cascade=false", nil, 200)
	c.do("DELETE", "/api/v1/memberships/organizations/"+other+"/users/"+inviteeID, nil, 404)
	c.do("DELETE", "/api/v1/memberships/organizations/"+other+"/users/"+adminID+"?cascade=maybe", nil, 400)
	c.do("POST", "/api/v1/memberships/organizations/"+other+"/users:external/u-1", map[string]any{}, 409)
	c.do("POST", "/api/v1/memberships/organizations/"+other+"/users:external/nothing", map[string]any{}, 404)
	c.do("PATCH", "/api/v1/memberships/organizations/"+other+"/users:external/u-1", map[string]any{"metadata": map[string]string{"floor": "4"}}, 200)
	c.do("PATCH", "/api/v1/memberships/organizations/"+other+"/users:external/nothing", map[string]any{}, 404)
	c.do("DELETE", "/api/v1/memberships/organizations/"+other+"/users:external/nothing", nil, 404)
	c.do("POST", "/api/v1/organizations/"+other+"/users?send_invitation_email=false", map[string]any{"email": "ext@other.test", "external_id": "u-2"}, 201)
	c.do("DELETE", "/api/v1/memberships/organizations/"+other+"/users:external/u-2?cascade=true", nil, 200)

	// Permissions.
	c.do("POST", "/api/v1/permissions", map[string]any{"name": "reports:read", "description": "Read reports"}, 201)
	c.do("POST", "/api/v1/permissions", map[string]any{"name": "reports:read"}, 409)
	c.do("POST", "/api/v1/permissions", map[string]any{"name": "no colon"}, 400)
	c.do("GET", "/api/v1/permissions", nil, 200)
	c.do("GET", "/api/v1/permissions/reports:read", nil, 200)
	c.do("GET", "/api/v1/permissions/reports%3Anothing", nil, 404)
	c.do("PUT", "/api/v1/permissions/reports:read", map[string]any{"description": "Read every report"}, 200)
	c.do("PUT", "/api/v1/permissions/reports:read", map[string]any{"name": "reports:write"}, 400)
	c.do("PUT", "/api/v1/permissions/reports:nothing", map[string]any{}, 404)
	c.do("POST", "/api/v1/permissions", map[string]any{"name": "reports:write"}, 201)

	// Environment roles.
	c.do("GET", "/api/v1/roles", nil, 200)
	c.do("POST", "/api/v1/roles", map[string]any{"name": "analyst", "display_name": "Analyst", "extends": "member",
		"permissions": []any{"reports:read", map[string]string{"name": "reports:write", "description": "ignored"}}}, 201)
	c.do("POST", "/api/v1/roles", map[string]any{"name": "analyst"}, 409)
	c.do("POST", "/api/v1/roles", map[string]any{"name": "bad-name"}, 400)
	c.do("GET", "/api/v1/roles/analyst", nil, 200)
	c.do("GET", "/api/v1/roles/analyst?include=permissions", nil, 200)
	c.do("GET", "/api/v1/roles/analyst?include=everything", nil, 400)
	c.do("GET", "/api/v1/roles/nothing", nil, 404)
	c.do("PUT", "/api/v1/roles/analyst", map[string]any{"description": "Reads reports"}, 200)
	c.do("PUT", "/api/v1/roles/analyst", map[string]any{"name": "renamed"}, 400)
	c.do("PUT", "/api/v1/roles/nothing", map[string]any{}, 404)
	c.do("GET", "/api/v1/roles/analyst/permissions", nil, 200)
	c.do("GET", "/api/v1/roles/nothing/permissions", nil, 404)
	c.do("DELETE", "/api/v1/roles/analyst/permissions/reports:write", nil, 200)
	c.do("DELETE", "/api/v1/roles/analyst/permissions/reports:write", nil, 404)
	c.do("POST", "/api/v1/roles/analyst/permissions", map[string]any{"permission_names": []string{"reports:write"}}, 200)
	c.do("POST", "/api/v1/roles/analyst/permissions", map[string]any{"permission_names": []string{}}, 400)
	c.do("POST", "/api/v1/roles/nothing/permissions", map[string]any{"permission_names": []string{"reports:write"}}, 404)
	c.do("PATCH", "/api/v1/roles:set_defaults", map[string]any{"default_member_role": "member"}, 200)
	c.do("PATCH", "/api/v1/roles:set_defaults", map[string]any{"default_member_role": "nothing"}, 400)
	c.do("PATCH", "/api/v1/memberships/organizations/"+other+"/users/"+adminID, map[string]any{
		"roles": []map[string]string{{"name": "admin"}, {"name": "analyst"}}}, 200)
	c.do("DELETE", "/api/v1/roles/analyst", nil, 400) // held by a member
	c.do("DELETE", "/api/v1/roles/analyst?reassign_role_name=member", nil, 200)
	c.do("DELETE", "/api/v1/roles/nothing", nil, 404)

	// Organization roles.
	orgRoles := "/api/v1/organizations/" + orgID + "/roles"
	c.do("GET", orgRoles, nil, 200)
	c.do("GET", "/api/v1/organizations/org_nothing/roles", nil, 404)
	c.do("POST", orgRoles, map[string]any{"name": "auditor", "permissions": []string{"reports:read"}}, 201)
	c.do("POST", orgRoles, map[string]any{"name": "auditor"}, 409)
	c.do("POST", orgRoles, map[string]any{"name": "auditor2", "extends": "nothing"}, 400)
	c.do("POST", "/api/v1/organizations/org_nothing/roles", map[string]any{"name": "auditor"}, 404)
	c.do("GET", orgRoles+"/auditor?include=permissions", nil, 200)
	c.do("GET", orgRoles+"/member", nil, 200)
	c.do("GET", orgRoles+"/nothing", nil, 404)
	c.do("PUT", orgRoles+"/auditor", map[string]any{"display_name": "Auditor", "permissions": []string{"reports:write"}}, 200)
	c.do("PUT", orgRoles+"/member", map[string]any{"display_name": "Everyone"}, 400)
	c.do("PUT", orgRoles+"/nothing", map[string]any{}, 404)
	c.do("GET", orgRoles+"/auditor/permissions", nil, 200)
	c.do("GET", orgRoles+"/nothing/permissions", nil, 404)
	c.do("POST", orgRoles+"/auditor/permissions", map[string]any{"permission_names": []string{"reports:read"}}, 200)
	c.do("POST", orgRoles+"/auditor/permissions", map[string]any{"permission_names": []string{"reports:nothing"}}, 400)
	c.do("POST", orgRoles+"/nothing/permissions", map[string]any{"permission_names": []string{"reports:read"}}, 404)
	c.do("DELETE", orgRoles+"/auditor/permissions/reports%3Aread", nil, 200)
	c.do("DELETE", orgRoles+"/auditor/permissions/reports:read", nil, 404)
	c.do("PATCH", orgRoles+":set_defaults", map[string]any{"default_member_role": "auditor"}, 200)
	c.do("PATCH", orgRoles+":set_defaults", map[string]any{"default_member_role": "nothing"}, 400)
	c.do("PATCH", "/api/v1/organizations/org_nothing/roles:set_defaults", map[string]any{"default_member_role": ""}, 404)
	c.do("DELETE", orgRoles+"/auditor", nil, 400) // the org's default member role
	c.do("PATCH", orgRoles+":set_defaults", map[string]any{"default_member_role": nil}, 200)
	c.do("DELETE", orgRoles+"/auditor", nil, 200)
	c.do("DELETE", orgRoles+"/nothing", nil, 404)
	c.do("DELETE", "/api/v1/permissions/reports:write", nil, 200)
	c.do("DELETE", "/api/v1/permissions/reports:write", nil, 404)

	// Domains.
	domains := "/api/v1/organizations/" + orgID + "/domains"
	dom := c.do("POST", domains, map[string]string{"domain": "acme.test", "domain_type": "ORGANIZATION_DOMAIN"}, 201).object("domain")
	c.do("POST", domains, map[string]string{"domain": "acme-mail.test", "domain_type": "ALLOWED_EMAIL_DOMAIN"}, 201)
	c.do("POST", domains, map[string]string{"domain": "acme.test", "domain_type": "ALLOWED_EMAIL_DOMAIN"}, 409)
	c.do("POST", domains, map[string]string{"domain": "gmail.com", "domain_type": "ALLOWED_EMAIL_DOMAIN"}, 400)
	c.do("POST", "/api/v1/organizations/org_nothing/domains", map[string]string{"domain": "x.test", "domain_type": "ALLOWED_EMAIL_DOMAIN"}, 404)
	c.do("GET", domains+"?page_size=1", nil, 200)
	c.do("GET", domains+"?page_size=0x", nil, 400)
	c.do("GET", "/api/v1/organizations/org_nothing/domains", nil, 404)
	c.do("GET", domains+"/"+dom.str("id"), nil, 200)
	c.do("GET", domains+"/dom_nothing", nil, 404)
	c.do("DELETE", domains+"/"+dom.str("id"), nil, 200)
	c.do("DELETE", domains+"/"+dom.str("id"), nil, 404)

	// Sessions.
	sess := s.session(t, adminID, orgID, other)
	c.do("GET", "/api/v1/sessions/"+sess.ID, nil, 200)
	c.do("GET", "/api/v1/sessions/ses_nothing", nil, 404)
	c.do("GET", "/api/v1/users/"+adminID+"/sessions?page_size=1", nil, 200)
	c.do("GET", "/api/v1/users/"+adminID+"/sessions?page_size=-1", nil, 400)
	c.do("GET", "/api/v1/users/usr_nothing/sessions", nil, 404)
	c.do("POST", "/api/v1/sessions/"+sess.ID+"/revoke", nil, 200)
	c.do("POST", "/api/v1/sessions/ses_nothing/revoke", nil, 404)
	s.session(t, adminID, "")
	c.do("POST", "/api/v1/users/"+adminID+"/sessions/revoke", nil, 200)
	c.do("POST", "/api/v1/users/usr_nothing/sessions/revoke", nil, 404)

	// Deletions.
	c.do("DELETE", "/api/v1/users/"+inviteeID, nil, 200)
	c.do("DELETE", "/api/v1/users/"+inviteeID, nil, 404)
	c.do("DELETE", "/api/v1/users:external/nothing", nil, 404)
	c.do("POST", "/api/v1/organizations/"+orgID+"/users?send_invitation_email=false", map[string]any{"email": "bo@acme.test"}, 201)
	c.do("DELETE", "/api/v1/users:external/u-1", nil, 400) // the last active admin of orgs with other members
	c.do("DELETE", "/api/v1/organizations/"+orgID, nil, 200)
	c.do("DELETE", "/api/v1/organizations/"+orgID, nil, 404)
	c.do("DELETE", "/api/v1/users:external/u-1", nil, 200)

	// The document itself, without a token. (Its handler alone: where the
	// server mounts it is web/routes.go's business.)
	e := echo.New()
	api.RegisterOpenAPI(e)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", api.OpenAPIPath, nil)
	e.ServeHTTP(rec, req)
	c.check("GET", api.OpenAPIPath, &webtest.APIResponse{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes()}, 200)

	// Import: a dry run, a real one with a bad row reported, and a bad shape.
	csv := "user_external_id,email,org_external_id,org_display_name,roles\n" +
		"u-9,nine@import.test,o-9,Imported,admin\n" +
		"u-10,not-an-email,o-9,Imported,member\n"
	c.raw("POST", "/api/v1/import?shape=one-to-one&dry_run=true", "text/csv", csv, 200)
	c.raw("POST", "/api/v1/import?shape=one-to-one", "text/csv", csv, 200)
	c.raw("POST", "/api/v1/import?shape=sideways", "text/csv", csv, 400)

	c.checkCoverage()
}

// contractClient calls the API and checks each answer against the document
// and against the status the test expects.
type contractClient struct {
	t    *testing.T
	c    *webtest.APIClient
	seen map[string]bool // "METHOD path" of every call
}

type contractObject map[string]any

func (o contractObject) object(key string) contractObject {
	m, _ := o[key].(map[string]any)
	return m
}

func (o contractObject) str(key string) string { s, _ := o[key].(string); return s }

func (c *contractClient) do(method, path string, body any, status int) contractObject {
	c.t.Helper()
	return c.check(method, path, c.c.Do(method, path, body), status)
}

func (c *contractClient) raw(method, path, contentType, body string, status int) contractObject {
	c.t.Helper()
	return c.check(method, path, c.c.DoRaw(method, path, contentType, []byte(body)), status)
}

func (c *contractClient) anon(method, path string, status int) contractObject {
	c.t.Helper()
	return c.check(method, path, c.c.WithToken("").Do(method, path, nil), status)
}

func (c *contractClient) check(method, path string, res *webtest.APIResponse, status int) contractObject {
	c.t.Helper()
	req := httptest.NewRequest(method, path, nil)
	c.seen[method+" "+req.URL.EscapedPath()] = true
	webtest.ValidateAPIResponse(c.t, req, res.Status, res.Header, res.Raw)
	// An unset optional field is left out, not null; the fixtures hold no
	// null of their own (not even in custom_attributes, which is the
	// customer's JSON, kept as sent).
	var body any
	if json.Unmarshal(res.Raw, &body) == nil {
		if at := nullsIn(body, ""); len(at) > 0 {
			c.t.Errorf("%s %s: null at %s; want the field left out", method, path, strings.Join(at, ", "))
		}
	}
	if res.Status != status {
		c.t.Errorf("%s %s: status %d, want %d; body %.500s", method, path, res.Status, status, res.Raw)
	}
	return res.JSON
}

// checkCoverage fails for each documented operation no call reached.
func (c *contractClient) checkCoverage() {
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		c.t.Fatal(err)
	}
	param := regexp.MustCompile(`\\\{[^}]+\\\}`)
	var missed []string
	for path, item := range doc.Paths {
		re := regexp.MustCompile("^" + param.ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`) + "$")
		for method := range item {
			m := strings.ToUpper(method)
			hit := false
			for call := range c.seen {
				cm, cp, _ := strings.Cut(call, " ")
				if cm == m && (re.MatchString(cp) || re.MatchString(unescapePath(cp))) {
					hit = true
					break
				}
			}
			if !hit {
				missed = append(missed, m+" "+path)
			}
		}
	}
	sort.Strings(missed)
	for _, m := range missed {
		c.t.Errorf("the contract test never calls %s", m)
	}
}

func unescapePath(p string) string {
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}
