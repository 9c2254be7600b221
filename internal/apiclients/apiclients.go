// Package apiclients manages the machine callers of the management API:
// creating and revoking clients, checking their credentials, and issuing and
// verifying the short-lived bearer tokens they call /api/v1 with.
//
// A client's secret is 256 random bits, shown once and kept only as its
// SHA-256: with that much entropy a slow hash adds nothing. Tokens are JWTs
// signed with HS256 under a key derived from the instance secret key, so
// every replica can verify them without sharing state; each verification
// still reads the client's row, so revoking a client stops its tokens at once.
package apiclients

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/ids"
	"roster/internal/store"
	"roster/internal/tokens"
)

// SecretPrefix starts every client secret, so a leaked one is easy to spot
// (secret scanners, logs) and easy to tell from a client id.
const SecretPrefix = "rsk_"

// TokenLifetime is how long an access token is good for.
const TokenLifetime = time.Hour

// Client is an API client as callers see it: never its secret or hash.
type Client struct {
	ID         string
	Name       string
	SecretHint string // the last characters of the secret
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Revoked reports whether the client has been revoked.
func (c Client) Revoked() bool { return c.RevokedAt != nil }

// Options configure the Service.
type Options struct {
	// SecretKey is the instance secret key (at least 32 bytes); the token
	// signing key is derived from it. Leave it empty for a service that only
	// manages clients (the CLI): it then issues no token and accepts none.
	SecretKey []byte
	// Issuer is the token's "iss", normally the public URL. The audience is
	// Issuer + "/api/v1".
	Issuer string
}

// Service manages API clients and their tokens. Safe for concurrent use.
type Service struct {
	store    *store.Store
	clock    clock.Clock
	key      []byte
	issuer   string
	audience string
}

// New returns the service. It panics on a secret key shorter than 32 bytes,
// which is a wiring mistake, not a runtime condition.
func New(st *store.Store, clk clock.Clock, opts Options) *Service {
	if n := len(opts.SecretKey); n > 0 && n < 32 {
		panic(fmt.Sprintf("apiclients.New: SecretKey has %d bytes, want at least 32", n))
	}
	issuer := strings.TrimSuffix(opts.Issuer, "/")
	if issuer == "" {
		issuer = "roster"
	}
	s := &Service{store: st, clock: clk, issuer: issuer, audience: issuer + "/api/v1"}
	if len(opts.SecretKey) > 0 {
		s.key = deriveKey(opts.SecretKey)
	}
	return s
}

func newSecret() string { return SecretPrefix + tokens.Random() }

// Create makes a client and returns it with its secret. The secret is not
// kept and cannot be shown again.
func (s *Service) Create(ctx context.Context, name string) (Client, string, error) {
	name = strings.TrimSpace(name)
	var v apperr.Violations
	switch n := len([]rune(name)); {
	case n == 0:
		v.Add("name", "is required")
	case n > 100:
		v.Add("name", "must be at most 100 characters")
	}
	if err := v.Err(); err != nil {
		return Client{}, "", err
	}
	secret := newSecret()
	actor := audit.ActorFrom(ctx)
	row := store.APIClient{
		ID:         ids.New(ids.APIClient),
		Name:       name,
		SecretHash: tokens.Hash(secret),
		SecretHint: secret[len(secret)-4:],
		CreatedAt:  s.clock.Now(),
	}
	if actor.Label != "" {
		row.CreatedBy = &actor.Label
	}
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if row, err = tx.InsertAPIClient(ctx, row); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "api_client.created", TargetType: "api_client", TargetID: row.ID,
			Changes: map[string]any{"name": row.Name},
		})
	})
	if err != nil {
		return Client{}, "", err
	}
	return fromRow(row), secret, nil
}

// List returns every client, revoked ones included, oldest first.
func (s *Service) List(ctx context.Context) ([]Client, error) {
	rows, err := s.store.ListAPIClients(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Client, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, nil
}

// Get returns one client.
func (s *Service) Get(ctx context.Context, id string) (Client, error) {
	if !ids.HasPrefix(id, ids.APIClient) {
		return Client{}, apperr.NotFound("API client not found")
	}
	row, err := s.store.APIClient(ctx, id)
	return fromRow(row), err
}

// Revoke stops the client: its secret no longer gets tokens and the tokens
// it holds stop working on their next use. Revoking twice is not an error.
func (s *Service) Revoke(ctx context.Context, id string) (Client, error) {
	if !ids.HasPrefix(id, ids.APIClient) {
		return Client{}, apperr.NotFound("API client not found")
	}
	var row store.APIClient
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		before, err := tx.APIClient(ctx, id)
		if err != nil {
			return err
		}
		if row, err = tx.RevokeAPIClient(ctx, id, s.clock.Now()); err != nil {
			return err
		}
		if before.RevokedAt != nil {
			return nil // nothing changed, nothing to record
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "api_client.revoked", TargetType: "api_client", TargetID: id,
			Changes: map[string]any{"name": row.Name},
		})
	})
	if err != nil {
		return Client{}, err
	}
	return fromRow(row), nil
}

// errBadCredentials is the one answer to every failed authentication, so a
// caller cannot tell an unknown client from a wrong secret or a revoked one.
func errBadCredentials() error { return apperr.Unauthenticated("the client credentials are not valid") }

// dummyHash is compared against when the client does not exist, so the
// answer takes as long as for a wrong secret.
var dummyHash = tokens.Hash("no such client")

// Authenticate checks a client id and secret. Every failure is the same
// ErrUnauthenticated error.
func (s *Service) Authenticate(ctx context.Context, clientID, secret string) (Client, error) {
	given := tokens.Hash(secret)
	want := dummyHash
	var row store.APIClient
	var lookupErr error = apperr.ErrNotFound
	// A malformed id cannot exist; skip the query but not the comparison.
	if ids.HasPrefix(clientID, ids.APIClient) {
		row, lookupErr = s.store.APIClient(ctx, clientID)
		if lookupErr == nil {
			want = row.SecretHash
		} else if !errors.Is(lookupErr, apperr.ErrNotFound) {
			return Client{}, lookupErr
		}
	}
	match := subtle.ConstantTimeCompare(given, want) == 1
	if lookupErr != nil || !match || row.RevokedAt != nil {
		return Client{}, errBadCredentials()
	}
	return fromRow(row), nil
}

func fromRow(r store.APIClient) Client {
	c := Client{
		ID: r.ID, Name: r.Name, SecretHint: r.SecretHint, CreatedAt: r.CreatedAt,
		LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt,
	}
	if r.CreatedBy != nil {
		c.CreatedBy = *r.CreatedBy
	}
	return c
}
