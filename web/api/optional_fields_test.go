package api_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"roster/web/api"
	"roster/web/webtest"
)

// An optional field that is not set is left out of an answer, never sent as
// null, as the reference API does; arrays and maps are always there. These
// tests hold the handlers and openapi.json to that.

// nullsIn lists where a decoded JSON value holds null, as JSON pointers.
func nullsIn(v any, at string) []string {
	switch v := v.(type) {
	case nil:
		return []string{at}
	case map[string]any:
		var out []string
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out = append(out, nullsIn(v[k], at+"/"+k)...)
		}
		return out
	case []any:
		var out []string
		for i, e := range v {
			out = append(out, nullsIn(e, fmt.Sprintf("%s/%d", at, i))...)
		}
		return out
	}
	return nil
}

// wantNoNulls fails when the answer's body holds null anywhere.
func wantNoNulls(t *testing.T, what string, res *webtest.APIResponse) {
	t.Helper()
	if len(res.Raw) == 0 {
		return
	}
	var body any
	if err := json.Unmarshal(res.Raw, &body); err != nil {
		t.Errorf("%s: body is not JSON: %v", what, err)
		return
	}
	if at := nullsIn(body, ""); len(at) > 0 {
		t.Errorf("%s: null at %s; want the field left out: %s", what, strings.Join(at, ", "), res.Raw)
	}
}

// wantLeftOut fails when o has any of keys, and when it lacks any of present.
func wantLeftOut(t *testing.T, what string, o map[string]any, keys []string, present ...string) {
	t.Helper()
	if o == nil {
		t.Errorf("%s: no object", what)
		return
	}
	for _, k := range keys {
		if v, ok := o[k]; ok {
			t.Errorf("%s: %q is %v, want it left out", what, k, v)
		}
	}
	for _, k := range present {
		if _, ok := o[k]; !ok {
			t.Errorf("%s: %q is missing, want it always there", what, k)
		}
	}
}

// TestAnswersLeaveUnsetFieldsOut reads objects whose optional fields are
// all unset through every read of the API and finds no null in any answer.
func TestAnswersLeaveUnsetFieldsOut(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	get := func(path string) *webtest.APIResponse {
		t.Helper()
		res := c.Do("GET", path, nil)
		wantStatus(t, res, http.StatusOK)
		wantNoNulls(t, "GET "+path, res)
		return res
	}
	send := func(method, path string, body any, status int) *webtest.APIResponse {
		t.Helper()
		res := c.Do(method, path, body)
		wantStatus(t, res, status)
		wantNoNulls(t, method+" "+path, res)
		return res
	}

	// An organization with a name only; null in a request still means
	// "keep the value", and the answer still leaves the field out.
	org := obj(send("POST", "/organizations", map[string]any{"display_name": "Bare"}, http.StatusCreated).JSON["organization"])
	orgID := str(org["id"])
	orgUnset := []string{"slug", "external_id", "logo_url"}
	wantLeftOut(t, "created organization", org, orgUnset, "metadata", "settings")
	org = obj(send("PATCH", "/organizations/"+orgID, map[string]any{"slug": nil, "logo_url": nil}, http.StatusOK).JSON["organization"])
	wantLeftOut(t, "patched organization", org, orgUnset)
	wantLeftOut(t, "organization", obj(get("/organizations/" + orgID).JSON["organization"]), orgUnset)
	for _, o := range list(get("/organizations").JSON["organizations"]) {
		wantLeftOut(t, "listed organization", obj(o), orgUnset)
	}

	// An invited user with an email only, and a direct member whose one
	// identity has no connection and has never signed in.
	userUnset := []string{"external_id", "last_login_time"}
	profileUnset := []string{"given_name", "family_name", "name", "locale", "picture", "phone_number"}
	invitee := obj(send("POST", "/organizations/"+orgID+"/users", map[string]any{"email": "ivy@bare.test"}, http.StatusCreated).JSON["user"])
	inviteeID := str(invitee["id"])
	member := obj(send("POST", "/organizations/"+orgID+"/users?send_invitation_email=false",
		map[string]any{"email": "max@bare.test"}, http.StatusCreated).JSON["user"])
	memberID := str(member["id"])
	if _, err := s.DB.Exec(`INSERT INTO identities (user_id, provider_kind, connection_id, is_social, issuer, subject, email, email_verified)
		VALUES ($1, 'GOOGLE', NULL, true, 'https://accounts.google.test', 'g-1', 'max@bare.test', true)`, memberID); err != nil {
		t.Fatalf("insert identity: %v", err)
	}

	checkUser := func(what string, u map[string]any) {
		t.Helper()
		wantLeftOut(t, what, u, userUnset, "metadata", "user_profile", "memberships")
		profile := obj(u["user_profile"])
		wantLeftOut(t, what+" profile", profile, profileUnset, "custom_attributes", "external_identities")
		for _, id := range list(profile["external_identities"]) {
			wantLeftOut(t, what+" identity", obj(id), []string{"connection_id", "last_login_time"})
		}
		for _, m := range list(u["memberships"]) {
			m := obj(m)
			unset := []string{"inviter_email", "accepted_at", "primary_identity_provider"}
			if str(m["membership_status"]) == "PENDING_INVITE" {
				unset = append(unset, "join_time")
			} else {
				unset = append(unset, "expires_at")
			}
			wantLeftOut(t, what+" membership", m, unset, "roles", "permissions", "metadata")
		}
	}
	checkUser("invited user", invitee)
	checkUser("user", obj(get("/users/" + inviteeID).JSON["user"]))
	member = obj(get("/users/" + memberID).JSON["user"])
	checkUser("member", member)
	if ids := list(obj(member["user_profile"])["external_identities"]); len(ids) != 1 {
		t.Errorf("member's identities = %v, want the one inserted", ids)
	}
	for _, path := range []string{"/users", "/users:search?query=bare.test",
		"/organizations/" + orgID + "/users", "/organizations/" + orgID + "/users:search?query=bare"} {
		users := list(get(path).JSON["users"])
		if len(users) != 2 {
			t.Errorf("GET %s: %d users, want 2", path, len(users))
		}
		for _, u := range users {
			checkUser("listed user", obj(u))
		}
	}
	get("/organizations/" + orgID + "/users/" + memberID + "/roles")
	get("/organizations/" + orgID + "/users/" + memberID + "/permissions")
	send("PATCH", "/invites/organizations/"+orgID+"/users/"+inviteeID+"/resend", nil, http.StatusOK)

	// A role that extends nothing, environment-wide and the org's own.
	role := obj(send("POST", "/roles", map[string]any{"name": "plain"}, http.StatusCreated).JSON["role"])
	wantLeftOut(t, "role", role, []string{"extends", "effective_permissions"}, "permissions")
	wantLeftOut(t, "role", obj(get("/roles/plain?include=permissions").JSON["role"]), []string{"extends"})
	send("POST", "/organizations/"+orgID+"/roles", map[string]any{"name": "org_plain"}, http.StatusCreated)
	wantLeftOut(t, "org role", obj(get("/organizations/" + orgID + "/roles/org_plain").JSON["role"]), []string{"extends"})
	get("/roles")
	get("/organizations/" + orgID + "/roles")
	get("/roles/plain/permissions")
	get("/permissions")

	// A domain that asks no DNS proof.
	dom := obj(send("POST", "/organizations/"+orgID+"/domains",
		map[string]string{"domain": "bare-mail.test", "domain_type": "ALLOWED_EMAIL_DOMAIN"}, http.StatusCreated).JSON["domain"])
	domUnset := []string{"txt_record_key", "txt_record_secret"}
	wantLeftOut(t, "domain", dom, domUnset)
	wantLeftOut(t, "domain", obj(get("/organizations/" + orgID + "/domains/" + str(dom["id"])).JSON["domain"]), domUnset)
	for _, d := range list(get("/organizations/" + orgID + "/domains").JSON["domains"]) {
		wantLeftOut(t, "listed domain", obj(d), domUnset)
	}

	// A session before the user picks an organization.
	sess := s.session(t, memberID, "")
	wantLeftOut(t, "session", obj(get("/sessions/" + sess.ID).JSON["session"]), []string{"organization_id"},
		"authenticated_organizations", "device")
	for _, se := range list(get("/users/" + memberID + "/sessions").JSON["sessions"]) {
		wantLeftOut(t, "listed session", obj(se), []string{"organization_id"}, "authenticated_organizations")
	}
	wantLeftOut(t, "revoked session", obj(send("POST", "/sessions/"+sess.ID+"/revoke", nil, http.StatusOK).JSON["session"]),
		[]string{"organization_id"})
}

