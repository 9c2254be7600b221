package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"roster/internal/importer"
	"roster/web/webtest"
)

// postImport sends an import with the client's token; the answer is
// checked against openapi.json like every other.
func postImport(t *testing.T, srv *webtest.Server, c *webtest.APIClient, query, contentType, body string) (int, []byte) {
	t.Helper()
	if c.Token == "" {
		// A request without a token goes around the client on purpose.
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/import"+query, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, raw
	}
	res := c.DoRaw(http.MethodPost, "/api/v1/import"+query, contentType, []byte(body))
	return res.Status, res.Raw
}

// importReport sends an import and decodes the 200 answer strictly.
func importReport(t *testing.T, srv *webtest.Server, c *webtest.APIClient, query, contentType, body string) importer.Report {
	t.Helper()
	status, raw := postImport(t, srv, c, query, contentType, body)
	if status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", status, raw)
	}
	var rep importer.Report
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("report %s: %v", raw, err)
	}
	return rep
}

func TestImportAPI(t *testing.T) {
	srv := newAPIServer(t)
	client := webtest.NewAPIClient(t, srv.Server)

	people := "user_external_id,email,given_name,org_external_id,org_display_name,roles,membership_status\n" +
		"u1,ann@acme.test,Ann,acme,Acme,admin,\n" +
		"u2,bob@acme.test,Bob,acme,Acme,member,PENDING_INVITE\n" +
		"u3,cy@acme.test,Cy,acme,Acme,owner,\n"

	// A dry run reports and writes nothing.
	rep := importReport(t, srv.Server, client, "?shape=one-to-one&dry_run=true", "text/csv; charset=utf-8", people)
	if !rep.DryRun || rep.Committed || rep.Users != (importer.Counts{Created: 2}) || rep.Memberships != (importer.Counts{Created: 2}) {
		t.Errorf("dry run report: %+v", rep)
	}
	if n := srv.count(t, `SELECT count(*) FROM users`); n != 0 {
		t.Fatalf("dry run created %d users", n)
	}

	rep = importReport(t, srv.Server, client, "?shape=one-to-one", "text/csv", people)
	if !rep.Committed || rep.Users != (importer.Counts{Created: 2}) || rep.Organizations != (importer.Counts{Created: 1}) {
		t.Errorf("report: %+v", rep)
	}
	if len(rep.Errors) != 1 || rep.Errors[0] != (importer.RowError{Line: 4, Message: `unknown role "owner"`}) {
		t.Errorf("errors: %+v", rep.Errors)
	}
	var actor string
	if err := srv.DB.Get(&actor, `SELECT actor_id FROM audit_events WHERE action = 'import.completed' AND actor_type = 'api_client'`); err != nil || actor != client.ID {
		t.Errorf("import.completed actor %q (%v), want the API client %s", actor, err, client.ID)
	}

	// One-to-many as JSON Lines, re-using the users above.
	records := `{"type":"organization","external_id":"globex","display_name":"Globex"}
{"type":"membership","user_external_id":"u1","org_external_id":"globex","roles":["admin"]}
`
	rep = importReport(t, srv.Server, client, "?shape=one-to-many&dry_run=false", "application/x-ndjson", records)
	if rep.Organizations != (importer.Counts{Created: 1}) || rep.Memberships != (importer.Counts{Created: 1}) || len(rep.Errors) != 0 {
		t.Errorf("one-to-many report: %+v", rep)
	}
	if n := srv.count(t, `SELECT count(*) FROM memberships`); n != 3 {
		t.Errorf("%d memberships, want 3", n)
	}

	// Requests the import cannot take.
	for _, tc := range []struct{ query, contentType, body, field string }{
		{"", "text/csv", people, "shape"},
		{"?shape=one-to-one&dry_run=maybe", "text/csv", people, "dry_run"},
		{"?shape=one-to-many", "text/csv", people, "Content-Type"},
		{"?shape=one-to-one", "application/json", "{}", "Content-Type"},
		{"?shape=one-to-one", "text/csv; charset=latin1", people, "Content-Type"},
		{"?shape=one-to-one", "text/csv", "user_external_id,email\n", "file"},
	} {
		status, raw := postImport(t, srv.Server, client, tc.query, tc.contentType, tc.body)
		if status != http.StatusBadRequest || !strings.Contains(string(raw), `"field":"`+tc.field+`"`) {
			t.Errorf("%s %s: %d %s, want 400 naming %s", tc.query, tc.contentType, status, raw, tc.field)
		}
	}
	if status, _ := postImport(t, srv.Server, client.WithToken(""), "?shape=one-to-one", "text/csv", people); status != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", status)
	}
}
