package enduser_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"roster/internal/apperr"
	"roster/internal/clock"
	"roster/internal/directory"
	"roster/internal/enduser"
	"roster/internal/ratelimit"
	"roster/internal/store"
	"roster/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type kit struct {
	t     *testing.T
	st    *store.Store
	clk   *clock.Fake
	dir   *directory.Service
	users *enduser.Service
}

func newKit(t *testing.T) kit {
	t.Helper()
	st := store.New(testkit.NewDB(t)).WithMailKey(testkit.MailKey)
	clk := clock.NewFake(testkit.Epoch)
	dir := directory.New(st, clk)
	return kit{t: t, st: st, clk: clk, dir: dir, users: enduser.New(st, clk, dir, nil, "http://roster.test")}
}

func (k kit) org(name, admin string) string {
	k.t.Helper()
	o, _, err := k.dir.CreateOrganizationWithCreator(context.Background(),
		directory.OrganizationInput{DisplayName: &name}, directory.UserInput{Email: &admin})
	if err != nil {
		k.t.Fatal(err)
	}
	return o.ID
}

func (k kit) exec(q string) {
	k.t.Helper()
	if _, err := k.st.DB().Exec(q); err != nil {
		k.t.Fatal(err)
	}
}

var codeInMail = regexp.MustCompile(`code is (\d{6})`)

// signInByCode proves email's inbox with a mailed code.
func (k kit) signInByCode(email string) (enduser.SignIn, error) {
	k.t.Helper()
	k.clk.Advance(time.Second)
	ch, err := k.users.StartEmailSignIn(context.Background(), email, "", "")
	if err != nil {
		k.t.Fatal(err)
	}
	mails := testkit.Outbox(k.t, k.st, email)
	if len(mails) == 0 {
		k.t.Fatalf("no mail to %s", email)
	}
	text := mails[0].Text
	m := codeInMail.FindStringSubmatch(text)
	if m == nil {
		k.t.Fatalf("no code in %q", text)
	}
	return k.users.SignInWithCode(context.Background(), ch.Challenge, m[1], "")
}

func TestCheckPassword(t *testing.T) {
	for _, tt := range []struct {
		password, want string
	}{
		{"correct horse battery staple", ""},
		{"Tr0ub4dor&3x", ""},
		{"ünïcødé!", ""}, // eight characters, more bytes
		{"short", "at least 8"},
		{"sevench", "at least 8"},
		{strings.Repeat("a", 128) + "b", "at most 128"},
		{"password", "too common"},
		{"Password1", "too common"},
		{"P@ssw0rd", "too common"},
		{"iloveyou!!", "too common"},
		{"Summer2024!", "too common"},
		{"qwertyuiop", "too common"},
		{"11111111", "too common"},
		{"zzzzzzzzzz", "too common"},
		{"abcdefghij", "too common"},
		{"98765432", "too common"},
		{"ann@acme.test", "email"},
		{"ANN@ACME.TEST", "email"},
		{"annsmith", ""},
		{"ann12345", "email"},
	} {
		err := enduser.CheckPassword(tt.password, "ann@acme.test")
		got := apperr.FieldErrors(err)["password"]
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%q: %q, want %q", tt.password, got, tt.want)
		}
	}
}

