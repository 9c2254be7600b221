package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/ratelimit"
	"roster/internal/store"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// signinKit sets up people and organizations for the hosted sign-in tests
// through the directory, and walks sign-in as an HTTP client would.
type signinKit struct {
	t   *testing.T
	srv *webtest.Server
	dir *directory.Service
}

func newSigninKit(t *testing.T, opts ...webtest.ServerOption) signinKit {
	t.Helper()
	srv := webtest.NewServer(t, opts...)
	dir := directory.New(srv.Store, srv.Clock)
	dir.BaseURL = srv.Deps.Config.PublicURL.String()
	return signinKit{t: t, srv: srv, dir: dir}
}

// org creates an organization with adminEmail as its active admin.
func (k signinKit) org(name, adminEmail string) model.Organization {
	k.t.Helper()
	o, _, err := k.dir.CreateOrganizationWithCreator(context.Background(),
		directory.OrganizationInput{DisplayName: &name}, directory.UserInput{Email: &adminEmail})
	if err != nil {
		k.t.Fatal(err)
	}
	return o
}

// member makes email an active member of org.
func (k signinKit) member(orgID, email string) model.User {
	k.t.Helper()
	u, err := k.dir.AddMember(context.Background(), orgID, directory.UserInput{Email: &email}, directory.MembershipInput{})
	if err != nil {
		k.t.Fatal(err)
	}
	return u
}

func (k signinKit) exec(query string, args ...any) {
	k.t.Helper()
	if _, err := k.srv.DB.Exec(query, args...); err != nil {
		k.t.Fatalf("%s: %v", query, err)
	}
}

func (k signinKit) count(query string, args ...any) int {
	k.t.Helper()
	return countRows(k.t, k.srv, query, args...)
}

func (k signinKit) userID(email string) string {
	k.t.Helper()
	var id string
	if err := k.srv.DB.Get(&id, `SELECT id FROM users WHERE lower(email) = lower($1)`, email); err != nil {
		k.t.Fatalf("user %s: %v", email, err)
	}
	return id
}

// tick moves the clock a second on, so the next mail is the newest by its
// time (mails queued at one instant have no order).
func (k signinKit) tick() { k.srv.Clock.Advance(time.Second) }

// lastMail is the newest mail queued for email.
func (k signinKit) lastMail(email string) store.OutboxEmail {
	k.t.Helper()
	mails := webtest.OutboxTo(k.t, k.srv, email)
	if len(mails) == 0 {
		k.t.Fatalf("no mail for %s", email)
	}
	return mails[0]
}

var mailedCode = regexp.MustCompile(`code is (\d{6})`)

func (k signinKit) lastCode(email string) string {
	k.t.Helper()
	m := mailedCode.FindStringSubmatch(k.lastMail(email).Text)
	if m == nil {
		k.t.Fatalf("no code in the mail to %s:\n%s", email, k.lastMail(email).Text)
	}
	return m[1]
}

// lastCodeOfKind is the code in the newest mail of kind to email.
func (k signinKit) lastCodeOfKind(email, kind string) string {
	k.t.Helper()
	for _, m := range webtest.OutboxTo(k.t, k.srv, email) {
		if c := mailedCode.FindStringSubmatch(m.Text); m.Kind == kind && c != nil {
			return c[1]
		}
	}
	k.t.Fatalf("no %s mail with a code to %s", kind, email)
	return ""
}

// lastLink is the first link of the newest mail to email, as a path.
func (k signinKit) lastLink(email string) string {
	k.t.Helper()
	links := testkit.Links(k.lastMail(email).Text)
	if len(links) == 0 {
		k.t.Fatalf("no link in the mail to %s", email)
	}
	return strings.TrimPrefix(links[0], k.srv.URL)
}

// startCode asks for a code for email and expects the code page.
func (k signinKit) startCode(c *webtest.ConsoleClient, email string, form url.Values) {
	k.t.Helper()
	k.tick()
	f := url.Values{"email": {email}}
	for key, v := range form {
		f[key] = v
	}
	res := c.PostForm("/signin/email", f)
	if res.Status != http.StatusSeeOther || res.Location != "/signin/code" {
		k.t.Fatalf("POST /signin/email: %d → %q\n%.500s", res.Status, res.Location, res.Body)
	}
}

