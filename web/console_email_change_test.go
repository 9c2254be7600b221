package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"roster/internal/adminauth"
	"roster/web/webtest"
)

// An email change hands an account to another mailbox. These tests attack
// it from the console: an editor may not do it at all, and an owner's
// change is loud and ends what the old address could do.

// profileOf is the edit form as saved, with email set to email.
func profileOf(email string) url.Values {
	return url.Values{
		"email": {email}, "external_id": {""}, "given_name": {""}, "family_name": {""}, "name": {""},
		"locale": {""}, "phone_number": {""}, "picture": {""}, "metadata": {""}, "custom_attributes": {""},
	}
}

// signedInAnn signs Ann in to the hosted pages with a mailed code, which
// proves her address, and returns her browser.
func signedInAnn(k signinKit) *webtest.ConsoleClient {
	k.t.Helper()
	c := webtest.NewVisitorClient(k.t, k.srv)
	k.signIn(c, "ann@acme.test")
	if n := k.count(`SELECT count(*) FROM users WHERE email = 'ann@acme.test' AND email_verified`); n != 1 {
		k.t.Fatal("signing in with a code did not verify Ann's address")
	}
	return c
}

// inputTag is the <input> with id in body.
func inputTag(t *testing.T, body, id string) string {
	t.Helper()
	tag := regexp.MustCompile(`<input[^>]*\sid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	if tag == "" {
		t.Fatalf("no input %q in the page", id)
	}
	return tag
}

// sessionUser is the user of the live session in c's cookie, or "".
func (k signinKit) sessionUser(c *webtest.ConsoleClient) string {
	k.t.Helper()
	var id string
	k.srv.DB.Get(&id, `SELECT user_id FROM sessions WHERE token_hash = sha256($1::bytea) AND status = 'ACTIVE'`, c.Cookie("roster_session"))
	return id
}

func TestConsoleEditorCannotChangeAnEmail(t *testing.T) {
	k := newSigninKit(t)
	k.org("Acme", "ann@acme.test")
	ann := signedInAnn(k)
	annID := k.userID("ann@acme.test")
	path := "/users/" + annID

	// The form shows the email read-only, saying why.
	ed := webtest.NewConsoleClient(t, k.srv, "ed@acme.test", adminauth.Editor)
	events := k.count(`SELECT count(*) FROM audit_events`)
	res := ed.Get(path + "/edit")
	wantStatus(t, "editor's form", res, http.StatusOK)
	if input := inputTag(t, res.Body, "email"); !strings.Contains(input, ` readonly`) || !strings.Contains(input, `value="ann@acme.test"`) {
		t.Errorf("the editor's email input is not read-only: %s", input)
	}
	wantHas(t, "editor's form", res.Body, "Only an owner can change the email")

	// A hand-made POST with another address is refused, and changes nothing:
	// not the address, not the rest of the form, not Ann's session.
	form := profileOf("mallory@evil.test")
	form.Set("given_name", "Mallory")
	res = ed.PostForm(path, form)
	wantStatus(t, "editor changes the email", res, http.StatusUnprocessableEntity)
	wantHas(t, "refusal", res.Body, `data-testid="error-email"`, "can be changed only by an owner")
	if n := k.count(`SELECT count(*) FROM users WHERE id = $1 AND email = 'ann@acme.test' AND email_verified AND given_name IS NULL`, annID); n != 1 {
		t.Error("the refused change changed Ann")
	}
	if got := ann.Get("/my-organizations"); got.Status != http.StatusOK {
		t.Errorf("Ann's session after the refused change: %d → %q", got.Status, got.Location)
	}
	if n := k.count(`SELECT count(*) FROM email_outbox WHERE kind = 'email_changed'`); n != 0 {
		t.Errorf("%d email_changed mails", n)
	}
	if n := k.count(`SELECT count(*) FROM audit_events`); n != events {
		t.Errorf("%d audit events after the refused change, want %d", n, events)
	}

	// Signing in with the address the editor controls reaches someone else,
	// never Ann.
	mallory := webtest.NewVisitorClient(t, k.srv)
	k.signIn(mallory, "mallory@evil.test")
	if got := k.sessionUser(mallory); got == "" || got == annID {
		t.Errorf("mallory's sign-in reached %q (Ann is %s)", got, annID)
	}

	// The same address in other letter case is no change of owner: editors
	// may fix the spelling, and Ann stays signed in and verified.
	res = ed.PostForm(path, profileOf("Ann@Acme.test"))
	wantStatus(t, "case change", res, http.StatusSeeOther)
	if n := k.count(`SELECT count(*) FROM users WHERE id = $1 AND email = 'Ann@Acme.test' AND email_verified`, annID); n != 1 {
		t.Error("the case change did not keep Ann verified")
	}
	if got := ann.Get("/my-organizations"); got.Status != http.StatusOK {
		t.Errorf("Ann's session after a case change: %d", got.Status)
	}
	if n := k.count(`SELECT count(*) FROM email_outbox WHERE kind = 'email_changed'`); n != 0 {
		t.Errorf("%d email_changed mails after a case change", n)
	}
}

func TestConsoleOwnerChangesAnEmail(t *testing.T) {
	k := newSigninKit(t)
	k.org("Acme", "ann@acme.test")
	ann := signedInAnn(k)
	annID := k.userID("ann@acme.test")
	path := "/users/" + annID

	owner := webtest.NewConsoleClient(t, k.srv, "olga@acme.test", adminauth.Owner)
	res := owner.Get(path + "/edit")
	if input := inputTag(t, res.Body, "email"); strings.Contains(input, "readonly") {
		t.Errorf("the owner's email input is read-only: %s", input)
	}
	wantHas(t, "owner's form", res.Body, "mails the old address")
	k.tick()
	res = owner.PostForm(path, profileOf("ann.lee@newco.test"))
	wantStatus(t, "owner changes the email", res, http.StatusSeeOther)
	wantHas(t, "flash", owner.Get(path).Body, "signed out everywhere", "ann@acme.test was told")

	// Ann's old session cookie no longer works.
	res = ann.Get("/my-organizations")
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/signin") {
		t.Errorf("Ann's old session after the change: %d → %q", res.Status, res.Location)
	}
	// The old address is told; the new one is unverified.
	notice := k.lastMail("ann@acme.test")
	if notice.Kind != "email_changed" || !strings.Contains(notice.Text, "changed to a***@newco.test") ||
		!strings.Contains(notice.Text, "If this wasn't you, contact your administrator.") {
		t.Errorf("the old address got %s:\n%s", notice.Kind, notice.Text)
	}
	if n := k.count(`SELECT count(*) FROM users WHERE id = $1 AND email = 'ann.lee@newco.test' AND NOT email_verified`, annID); n != 1 {
		t.Error("the new address is not Ann's, unverified")
	}
	// The audit log names both addresses and the owner.
	var from, to, actor string
	if err := k.srv.DB.QueryRow(`SELECT changes->'email'->>'from', changes->'email'->>'to', actor_label FROM audit_events
		WHERE action = 'user.email_changed' AND user_id = $1`, annID).Scan(&from, &to, &actor); err != nil {
		t.Fatalf("the user.email_changed event: %v", err)
	}
	if from != "ann@acme.test" || to != "ann.lee@newco.test" || actor != "olga@acme.test" {
		t.Errorf("audit: %s → %s by %s", from, to, actor)
	}

	// The old address signs in nobody's account but its own now…
	old := webtest.NewVisitorClient(t, k.srv)
	k.signIn(old, "ann@acme.test")
	if got := k.sessionUser(old); got == annID {
		t.Error("the old address still signs in to the account")
	}
	// …and whoever reads the new one proves it with a mailed code.
	fresh := webtest.NewVisitorClient(t, k.srv)
	k.signIn(fresh, "ann.lee@newco.test")
	if got := k.sessionUser(fresh); got != annID {
		t.Errorf("the new address signed in %q, want Ann (%s)", got, annID)
	}
	if n := k.count(`SELECT count(*) FROM users WHERE id = $1 AND email_verified`, annID); n != 1 {
		t.Error("signing in with a code to the new address did not verify it")
	}
}
