package api_test

import (
	"net/http"
	"strings"
	"testing"

	"roster/web/webtest"
)

// "Block public email domains" (on by default) and "Block disposable email
// domains" refuse invitations to addresses at such domains, on every API
// path that sends one; adding a member without an invitation is the app
// owner's own provisioning and is not checked.
func TestAPIInvitationsAtBlockedDomains(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	org := s.org(t, "Acme")
	count := func(query string) int {
		t.Helper()
		var n int
		if err := s.DB.Get(&n, query); err != nil {
			t.Fatal(err)
		}
		return n
	}
	refused := func(what string, res *webtest.APIResponse, domain string) {
		t.Helper()
		wantViolation(t, res, "email")
		if msg := str(res.JSON["message"]); !strings.Contains(msg, domain) || !strings.Contains(msg, "refuse invitations") {
			t.Errorf("%s: message %q does not say why", what, msg)
		}
	}

	for _, tc := range []struct{ email, domain string }{
		{"ann@gmail.com", "gmail.com"},
		{"Bob@GMAIL.com", "gmail.com"},
		{"cy@mail.gmail.com", "gmail.com"},
		{"dee@outlook.com", "outlook.com"},
		{"eve@mailinator.com", "mailinator.com"},
	} {
		refused(tc.email, c.Do("POST", "/organizations/"+org+"/users", map[string]any{"email": tc.email}), tc.domain)
	}
	// An existing user at gmail.com, invited by id.
	fay := s.user(t, "fay@gmail.com")
	refused("invite by id", c.Do("POST", "/memberships/organizations/"+org+"/users/"+fay+"?send_invitation_email=true", map[string]any{}), "gmail.com")
	if n := count(`SELECT count(*) FROM users`); n != 1 {
		t.Errorf("%d users after refused invitations, want only fay", n)
	}
	if n := count(`SELECT count(*) FROM memberships`) + count(`SELECT count(*) FROM email_outbox`) + count(`SELECT count(*) FROM one_time_tokens`); n != 0 {
		t.Errorf("refused invitations left %d memberships, mails or links", n)
	}

	// A work address is invited as ever; a member added without an
	// invitation is not checked.
	wantStatus(t, c.Do("POST", "/organizations/"+org+"/users", map[string]any{"email": "gil@acme.test"}), http.StatusCreated)
	wantStatus(t, c.Do("POST", "/organizations/"+org+"/users?send_invitation_email=false", map[string]any{"email": "hal@gmail.com"}), http.StatusCreated)

	// With the block off, gmail.com is invited; once it is on again, the
	// pending invitation is not resent.
	if _, err := s.DB.Exec(`UPDATE environment_settings SET block_public_email_domains = false`); err != nil {
		t.Fatal(err)
	}
	res := c.Do("POST", "/organizations/"+org+"/users", map[string]any{"email": "ann@gmail.com"})
	wantStatus(t, res, http.StatusCreated)
	ann := str(obj(res.JSON["user"])["id"])
	if n := count(`SELECT count(*) FROM email_outbox WHERE to_address = 'ann@gmail.com'`); n != 1 {
		t.Errorf("%d invitation mails to ann@gmail.com with the block off", n)
	}
	wantViolation(t, c.Do("POST", "/organizations/"+org+"/users", map[string]any{"email": "eve@mailinator.com"}), "email")
	if _, err := s.DB.Exec(`UPDATE environment_settings SET block_public_email_domains = true`); err != nil {
		t.Fatal(err)
	}
	refused("resend", c.Do("PATCH", "/invites/organizations/"+org+"/users/"+ann+"/resend", nil), "gmail.com")
	if n := count(`SELECT count(*) FROM email_outbox WHERE to_address = 'ann@gmail.com'`); n != 1 {
		t.Errorf("%d invitation mails to ann@gmail.com after a refused resend", n)
	}
}