// signIn signs c in as email with a mailed code and returns where it went.
func (k signinKit) signIn(c *webtest.ConsoleClient, email string) string {
	k.t.Helper()
	k.startCode(c, email, nil)
	res := c.PostForm("/signin/code", url.Values{"code": {k.lastCode(email)}})
	if res.Status != http.StatusSeeOther {
		k.t.Fatalf("POST /signin/code: %d\n%.800s", res.Status, res.Body)
	}
	return res.Location
}

// sessionOf returns the status and current org of the session with the
// token in c's cookie (found by the token's hash).
func (k signinKit) session(c *webtest.ConsoleClient) (id, status string, org *string) {
	k.t.Helper()
	token := c.Cookie("roster_session")
	if token == "" {
		k.t.Fatal("no roster_session cookie")
	}
	row := k.srv.DB.QueryRow(`SELECT id, status, organization_id FROM sessions WHERE token_hash = sha256($1::bytea)`, token)
	if err := row.Scan(&id, &status, &org); err != nil {
		k.t.Fatalf("session of the cookie: %v", err)
	}
	return id, status, org
}

func wantHas(t *testing.T, what, body string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(body, s) {
			t.Errorf("%s: %q missing\n%.1500s", what, s, body)
		}
	}
}

var (
	requestIDText = regexp.MustCompile(`Request <code>[^<]*</code>`)
)

func TestHostedMethodsPageSameForKnownAndUnknown(t *testing.T) {
	k := newSigninKit(t)
	k.org("Acme", "ann@acme.test")
	c := webtest.NewVisitorClient(t, k.srv)

	page := func(email string) string {
		res := c.PostForm("/signin", url.Values{"email": {email}, "return_to": {"/x"}})
		if res.Status != http.StatusOK {
			t.Fatalf("POST /signin %s: %d", email, res.Status)
		}
		body := strings.ReplaceAll(res.Body, url.QueryEscape(email), "EMAIL")
		return requestIDText.ReplaceAllString(strings.ReplaceAll(body, email, "EMAIL"), "")
	}
	known, unknown := page("ann@acme.test"), page("zed@nowhere.test")
	if known != unknown {
		t.Errorf("the methods pages differ for a known and an unknown address:\n%s\n----\n%s", known, unknown)
	}
	wantHas(t, "methods", known, `data-testid="signin-methods"`, `data-testid="email-signin"`, `data-testid="password-method"`, `data-testid="signup-link"`)

	// Asking for a code: the same next page, whoever it is.
	for _, email := range []string{"ann@acme.test", "zed@nowhere.test"} {
		k.startCode(c, email, nil)
		res := c.Get("/signin/code")
		wantHas(t, "code page", res.Body, email, `data-testid="signin-code"`)
	}

	// With sign-up closed, an unknown address gets no mail, and the page is
	// still the same.
	k.exec(`UPDATE environment_settings SET signup_enabled = false`)
	k.startCode(c, "nobody@nowhere.test", nil)
	if n := len(webtest.OutboxTo(t, k.srv, "nobody@nowhere.test")); n != 0 {
		t.Errorf("%d mails to an unknown address while sign-up is closed", n)
	}
	res := c.PostForm("/signin/code", url.Values{"code": {"123456"}})
	wantStatus(t, "a guess at a code never sent", res, http.StatusUnprocessableEntity)
	wantHas(t, "guess", res.Body, "That code is not right")

	// A bad address stays in the form, with the message beside the field.
	res = c.PostForm("/signin", url.Values{"email": {"not an email"}})
	wantStatus(t, "bad email", res, http.StatusUnprocessableEntity)
	wantHas(t, "bad email", res.Body, `data-testid="error-email"`, `value="not an email"`, `aria-invalid="true"`)
}

