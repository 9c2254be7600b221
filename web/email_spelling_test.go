package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"roster/web/webtest"
)

// Mail goes to the address on record, whatever spelling a request types,
// and a request naming two addresses is refused before it does anything.

func TestMailGoesToTheAddressOnRecord(t *testing.T) {
	k := newSigninKit(t)
	k.org("Corp", "alice@corp.test")
	k.exec(`UPDATE users SET email_verified = true`)
	k.exec(`UPDATE environment_settings SET email_signin_mode = 'both', signup_enabled = true`)

	c := webtest.NewVisitorClient(t, k.srv)
	k.startCode(c, "ALICE@Corp.Test", nil)
	k.tick()
	c.PostForm("/signin/forgot", url.Values{"email": {"Alice@CORP.test"}})
	k.tick()
	c.PostForm("/signup", url.Values{"email": {"aLiCe@corp.TEST"}, "password": {"a long and fine passphrase"}})

	var typed []string
	if err := k.srv.DB.Select(&typed, `SELECT to_address FROM email_outbox WHERE to_address <> 'alice@corp.test'`); err != nil {
		t.Fatal(err)
	}
	if len(typed) != 0 {
		t.Errorf("mail went to typed spellings %q, not the address on record", typed)
	}
	kinds := map[string]bool{}
	for _, m := range webtest.OutboxTo(t, k.srv, "alice@corp.test") {
		kinds[m.Kind] = true
	}
	for _, want := range []string{"signin", "password_reset", "account_exists"} {
		if !kinds[want] {
			t.Errorf("no %s mail to alice@corp.test (got %v)", want, kinds)
		}
	}
	// The code mailed to the stored address signs in the mixed-case request.
	if res := c.PostForm("/signin/code", url.Values{"code": {k.lastCodeOfKind("alice@corp.test", "signin")}}); res.Status != http.StatusSeeOther {
		t.Errorf("sign-in with the code: %d", res.Status)
	}
}

func TestTwoEmailsInOneRequestAreRefused(t *testing.T) {
	k := newSigninKit(t)
	k.org("Corp", "alice@corp.test")
	k.exec(`UPDATE users SET email_verified = true`)
	k.exec(`UPDATE environment_settings SET email_signin_mode = 'both'`)
	c := webtest.NewVisitorClient(t, k.srv)

	for _, form := range []url.Values{
		{"email": {"alice@corp.test", "mallory@evil.test"}},
		{"email": {"mallory@evil.test", "alice@corp.test"}},
		{"email[]": {"alice@corp.test"}},
		{"email[0]": {"alice@corp.test"}, "email": {"mallory@evil.test"}},
	} {
		for _, path := range []string{"/signin", "/signin/email", "/signin/forgot", "/signin/password", "/signup"} {
			f := url.Values{"password": {"a long and fine passphrase"}}
			for key, v := range form {
				f[key] = v
			}
			wantStatus(t, "POST "+path+" "+form.Encode(), c.PostForm(path, f), http.StatusBadRequest)
		}
	}
	wantStatus(t, "two emails in the query", c.Get("/signin?email=alice@corp.test&email=mallory@evil.test"), http.StatusBadRequest)
	if n := k.count(`SELECT count(*) FROM email_outbox`); n != 0 {
		t.Errorf("refused requests queued %d mails", n)
	}
	if n := k.count(`SELECT count(*) FROM users`); n != 1 {
		t.Errorf("refused requests made users: %d", n)
	}
}
