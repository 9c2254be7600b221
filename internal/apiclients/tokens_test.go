package apiclients

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"roster/internal/clock"
	"roster/internal/store"
)

// These tests cover the checks that need no database; the HTTP tests in
// web/api cover issuing, revocation and the rest end to end.

func testService(clk clock.Clock) *Service {
	return New(store.New(nil), clk, Options{SecretKey: []byte(strings.Repeat("s", 32)), Issuer: "https://id.example.com/"})
}

func (s *Service) signClaims(t *testing.T, cl claims) string {
	t.Helper()
	b, err := json.Marshal(cl)
	if err != nil {
		t.Fatal(err)
	}
	signed := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(b)
	return signed + "." + base64.RawURLEncoding.EncodeToString(s.sign(signed))
}

func TestParseChecksClaims(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	s := testService(clock.NewFake(now))
	good := claims{
		Issuer: "https://id.example.com", Audience: "https://id.example.com/api/v1",
		Subject: "cli_aaaaaaaaaaaaaaaaaaaaaaaaaa", IssuedAt: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix(), ID: "x",
	}
	if _, ok := s.parse(s.signClaims(t, good)); !ok {
		t.Fatal("a good token was refused")
	}
	bad := map[string]func(c *claims){
		"other issuer":     func(c *claims) { c.Issuer = "https://evil.example.com" },
		"other audience":   func(c *claims) { c.Audience = "https://id.example.com" },
		"not a client":     func(c *claims) { c.Subject = "usr_aaaaaaaaaaaaaaaaaaaaaaaaaa" },
		"expired":          func(c *claims) { c.IssuedAt, c.ExpiresAt = now.Add(-time.Hour).Unix(), now.Unix() },
		"issued in future": func(c *claims) { c.IssuedAt, c.ExpiresAt = now.Add(2*time.Minute).Unix(), now.Add(time.Hour).Unix() },
		"too long-lived":   func(c *claims) { c.ExpiresAt = now.Add(2 * time.Hour).Unix() },
	}
	for name, mutate := range bad {
		c := good
		mutate(&c)
		if _, ok := s.parse(s.signClaims(t, c)); ok {
			t.Errorf("%s: accepted", name)
		}
	}

	tok := s.signClaims(t, good)
	other := New(store.New(nil), clock.NewFake(now), Options{SecretKey: []byte(strings.Repeat("o", 32)), Issuer: "https://id.example.com"})
	malformed := map[string]string{
		"empty":          "",
		"two parts":      tok[:strings.LastIndex(tok, ".")],
		"four parts":     tok + ".x",
		"other key":      other.signClaims(t, good),
		"HS512 header":   base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS512","typ":"JWT"}`)) + tok[strings.Index(tok, "."):],
		"huge":           tok + strings.Repeat("A", maxTokenLength),
		"padded base64":  tok + "=",
		"claims garbage": jwtHeader + ".bm90IGpzb24." + base64.RawURLEncoding.EncodeToString(s.sign(jwtHeader+".bm90IGpzb24")),
	}
	for name, tok := range malformed {
		if _, ok := s.parse(tok); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSigningKeyIsDerived(t *testing.T) {
	t.Parallel()
	key := []byte(strings.Repeat("s", 32))
	if got := deriveKey(key); string(got) == string(key) || len(got) != 32 {
		t.Errorf("derived key %x", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("a 16-byte secret key was accepted")
		}
	}()
	New(store.New(nil), clock.Real{}, Options{SecretKey: make([]byte, 16)})
}

func TestNoKeyNoTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	keyless := New(store.New(nil), clock.NewFake(now), Options{Issuer: "https://id.example.com"})
	tok := testService(clock.NewFake(now)).signClaims(t, claims{
		Issuer: "https://id.example.com", Audience: "https://id.example.com/api/v1",
		Subject: "cli_aaaaaaaaaaaaaaaaaaaaaaaaaa", IssuedAt: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix(),
	})
	if _, ok := keyless.parse(tok); ok {
		t.Error("a service without a key accepted a token")
	}
	if _, err := keyless.IssueToken(t.Context(), "cli_aaaaaaaaaaaaaaaaaaaaaaaaaa", "x"); err == nil {
		t.Error("a service without a key issued a token")
	}
}