func TestHostedCodeSignIn(t *testing.T) {
	k := newSigninKit(t)
	acme := k.org("Acme", "ann@acme.test")
	c := webtest.NewVisitorClient(t, k.srv)

	k.startCode(c, "Ann@Acme.test", nil)
	code := k.lastCode("ann@acme.test")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i, left := range []string{"4 more tries", "3 more tries", "2 more tries", "1 more try", "the last try"} {
		res := c.PostForm("/signin/code", url.Values{"code": {wrong}})
		wantStatus(t, "wrong code", res, http.StatusUnprocessableEntity)
		wantHas(t, "wrong code "+string(rune('1'+i)), res.Body, left, `data-testid="error-code"`, `value="`+wrong+`"`)
	}
	res := c.PostForm("/signin/code", url.Values{"code": {code}})
	wantStatus(t, "the right code after five wrong ones", res, http.StatusUnprocessableEntity)
	wantHas(t, "sixth", res.Body, "Too many wrong codes")
	if c.Cookie("roster_session") != "" {
		t.Fatal("signed in after five wrong codes")
	}

	// A new code works, once, and the person lands in their one org.
	k.startCode(c, "ann@acme.test", nil)
	res = c.PostForm("/signin/code", url.Values{"code": {k.lastCode("ann@acme.test")}})
	if res.Status != http.StatusSeeOther || res.Location != "/my-organizations" {
		t.Fatalf("sign-in: %d → %q\n%.500s", res.Status, res.Location, res.Body)
	}
	_, status, org := k.session(c)
	if status != "ACTIVE" || org == nil || *org != acme.ID {
		t.Errorf("session %s in %v, want ACTIVE in %s", status, org, acme.ID)
	}
	var provider string
	k.srv.DB.Get(&provider, `SELECT primary_identity_provider FROM memberships WHERE organization_id = $1`, acme.ID)
	if provider != "EMAIL" {
		t.Errorf("primary identity provider %q, want EMAIL", provider)
	}
	page := c.Get("/my-organizations")
	wantHas(t, "home", page.Body, `data-testid="hosted-user-email">ann@acme.test`, `data-testid="hosted-current-org">Acme`)

	// A code expires after the lifetime.
	c2 := webtest.NewVisitorClient(t, k.srv)
	k.startCode(c2, "ann@acme.test", nil)
	code = k.lastCode("ann@acme.test")
	k.srv.Clock.Advance(10*time.Minute + time.Second)
	res = c2.PostForm("/signin/code", url.Values{"code": {code}})
	wantStatus(t, "expired code", res, http.StatusUnprocessableEntity)
	wantHas(t, "expired", res.Body, "This code has expired")

	// Malformed input is not a guess.
	res = c2.PostForm("/signin/code", url.Values{"code": {"12ab"}})
	wantHas(t, "malformed", res.Body, "Enter the 6-digit code")
}

func TestHostedMagicLinkNeedsAClick(t *testing.T) {
	k := newSigninKit(t)
	k.org("Acme", "ann@acme.test")
	k.exec(`UPDATE environment_settings SET email_signin_mode = 'link'`)
	c := webtest.NewVisitorClient(t, k.srv)

	res := c.PostForm("/signin/email", url.Values{"email": {"ann@acme.test"}})
	if res.Location != "/signin/sent" {
		t.Fatalf("link only: went to %q", res.Location)
	}
	wantHas(t, "sent", c.Get("/signin/sent").Body, "we have sent it a sign-in link")
	link := k.lastLink("ann@acme.test")
	if !strings.HasPrefix(link, "/signin/link/") {
		t.Fatalf("link %q", link)
	}
	// Opening the link (as a mail scanner would) changes nothing.
	for range 2 {
		wantHas(t, "link page", c.Get(link).Body, `data-testid="use-link"`, "ann@acme.test")
	}
	res = c.PostForm(link, nil)
	if res.Status != http.StatusSeeOther || c.Cookie("roster_session") == "" {
		t.Fatalf("using the link: %d", res.Status)
	}
	// Once only.
	res = c.Get(link)
	wantStatus(t, "used link", res, http.StatusGone)
	wantHas(t, "used link", res.Body, `data-reason="link-used"`, "already been used")
	res = c.PostForm(link, nil)
	wantStatus(t, "used link posted", res, http.StatusGone)
	res = c.Get("/signin/link/nonsense")
	wantStatus(t, "unknown link", res, http.StatusNotFound)
}