func TestRedirectAllowed(t *testing.T) {
	allowed := []string{"https://app.acme.test", "https://acme.test/callback?x=1", "http://localhost:3000/", "not a url"}
	for _, tt := range []struct {
		target string
		want   bool
	}{
		{"https://app.acme.test", true},
		{"https://app.acme.test/", true},
		{"https://APP.acme.test/deep/path?q=1#frag", true},
		{"https://acme.test/callback?x=1", true},
		{"https://acme.test/callback?x=2", false},
		{"https://acme.test/callback", false},
		{"https://acme.test/", false},
		{"http://app.acme.test/", false}, // another scheme is another origin
		{"https://app.acme.test:8443/", false},
		{"https://app.acme.test.evil.test/", false},
		{"https://evil.test/?https://app.acme.test", false},
		{"https://user@app.acme.test/", false},
		{"http://localhost:3000/anything", true},
		{"javascript:alert(1)", false},
		{"//app.acme.test/", false},
		{"/relative", false},
		{"", false},
	} {
		if got := enduser.RedirectAllowed(allowed, tt.target); got != tt.want {
			t.Errorf("%q: %v, want %v", tt.target, got, tt.want)
		}
	}
	for s, want := range map[string]bool{
		"/my-organizations": true, "/invitations/abc?x=1": true, "//evil.test": false, "/\\evil.test": false,
		"https://evil.test": false, "": false, "relative": false, "/a\nb": false,
	} {
		if got := enduser.LocalPath(s); got != want {
			t.Errorf("LocalPath(%q) = %v", s, got)
		}
	}
}

func TestRateLimit(t *testing.T) {
	k := newKit(t)
	ctx := context.Background()
	l := ratelimit.Limit{Name: "test", PerIP: 5, PerKey: 3, Window: 10 * time.Minute}
	for i := range 3 {
		if err := k.users.Allow(ctx, l, "203.0.113.9", "Ann@Acme.test"); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	// The fourth at the same address (whatever its case) is refused…
	err := k.users.Allow(ctx, l, "198.51.100.1", "ann@acme.test")
	var limited *ratelimit.Error
	if !errors.As(err, &limited) || limited.RetryAfter <= 0 || limited.RetryAfter > 10*time.Minute {
		t.Fatalf("fourth attempt: %v", err)
	}
	// …as is the sixth from one IP, at any address.
	for i := range 2 {
		if err := k.users.Allow(ctx, l, "203.0.113.9", "other"+string(rune('a'+i))+"@acme.test"); err != nil {
			t.Fatalf("IP attempt %d: %v", i+4, err)
		}
	}
	if err := k.users.Allow(ctx, l, "203.0.113.9", "new@acme.test"); !errors.As(err, &limited) {
		t.Fatalf("sixth from one IP: %v", err)
	}
	// The next window starts afresh.
	k.clk.Advance(10 * time.Minute)
	if err := k.users.Allow(ctx, l, "203.0.113.9", "ann@acme.test"); err != nil {
		t.Fatalf("next window: %v", err)
	}
}

func TestSessionLifecycle(t *testing.T) {
	k := newKit(t)
	ctx := context.Background()
	acme := k.org("Acme", "ann@acme.test")
	beta := k.org("Beta", "bob@beta.test")
	ann, _ := k.st.UserByEmail(ctx, "ann@acme.test")

	if _, _, err := k.users.Start(ctx, ann.ID, beta, "EMAIL", "", ""); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("a session in someone else's org: %v", err)
	}
	token, sess, err := k.users.Start(ctx, ann.ID, acme, "EMAIL", "203.0.113.9", "Firefox")
	if err != nil {
		t.Fatal(err)
	}
	if sess.OrganizationID != acme || sess.OrganizationName != "Acme" || sess.Email != "ann@acme.test" ||
		len(sess.AuthenticatedOrganizations) != 1 || !sess.AbsoluteExpiresAt.Equal(testkit.Epoch.Add(30*24*time.Hour)) {
		t.Errorf("session %+v", sess)
	}

	// Activity slides the idle expiry (7 days) up to the absolute one (30).
	for range 4 {
		k.clk.Advance(6 * 24 * time.Hour)
		if got, err := k.users.Authenticate(ctx, token); err != nil || got == nil {
			t.Fatalf("after %s: %v %v", k.clk.Now().Sub(testkit.Epoch), got, err)
		}
	}
	k.clk.Advance(6 * 24 * time.Hour) // day 30: the lifetime is up
	if got, _ := k.users.Authenticate(ctx, token); got != nil {
		t.Error("a session past its lifetime still works")
	}
	token, _, _ = k.users.Start(ctx, ann.ID, "", "EMAIL", "", "")
	k.clk.Advance(7*24*time.Hour + time.Second)
	if got, _ := k.users.Authenticate(ctx, token); got != nil {
		t.Error("a session idle for longer than the idle timeout still works")
	}

	token, _, _ = k.users.Start(ctx, ann.ID, "", "PASSWORD", "", "")
	if err := k.users.EndSession(ctx, token, enduser.ReasonSignedOut); err != nil {
		t.Fatal(err)
	}
	if got, _ := k.users.Authenticate(ctx, token); got != nil {
		t.Error("a signed-out session still works")
	}
	for _, bad := range []string{"", "nonsense", strings.Repeat("x", 500)} {
		if got, err := k.users.Authenticate(ctx, bad); got != nil || err != nil {
			t.Errorf("Authenticate(%.10q) = %v, %v", bad, got, err)
		}
	}
}

