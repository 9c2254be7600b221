package social_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"roster/internal/apperr"
	"roster/internal/clock"
	"roster/internal/identity"
	"roster/internal/secretbox"
	"roster/internal/social"
	"roster/internal/store"
	"roster/internal/testkit"
)

var secretKey = bytes.Repeat([]byte{42}, 32)

type fixture struct {
	t   *testing.T
	ctx context.Context
	db  *sqlx.DB
	st  *store.Store
	svc *social.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testkit.NewDB(t)
	st := store.New(db).WithMailKey(testkit.MailKey)
	// The provider's tokens carry the real time; the clock must not be
	// past their expiry.
	clk := clock.NewFake(time.Now())
	return &fixture{t: t, ctx: context.Background(), db: db, st: st,
		svc: social.New(st, clk, secretKey, "http://127.0.0.1:1")}
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.Get(&n, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (f *fixture) addProvider(idp *testkit.OIDCProvider, kind string) social.Provider {
	f.t.Helper()
	p, err := f.svc.Create(f.ctx, social.ProviderInput{Kind: kind, DisplayName: "Test provider", Issuer: idp.Issuer,
		ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, Enabled: true})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func TestProviders(t *testing.T) {
	f := newFixture(t)
	const secret = "very-secret-client-secret-1234"
	p, err := f.svc.Create(f.ctx, social.ProviderInput{Kind: social.KindGoogle, ClientID: "123.apps.test", ClientSecret: secret, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.DisplayName != "Google" || p.Issuer != social.GoogleIssuer || !p.SecretSet || !p.Enabled || !p.TrustEmailVerified {
		t.Errorf("Google defaults: %+v", p)
	}

	// The secret is sealed: the column never holds the plaintext, and it
	// opens only with the server's key and for this row.
	var sealed []byte
	if err := f.db.Get(&sealed, `SELECT client_secret_encrypted FROM social_providers WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(secret)) || f.count(`SELECT count(*) FROM social_providers WHERE encode(client_secret_encrypted, 'escape') LIKE '%very-secret%'`) != 0 {
		t.Error("the database holds the client secret in clear")
	}
	box := secretbox.New(secretKey, "roster/social-providers/client-secret")
	if plain, err := box.Open(sealed, []byte(p.ID)); err != nil || string(plain) != secret {
		t.Errorf("Open = %q, %v", plain, err)
	}
	if f.count(`SELECT count(*) FROM audit_events WHERE action = 'social_provider.created' AND changes::text LIKE '%very-secret%'`) != 0 {
		t.Error("the audit log holds the secret")
	}

	// An empty secret on update keeps the stored one.
	p, err = f.svc.Update(f.ctx, p.ID, social.ProviderInput{Kind: social.KindGoogle, DisplayName: "Google Workspace",
		Issuer: social.GoogleIssuer, ClientID: "456.apps.test", Enabled: false})
	if err != nil {
		t.Fatal(err)
	}
	var after []byte
	_ = f.db.Get(&after, `SELECT client_secret_encrypted FROM social_providers WHERE id = $1`, p.ID)
	if !bytes.Equal(after, sealed) || p.DisplayName != "Google Workspace" || p.ClientID != "456.apps.test" || p.Enabled {
		t.Errorf("update: %+v (secret kept: %v)", p, bytes.Equal(after, sealed))
	}
	if _, err := f.svc.Update(f.ctx, p.ID, social.ProviderInput{Kind: social.KindGoogle, Issuer: social.GoogleIssuer,
		DisplayName: "Google", ClientID: "456.apps.test", ClientSecret: "another-secret"}); err != nil {
		t.Fatal(err)
	}
	_ = f.db.Get(&after, `SELECT client_secret_encrypted FROM social_providers WHERE id = $1`, p.ID)
	if plain, err := box.Open(after, []byte(p.ID)); err != nil || string(plain) != "another-secret" {
		t.Errorf("replaced secret: %q, %v", plain, err)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'social_provider.updated' AND changes->>'client_secret' = 'replaced'`); n != 1 {
		t.Errorf("%d updates recording a replaced secret", n)
	}

	if _, err := f.svc.Delete(f.ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Get(f.ctx, p.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if _, err := f.svc.Get(f.ctx, "conn_nope"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("bad id: %v", err)
	}
}

func TestProviderValidation(t *testing.T) {
	f := newFixture(t)
	ok := social.ProviderInput{Kind: social.KindOIDC, DisplayName: "Acme ID", Issuer: "https://id.acme.test", ClientID: "c", ClientSecret: "s"}
	for _, tt := range []struct {
		name  string
		edit  func(*social.ProviderInput)
		field string
	}{
		{"GitHub is not OIDC", func(in *social.ProviderInput) { in.Kind = social.KindGitHub }, "kind"},
		{"unknown kind", func(in *social.ProviderInput) { in.Kind = "MYSPACE" }, "kind"},
		{"OIDC needs a name", func(in *social.ProviderInput) { in.DisplayName = "" }, "display_name"},
		{"OIDC needs an issuer", func(in *social.ProviderInput) { in.Issuer = "" }, "issuer"},
		{"relative issuer", func(in *social.ProviderInput) { in.Issuer = "id.acme.test" }, "issuer"},
		{"http issuer elsewhere", func(in *social.ProviderInput) { in.Issuer = "http://id.acme.test" }, "issuer"},
		{"issuer with a query", func(in *social.ProviderInput) { in.Issuer = "https://id.acme.test/?x=1" }, "issuer"},
		{"no client id", func(in *social.ProviderInput) { in.ClientID = " " }, "client_id"},
		{"no secret", func(in *social.ProviderInput) { in.ClientSecret = "" }, "client_secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			tt.edit(&in)
			_, err := f.svc.Create(f.ctx, in)
			if apperr.FieldErrors(err)[tt.field] == "" {
				t.Errorf("err = %v, want a violation on %s", err, tt.field)
			}
		})
	}
	if _, err := f.svc.Create(f.ctx, social.ProviderInput{Kind: social.KindOIDC, DisplayName: "Local", Issuer: "http://127.0.0.1:9999", ClientID: "c", ClientSecret: "s"}); err != nil {
		t.Errorf("a local http issuer: %v", err)
	}
}

func TestEnabled(t *testing.T) {
	f := newFixture(t)
	on, _ := f.svc.Create(f.ctx, social.ProviderInput{Kind: social.KindGoogle, ClientID: "a", ClientSecret: "s", Enabled: true})
	f.svc.Create(f.ctx, social.ProviderInput{Kind: social.KindOIDC, DisplayName: "Off", Issuer: "https://off.test", ClientID: "b", ClientSecret: "s"})
	list, err := f.svc.Enabled(f.ctx)
	if err != nil || len(list) != 1 || list[0].ID != on.ID {
		t.Fatalf("Enabled = %+v, %v", list, err)
	}
	if _, err := f.db.Exec(`UPDATE environment_settings SET social_signin_enabled = false`); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.svc.Enabled(f.ctx); len(list) != 0 {
		t.Errorf("social sign-in is off, yet %d providers are offered", len(list))
	}
	if _, _, err := f.svc.Begin(f.ctx, on.ID); !isFlowError(err, "provider-unavailable") {
		t.Errorf("Begin with social sign-in off: %v", err)
	}
}

func isFlowError(err error, reason string) bool {
	var fe *social.FlowError
	return errors.As(err, &fe) && fe.Reason == reason
}

// login runs the provider half of a sign-in over HTTP and returns the flow
// and the callback's parameters.
func login(t *testing.T, f *fixture, idp *testkit.OIDCProvider, providerID, email string) (social.Flow, url.Values) {
	t.Helper()
	target, flow, err := f.svc.Begin(f.ctx, providerID)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(target)
	if err != nil || !strings.HasPrefix(target, idp.Issuer+"/") {
		t.Fatalf("Begin sent the browser to %q", target)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("state") != flow.State || q.Get("nonce") != flow.Nonce ||
		q.Get("redirect_uri") != f.svc.CallbackURL(providerID) {
		t.Errorf("authorize request: %v", q)
	}
	callback, err := url.Parse(idp.Login(target, email))
	if err != nil {
		t.Fatal(err)
	}
	return flow, callback.Query()
}

func TestSignIn(t *testing.T) {
	idp := testkit.NewSocialOIDCProvider(t,
		testkit.OIDCUser{Email: "ann@acme.test", EmailVerified: true},
		testkit.OIDCUser{Email: "bob@acme.test", EmailVerified: false},
	)
	f := newFixture(t)
	p := f.addProvider(idp, social.KindGoogle)

	t.Run("creates the user, then signs in the same one", func(t *testing.T) {
		flow, q := login(t, f, idp, p.ID, "ann@acme.test")
		res, err := f.svc.SignIn(f.ctx, p.ID, flow, q)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Created || res.User.Email != "ann@acme.test" || !res.User.EmailVerified || res.Kind != social.KindGoogle {
			t.Errorf("result %+v", res)
		}
		if res.User.GivenName == nil || *res.User.GivenName != "Social" {
			t.Errorf("profile not filled from the provider: %+v", res.User)
		}
		if n := f.count(`SELECT count(*) FROM identities WHERE user_id = $1 AND issuer = $2 AND provider_kind = 'GOOGLE' AND is_social AND connection_id = $3`,
			res.User.ID, idp.Issuer, p.ID); n != 1 {
			t.Errorf("%d identities", n)
		}
		flow, q = login(t, f, idp, p.ID, "ann@acme.test")
		again, err := f.svc.SignIn(f.ctx, p.ID, flow, q)
		if err != nil || again.Created || again.User.ID != res.User.ID {
			t.Errorf("second sign-in: %+v, %v", again, err)
		}
		// The same answer again: its code was spent at the provider.
		if _, err := f.svc.SignIn(f.ctx, p.ID, flow, q); !isFlowError(err, "exchange-failed") {
			t.Errorf("replayed code: %v", err)
		}
	})

	t.Run("tampered state", func(t *testing.T) {
		flow, q := login(t, f, idp, p.ID, "ann@acme.test")
		q.Set("state", q.Get("state")+"x")
		if _, err := f.svc.SignIn(f.ctx, p.ID, flow, q); !isFlowError(err, "state-mismatch") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("another provider's flow", func(t *testing.T) {
		flow, q := login(t, f, idp, p.ID, "ann@acme.test")
		if _, err := f.svc.SignIn(f.ctx, "conn_aaaaaaaaaaaaaaaaaaaaaaaaaa", flow, q); !isFlowError(err, "state-mismatch") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("wrong nonce", func(t *testing.T) {
		flow, q := login(t, f, idp, p.ID, "ann@acme.test")
		flow.Nonce = "a-nonce-from-another-sign-in"
		if _, err := f.svc.SignIn(f.ctx, p.ID, flow, q); !isFlowError(err, "nonce-mismatch") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("wrong PKCE verifier", func(t *testing.T) {
		flow, q := login(t, f, idp, p.ID, "ann@acme.test")
		flow.Verifier = "another-verifier-another-verifier-another-verifier"
		if _, err := f.svc.SignIn(f.ctx, p.ID, flow, q); !isFlowError(err, "exchange-failed") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("the provider's error", func(t *testing.T) {
		_, flow, _ := f.svc.Begin(f.ctx, p.ID)
		q := url.Values{"state": {flow.State}, "error": {"access_denied"}}
		if _, err := f.svc.SignIn(f.ctx, p.ID, flow, q); !isFlowError(err, "provider-error") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("an unverified email does not link to an existing user", func(t *testing.T) {
		if _, err := f.db.Exec(`INSERT INTO users (id, email, email_verified) VALUES ('usr_bbbbbbbbbbbbbbbbbbbbbbbbbb', 'Bob@acme.test', true)`); err != nil {
			t.Fatal(err)
		}
		flow, q := login(t, f, idp, p.ID, "bob@acme.test")
		_, err := f.svc.SignIn(f.ctx, p.ID, flow, q)
		if !errors.Is(err, identity.ErrEmailNotVerified) {
			t.Fatalf("err = %v", err)
		}
		if n := f.count(`SELECT count(*) FROM identities WHERE user_id = 'usr_bbbbbbbbbbbbbbbbbbbbbbbbbb'`); n != 0 {
			t.Errorf("%d identities added to the existing user", n)
		}
	})
}

func TestSignInSignUpClosed(t *testing.T) {
	idp := testkit.NewSocialOIDCProvider(t, testkit.OIDCUser{Email: "new@acme.test", EmailVerified: true},
		testkit.OIDCUser{Email: "old@acme.test", EmailVerified: true})
	f := newFixture(t)
	p := f.addProvider(idp, social.KindOIDC)
	trusted := true // so its verified email links the existing user below
	if _, err := f.svc.Update(f.ctx, p.ID, social.ProviderInput{Kind: social.KindOIDC, DisplayName: p.DisplayName, Issuer: p.Issuer,
		ClientID: p.ClientID, Enabled: true, TrustEmailVerified: &trusted}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`UPDATE environment_settings SET signup_enabled = false`); err != nil {
		t.Fatal(err)
	}
	flow, q := login(t, f, idp, p.ID, "new@acme.test")
	if _, err := f.svc.SignIn(f.ctx, p.ID, flow, q); !errors.Is(err, social.ErrSignUpClosed) {
		t.Errorf("err = %v, want ErrSignUpClosed", err)
	}
	if n := f.count(`SELECT count(*) FROM users`); n != 0 {
		t.Errorf("%d users", n)
	}
	// An existing user still signs in, and gets the identity.
	if _, err := f.db.Exec(`INSERT INTO users (id, email) VALUES ('usr_cccccccccccccccccccccccccc', 'old@acme.test')`); err != nil {
		t.Fatal(err)
	}
	flow, q = login(t, f, idp, p.ID, "old@acme.test")
	res, err := f.svc.SignIn(f.ctx, p.ID, flow, q)
	if err != nil || res.User.ID != "usr_cccccccccccccccccccccccccc" || res.Kind != social.KindOIDC {
		t.Errorf("existing user: %+v, %v", res, err)
	}
}

// Which providers' verified emails link existing accounts: Google's by
// default, no other kind's unless the owner says so, and every change of
// it is in the audit log.
func TestProviderTrust(t *testing.T) {
	f := newFixture(t)
	create := func(kind string, trust *bool) social.Provider {
		t.Helper()
		p, err := f.svc.Create(f.ctx, social.ProviderInput{Kind: kind, DisplayName: "P " + kind, Issuer: "https://id.test/" + kind,
			ClientID: "c", ClientSecret: "s", Enabled: true, TrustEmailVerified: trust})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for kind, want := range map[string]bool{social.KindGoogle: true, social.KindMicrosoft: false, social.KindOIDC: false} {
		if p := create(kind, nil); p.TrustEmailVerified != want {
			t.Errorf("a new %s provider trusts verified emails: %v, want %v", kind, p.TrustEmailVerified, want)
		}
	}
	on, off := true, false
	if p := create(social.KindOIDC, &on); !p.TrustEmailVerified {
		t.Error("the owner's trust was not kept on create")
	}
	g := create(social.KindGoogle, &off)
	if g.TrustEmailVerified {
		t.Error("the owner's distrust of a Google provider was not kept")
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'social_provider.created' AND target_id = $1 AND changes->>'trust_email_verified' = 'false'`, g.ID); n != 1 {
		t.Errorf("%d created events recording the trust", n)
	}

	in := social.ProviderInput{Kind: social.KindGoogle, DisplayName: g.DisplayName, Issuer: g.Issuer, ClientID: g.ClientID, Enabled: true}
	// nil keeps what is saved; it is not the kind's default again.
	if p, err := f.svc.Update(f.ctx, g.ID, in); err != nil || p.TrustEmailVerified {
		t.Errorf("update without trust: %+v, %v", p, err)
	}
	in.TrustEmailVerified = &on
	if p, err := f.svc.Update(f.ctx, g.ID, in); err != nil || !p.TrustEmailVerified {
		t.Errorf("update to trusted: %+v, %v", p, err)
	}
	if got, _ := f.svc.Get(f.ctx, g.ID); !got.TrustEmailVerified {
		t.Error("the trust did not round-trip through the database")
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'social_provider.updated' AND target_id = $1
		AND changes->'trust_email_verified' = '{"from": false, "to": true}'::jsonb`, g.ID); n != 1 {
		t.Errorf("%d updated events recording the trust's change", n)
	}
}

// The attack: an OpenID Connect provider that lets its users claim any
// address says "email_verified" for an existing user's address.
func TestSignInTrust(t *testing.T) {
	idp := testkit.NewSocialOIDCProvider(t, testkit.OIDCUser{Email: "victim@acme.test", EmailVerified: true})
	insertVictim := func(f *fixture) {
		t.Helper()
		if _, err := f.db.Exec(`INSERT INTO users (id, email, email_verified) VALUES ('usr_vvvvvvvvvvvvvvvvvvvvvvvvvv', 'Victim@acme.test', true)`); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("a generic provider's verified email does not sign in as the account", func(t *testing.T) {
		f := newFixture(t)
		insertVictim(f)
		p := f.addProvider(idp, social.KindOIDC)
		flow, q := login(t, f, idp, p.ID, "victim@acme.test")
		res, err := f.svc.SignIn(f.ctx, p.ID, flow, q)
		var need *identity.InboxProofNeeded
		if !errors.As(err, &need) {
			t.Fatalf("SignIn = %+v, %v; want *identity.InboxProofNeeded", res.User, err)
		}
		if res.User.ID != "" || need.UserID != "usr_vvvvvvvvvvvvvvvvvvvvvvvvvv" || need.Email != "Victim@acme.test" ||
			need.Proof.Issuer != idp.Issuer || need.Proof.ConnectionID != p.ID || res.Provider != "Test provider" {
			t.Errorf("result %+v, need %+v", res, need)
		}
		if n := f.count(`SELECT count(*) FROM identities`); n != 0 {
			t.Errorf("%d identities", n)
		}
	})

	t.Run("the same provider marked trusted links at once", func(t *testing.T) {
		f := newFixture(t)
		insertVictim(f)
		trusted := true
		p, err := f.svc.Create(f.ctx, social.ProviderInput{Kind: social.KindOIDC, DisplayName: "Trusted ID", Issuer: idp.Issuer,
			ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, Enabled: true, TrustEmailVerified: &trusted})
		if err != nil {
			t.Fatal(err)
		}
		flow, q := login(t, f, idp, p.ID, "victim@acme.test")
		res, err := f.svc.SignIn(f.ctx, p.ID, flow, q)
		if err != nil || res.User.ID != "usr_vvvvvvvvvvvvvvvvvvvvvvvvvv" || res.Created {
			t.Errorf("SignIn = %+v, %v", res, err)
		}
	})

	t.Run("a Google provider is trusted by default", func(t *testing.T) {
		f := newFixture(t)
		insertVictim(f)
		p := f.addProvider(idp, social.KindGoogle)
		flow, q := login(t, f, idp, p.ID, "victim@acme.test")
		res, err := f.svc.SignIn(f.ctx, p.ID, flow, q)
		if err != nil || res.User.ID != "usr_vvvvvvvvvvvvvvvvvvvvvvvvvv" {
			t.Errorf("SignIn = %+v, %v", res, err)
		}
	})

	t.Run("a new person through a generic provider gets an unverified user", func(t *testing.T) {
		f := newFixture(t)
		p := f.addProvider(idp, social.KindOIDC)
		flow, q := login(t, f, idp, p.ID, "victim@acme.test")
		res, err := f.svc.SignIn(f.ctx, p.ID, flow, q)
		if err != nil || !res.Created || res.User.EmailVerified {
			t.Errorf("SignIn = %+v, %v: want a new user whose email Roster did not verify", res.User, err)
		}
	})
}

// A returning person is known by issuer and subject: when their address at
// the provider changes to another user's, they still sign in as
// themselves, never as that other user.
func TestSignInReturningWithAnotherUsersEmail(t *testing.T) {
	for _, kind := range []string{social.KindGoogle, social.KindOIDC} {
		t.Run(kind, func(t *testing.T) {
			idp := testkit.NewSocialOIDCProvider(t, testkit.OIDCUser{Email: "ann@acme.test", EmailVerified: true})
			f := newFixture(t)
			p := f.addProvider(idp, kind)
			flow, q := login(t, f, idp, p.ID, "ann@acme.test")
			ann, err := f.svc.SignIn(f.ctx, p.ID, flow, q)
			if err != nil || !ann.Created {
				t.Fatalf("first sign-in: %+v, %v", ann, err)
			}
			if _, err := f.db.Exec(`INSERT INTO users (id, email, email_verified) VALUES ('usr_bbbbbbbbbbbbbbbbbbbbbbbbbb', 'bob@acme.test', true)`); err != nil {
				t.Fatal(err)
			}
			idp.SetEmail("ann@acme.test", "bob@acme.test", true)
			flow, q = login(t, f, idp, p.ID, "ann@acme.test")
			res, err := f.svc.SignIn(f.ctx, p.ID, flow, q)
			if err != nil || res.User.ID != ann.User.ID || res.Email != "bob@acme.test" {
				t.Fatalf("returning with Bob's address: %+v, %v; want Ann (%s)", res.User, err, ann.User.ID)
			}
			if n := f.count(`SELECT count(*) FROM identities WHERE user_id = 'usr_bbbbbbbbbbbbbbbbbbbbbbbbbb'`); n != 0 {
				t.Errorf("%d identities on Bob", n)
			}
		})
	}
}