func TestHostedPasswordSignUpConfirmAndSignIn(t *testing.T) {
	k := newSigninKit(t)
	c := webtest.NewVisitorClient(t, k.srv)

	for _, tt := range []struct{ password, message string }{
		{"short", "must be at least 8 characters"},
		{"password123", "too common"},
		{"Summer2024!", "too common"},
		{"12345678", "too common"},
		{"abcdefgh", "too common"},
		{"newbie@acme.test", "must not be your email address"},
		{strings.Repeat("x", 129), "must be at most 128 characters"},
	} {
		res := c.PostForm("/signup", url.Values{"email": {"newbie@acme.test"}, "password": {tt.password}})
		wantStatus(t, "sign-up with "+tt.password, res, http.StatusUnprocessableEntity)
		wantHas(t, tt.password, res.Body, tt.message, `data-testid="error-password"`, `value="newbie@acme.test"`)
		if tt.password != "newbie@acme.test" && strings.Contains(res.Body, `value="`+tt.password+`"`) {
			t.Errorf("the refused password %q is sent back in the page", tt.password)
		}
	}
	if n := k.count(`SELECT count(*) FROM users WHERE email = 'newbie@acme.test'`); n != 0 {
		t.Fatal("a refused sign-up created the user")
	}

	const pw = "correct horse battery"
	res := c.PostForm("/signup", url.Values{"email": {"newbie@acme.test"}, "password": {pw}})
	if res.Status != http.StatusSeeOther || res.Location != "/signin/sent" {
		t.Fatalf("sign-up: %d → %q\n%.500s", res.Status, res.Location, res.Body)
	}
	wantHas(t, "sent", c.Get("/signin/sent").Body, "Confirm your email address")
	if n := k.count(`SELECT count(*) FROM users WHERE email = 'newbie@acme.test' AND NOT email_verified`); n != 1 {
		t.Fatal("sign-up did not create one unconfirmed user")
	}

	// Before confirming, the password does not sign in; a new link goes out.
	k.tick()
	before := len(webtest.OutboxTo(t, k.srv, "newbie@acme.test"))
	res = c.PostForm("/signin/password", url.Values{"email": {"newbie@acme.test"}, "password": {pw}})
	wantStatus(t, "unconfirmed", res, http.StatusUnprocessableEntity)
	wantHas(t, "unconfirmed", res.Body, "Confirm your email address first")
	if after := len(webtest.OutboxTo(t, k.srv, "newbie@acme.test")); after != before+1 {
		t.Errorf("%d mails, want a new confirmation", after-before)
	}

	link := k.lastLink("newbie@acme.test")
	wantHas(t, "confirm page", c.Get(link).Body, `data-testid="use-link"`)
	res = c.PostForm(link, nil)
	if res.Status != http.StatusSeeOther || res.Location != "/my-organizations" {
		t.Fatalf("confirming: %d → %q\n%.500s", res.Status, res.Location, res.Body)
	}
	if n := k.count(`SELECT count(*) FROM users u JOIN password_credentials p ON p.user_id = u.id WHERE u.email = 'newbie@acme.test' AND u.email_verified`); n != 1 {
		t.Fatal("confirming lost the password or did not verify the address")
	}

	// Now the password signs in (a fresh browser).
	c2 := webtest.NewVisitorClient(t, k.srv)
	res = c2.PostForm("/signin/password", url.Values{"email": {"newbie@acme.test"}, "password": {"wrong password here"}})
	wantStatus(t, "wrong password", res, http.StatusUnprocessableEntity)
	wantHas(t, "wrong password", res.Body, "The email address or password is not right.")
	res = c2.PostForm("/signin/password", url.Values{"email": {"nobody@acme.test"}, "password": {pw}})
	wantHas(t, "unknown address", res.Body, "The email address or password is not right.")
	res = c2.PostForm("/signin/password", url.Values{"email": {"newbie@acme.test"}, "password": {pw}})
	if res.Status != http.StatusSeeOther || c2.Cookie("roster_session") == "" {
		t.Fatalf("password sign-in: %d\n%.500s", res.Status, res.Body)
	}

	// Signing up again with the address changes nothing and says the same;
	// the owner is told by mail.
	k.tick()
	before = len(webtest.OutboxTo(t, k.srv, "newbie@acme.test"))
	res = c.PostForm("/signup", url.Values{"email": {"newbie@acme.test"}, "password": {"another fine password"}})
	if res.Location != "/signin/sent" {
		t.Errorf("second sign-up went to %q", res.Location)
	}
	if m := k.lastMail("newbie@acme.test"); !strings.Contains(m.Subject, "already have an account") || len(webtest.OutboxTo(t, k.srv, "newbie@acme.test")) != before+1 {
		t.Errorf("no 'already have an account' mail: %q", m.Subject)
	}
}