// Someone registers a password for an address before its owner arrives by
// email: the owner's proof of the inbox must leave them nothing.
func TestPreHijackByPassword(t *testing.T) {
	k := newKit(t)
	ctx := context.Background()
	const attacker = "the attacker's password"
	if err := k.users.SignUpWithPassword(ctx, "victim@acme.test", attacker, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := k.users.SignInWithPassword(ctx, "victim@acme.test", attacker, "", ""); !errors.Is(err, enduser.ErrEmailUnconfirmed) {
		t.Fatalf("an unconfirmed password signed in: %v", err)
	}
	in, err := k.signInByCode("victim@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := k.st.UserByEmail(ctx, "victim@acme.test")
	if in.UserID != u.ID || !u.EmailVerified {
		t.Errorf("the owner reached %s, verified %v", in.UserID, u.EmailVerified)
	}
	if _, err := k.users.SignInWithPassword(ctx, "victim@acme.test", attacker, "", ""); !errors.Is(err, enduser.ErrWrongPassword) {
		t.Errorf("the attacker's password after the owner arrived: %v", err)
	}
}

func TestSignUpClosed(t *testing.T) {
	k := newKit(t)
	k.org("Acme", "ann@acme.test")
	k.exec(`UPDATE environment_settings SET signup_enabled = false`)
	if _, err := k.signInByCode("ann@acme.test"); err != nil {
		t.Errorf("a known address: %v", err)
	}
	// An unknown address gets no mail, so no code to use; a guess fails.
	ch, err := k.users.StartEmailSignIn(context.Background(), "new@acme.test", "", "")
	if err != nil || ch.Challenge == "" {
		t.Fatalf("start for an unknown address: %+v %v", ch, err)
	}
	var n int
	k.st.DB().Get(&n, `SELECT count(*) FROM email_outbox WHERE to_address = 'new@acme.test'`)
	if n != 0 {
		t.Errorf("%d mails to an unknown address with sign-up closed", n)
	}
	if err := k.users.SignUpWithPassword(context.Background(), "new@acme.test", "a long enough password", "", ""); !errors.Is(err, apperr.ErrFailedPrecondition) {
		t.Errorf("password sign-up while closed: %v", err)
	}
}

func TestSetPassword(t *testing.T) {
	k := newKit(t)
	ctx := context.Background()
	k.org("Acme", "ann@acme.test")
	ann, _ := k.st.UserByEmail(ctx, "ann@acme.test")
	k.exec(`UPDATE users SET email_verified = true`)
	err := k.st.InTx(ctx, func(tx *store.Store) error { return k.users.SetPassword(ctx, tx, ann.ID, "letmein1") })
	if apperr.FieldErrors(err)["password"] == "" {
		t.Fatalf("a common password was set: %v", err)
	}
	if err := k.st.InTx(ctx, func(tx *store.Store) error {
		return k.users.SetPassword(ctx, tx, ann.ID, "a sound passphrase")
	}); err != nil {
		t.Fatal(err)
	}
	if in, err := k.users.SignInWithPassword(ctx, "ANN@acme.test", "a sound passphrase", "", ""); err != nil || in.UserID != ann.ID {
		t.Fatalf("sign-in with the set password: %+v %v", in, err)
	}
}

func TestImportedBcryptIsUpgraded(t *testing.T) {
	k := newKit(t)
	ctx := context.Background()
	k.org("Acme", "ann@acme.test")
	ann, _ := k.st.UserByEmail(ctx, "ann@acme.test")
	k.exec(`UPDATE users SET email_verified = true`)
	bcryptHash, err := bcrypt.GenerateFromPassword([]byte("imported password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.st.SetPasswordHash(ctx, ann.ID, string(bcryptHash), k.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := k.users.SignInWithPassword(ctx, "ann@acme.test", "imported password", "", ""); err != nil {
		t.Fatalf("sign-in with the imported password: %v", err)
	}
	hash, _ := k.st.PasswordHash(ctx, ann.ID)
	if !strings.HasPrefix(hash, "$argon2id$") {
		t.Errorf("the hash was not upgraded: %s", hash)
	}
}

// TestAccountExistsMailToAnInvitee: an invited person who tries to sign up
// (they never made an account; the invitation did) is told the invitation
// is waiting and needs no password, not to reset a forgotten one. Anyone
// else still gets the plain "you have an account" mail.
func TestAccountExistsMailToAnInvitee(t *testing.T) {
	k := newKit(t)
	ctx := context.Background()
	acme := k.org("Acme", "ada@acme.test")
	beta := k.org("Beta & Co", "bea@beta.test")
	inviter := "ada@acme.test"
	for _, org := range []string{acme, beta} {
		if _, err := k.dir.AddMember(ctx, org, directory.UserInput{Email: ptr("Ann@Acme.test")},
			directory.MembershipInput{InviterEmail: &inviter, SendInvitation: true}); err != nil {
			t.Fatal(err)
		}
	}
	k.exec(`UPDATE environment_settings SET signup_enabled = true`)
	lastMail := func(email string) store.OutboxEmail {
		t.Helper()
		for _, m := range testkit.Outbox(t, k.st, email) {
			if m.Kind == "account_exists" {
				return m
			}
		}
		t.Fatalf("no account_exists mail to %s", email)
		return store.OutboxEmail{}
	}

	if err := k.users.SignUpWithPassword(ctx, "ann@ACME.test", "a long enough password", "", ""); err != nil {
		t.Fatal(err)
	}
	m := lastMail("ann@acme.test")
	if m.To != "Ann@Acme.test" {
		t.Errorf("mail to %q, not the address on record", m.To)
	}
	for _, want := range []string{"Acme and Beta & Co", "invitation", "You need no password", "http://roster.test/my-organizations"} {
		if !strings.Contains(m.Subject+"\n"+m.Text, want) {
			t.Errorf("the mail does not say %q:\n%s\n%s", want, m.Subject, m.Text)
		}
	}
	if strings.Contains(m.Text, "forgotten your password") {
		t.Errorf("the mail to an invitee talks of a forgotten password:\n%s", m.Text)
	}

	// Past their expiry the invitations are not offered any more.
	k.clk.Advance(16 * 24 * time.Hour)
	if err := k.users.SignUpWithPassword(ctx, "ann@acme.test", "a long enough password", "", ""); err != nil {
		t.Fatal(err)
	}
	if m := lastMail("ann@acme.test"); !strings.Contains(m.Text, "forgotten your password") || strings.Contains(m.Text, "invited") {
		t.Errorf("after the invitations expired:\n%s", m.Text)
	}
	// A plain member gets the plain mail.
	if err := k.users.SignUpWithPassword(ctx, "bea@beta.test", "a long enough password", "", ""); err != nil {
		t.Fatal(err)
	}
	if m := lastMail("bea@beta.test"); !strings.Contains(m.Subject, "You already have an account") {
		t.Errorf("a member's mail: %q", m.Subject)
	}
}

func ptr[T any](v T) *T { return &v }
