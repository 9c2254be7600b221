package testkit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
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
	us := userStore{byID: map[string]*storage.User{}, groups: map[string][]string{}}
	for i, u := range users {
		id := fmt.Sprintf("social-user-%d", i+1)
		us.byID[id] = &storage.User{
			ID: id, Username: u.Email, Password: OIDCPassword,
			FirstName: "Social", LastName: fmt.Sprintf("Person %d", i+1),
			Email: u.Email, EmailVerified: u.EmailVerified, PreferredLanguage: language.English,
		}
		p.users[u.Email] = u
	}
	client := storage.WebClient(p.ClientID, p.ClientSecret, "http://127.0.0.1/signin/social/callback")
	st := &socialProviderStorage{
		Storage: storage.NewStorageWithClients(us, map[string]*storage.Client{p.ClientID: client}),
		client:  socialCallbacks{client},
	}
	handler := exampleop.SetupServer(p.Issuer, st, nil, false)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("testkit: social OIDC provider: %v", err)
		}
	})
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
