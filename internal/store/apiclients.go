package store

import (
	"context"
	"time"
)

// APIClient is a machine caller of the management API. SecretHash is the
// SHA-256 of the secret; the secret itself is never stored.
type APIClient struct {
	ID         string     `db:"id"`
	Name       string     `db:"name"`
	SecretHash []byte     `db:"secret_hash"`
	SecretHint string     `db:"secret_hint"`
	CreatedBy  *string    `db:"created_by"`
	CreatedAt  time.Time  `db:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
}

var apiClientQueries struct {
	Insert string `query:"insert-api-client"`
	Get    string `query:"get-api-client"`
	List   string `query:"list-api-clients"`
	Revoke string `query:"revoke-api-client"`
	Touch  string `query:"touch-api-client"`
}

func init() { loadQueries("apiclients.sql", &apiClientQueries) }

// InsertAPIClient stores a new client; c.ID, c.SecretHash and c.CreatedAt must be set.
func (s *Store) InsertAPIClient(ctx context.Context, c APIClient) (APIClient, error) {
	var out APIClient
	err := s.get(ctx, &out, apiClientQueries.Insert, c.ID, c.Name, c.SecretHash, c.SecretHint, c.CreatedBy, c.CreatedAt)
	return out, err
}

// APIClient returns the client with id, revoked or not.
func (s *Store) APIClient(ctx context.Context, id string) (APIClient, error) {
	var c APIClient
	return c, found(s.get(ctx, &c, apiClientQueries.Get, id), "API client")
}

// ListAPIClients returns every client, revoked ones included, oldest first.
func (s *Store) ListAPIClients(ctx context.Context) ([]APIClient, error) {
	list := []APIClient{}
	return list, s.selectAll(ctx, &list, apiClientQueries.List)
}

// RevokeAPIClient marks the client revoked at at (or leaves an earlier
// revocation as it was) and returns it.
func (s *Store) RevokeAPIClient(ctx context.Context, id string, at time.Time) (APIClient, error) {
	var c APIClient
	return c, found(s.get(ctx, &c, apiClientQueries.Revoke, id, at), "API client")
}

// TouchAPIClient records that the client authenticated at at.
func (s *Store) TouchAPIClient(ctx context.Context, id string, at time.Time) error {
	_, err := s.exec(ctx, apiClientQueries.Touch, id, at)
	return err
}