func TestHostedPasswordReset(t *testing.T) {
	k := newSigninKit(t)
	k.org("Acme", "ann@acme.test")
	k.exec(`UPDATE users SET email_verified = true WHERE email = 'ann@acme.test'`)
	other := webtest.NewVisitorClient(t, k.srv)
	k.signIn(other, "ann@acme.test")

	c := webtest.NewVisitorClient(t, k.srv)
	k.tick()
	res := c.PostForm("/signin/forgot", url.Values{"email": {"ann@acme.test"}})
	if res.Location != "/signin/sent" {
		t.Fatalf("forgot: %d → %q", res.Status, res.Location)
	}
	// An unknown address gets the same answer and no mail.
	res = c.PostForm("/signin/forgot", url.Values{"email": {"zed@acme.test"}})
	if res.Location != "/signin/sent" || len(webtest.OutboxTo(t, k.srv, "zed@acme.test")) != 0 {
		t.Errorf("forgot for an unknown address: %q", res.Location)
	}

	link := k.lastLink("ann@acme.test")
	if !strings.HasPrefix(link, "/signin/reset/") {
		t.Fatalf("reset link %q", link)
	}
	wantHas(t, "reset page", c.Get(link).Body, `name="password"`, `autocomplete="new-password"`)
	res = c.PostForm(link, url.Values{"password": {"qwerty123"}})
	wantStatus(t, "common password", res, http.StatusUnprocessableEntity)
	wantHas(t, "common password", res.Body, "too common", `data-testid="error-password"`)

	res = c.PostForm(link, url.Values{"password": {"a much better passphrase"}})
	if res.Status != http.StatusSeeOther || c.Cookie("roster_session") == "" {
		t.Fatalf("reset: %d\n%.500s", res.Status, res.Body)
	}
	// The other browser's session ended; the link is spent.
	wantStatus(t, "other session after reset", other.Get("/my-organizations"), http.StatusSeeOther)
	wantStatus(t, "reset link again", c.Get(link), http.StatusGone)

	c3 := webtest.NewVisitorClient(t, k.srv)
	res = c3.PostForm("/signin/password", url.Values{"email": {"ann@acme.test"}, "password": {"a much better passphrase"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign-in with the new password: %d\n%.500s", res.Status, res.Body)
	}
}

func TestHostedSessionRotationAndRevocation(t *testing.T) {
	k := newSigninKit(t)
	k.org("Acme", "ann@acme.test")
	c := webtest.NewVisitorClient(t, k.srv)
	k.signIn(c, "ann@acme.test")
	first := c.Cookie("roster_session")
	firstID, _, _ := k.session(c)

	// Signing in again in the same browser: a new session and cookie; the
	// old session row is ended.
	k.signIn(c, "ann@acme.test")
	if second := c.Cookie("roster_session"); second == first || second == "" {
		t.Fatal("the cookie did not change at sign-in")
	}
	secondID, status, _ := k.session(c)
	if secondID == firstID || status != "ACTIVE" {
		t.Errorf("session %s %s after rotation", secondID, status)
	}
	var old string
	k.srv.DB.Get(&old, `SELECT status FROM sessions WHERE id = $1`, firstID)
	if old != "LOGOUT" {
		t.Errorf("the old session is %s, want LOGOUT", old)
	}

	// The console lists the sessions on the user's page, and revokes one
	// there: the person is signed out on their next request.
	admin := webtest.NewConsoleClient(t, k.srv, "owner@roster.test", adminauth.Editor)
	userPage := "/users/" + k.userID("ann@acme.test")
	wantHas(t, "console user page", admin.Get(userPage).Body, firstID, secondID)
	res := admin.PostForm(userPage+"/sessions/"+secondID+"/revoke", nil)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("console revoke: %d\n%.500s", res.Status, res.Body)
	}
	res = c.Get("/my-organizations")
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/signin") {
		t.Fatalf("after revocation: %d → %q", res.Status, res.Location)
	}
	if c.Cookie("roster_session") != "" {
		t.Error("the dead session's cookie was kept")
	}

	// Sign-out ends the session.
	k.signIn(c, "ann@acme.test")
	id, _, _ := k.session(c)
	res = c.PostForm("/logout/user", nil)
	if res.Location != "/signin" || c.Cookie("roster_session") != "" {
		t.Errorf("sign-out: %q", res.Location)
	}
	k.srv.DB.Get(&old, `SELECT status FROM sessions WHERE id = $1`, id)
	if old != "LOGOUT" {
		t.Errorf("signed-out session is %s", old)
	}

	// The session expires when idle.
	k.signIn(c, "ann@acme.test")
	k.srv.Clock.Advance(7*24*time.Hour + time.Minute)
	if res := c.Get("/my-organizations"); res.Status != http.StatusSeeOther {
		t.Errorf("an idle session still works: %d", res.Status)
	}
}

