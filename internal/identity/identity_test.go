package identity_test

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"roster/internal/apperr"
	"roster/internal/clock"
	"roster/internal/identity"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/store"
	"roster/internal/testkit"
)

type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *sqlx.DB
	st    *store.Store
	clock *clock.Fake
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testkit.NewDB(t)
	return &fixture{t: t, ctx: context.Background(), db: db, st: store.New(db).WithMailKey(testkit.MailKey),
		clock: clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))}
}

func (f *fixture) resolve(p identity.Proof) (model.User, bool, error) {
	return identity.Resolve(f.ctx, f.st, f.clock, p)
}

func (f *fixture) mustResolve(p identity.Proof) (model.User, bool) {
	f.t.Helper()
	u, created, err := f.resolve(p)
	if err != nil {
		f.t.Fatalf("Resolve(%+v): %v", p, err)
	}
	return u, created
}

// user makes a user the way an admin or an invitation would.
func (f *fixture) user(email string, verified bool, givenName string) model.User {
	f.t.Helper()
	u := model.User{ID: ids.New(ids.User), Email: email, EmailVerified: verified, CreatedAt: f.clock.Now(),
		Metadata: model.Metadata{}, CustomAttributes: model.JSONObject{}}
	if givenName != "" {
		u.GivenName = &givenName
	}
	out, created, err := f.st.InsertUser(f.ctx, u)
	if err != nil || !created {
		f.t.Fatalf("insert user %s: %v (created %v)", email, err, created)
	}
	return out
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.Get(&n, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (f *fixture) session(userID string) string {
	f.t.Helper()
	hash := make([]byte, 32)
	_, _ = rand.Read(hash)
	now := f.clock.Now()
	s, err := f.st.CreateSession(f.ctx, model.Session{UserID: userID, Status: "ACTIVE", CreatedAt: now,
		IdleExpiresAt: now.Add(time.Hour), AbsoluteExpiresAt: now.Add(24 * time.Hour)}, hash)
	if err != nil {
		f.t.Fatal(err)
	}
	return s.ID
}

// google is a sign-in through a provider the owner trusts to verify
// addresses, as Google is by default.
func google(sub, email string, verified bool) identity.Proof {
	return identity.Proof{Kind: "GOOGLE", Issuer: "https://accounts.google.test", Subject: sub, IsSocial: true,
		ConnectionID: "conn_aaaaaaaaaaaaaaaaaaaaaaaaaa", Email: email, EmailVerified: verified, TrustEmailVerified: true,
		Profile: map[string]string{"given_name": "Ann", "family_name": "Lee", "name": "Ann Lee",
			"picture": "https://pics.test/ann.png", "locale": "en"}}
}

// generic is a sign-in through an OpenID Connect provider the owner does
// not trust to verify addresses (the default for one): anyone with an
// account there may have claimed any address.
func generic(sub, email string, verified bool) identity.Proof {
	return identity.Proof{Kind: "OIDC", Issuer: "https://id.generic.test", Subject: sub, IsSocial: true,
		ConnectionID: "conn_bbbbbbbbbbbbbbbbbbbbbbbbbb", Email: email, EmailVerified: verified,
		Profile: map[string]string{"given_name": "Mallory"}}
}

func emailProof(email string) identity.Proof {
	return identity.Proof{Kind: "EMAIL", Issuer: identity.IssuerEmail, Subject: email, Email: email, EmailVerified: true}
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestResolve(t *testing.T) {
	t.Run("a new verified email creates the user with the identity and profile", func(t *testing.T) {
		f := newFixture(t)
		u, created := f.mustResolve(google("g-1", "ann@acme.test", true))
		if !created || u.Email != "ann@acme.test" || !u.EmailVerified {
			t.Fatalf("user %+v created %v", u, created)
		}
		if str(u.GivenName) != "Ann" || str(u.FamilyName) != "Lee" || str(u.Name) != "Ann Lee" ||
			str(u.Picture) != "https://pics.test/ann.png" || str(u.Locale) != "en" {
			t.Errorf("profile not filled: %+v", u)
		}
		if n := f.count(`SELECT count(*) FROM identities WHERE user_id = $1 AND provider_kind = 'GOOGLE'
			AND is_social AND connection_id = 'conn_aaaaaaaaaaaaaaaaaaaaaaaaaa' AND email_verified
			AND last_login_at IS NOT NULL AND profile->>'given_name' = 'Ann'`, u.ID); n != 1 {
			t.Errorf("%d matching identities", n)
		}
		if n := f.count(`SELECT count(*) FROM audit_events WHERE user_id = $1 AND action IN ('user.created', 'identity.added')`, u.ID); n != 2 {
			t.Errorf("%d audit events, want user.created and identity.added", n)
		}
	})

	t.Run("a new unverified email creates an unverified user", func(t *testing.T) {
		f := newFixture(t)
		u, created := f.mustResolve(google("g-1", "ann@acme.test", false))
		if !created || u.EmailVerified {
			t.Fatalf("user %+v created %v", u, created)
		}
	})

	t.Run("an existing identity signs in its user and records the sign-in", func(t *testing.T) {
		f := newFixture(t)
		first, _ := f.mustResolve(google("g-1", "ann@acme.test", true))
		f.clock.Advance(time.Hour)
		// The provider may report another address now: the identity still wins.
		again, created := f.mustResolve(google("g-1", "ann.lee@elsewhere.test", true))
		if created || again.ID != first.ID || again.Email != "ann@acme.test" {
			t.Fatalf("second sign-in: %+v created %v", again, created)
		}
		var last time.Time
		if err := f.db.Get(&last, `SELECT last_login_at FROM identities WHERE subject = 'g-1'`); err != nil {
			t.Fatal(err)
		}
		if !last.Equal(f.clock.Now()) {
			t.Errorf("last_login_at = %v, want %v", last, f.clock.Now())
		}
		if n := f.count(`SELECT count(*) FROM identities`); n != 1 {
			t.Errorf("%d identities", n)
		}
		if n := f.count(`SELECT count(*) FROM users`); n != 1 {
			t.Errorf("%d users", n)
		}
	})

	t.Run("a verified email links to the existing user and fills only empty fields", func(t *testing.T) {
		f := newFixture(t)
		existing := f.user("ann@acme.test", false, "Annie")
		u, created := f.mustResolve(google("g-1", "ann@acme.test", true))
		if created || u.ID != existing.ID {
			t.Fatalf("got %s created %v, want the existing %s", u.ID, created, existing.ID)
		}
		if str(u.GivenName) != "Annie" {
			t.Errorf("given_name overwritten: %s", str(u.GivenName))
		}
		if str(u.FamilyName) != "Lee" || str(u.Picture) != "https://pics.test/ann.png" {
			t.Errorf("empty fields not filled: %+v", u)
		}
		if !u.EmailVerified {
			t.Error("the email is not verified after a verified proof")
		}
		if n := f.count(`SELECT count(*) FROM identities WHERE user_id = $1`, existing.ID); n != 1 {
			t.Errorf("%d identities", n)
		}
		// A second method later adds its identity to the same user.
		again, _ := f.mustResolve(emailProof("ann@acme.test"))
		if again.ID != existing.ID || f.count(`SELECT count(*) FROM identities WHERE user_id = $1`, existing.ID) != 2 {
			t.Error("the email method did not link to the same user")
		}
	})

	t.Run("the first identity with a profile field fills it; later ones do not change it", func(t *testing.T) {
		f := newFixture(t)
		f.mustResolve(emailProof("ann@acme.test")) // no profile
		p := google("g-1", "ann@acme.test", true)
		u, _ := f.mustResolve(p)
		if str(u.GivenName) != "Ann" {
			t.Fatalf("given_name %s", str(u.GivenName))
		}
		other := google("ms-1", "ann@acme.test", true)
		other.Kind, other.Issuer = "MICROSOFT", "https://login.microsoft.test"
		other.Profile = map[string]string{"given_name": "Anna", "locale": "de"}
		u, _ = f.mustResolve(other)
		if str(u.GivenName) != "Ann" || str(u.Locale) != "en" {
			t.Errorf("a later identity changed the profile: %s %s", str(u.GivenName), str(u.Locale))
		}
	})

	t.Run("an unverified email never links to an existing user", func(t *testing.T) {
		f := newFixture(t)
		f.user("ann@acme.test", true, "")
		events := f.count(`SELECT count(*) FROM audit_events`)
		_, _, err := f.resolve(google("attacker", "ANN@acme.test", false))
		if !errors.Is(err, identity.ErrEmailNotVerified) || !errors.Is(err, apperr.ErrFailedPrecondition) {
			t.Fatalf("err = %v, want ErrEmailNotVerified", err)
		}
		var e *apperr.Error
		if !errors.As(err, &e) || e.Message == "" {
			t.Errorf("no message for the person: %v", err)
		}
		if n := f.count(`SELECT count(*) FROM identities`); n != 0 {
			t.Errorf("%d identities written", n)
		}
		if n := f.count(`SELECT count(*) FROM users`); n != 1 {
			t.Errorf("%d users", n)
		}
		if f.count(`SELECT count(*) FROM audit_events`) != events {
			t.Error("audit events written")
		}
		// The same holds when the existing user is unverified too.
		f2 := newFixture(t)
		f2.user("bob@acme.test", false, "")
		if _, _, err := f2.resolve(google("g-2", "bob@acme.test", false)); !errors.Is(err, identity.ErrEmailNotVerified) {
			t.Errorf("unverified over unverified: err = %v", err)
		}
	})

	t.Run("pre-hijack: a verified proof removes an unverified registrant's password and sessions", func(t *testing.T) {
		f := newFixture(t)
		// The attacker registers a password for the victim's address.
		attacker, created := f.mustResolve(identity.Proof{Kind: "PASSWORD", Issuer: identity.IssuerPassword,
			Subject: "victim@x.test", Email: "victim@x.test", EmailVerified: false})
		if !created || attacker.EmailVerified {
			t.Fatalf("registration: %+v", attacker)
		}
		if _, err := f.db.Exec(`INSERT INTO password_credentials (user_id, hash) VALUES ($1, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')`, attacker.ID); err != nil {
			t.Fatal(err)
		}
		sess := f.session(attacker.ID)

		victim, created := f.mustResolve(google("g-victim", "Victim@X.test", true))
		if created || victim.ID != attacker.ID || !victim.EmailVerified {
			t.Fatalf("victim: %+v created %v", victim, created)
		}
		if n := f.count(`SELECT count(*) FROM password_credentials WHERE user_id = $1`, victim.ID); n != 0 {
			t.Error("the attacker's password survived")
		}
		if n := f.count(`SELECT count(*) FROM identities WHERE user_id = $1 AND provider_kind = 'PASSWORD'`, victim.ID); n != 0 {
			t.Error("the attacker's password identity survived")
		}
		var status string
		if err := f.db.Get(&status, `SELECT status FROM sessions WHERE id = $1`, sess); err != nil || status != "REVOKED" {
			t.Errorf("the attacker's session is %q (%v)", status, err)
		}
		if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'user.email_verified' AND user_id = $1
			AND (changes->>'password_removed')::boolean AND (changes->>'sessions_ended')::int = 1`, victim.ID); n != 1 {
			t.Errorf("%d user.email_verified events", n)
		}
	})

	t.Run("pre-hijack: a verified proof removes an unverified provider's identity", func(t *testing.T) {
		f := newFixture(t)
		lax := google("lax-1", "owner@y.test", false)
		lax.Kind, lax.Issuer, lax.TrustEmailVerified = "OIDC", "https://lax.test", false
		attacker, created := f.mustResolve(lax)
		if !created {
			t.Fatal("the attacker's sign-in did not create the user")
		}
		sess := f.session(attacker.ID)
		owner, _ := f.mustResolve(google("g-owner", "owner@y.test", true))
		if owner.ID != attacker.ID || !owner.EmailVerified {
			t.Fatalf("owner: %+v", owner)
		}
		if n := f.count(`SELECT count(*) FROM identities WHERE issuer = 'https://lax.test'`); n != 0 {
			t.Error("the unverified identity survived")
		}
		if n := f.count(`SELECT count(*) FROM sessions WHERE id = $1 AND status = 'REVOKED'`, sess); n != 1 {
			t.Error("the attacker's session survived")
		}
		if _, _, err := f.resolve(lax); !errors.Is(err, identity.ErrEmailNotVerified) {
			t.Errorf("the attacker's identity signs in again: %v", err)
		}
		if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'user.email_verified' AND (changes->>'identities_removed')::int = 1`); n != 1 {
			t.Errorf("%d audit events counting the removed identity", n)
		}
	})

	t.Run("a verified user's own password stays when they add a method", func(t *testing.T) {
		f := newFixture(t)
		u := f.user("ann@acme.test", true, "")
		if _, err := f.db.Exec(`INSERT INTO password_credentials (user_id, hash) VALUES ($1, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')`, u.ID); err != nil {
			t.Fatal(err)
		}
		sess := f.session(u.ID)
		f.mustResolve(google("g-1", "ann@acme.test", true))
		if f.count(`SELECT count(*) FROM password_credentials`) != 1 ||
			f.count(`SELECT count(*) FROM sessions WHERE id = $1 AND status = 'ACTIVE'`, sess) != 1 {
			t.Error("a verified user lost their password or session")
		}
	})

	t.Run("emails match whatever their case", func(t *testing.T) {
		f := newFixture(t)
		existing := f.user("Ann.Lee@Acme.test", false, "")
		u, created := f.mustResolve(emailProof("ann.lee@acme.TEST"))
		if created || u.ID != existing.ID || u.Email != "Ann.Lee@Acme.test" || !u.EmailVerified {
			t.Errorf("got %+v created %v", u, created)
		}
	})

	t.Run("an inbox identity follows the user's address", func(t *testing.T) {
		f := newFixture(t)
		ann, _ := f.mustResolve(emailProof("ann@acme.test"))
		// An admin changes Ann's address; the old one goes to someone else.
		if _, err := f.db.Exec(`UPDATE users SET email = 'ann@new.test' WHERE id = $1`, ann.ID); err != nil {
			t.Fatal(err)
		}
		other, created := f.mustResolve(emailProof("ann@acme.test"))
		if !created || other.ID == ann.ID {
			t.Errorf("the old address signed in its former user: %+v created %v", other, created)
		}
	})

	t.Run("a new person without an email is refused", func(t *testing.T) {
		f := newFixture(t)
		_, _, err := f.resolve(google("g-1", "", true))
		if !errors.Is(err, identity.ErrNoEmail) {
			t.Errorf("err = %v, want ErrNoEmail", err)
		}
		if _, _, err := f.resolve(identity.Proof{Kind: "GOOGLE", Issuer: "x", Email: "a@b.test"}); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("no subject: err = %v", err)
		}
		if _, _, err := f.resolve(google("g-1", "not an email", true)); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("bad email: err = %v", err)
		}
	})

	t.Run("profile values that do not fit are dropped", func(t *testing.T) {
		f := newFixture(t)
		p := google("g-1", "ann@acme.test", true)
		p.Profile = map[string]string{"picture": "http://insecure.test/a.png", "locale": "a-very-long-locale-tag-that-is-not-real-at-all"}
		u, _ := f.mustResolve(p)
		if u.Picture != nil || u.Locale != nil {
			t.Errorf("picture %s locale %s", str(u.Picture), str(u.Locale))
		}
	})
}

