package enduser_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"roster/internal/apperr"
	"roster/internal/clock"
	"roster/internal/directory"
	"roster/internal/enduser"
	"roster/internal/identity"
	"roster/internal/ratelimit"
	"roster/internal/social"
	"roster/internal/store"
	"roster/internal/testkit"
)

// linkKit is a kit whose sign-in offers one generic OpenID Connect
// provider, not trusted to verify addresses (the default for one).
type linkKit struct {
	kit
	soc      *social.Service
	provider social.Provider
}

func newLinkKit(t *testing.T) linkKit {
	t.Helper()
	st := store.New(testkit.NewDB(t)).WithMailKey(testkit.MailKey)
	clk := clock.NewFake(testkit.Epoch)
	dir := directory.New(st, clk)
	soc := social.New(st, clk, bytes.Repeat([]byte{7}, 32), "http://roster.test")
	p, err := soc.Create(context.Background(), social.ProviderInput{Kind: social.KindOIDC, DisplayName: "Acme ID",
		Issuer: "https://id.acme.test", ClientID: "c", ClientSecret: "s", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return linkKit{kit{t: t, st: st, clk: clk, dir: dir, users: enduser.New(st, clk, dir, soc, "http://roster.test")}, soc, p}
}

// claim is what Acme ID's sign-in of subject with email leaves: the
// refusal that asks for the inbox.
func (k linkKit) claim(subject, email string) *identity.InboxProofNeeded {
	k.t.Helper()
	_, _, err := identity.Resolve(context.Background(), k.st, k.clk, identity.Proof{
		Kind: "OIDC", Issuer: k.provider.Issuer, Subject: subject, ConnectionID: k.provider.ID, IsSocial: true,
		Email: email, EmailVerified: true, Profile: map[string]string{"name": "Someone"},
	})
	var need *identity.InboxProofNeeded
	if !errors.As(err, &need) {
		k.t.Fatalf("Resolve: %v, want *identity.InboxProofNeeded", err)
	}
	return need
}

// start mails the link code and returns the challenge and the code.
func (k linkKit) start(need *identity.InboxProofNeeded) (enduser.LinkChallenge, string) {
	k.t.Helper()
	k.clk.Advance(time.Second)
	ch, err := k.users.StartIdentityLink(context.Background(), need, k.provider.DisplayName, "/my-organizations", "203.0.113.9")
	if err != nil {
		k.t.Fatal(err)
	}
	mails := testkit.Outbox(k.t, k.st, need.Email)
	if len(mails) == 0 {
		k.t.Fatalf("no mail to %s", need.Email)
	}
	text, kind := mails[0].Text, mails[0].Kind
	m := codeInMail.FindStringSubmatch(text)
	if m == nil || kind != "identity_link" || !strings.Contains(text, "Acme ID") || !strings.Contains(text, "do not give the code") {
		k.t.Fatalf("the mail (%s) does not hold the code, name the provider and warn:\n%s", kind, text)
	}
	return ch, m[1]
}

func (k linkKit) identities(userID string) int {
	k.t.Helper()
	var n int
	if err := k.st.DB().Get(&n, `SELECT count(*) FROM identities WHERE user_id = $1`, userID); err != nil {
		k.t.Fatal(err)
	}
	return n
}

func TestIdentityLink(t *testing.T) {
	ctx := context.Background()

	t.Run("the code mailed to the address on record links the sign-in, once", func(t *testing.T) {
		k := newLinkKit(t)
		k.org("Acme", "Ann@acme.test")
		ann := k.userID("ann@acme.test")
		need := k.claim("ann-at-acme-id", "ann@ACME.test")
		ch, code := k.start(need)
		if ch.MaskedEmail != "A***@acme.test" || ch.Challenge == "" {
			t.Errorf("challenge %+v", ch)
		}
		// Only hashes are kept: neither the challenge nor the code is stored.
		var n int
		_ = k.st.DB().Get(&n, `SELECT count(*) FROM one_time_tokens WHERE purpose = 'identity_link' AND user_id = $1
			AND token_hash = sha256($2::bytea) AND code_hash IS NOT NULL AND position($3 in data::text) = 0`, ann, ch.Challenge, code)
		if n != 1 {
			t.Error("the link code's token is not stored hashed for Ann")
		}
		before := k.identities(ann)

		wrong := code[:5] + string(rune('0'+(code[5]-'0'+1)%10))
		if _, err := k.users.ConfirmIdentityLink(ctx, ch.Challenge, wrong, "203.0.113.9"); !strings.Contains(apperr.FieldErrors(err)["code"], "4 more tries") {
			t.Errorf("wrong code: %v", err)
		}
		if k.identities(ann) != before {
			t.Error("a wrong code linked something")
		}
		in, err := k.users.ConfirmIdentityLink(ctx, ch.Challenge, code, "203.0.113.9")
		if err != nil || in.UserID != ann || in.Method != "OIDC" || in.ReturnTo != "/my-organizations" {
			t.Fatalf("ConfirmIdentityLink = %+v, %v", in, err)
		}
		if k.identities(ann) != before+1 {
			t.Error("the sign-in was not linked to Ann")
		}
		if _, err := k.users.ConfirmIdentityLink(ctx, ch.Challenge, code, "203.0.113.9"); !strings.Contains(apperr.FieldErrors(err)["code"], "already been used") {
			t.Errorf("the code works twice: %v", err)
		}
	})

	t.Run("an expired code links nothing", func(t *testing.T) {
		k := newLinkKit(t)
		k.org("Acme", "ann@acme.test")
		ann := k.userID("ann@acme.test")
		ch, code := k.start(k.claim("ann-at-acme-id", "ann@acme.test"))
		k.clk.Advance(10 * time.Minute)
		if _, err := k.users.ConfirmIdentityLink(ctx, ch.Challenge, code, ""); !strings.Contains(apperr.FieldErrors(err)["code"], "expired") {
			t.Errorf("expired code: %v", err)
		}
		if n := k.identities(ann); n != 0 {
			t.Errorf("%d identities", n)
		}
	})

	t.Run("a provider turned off meanwhile links nothing", func(t *testing.T) {
		k := newLinkKit(t)
		k.org("Acme", "ann@acme.test")
		ann := k.userID("ann@acme.test")
		ch, code := k.start(k.claim("ann-at-acme-id", "ann@acme.test"))
		p := k.provider
		if _, err := k.soc.Update(ctx, p.ID, social.ProviderInput{Kind: p.Kind, DisplayName: p.DisplayName, Issuer: p.Issuer,
			ClientID: p.ClientID, Enabled: false}); err != nil {
			t.Fatal(err)
		}
		if _, err := k.users.ConfirmIdentityLink(ctx, ch.Challenge, code, ""); !errors.Is(err, apperr.ErrFailedPrecondition) {
			t.Errorf("disabled provider: %v", err)
		}
		if n := k.identities(ann); n != 0 {
			t.Errorf("%d identities", n)
		}
	})

	t.Run("mail to one address is limited like sign-in mail", func(t *testing.T) {
		k := newLinkKit(t)
		k.org("Acme", "ann@acme.test")
		need := k.claim("mallory", "ann@acme.test")
		var err error
		for i := 0; i <= ratelimit.SignInMail.PerKey && err == nil; i++ {
			_, err = k.users.StartIdentityLink(ctx, need, "Acme ID", "", "")
		}
		var limited *ratelimit.Error
		if !errors.As(err, &limited) {
			t.Errorf("after %d codes: %v", ratelimit.SignInMail.PerKey+1, err)
		}
	})
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"ann@example.com": "a***@example.com",
		"Ä@example.com":   "Ä***@example.com",
		"nonsense":        "***",
	} {
		if got := enduser.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func (k kit) userID(email string) string {
	k.t.Helper()
	var id string
	if err := k.st.DB().Get(&id, `SELECT id FROM users WHERE lower(email) = lower($1)`, email); err != nil {
		k.t.Fatalf("user %s: %v", email, err)
	}
	return id
}