func TestHostedOrgPickerAndSwitch(t *testing.T) {
	k := newSigninKit(t)
	acme := k.org("Acme", "ann@acme.test")
	beta := k.org("Beta", "bob@beta.test")
	k.member(beta.ID, "ann@acme.test")
	solo := k.org("Solo", "sam@solo.test")

	// One org goes straight in.
	c := webtest.NewVisitorClient(t, k.srv)
	if to := k.signIn(c, "sam@solo.test"); to != "/my-organizations" {
		t.Errorf("one org: went to %q", to)
	}
	if _, _, org := k.session(c); org == nil || *org != solo.ID {
		t.Errorf("one org: session in %v", org)
	}

	// Two orgs ask.
	c = webtest.NewVisitorClient(t, k.srv)
	if to := k.signIn(c, "ann@acme.test"); to != "/choose-organization" {
		t.Fatalf("two orgs: went to %q", to)
	}
	if _, _, org := k.session(c); org != nil {
		t.Errorf("before choosing, the session is in %v", *org)
	}
	page := c.Get("/choose-organization")
	wantHas(t, "picker", page.Body, "Acme", "Beta", `data-org-id="`+acme.ID+`"`, `data-org-id="`+beta.ID+`"`)

	res := c.PostForm("/switch-organization", url.Values{"org_id": {beta.ID}})
	if res.Status != http.StatusSeeOther || res.Location != "/my-organizations" {
		t.Fatalf("switch: %d → %q", res.Status, res.Location)
	}
	if _, _, org := k.session(c); org == nil || *org != beta.ID {
		t.Errorf("after choosing Beta the session is in %v", org)
	}
	wantHas(t, "header", c.Get("/my-organizations").Body, `data-testid="hosted-current-org">Beta`, `data-testid="hosted-switch-org"`)

	// An org the person is not in is not found, whatever the id.
	res = c.PostForm("/switch-organization", url.Values{"org_id": {solo.ID}})
	wantStatus(t, "switch to a stranger's org", res, http.StatusNotFound)
	wantHas(t, "404", res.Body, `data-testid="hosted-notice"`)
	res = c.PostForm("/switch-organization", url.Values{"org_id": {"nonsense"}})
	wantStatus(t, "switch to nonsense", res, http.StatusNotFound)

	// Signed out: the pages send people to sign-in and back.
	v := webtest.NewVisitorClient(t, k.srv)
	res = v.Get("/choose-organization")
	if res.Location != "/signin?return_to=%2Fchoose-organization" {
		t.Errorf("signed out: → %q", res.Location)
	}
}

