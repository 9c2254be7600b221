package apiclients

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"roster/internal/apperr"
	"roster/internal/ids"
)

// The JWT is written and read here by hand: one algorithm, one fixed header,
// a few claims. Verification compares the header byte for byte with the one
// we write, so "alg":"none" or any algorithm swap is refused before the
// signature is even looked at.

// tokenKeyLabel names what the derived key is for; a new label (v2) would
// invalidate every token without touching the instance key.
const tokenKeyLabel = "roster api-client access token v1"

// deriveKey makes the signing key from the instance secret key, so the
// instance key itself never signs anything another feature could confuse
// with a token.
func deriveKey(secretKey []byte) []byte {
	m := hmac.New(sha256.New, secretKey)
	m.Write([]byte(tokenKeyLabel))
	return m.Sum(nil)
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// maxTokenLength bounds what we are willing to parse; ours are ~350 bytes.
const maxTokenLength = 2048

// iatLeeway tolerates a replica whose clock runs slightly ahead of ours.
const iatLeeway = time.Minute

type claims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
	ID        string `json:"jti"`
}

// Token is an issued access token.
type Token struct {
	AccessToken string
	ExpiresIn   time.Duration
	Client      Client
}

// IssueToken authenticates the client and returns a bearer token for it.
func (s *Service) IssueToken(ctx context.Context, clientID, secret string) (Token, error) {
	if s.key == nil {
		return Token{}, errNoKey
	}
	c, err := s.Authenticate(ctx, clientID, secret)
	if err != nil {
		return Token{}, err
	}
	now := s.clock.Now()
	if err := s.store.TouchAPIClient(ctx, c.ID, now); err != nil {
		return Token{}, err
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return Token{}, err
	}
	payload, err := json.Marshal(claims{
		Issuer:    s.issuer,
		Subject:   c.ID,
		Audience:  s.audience,
		IssuedAt:  now.Unix(),
		ExpiresAt: now.Add(TokenLifetime).Unix(),
		ID:        base64.RawURLEncoding.EncodeToString(jti[:]),
	})
	if err != nil {
		return Token{}, err
	}
	signed := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	tok := signed + "." + base64.RawURLEncoding.EncodeToString(s.sign(signed))
	return Token{AccessToken: tok, ExpiresIn: TokenLifetime, Client: c}, nil
}

func (s *Service) sign(signed string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(signed))
	return m.Sum(nil)
}

// errBadToken is the one answer to every token that does not pass, whatever
// the reason, so a caller learns nothing from trying variations.
func errBadToken() error { return apperr.Unauthenticated("a valid bearer token is required") }

// VerifyToken checks the token's signature, issuer, audience and lifetime,
// then that its client still exists and is not revoked, and returns the
// client. Every failure is the same ErrUnauthenticated error.
func (s *Service) VerifyToken(ctx context.Context, token string) (Client, error) {
	cl, ok := s.parse(token)
	if !ok {
		return Client{}, errBadToken()
	}
	// The row is read on every call: a revoked client's tokens must stop at
	// once, and a primary-key lookup costs a fraction of a millisecond.
	row, err := s.store.APIClient(ctx, cl.Subject)
	if errors.Is(err, apperr.ErrNotFound) {
		return Client{}, errBadToken()
	}
	if err != nil {
		return Client{}, err
	}
	if row.RevokedAt != nil {
		return Client{}, errBadToken()
	}
	return fromRow(row), nil
}

// errNoKey means the service was built without a key (see Options).
var errNoKey = errors.New("apiclients: no secret key, so no tokens")

// parse checks everything about the token that needs no database.
func (s *Service) parse(token string) (claims, bool) {
	var cl claims
	if s.key == nil || len(token) > maxTokenLength {
		return cl, false
	}
	header, rest, ok := strings.Cut(token, ".")
	if !ok || header != jwtHeader {
		return cl, false
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return cl, false
	}
	gotSig, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(gotSig, s.sign(header+"."+payload)) {
		return cl, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(raw, &cl) != nil {
		return cl, false
	}
	now := s.clock.Now()
	switch {
	case cl.Issuer != s.issuer, cl.Audience != s.audience:
		return cl, false
	case !ids.HasPrefix(cl.Subject, ids.APIClient):
		return cl, false
	case now.Unix() >= cl.ExpiresAt:
		return cl, false
	case time.Unix(cl.IssuedAt, 0).After(now.Add(iatLeeway)):
		return cl, false
	case cl.ExpiresAt-cl.IssuedAt > int64(TokenLifetime/time.Second):
		return cl, false
	}
	return cl, true
}