func TestResolveInTransaction(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("the caller failed later")
	err := f.st.InTx(f.ctx, func(tx *store.Store) error {
		if _, _, err := identity.Resolve(f.ctx, tx, f.clock, google("g-1", "ann@acme.test", true)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM users`); n != 0 {
		t.Errorf("the caller's rollback left %d users", n)
	}
}

func TestResolveParallel(t *testing.T) {
	f := newFixture(t)
	proofs := []identity.Proof{}
	for range 6 {
		proofs = append(proofs, google("g-1", "ann@acme.test", true))
	}
	for range 3 {
		proofs = append(proofs, emailProof("ann@acme.test"))
	}
	// Unverified sign-ups of the same new address (a double submit).
	for range 3 {
		proofs = append(proofs, identity.Proof{Kind: "PASSWORD", Issuer: identity.IssuerPassword,
			Subject: "ann@acme.test", Email: "ann@acme.test"})
	}
	var wg sync.WaitGroup
	users := make([]string, len(proofs))
	errs := make([]error, len(proofs))
	for i, p := range proofs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, _, err := identity.Resolve(f.ctx, f.st, f.clock, p)
			users[i], errs[i] = u.ID, err
		}()
	}
	wg.Wait()
	var id string
	for i, err := range errs {
		if err != nil {
			// An unverified sign-up that lost the race to a verified one is
			// refused like any unverified email of an existing user.
			if proofs[i].Kind == "PASSWORD" && errors.Is(err, identity.ErrEmailNotVerified) {
				continue
			}
			t.Errorf("proof %d (%s): %v", i, proofs[i].Kind, err)
			continue
		}
		if id == "" {
			id = users[i]
		}
		if users[i] != id {
			t.Errorf("proof %d got user %s, others %s", i, users[i], id)
		}
	}
	if n := f.count(`SELECT count(*) FROM users`); n != 1 {
		t.Errorf("%d users", n)
	}
	if n := f.count(`SELECT count(*) FROM identities WHERE provider_kind IN ('GOOGLE', 'EMAIL')`); n != 2 {
		t.Errorf("%d identities, want one Google and one email", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'user.created'`); n != 1 {
		t.Errorf("%d user.created events", n)
	}
}

func TestFind(t *testing.T) {
	f := newFixture(t)
	if u, err := identity.Find(f.ctx, f.st, google("g-1", "ann@acme.test", false)); u != nil || err != nil {
		t.Errorf("new person: %v, %v", u, err)
	}
	ann, _ := f.mustResolve(google("g-1", "ann@acme.test", true))
	if u, err := identity.Find(f.ctx, f.st, google("g-1", "other@acme.test", false)); err != nil || u == nil || u.ID != ann.ID {
		t.Errorf("known identity: %v, %v", u, err)
	}
	if u, err := identity.Find(f.ctx, f.st, emailProof("ANN@acme.test")); err != nil || u == nil || u.ID != ann.ID {
		t.Errorf("verified email: %v, %v", u, err)
	}
	if _, err := identity.Find(f.ctx, f.st, google("g-2", "ann@acme.test", false)); !errors.Is(err, identity.ErrEmailNotVerified) {
		t.Errorf("unverified email: err = %v", err)
	}
	if n := f.count(`SELECT count(*) FROM identities`); n != 1 {
		t.Errorf("Find wrote: %d identities", n)
	}
}

// inboxProofNeeded returns the *InboxProofNeeded in err's chain, or fails.
func inboxProofNeeded(t *testing.T, err error) *identity.InboxProofNeeded {
	t.Helper()
	var need *identity.InboxProofNeeded
	if !errors.As(err, &need) || !errors.Is(err, apperr.ErrFailedPrecondition) {
		t.Fatalf("err = %v, want *InboxProofNeeded", err)
	}
	return need
}

// Attacks through a provider the owner does not trust to verify addresses:
// it says "email_verified" for an address its user never proved.
func TestUntrustedProvider(t *testing.T) {
	t.Run("a verified email of an existing account does not open it", func(t *testing.T) {
		f := newFixture(t)
		ann := f.user("Ann@acme.test", true, "")
		sess := f.session(ann.ID)
		events := f.count(`SELECT count(*) FROM audit_events`)
		_, _, err := f.resolve(generic("mallory", "ann@ACME.test", true))
		need := inboxProofNeeded(t, err)
		if need.UserID != ann.ID || need.Email != "Ann@acme.test" || need.Proof.Subject != "mallory" {
			t.Errorf("need = %+v: want Ann's account and address on record, and the waiting sign-in", need)
		}
		if n := f.count(`SELECT count(*) FROM identities`); n != 0 {
			t.Errorf("%d identities written", n)
		}
		if f.count(`SELECT count(*) FROM audit_events`) != events || f.count(`SELECT count(*) FROM sessions WHERE id = $1 AND status = 'ACTIVE'`, sess) != 1 {
			t.Error("the refused sign-in changed something")
		}
		// Find, which sign-in methods ask first, says the same.
		_, err = identity.Find(f.ctx, f.st, generic("mallory", "ann@acme.test", true))
		if need := inboxProofNeeded(t, err); need.UserID != ann.ID {
			t.Errorf("Find: %+v", need)
		}
		// An unverified email still never links, not even by proving the inbox.
		if _, _, err := f.resolve(generic("mallory", "ann@acme.test", false)); !errors.Is(err, identity.ErrEmailNotVerified) {
			t.Errorf("unverified: err = %v", err)
		}
	})

	t.Run("the same provider marked trusted links at once", func(t *testing.T) {
		f := newFixture(t)
		ann := f.user("ann@acme.test", true, "")
		p := generic("ann-at-idp", "ann@acme.test", true)
		p.TrustEmailVerified = true
		u, created := f.mustResolve(p)
		if created || u.ID != ann.ID {
			t.Errorf("got %+v created %v, want Ann", u, created)
		}
	})

	t.Run("after the inbox is proven, the sign-in is linked and then signs in by itself", func(t *testing.T) {
		f := newFixture(t)
		ann := f.user("ann@acme.test", false, "")
		_, _, err := f.resolve(generic("ann-at-idp", "ann@acme.test", true))
		need := inboxProofNeeded(t, err)
		u, err := identity.LinkAfterInboxProof(f.ctx, f.st, f.clock, need.Proof, need.UserID)
		if err != nil || u.ID != ann.ID {
			t.Fatalf("LinkAfterInboxProof = %+v, %v", u, err)
		}
		if !u.EmailVerified || str(u.GivenName) != "Mallory" {
			t.Errorf("the proven inbox did not verify the email or fill the profile: %+v", u)
		}
		if n := f.count(`SELECT count(*) FROM identities WHERE user_id = $1 AND issuer = 'https://id.generic.test' AND subject = 'ann-at-idp' AND email_verified`, ann.ID); n != 1 {
			t.Errorf("%d linked identities", n)
		}
		if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'identity.added' AND user_id = $1 AND changes->>'linked_by' = 'inbox_code'`, ann.ID); n != 1 {
			t.Errorf("%d identity.added events saying the inbox code linked it", n)
		}
		// Next time the provider's word is not needed: the identity is known.
		f.clock.Advance(time.Hour)
		again, created := f.mustResolve(generic("ann-at-idp", "ann@acme.test", true))
		if created || again.ID != ann.ID {
			t.Errorf("returning: %+v created %v", again, created)
		}
		// What the code proved stays proved: returning through the untrusted
		// provider does not mark the identity unproven, which would make a
		// later verification of the user's address remove it.
		if n := f.count(`SELECT count(*) FROM identities WHERE subject = 'ann-at-idp' AND email_verified`); n != 1 {
			t.Error("returning through the untrusted provider undid the proof")
		}
		// Linking the same sign-in twice (a second code) is harmless.
		if u, err := identity.LinkAfterInboxProof(f.ctx, f.st, f.clock, need.Proof, need.UserID); err != nil || u.ID != ann.ID {
			t.Errorf("second link: %+v, %v", u, err)
		}
	})

	t.Run("a proof for an account whose address changed, or a sign-in now someone else's, is refused", func(t *testing.T) {
		f := newFixture(t)
		ann := f.user("ann@acme.test", true, "")
		_, _, err := f.resolve(generic("ann-at-idp", "ann@acme.test", true))
		need := inboxProofNeeded(t, err)
		if _, err := f.db.Exec(`UPDATE users SET email = 'ann@new.test' WHERE id = $1`, ann.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := identity.LinkAfterInboxProof(f.ctx, f.st, f.clock, need.Proof, need.UserID); !errors.Is(err, apperr.ErrFailedPrecondition) {
			t.Errorf("changed address: err = %v", err)
		}
		if _, err := f.db.Exec(`UPDATE users SET email = 'ann@acme.test' WHERE id = $1`, ann.ID); err != nil {
			t.Fatal(err)
		}
		bob := f.user("bob@acme.test", true, "")
		p := need.Proof
		p.Email, p.TrustEmailVerified = bob.Email, true
		f.mustResolve(p) // the sign-in is Bob's now
		if _, err := identity.LinkAfterInboxProof(f.ctx, f.st, f.clock, need.Proof, need.UserID); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("someone else's sign-in: err = %v", err)
		}
		if n := f.count(`SELECT count(*) FROM identities WHERE user_id = $1`, ann.ID); n != 0 {
			t.Errorf("%d identities linked to Ann", n)
		}
	})

	t.Run("a new person gets an unverified user, whose untrusted sign-in the inbox's owner later ends", func(t *testing.T) {
		f := newFixture(t)
		mallory, created := f.mustResolve(generic("mallory", "owner@y.test", true))
		if !created || mallory.EmailVerified {
			t.Fatalf("new user %+v created %v: the untrusted provider's word verified the email", mallory, created)
		}
		if n := f.count(`SELECT count(*) FROM identities WHERE user_id = $1 AND NOT email_verified`, mallory.ID); n != 1 {
			t.Errorf("%d unproven identities", n)
		}
		// The untrusted sign-in returns as the same user, still unverified.
		if again, _ := f.mustResolve(generic("mallory", "owner@y.test", true)); again.ID != mallory.ID || again.EmailVerified {
			t.Errorf("returning: %+v", again)
		}
		sess := f.session(mallory.ID)
		// Another untrusted provider's claim of the address needs the inbox too.
		other := generic("someone", "owner@y.test", true)
		other.Issuer = "https://id.other.test"
		if _, _, err := f.resolve(other); inboxProofNeeded(t, err).UserID != mallory.ID {
			t.Error("the unverified user was not protected like any other")
		}
		// The inbox's owner arrives with a proof: the account is theirs, and
		// the untrusted sign-in and its session are gone.
		owner, _ := f.mustResolve(emailProof("owner@y.test"))
		if owner.ID != mallory.ID || !owner.EmailVerified {
			t.Fatalf("owner: %+v", owner)
		}
		if n := f.count(`SELECT count(*) FROM identities WHERE subject = 'mallory'`); n != 0 {
			t.Error("the untrusted identity survived the owner's proof")
		}
		if n := f.count(`SELECT count(*) FROM sessions WHERE id = $1 AND status = 'REVOKED'`, sess); n != 1 {
			t.Error("the untrusted sign-in's session survived")
		}
	})
}

// A returning person is known by issuer and subject, never by the email
// the provider gives now.
func TestReturningIdentityIgnoresItsEmail(t *testing.T) {
	for _, tt := range []struct {
		name  string
		proof func(email string) identity.Proof
	}{
		{"trusted provider", func(email string) identity.Proof { return google("ann-sub", email, true) }},
		{"untrusted provider", func(email string) identity.Proof { return generic("ann-sub", email, true) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ann, _ := f.mustResolve(tt.proof("ann@acme.test"))
			bob := f.user("bob@acme.test", true, "Bob")
			bobSession := f.session(bob.ID)
			// The provider now says the account's address is Bob's.
			f.clock.Advance(time.Hour)
			u, created := f.mustResolve(tt.proof("BOB@acme.test"))
			if created || u.ID != ann.ID || u.Email != "ann@acme.test" {
				t.Fatalf("signed in %+v created %v, want Ann", u, created)
			}
			if n := f.count(`SELECT count(*) FROM identities WHERE user_id = $1`, bob.ID); n != 0 {
				t.Errorf("%d identities moved or added to Bob", n)
			}
			if n := f.count(`SELECT count(*) FROM identities WHERE subject = 'ann-sub' AND user_id = $1`, ann.ID); n != 1 {
				t.Error("the identity left Ann")
			}
			if f.count(`SELECT count(*) FROM sessions WHERE id = $1 AND status = 'ACTIVE'`, bobSession) != 1 {
				t.Error("Bob's session was touched")
			}
			if u, err := identity.Find(f.ctx, f.st, tt.proof("bob@acme.test")); err != nil || u == nil || u.ID != ann.ID {
				t.Errorf("Find: %+v, %v", u, err)
			}
		})
	}
}