func TestHostedLeaveOrganization(t *testing.T) {
	k := newSigninKit(t)
	acme := k.org("Acme", "ann@acme.test")
	beta := k.org("Beta", "bob@beta.test")
	k.member(beta.ID, "ann@acme.test")
	k.member(acme.ID, "carl@acme.test")
	c := webtest.NewVisitorClient(t, k.srv)
	k.signIn(c, "ann@acme.test")
	c.PostForm("/switch-organization", url.Values{"org_id": {acme.ID}})

	// The last admin of Acme cannot leave while it exists: the page says
	// why before any click, and has no button; a post anyway is refused.
	page := c.Get("/my-organizations/" + acme.ID + "/leave")
	wantHas(t, "confirm", page.Body, "You cannot leave Acme yet", `data-testid="leave-last-admin"`,
		"You are the last admin of Acme", "Someone else must be made an admin first, or the organization deleted.")
	if strings.Contains(page.Body, `data-testid="confirm-leave"`) {
		t.Error("the last admin's leave page offers to leave")
	}
	res := c.PostForm("/my-organizations/"+acme.ID+"/leave", nil)
	if res.Location != "/my-organizations" {
		t.Fatalf("leave refused: %d → %q", res.Status, res.Location)
	}
	page = c.Get("/my-organizations")
	wantHas(t, "refusal", page.Body, `data-kind="error"`, "You cannot leave Acme: you are its last admin.")
	if _, status, org := k.session(c); status != "ACTIVE" || org == nil || *org != acme.ID {
		t.Errorf("a refused leave moved the session: %s %v", status, org)
	}

	// Leaving Beta, where Ann is a plain member, works; she stays signed in.
	page = c.Get("/my-organizations/" + beta.ID + "/leave")
	wantHas(t, "confirm", page.Body, "Leave Beta?", `data-testid="confirm-leave"`, `data-testid="leave-keeps-account"`,
		"Your account is not deleted: you stay in your other organizations.")
	res = c.PostForm("/my-organizations/"+beta.ID+"/leave", nil)
	if res.Location != "/my-organizations" {
		t.Fatalf("leave: → %q", res.Location)
	}
	page = c.Get("/my-organizations")
	wantHas(t, "left", page.Body, "You left Beta.")
	if n := k.count(`SELECT count(*) FROM memberships WHERE organization_id = $1 AND user_id = $2`, beta.ID, k.userID("ann@acme.test")); n != 0 {
		t.Error("the membership is still there")
	}
	// Leaving the org the session is in keeps the session, outside the org.
	c.PostForm("/switch-organization", url.Values{"org_id": {beta.ID}}) // not a member any more
	carl := webtest.NewVisitorClient(t, k.srv)
	k.signIn(carl, "carl@acme.test")
	k.member(beta.ID, "carl@acme.test")
	carl.PostForm("/switch-organization", url.Values{"org_id": {acme.ID}})
	res = carl.PostForm("/my-organizations/"+acme.ID+"/leave", nil)
	if res.Location != "/my-organizations" {
		t.Fatalf("carl leaves: → %q", res.Location)
	}
	if _, status, org := k.session(carl); status != "ACTIVE" || org != nil {
		t.Errorf("after leaving the current org the session is %s in %v", status, org)
	}

	// Another org's leave page is not found.
	wantStatus(t, "leave a stranger's org", c.Get("/my-organizations/"+beta.ID+"/leave"), http.StatusNotFound)

	// Leaving one's only org keeps the account by default, and says so.
	dave := webtest.NewVisitorClient(t, k.srv)
	k.member(beta.ID, "dave@beta.test")
	k.signIn(dave, "dave@beta.test")
	page = dave.Get("/my-organizations/" + beta.ID + "/leave")
	wantHas(t, "only org, kept", page.Body, `data-testid="leave-keeps-account"`, "Your account is not deleted: you can still sign in")
	if strings.Contains(page.Body, `name="account"`) {
		t.Error("a page that keeps the account asks to delete it")
	}
	dave.PostForm("/my-organizations/"+beta.ID+"/leave", nil)
	if _, status, _ := k.session(dave); status != "ACTIVE" || k.count(`SELECT count(*) FROM users WHERE email = 'dave@beta.test'`) != 1 {
		t.Errorf("leaving the only org by default: session %s, the account gone", status)
	}

	// Where the environment deletes users left without one, the page warns
	// in plain words and its form says so; only then does the account go.
	k.exec(`UPDATE environment_settings SET delete_users_without_memberships = true`)
	erin, frank := webtest.NewVisitorClient(t, k.srv), webtest.NewVisitorClient(t, k.srv)
	k.member(beta.ID, "erin@beta.test")
	k.member(beta.ID, "frank@beta.test")
	k.signIn(erin, "erin@beta.test")
	k.signIn(frank, "frank@beta.test")
	page = erin.Get("/my-organizations/" + beta.ID + "/leave")
	wantHas(t, "only org, deleted", page.Body, `data-testid="leave-deletes-account"`,
		"This is your only organization, so your account will be deleted too", `<input type="hidden" name="account" value="delete">`)
	res = erin.PostForm("/my-organizations/"+beta.ID+"/leave", url.Values{"account": {"delete"}})
	if res.Location != "/signin" || k.count(`SELECT count(*) FROM users WHERE email = 'erin@beta.test'`) != 0 {
		t.Errorf("leaving when warned: → %q, the account kept", res.Location)
	}
	// A form without that word (a page from before the setting changed)
	// leaves the org and keeps the account.
	res = frank.PostForm("/my-organizations/"+beta.ID+"/leave", nil)
	if res.Location != "/my-organizations" || k.count(`SELECT count(*) FROM users WHERE email = 'frank@beta.test'`) != 1 {
		t.Errorf("leaving unwarned: → %q, the account deleted", res.Location)
	}
}

