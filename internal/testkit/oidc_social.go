package testkit

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// NewSocialOIDCProvider starts a provider like NewOIDCProvider, playing a
// social provider (Google or any OpenID Connect one) for end users: its
// client accepts Roster's social callbacks, /signin/social/<id>/callback, on
// any 127.0.0.1 port. A user with EmailVerified false gets
// "email_verified": false, as a provider that never checked the address
// would send. Add it in the console or with srv's social service, using
// Issuer, ClientID and ClientSecret.
func NewSocialOIDCProvider(t testing.TB, users ...OIDCUser) *OIDCProvider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: social OIDC provider: listen: %v", err)
	}
	p := &OIDCProvider{
		Issuer:       "http://" + ln.Addr().String(),
		ClientID:     "roster-social",
		ClientSecret: "roster-social-secret",
		t:            t,
		users:        map[string]OIDCUser{},
	}
	us := p.addUsers("social-user", "Social", "Person", users)
	client := storage.WebClient(p.ClientID, p.ClientSecret, "http://127.0.0.1/signin/social/callback")
	st := &socialProviderStorage{
		Storage: storage.NewStorageWithClients(us, map[string]*storage.Client{p.ClientID: client}),
		client:  socialCallbacks{client},
	}
	serveOIDC(t, ln, p.Issuer, st)
	return p
}

// socialProviderStorage is the example storage with a client that accepts
// Roster's social callbacks.
type socialProviderStorage struct {
	*storage.Storage
	client socialCallbacks
}

func (s *socialProviderStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	if id != s.client.GetID() {
		return nil, errors.New("client not found")
	}
	return s.client, nil
}

// socialCallbacks accepts /signin/social/<provider id>/callback on any local port.
type socialCallbacks struct{ *storage.Client }

func (socialCallbacks) RedirectURIGlobs() []string {
	return []string{"http://127.0.0.1:*/signin/social/*/callback"}
}

func (socialCallbacks) PostLogoutRedirectURIGlobs() []string { return nil }