// TestOpenAPIResponsesAreNeverNull walks every schema an answer of the
// document can use, following $refs, and finds none that lets a value be
// null: an optional field is one left out of "required", not one typed
// ["string", "null"]. Request bodies may still accept null.
func TestOpenAPIResponsesAreNeverNull(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range nullableInAnswers(doc) {
		t.Error(p)
	}

	// The walk finds what it looks for: put null back on one answer field.
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	slug := schemas["Organization"].(map[string]any)["properties"].(map[string]any)["slug"].(map[string]any)
	slug["type"] = []any{"string", "null"}
	got := nullableInAnswers(doc)
	if len(got) != 1 || !strings.Contains(got[0], "/components/schemas/Organization/properties/slug") {
		t.Errorf("with a nullable slug the walk reports %q, want the slug", got)
	}
}

// nullableInAnswers reports each schema reachable from an operation's
// responses that admits null.
func nullableInAnswers(doc map[string]any) []string {
	w := nullWalk{doc: doc, seen: map[string]bool{}}
	paths, _ := doc["paths"].(map[string]any)
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[path].(map[string]any)
		for _, method := range slices.Sorted(maps.Keys(item)) {
			if op, ok := item[method].(map[string]any); ok {
				if responses, ok := op["responses"]; ok {
					w.walk(responses, "#/paths/"+escapeJSONPointer(path)+"/"+method+"/responses")
				}
			}
		}
	}
	return w.found
}

type nullWalk struct {
	doc   map[string]any
	seen  map[string]bool // $refs followed
	found []string
}

func (w *nullWalk) walk(v any, at string) {
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok && !w.seen[ref] {
			w.seen[ref] = true
			w.walk(w.resolve(ref), ref)
		}
		switch t := v["type"].(type) {
		case string:
			if t == "null" {
				w.found = append(w.found, at+`: type "null"`)
			}
		case []any:
			if slices.Contains(t, any("null")) {
				w.found = append(w.found, at+`: type includes "null"`)
			}
		}
		if n, _ := v["nullable"].(bool); n {
			w.found = append(w.found, at+": nullable")
		}
		if c, ok := v["const"]; ok && c == nil {
			w.found = append(w.found, at+": const null")
		}
		if e, ok := v["enum"].([]any); ok && slices.Contains(e, nil) {
			w.found = append(w.found, at+": enum includes null")
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			w.walk(v[k], at+"/"+escapeJSONPointer(k))
		}
	case []any:
		for i, e := range v {
			w.walk(e, fmt.Sprintf("%s/%d", at, i))
		}
	}
}

// resolve follows a local $ref ("#/components/schemas/User").
func (w *nullWalk) resolve(ref string) any {
	var cur any = w.doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, _ := cur.(map[string]any)
		cur = m[tok]
	}
	return cur
}

func escapeJSONPointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