func TestHostedReturnToAllowlist(t *testing.T) {
	k := newSigninKit(t)
	k.org("Acme", "ann@acme.test")
	k.exec(`UPDATE environment_settings SET allowed_redirect_urls = '{https://app.acme.test,https://other.test/callback}'`)

	for _, tt := range []struct{ returnTo, want string }{
		{"https://app.acme.test/dashboard?x=1", "https://app.acme.test/dashboard?x=1"},
		{"https://other.test/callback", "https://other.test/callback"},
		{"https://other.test/elsewhere", "/my-organizations"},
		{"https://evil.test/", "/my-organizations"},
		{"//evil.test/", "/my-organizations"},
		{"https://app.acme.test.evil.test/", "/my-organizations"},
		{"/my-organizations?tab=1", "/my-organizations?tab=1"},
	} {
		c := webtest.NewVisitorClient(t, k.srv)
		k.srv.Clock.Advance(15 * time.Minute) // a new window for sign-in mail
		k.startCode(c, "ann@acme.test", url.Values{"return_to": {tt.returnTo}})
		res := c.PostForm("/signin/code", url.Values{"code": {k.lastCode("ann@acme.test")}})
		if res.Location != tt.want {
			t.Errorf("return_to %q: went to %q, want %q", tt.returnTo, res.Location, tt.want)
		}
	}
}

func TestHostedRateLimits(t *testing.T) {
	k := newSigninKit(t)
	c := webtest.NewVisitorClient(t, k.srv)
	var res *webtest.PageResponse
	share := ratelimit.SignInMail.PerPair // what one network may ask for
	for i := range share + 1 {
		res = c.PostForm("/signin/email", url.Values{"email": {"zed@acme.test"}})
		if i < share && res.Status != http.StatusSeeOther {
			t.Fatalf("attempt %d: %d", i+1, res.Status)
		}
	}
	wantStatus(t, "a mail past the network's share", res, http.StatusTooManyRequests)
	wantHas(t, "429", res.Body, "Too many attempts", `data-reason="rate-limited"`, "15 minutes")
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// The window passes.
	k.srv.Clock.Advance(15 * time.Minute)
	if res := c.PostForm("/signin/email", url.Values{"email": {"zed@acme.test"}}); res.Status != http.StatusSeeOther {
		t.Errorf("after the window: %d", res.Status)
	}

	// Passwords: a run of wrong guesses from one network makes it wait
	// (throttle_test.go has the whole story).
	for i := range 11 {
		res = c.PostForm("/signin/password", url.Values{"email": {"ann@acme.test"}, "password": {"guess number " + string(rune('a'+i))}})
	}
	wantStatus(t, "the 11th wrong password", res, http.StatusTooManyRequests)
}

func TestHostedSignUpCreatesOrganization(t *testing.T) {
	k := newSigninKit(t)
	k.exec(`UPDATE environment_settings SET signup_creates_organization = true`)
	c := webtest.NewVisitorClient(t, k.srv)
	if to := k.signIn(c, "founder@new.test"); to != "/my-organizations" {
		t.Fatalf("new user went to %q", to)
	}
	page := c.Get("/my-organizations")
	wantHas(t, "no orgs", page.Body, `data-testid="my-orgs-empty"`, `data-testid="create-org-form"`)

	res := c.PostForm("/my-organizations", url.Values{"name": {"  "}})
	wantStatus(t, "empty name", res, http.StatusUnprocessableEntity)
	wantHas(t, "empty name", res.Body, `data-testid="error-name"`)

	res = c.PostForm("/my-organizations", url.Values{"name": {"Newco"}})
	if res.Location != "/my-organizations" {
		t.Fatalf("create: %d → %q\n%.500s", res.Status, res.Location, res.Body)
	}
	page = c.Get("/my-organizations")
	wantHas(t, "created", page.Body, "Created Newco", `data-testid="hosted-current-org">Newco`)
	if n := k.count(`SELECT count(*) FROM memberships m JOIN membership_roles mr ON mr.membership_id = m.id
		JOIN roles r ON r.id = mr.role_id WHERE m.user_id = $1 AND r.name = 'admin' AND m.status = 'ACTIVE'`, k.userID("founder@new.test")); n != 1 {
		t.Error("the creator is not the new org's admin")
	}

	// With sign-up closed, an unknown address cannot get in at all.
	k.exec(`UPDATE environment_settings SET signup_enabled = false, signup_creates_organization = false`)
	v := webtest.NewVisitorClient(t, k.srv)
	res = v.PostForm("/signup", url.Values{"email": {"late@new.test"}, "password": {"a fine long password"}})
	wantHas(t, "sign-up closed", res.Body, `data-testid="signup-problem"`)
}
