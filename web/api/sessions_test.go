package api_test

import (
	"net/http"
	"testing"
	"time"

	"roster/internal/testkit"
	"roster/web/webtest"
)

func TestSessionReadAndRevoke(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	acme, globex := s.org(t, "Acme"), s.org(t, "Globex")
	ann := s.user(t, "ann@acme.com")
	sess := s.session(t, ann, acme, globex)

	res := c.Do("GET", "/sessions/"+sess.ID, nil)
	wantStatus(t, res, http.StatusOK)
	got := res.JSON["session"].(map[string]any)
	orgs := got["authenticated_organizations"].([]any)
	dev := got["device"].(map[string]any)
	if got["id"] != sess.ID || got["user_id"] != ann || got["organization_id"] != acme || got["status"] != "ACTIVE" ||
		len(orgs) != 2 || orgs[0] != acme && orgs[1] != acme ||
		got["created_at"] != "2026-01-15T09:00:00Z" || got["last_active_at"] != "2026-01-15T09:00:00Z" ||
		got["idle_expires_at"] != "2026-01-22T09:00:00Z" || got["absolute_expires_at"] != "2026-02-14T09:00:00Z" ||
		dev["ip"] != "203.0.113.7" || dev["browser"] != "Safari" || dev["os"] != "macOS" || dev["user_agent"] == "" {
		t.Errorf("session %s", res.Raw)
	}

	// Past its idle expiry an untouched session reads as EXPIRED.
	s.Clock.Advance(7 * 24 * time.Hour)
	res = c.WithToken(c.FetchToken(c.ID, c.Secret)).Do("GET", "/sessions/"+sess.ID, nil)
	if res.JSON["session"].(map[string]any)["status"] != "EXPIRED" {
		t.Errorf("after idle expiry %s", res.Raw)
	}
	s.Clock.Set(testkit.Epoch)

	live := s.session(t, ann, acme)
	res = c.Do("POST", "/sessions/"+live.ID+"/revoke", nil)
	wantStatus(t, res, http.StatusOK)
	if res.JSON["session"].(map[string]any)["status"] != "REVOKED" {
		t.Errorf("revoke %s", res.Raw)
	}
	// Again: nothing changes, no error.
	res = c.Do("POST", "/sessions/"+live.ID+"/revoke", nil)
	wantStatus(t, res, http.StatusOK)
	var events int
	_ = s.DB.Get(&events, `SELECT count(*) FROM audit_events WHERE action = 'session.revoked' AND target_id = $1`, live.ID)
	if events != 1 {
		t.Errorf("%d session.revoked events, want 1", events)
	}
	// The other session was not touched.
	if res := c.Do("GET", "/sessions/"+sess.ID, nil); res.JSON["session"].(map[string]any)["status"] != "ACTIVE" {
		t.Errorf("other session %s", res.Raw)
	}

	for _, id := range []string{"ses_aaaaaaaaaaaaaaaaaaaaaaaaaa", "nonsense", "ses_%00"} {
		wantStatus(t, c.Do("GET", "/sessions/"+id, nil), http.StatusNotFound)
		wantStatus(t, c.Do("POST", "/sessions/"+id+"/revoke", nil), http.StatusNotFound)
	}
}

func TestUserSessionsListAndRevokeAll(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	acme := s.org(t, "Acme")
	ann, bob := s.user(t, "ann@acme.com"), s.user(t, "bob@acme.com")
	for range 3 {
		s.session(t, ann, acme)
		s.Clock.Advance(time.Minute)
	}
	bobs := s.session(t, bob, acme)

	res := c.Do("GET", "/users/"+ann+"/sessions?page_size=2", nil)
	wantStatus(t, res, http.StatusOK)
	page := res.JSON["sessions"].([]any)
	next, _ := res.JSON["next_page_token"].(string)
	if len(page) != 2 || next == "" || res.JSON["total_size"] != float64(3) {
		t.Fatalf("page 1 %s", res.Raw)
	}
	res = c.Do("GET", "/users/"+ann+"/sessions?page_size=2&page_token="+next, nil)
	if page := res.JSON["sessions"].([]any); len(page) != 1 || page[0].(map[string]any)["user_id"] != ann {
		t.Errorf("page 2 %s", res.Raw)
	}

	res = c.Do("POST", "/users/"+ann+"/sessions/revoke", nil)
	wantStatus(t, res, http.StatusOK)
	if res.JSON["total_revoked"] != float64(3) {
		t.Errorf("revoke all %s", res.Raw)
	}
	res = c.Do("GET", "/users/"+ann+"/sessions", nil)
	for _, x := range res.JSON["sessions"].([]any) {
		if x.(map[string]any)["status"] != "REVOKED" {
			t.Errorf("after revoke all %s", res.Raw)
		}
	}
	// Bob's session is his own business.
	if res := c.Do("GET", "/sessions/"+bobs.ID, nil); res.JSON["session"].(map[string]any)["status"] != "ACTIVE" {
		t.Errorf("bob's session %s", res.Raw)
	}
	res = c.Do("POST", "/users/"+ann+"/sessions/revoke", nil)
	if res.JSON["total_revoked"] != float64(0) {
		t.Errorf("second revoke all %s", res.Raw)
	}

	missing := "usr_aaaaaaaaaaaaaaaaaaaaaaaaaa"
	wantStatus(t, c.Do("GET", "/users/"+missing+"/sessions", nil), http.StatusNotFound)
	wantStatus(t, c.Do("POST", "/users/"+missing+"/sessions/revoke", nil), http.StatusNotFound)
	wantStatus(t, c.Do("GET", "/users/"+ann+"/sessions?page_size=101", nil), http.StatusBadRequest)
}
