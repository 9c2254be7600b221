package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"roster/web/webtest"
)

// TestUserEmailChangeAPI: an API client moving a user to another address
// cannot mark it verified in the same call, and the change ends what the
// old address could do and tells it.
func TestUserEmailChangeAPI(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	acme := s.org(t, "Acme")
	ann := s.user(t, "ann@acme.test")
	if _, err := s.DB.Exec(`UPDATE users SET email_verified = true, external_id = 'crm-1' WHERE id = $1`, ann); err != nil {
		t.Fatal(err)
	}
	sess := s.session(t, ann, acme)
	unchanged := func(what string) {
		t.Helper()
		if n := s.count(t, `SELECT count(*) FROM users WHERE id = $1 AND email = 'ann@acme.test' AND email_verified`, ann); n != 1 {
			t.Errorf("%s changed the user", what)
		}
		if n := s.count(t, `SELECT count(*) FROM sessions WHERE id = $1 AND status = 'ACTIVE'`, sess.ID); n != 1 {
			t.Errorf("%s ended the session", what)
		}
		if n := s.count(t, `SELECT count(*) FROM email_outbox`); n != 0 {
			t.Errorf("%s queued %d mails", what, n)
		}
	}

	// Moving the account and vouching for the new address in one call is
	// refused by name, wherever email_verified is sent, and changes nothing.
	for _, tt := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"email": "mallory@evil.test", "email_verified": true}, "email_verified"},
		{map[string]any{"email": "mallory@evil.test", "user_profile": map[string]any{"email_verified": true}}, "user_profile.email_verified"},
		{map[string]any{"email_verified": false}, "email_verified"},
	} {
		res := c.Do("PATCH", "/users/"+ann, tt.body)
		wantStatus(t, res, http.StatusBadRequest)
		if errorCode(res) != "INVALID_ARGUMENT" || !slices.Contains(violatedFields(res), tt.field) ||
			!strings.Contains(string(res.Raw), "is read-only") {
			t.Errorf("%v: %s", tt.body, res.Raw)
		}
		unchanged(tt.field)
	}

	// The same address in other letter case: only the spelling changes.
	res := c.Do("PATCH", "/users:external/crm-1", map[string]any{"email": "Ann@Acme.test"})
	wantStatus(t, res, http.StatusOK)
	if u := obj(res.JSON["user"]); str(u["email"]) != "Ann@Acme.test" || obj(u["user_profile"])["email_verified"] != true {
		t.Errorf("case change: %s", res.Raw)
	}
	if n := s.count(t, `SELECT count(*) FROM sessions WHERE id = $1 AND status = 'ACTIVE'`, sess.ID); n != 1 {
		t.Error("a case change ended the session")
	}

	// Another address: the session ends, the old address is told, the new
	// one is unverified, and the audit log names both and the client.
	res = c.Do("PATCH", "/users/"+ann, map[string]any{"email": "ann@newco.test"})
	wantStatus(t, res, http.StatusOK)
	if u := obj(res.JSON["user"]); str(u["email"]) != "ann@newco.test" || obj(u["user_profile"])["email_verified"] != false {
		t.Errorf("after the change: %s", res.Raw)
	}
	if n := s.count(t, `SELECT count(*) FROM sessions WHERE id = $1 AND status = 'REVOKED'`, sess.ID); n != 1 {
		t.Error("the session outlived the email change")
	}
	mails := webtest.OutboxTo(t, s.Server, "Ann@Acme.test")
	if len(mails) != 1 || mails[0].Kind != "email_changed" || !strings.Contains(mails[0].Text, "a***@newco.test") {
		t.Errorf("mails to the old address: %+v", mails)
	}
	if n := len(webtest.OutboxTo(t, s.Server, "ann@newco.test")); n != 0 {
		t.Errorf("%d mails to the new address", n)
	}
	if n := s.count(t, `SELECT count(*) FROM audit_events WHERE action = 'user.email_changed' AND user_id = $1
		AND changes->'email'->>'from' = 'Ann@Acme.test' AND changes->'email'->>'to' = 'ann@newco.test'
		AND actor_type = 'api_client' AND actor_id = $2`, ann, c.ID); n != 1 {
		t.Error("no user.email_changed event naming both addresses and the client")
	}
}
