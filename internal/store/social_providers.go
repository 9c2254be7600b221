package store

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// SocialProvider is Google or another OpenID Connect provider offered to
// every end user. The client secret is stored sealed (internal/secretbox).
type SocialProvider struct {
	ID                    string         `db:"id"`
	ProviderKind          string         `db:"provider_kind"`
	DisplayName           string         `db:"display_name"`
	Issuer                string         `db:"issuer"`
	ClientID              string         `db:"client_id"`
	ClientSecretEncrypted []byte         `db:"client_secret_encrypted"`
	Scopes                pq.StringArray `db:"scopes"`
	Enabled               bool           `db:"enabled"`
	// TrustEmailVerified: the provider's email_verified claim links a
	// sign-in to the existing user with that address (see
	// internal/identity); without it the person proves the inbox first.
	TrustEmailVerified bool      `db:"trust_email_verified"`
	CreatedAt          time.Time `db:"created_at"`
	UpdatedAt          time.Time `db:"updated_at"`
}

var socialProviderQueries struct {
	Insert string `query:"insert-social-provider"`
	Get    string `query:"get-social-provider"`
	List   string `query:"list-social-providers"`
	Update string `query:"update-social-provider"`
	Delete string `query:"delete-social-provider"`
}

func init() { loadQueries("social_providers.sql", &socialProviderQueries) }

// InsertSocialProvider stores p (ID, sealed secret and CreatedAt set).
func (s *Store) InsertSocialProvider(ctx context.Context, p SocialProvider) (SocialProvider, error) {
	var out SocialProvider
	err := s.get(ctx, &out, socialProviderQueries.Insert, p.ID, p.ProviderKind, p.DisplayName, p.Issuer,
		p.ClientID, p.ClientSecretEncrypted, p.Enabled, p.TrustEmailVerified, p.CreatedAt)
	return out, err
}

// SocialProvider returns the provider with id.
func (s *Store) SocialProvider(ctx context.Context, id string) (SocialProvider, error) {
	var out SocialProvider
	return out, found(s.get(ctx, &out, socialProviderQueries.Get, id), "social provider")
}

// ListSocialProviders returns every provider, enabled or not, by name.
func (s *Store) ListSocialProviders(ctx context.Context) ([]SocialProvider, error) {
	out := []SocialProvider{}
	return out, s.selectAll(ctx, &out, socialProviderQueries.List)
}

// UpdateSocialProvider writes p's fields; a nil ClientSecretEncrypted keeps
// the stored secret. UpdatedAt must be set.
func (s *Store) UpdateSocialProvider(ctx context.Context, p SocialProvider) (SocialProvider, error) {
	var out SocialProvider
	var secret any // a typed nil would not reach the query as NULL
	if p.ClientSecretEncrypted != nil {
		secret = p.ClientSecretEncrypted
	}
	err := s.get(ctx, &out, socialProviderQueries.Update, p.ID, p.ProviderKind, p.DisplayName, p.Issuer,
		p.ClientID, secret, p.Enabled, p.TrustEmailVerified, p.UpdatedAt)
	return out, found(err, "social provider")
}

// DeleteSocialProvider removes the provider. Identities made through it
// stay: they name their issuer, and sign in again if it is added back.
func (s *Store) DeleteSocialProvider(ctx context.Context, id string) error {
	n, err := s.exec(ctx, socialProviderQueries.Delete, id)
	if err == nil && n == 0 {
		return notFound("social provider")
	}
	return err
}
