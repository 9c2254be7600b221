package identity_test

import (
	"errors"
	"strings"
	"testing"

	"roster/internal/identity"
)

// The sign-up rule for every method: a proof that would create a user at a
// domain the settings block is refused, one for an existing user is not.
func TestSignInRefusesSignUpAtBlockedDomains(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	signIn := func(p identity.Proof) error {
		_, _, err := identity.SignIn(f.ctx, f.st, f.clock, p)
		return err
	}

	for _, p := range []identity.Proof{
		emailProof("ann@gmail.com"),
		google("g-1", "Ann@GMail.com", true),
		emailProof("bob@mailinator.com"),
	} {
		err := signIn(p)
		if !errors.Is(err, identity.ErrEmailDomainBlocked) || !strings.Contains(err.Error(), "New accounts cannot be created here") {
			t.Errorf("%s by %s: %v, want ErrEmailDomainBlocked", p.Email, p.Kind, err)
		}
	}
	if n := f.count(`SELECT count(*) FROM users`) + f.count(`SELECT count(*) FROM identities`); n != 0 {
		t.Fatalf("refused sign-ups left %d users and identities", n)
	}

	// Someone already here signs in with the same address.
	f.user("cy@gmail.com", true, "")
	if err := signIn(emailProof("cy@gmail.com")); err != nil {
		t.Errorf("existing user at gmail.com: %v", err)
	}
	if err := signIn(google("g-2", "cy@gmail.com", true)); err != nil {
		t.Errorf("existing user at gmail.com through Google: %v", err)
	}

	// A work address signs up; so does gmail.com with the block off.
	if err := signIn(emailProof("dee@acme.test")); err != nil {
		t.Errorf("work address: %v", err)
	}
	if _, err := f.db.Exec(`UPDATE environment_settings SET block_public_email_domains = false`); err != nil {
		t.Fatal(err)
	}
	if err := signIn(google("g-1", "ann@gmail.com", true)); err != nil {
		t.Errorf("gmail.com with the block off: %v", err)
	}
	if err := signIn(emailProof("bob@mailinator.com")); !errors.Is(err, identity.ErrEmailDomainBlocked) {
		t.Errorf("disposable with only the public block off: %v", err)
	}

	// Sign-up closed says so first.
	if _, err := f.db.Exec(`UPDATE environment_settings SET signup_enabled = false`); err != nil {
		t.Fatal(err)
	}
	if err := signIn(emailProof("eve@mailinator.com")); !errors.Is(err, identity.ErrSignUpClosed) {
		t.Errorf("sign-up closed: %v", err)
	}
}
