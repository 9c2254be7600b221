// Package social signs end users in with Google and any other OpenID
// Connect provider the app owner adds (authorization code + PKCE through
// coreos/go-oidc), and keeps those providers: the console adds, changes and
// removes them, with each client secret sealed at rest. Who a sign-in
// belongs to is internal/identity's decision. A provider's email_verified
// claim links a new sign-in to an existing user only when the owner trusts
// that provider to verify addresses (TrustEmailVerified); otherwise the
// person proves the inbox first.
package social

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/secretbox"
	"roster/internal/store"
)

// Provider kinds. GitHub is not an OpenID Connect provider (no ID token,
// no discovery), so it cannot be added here.
const (
	KindGoogle    = "GOOGLE"
	KindMicrosoft = "MICROSOFT"
	KindGitHub    = "GITHUB"
	KindOIDC      = "OIDC"
)

// Kinds are the kinds the console offers, in its order.
var Kinds = []string{KindGoogle, KindMicrosoft, KindOIDC}

// GoogleIssuer is Google's issuer, filled in when a Google provider leaves
// the issuer empty.
const GoogleIssuer = "https://accounts.google.com"

// TrustsEmailByDefault reports whether a new provider of kind trusts its
// email_verified claim to link existing accounts unless the owner says
// otherwise. Only Google: it verifies every address it reports. Microsoft
// sends an email claim that the tenant's admins can set to any address, and
// a generic OpenID Connect provider may let anyone claim any address.
func TrustsEmailByDefault(kind string) bool { return kind == KindGoogle }

// KindName is a kind as people read it.
func KindName(kind string) string {
	switch kind {
	case KindGoogle:
		return "Google"
	case KindMicrosoft:
		return "Microsoft"
	case KindGitHub:
		return "GitHub"
	}
	return "OpenID Connect"
}

// Provider is a social provider as callers see it: never its secret.
type Provider struct {
	ID          string
	Kind        string
	DisplayName string
	Issuer      string
	ClientID    string
	SecretSet   bool
	Scopes      []string
	Enabled     bool
	// TrustEmailVerified: the provider's email_verified claim links a new
	// sign-in to the existing user with that address. Off, the person
	// proves the inbox with a mailed code first.
	TrustEmailVerified bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// ProviderInput is what the console sets on a provider.
type ProviderInput struct {
	// ID, on create only, is the id NewProviderID made for the form that
	// showed the provider's redirect URI before it was saved; empty makes
	// a new one. Any other value is refused.
	ID           string
	Kind         string
	DisplayName  string
	Issuer       string
	ClientID     string
	ClientSecret string // on update, "" keeps the stored secret
	Enabled      bool
	// TrustEmailVerified: nil takes the kind's default on create
	// (TrustsEmailByDefault) and keeps the saved value on update.
	TrustEmailVerified *bool
}

// Service keeps the providers and runs sign-ins through them. It is safe
// for concurrent use.
type Service struct {
	store   *store.Store
	clock   clock.Clock
	box     *secretbox.Box
	baseURL string
	http    *http.Client

	mu        sync.Mutex
	discovery map[string]*oidc.Provider // by issuer, discovered on first use
}

// secretLabel keys the box of client secrets; see internal/secretbox.
const secretLabel = "roster/social-providers/client-secret"

// New returns the service. secretKey is the server's secret key (client
// secrets are sealed with a key derived from it); baseURL is Roster's
// public address, where providers send people back.
func New(st *store.Store, clk clock.Clock, secretKey []byte, baseURL string) *Service {
	return &Service{
		store:     st,
		clock:     clk,
		box:       secretbox.New(secretKey, secretLabel),
		baseURL:   strings.TrimSuffix(baseURL, "/"),
		http:      &http.Client{Timeout: 10 * time.Second},
		discovery: map[string]*oidc.Provider{},
	}
}

// NewProviderID makes the id of a provider about to be added. The redirect
// URI holds the id, and the owner must register that URI at the provider
// before the provider can be saved here (the client secret comes from
// there), so the add form shows the URI of this id and Create keeps it.
func (s *Service) NewProviderID() string { return ids.New(ids.Connection) }

// CallbackURL is where the provider sends people back: the redirect URI to
// register with the provider.
func (s *Service) CallbackURL(providerID string) string {
	return s.baseURL + "/signin/social/" + url.PathEscape(providerID) + "/callback"
}

// List returns every provider, by name.
func (s *Service) List(ctx context.Context) ([]Provider, error) {
	rows, err := s.store.ListSocialProviders(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Provider, len(rows))
	for i, r := range rows {
		out[i] = providerOf(r)
	}
	return out, nil
}

// Enabled returns the providers people may sign in with now: none while
// the environment has social sign-in off.
func (s *Service) Enabled(ctx context.Context) ([]Provider, error) {
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil || !settings.SocialSigninEnabled {
		return []Provider{}, err
	}
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	out := []Provider{}
	for _, p := range all {
		if p.Enabled && p.Kind != KindGitHub {
			out = append(out, p)
		}
	}
	return out, nil
}

// Get returns one provider.
func (s *Service) Get(ctx context.Context, id string) (Provider, error) {
	if !ids.HasPrefix(id, ids.Connection) {
		return Provider{}, apperr.NotFound("social provider not found")
	}
	r, err := s.store.SocialProvider(ctx, id)
	if err != nil {
		return Provider{}, err
	}
	return providerOf(r), nil
}

// Create adds a provider. Its id is in.ID when given (see NewProviderID);
// an id a provider has already is a conflict: the same form sent twice.
func (s *Service) Create(ctx context.Context, in ProviderInput) (Provider, error) {
	in, err := checkInput(in, true)
	if err != nil {
		return Provider{}, err
	}
	id := in.ID
	if id == "" {
		id = s.NewProviderID()
	}
	trust := TrustsEmailByDefault(in.Kind)
	if in.TrustEmailVerified != nil {
		trust = *in.TrustEmailVerified
	}
	var out store.SocialProvider
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		out, err = tx.InsertSocialProvider(ctx, store.SocialProvider{
			ID: id, ProviderKind: in.Kind, DisplayName: in.DisplayName, Issuer: in.Issuer, ClientID: in.ClientID,
			ClientSecretEncrypted: s.box.Seal([]byte(in.ClientSecret), []byte(id)),
			Enabled:               in.Enabled, TrustEmailVerified: trust, CreatedAt: s.clock.Now(),
		})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "social_provider.created", TargetType: "social_provider", TargetID: id,
			Changes: model.JSONObject{
				"provider_kind": in.Kind, "display_name": in.DisplayName, "issuer": in.Issuer,
				"client_id": in.ClientID, "enabled": in.Enabled, "trust_email_verified": trust,
			},
		})
	})
	return providerOf(out), err
}

// Update changes a provider; an empty ClientSecret keeps the stored one.
func (s *Service) Update(ctx context.Context, id string, in ProviderInput) (Provider, error) {
	before, err := s.Get(ctx, id)
	if err != nil {
		return Provider{}, err
	}
	if in, err = checkInput(in, false); err != nil {
		return Provider{}, err
	}
	trust := before.TrustEmailVerified
	if in.TrustEmailVerified != nil {
		trust = *in.TrustEmailVerified
	}
	var out store.SocialProvider
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		row := store.SocialProvider{
			ID: id, ProviderKind: in.Kind, DisplayName: in.DisplayName, Issuer: in.Issuer,
			ClientID: in.ClientID, Enabled: in.Enabled, TrustEmailVerified: trust, UpdatedAt: s.clock.Now(),
		}
		if in.ClientSecret != "" {
			row.ClientSecretEncrypted = s.box.Seal([]byte(in.ClientSecret), []byte(id))
		}
		var err error
		if out, err = tx.UpdateSocialProvider(ctx, row); err != nil {
			return err
		}
		changes := model.JSONObject{}
		change := func(name string, from, to any) {
			if from != to {
				changes[name] = map[string]any{"from": from, "to": to}
			}
		}
		change("provider_kind", before.Kind, in.Kind)
		change("display_name", before.DisplayName, in.DisplayName)
		change("issuer", before.Issuer, in.Issuer)
		change("client_id", before.ClientID, in.ClientID)
		change("enabled", before.Enabled, in.Enabled)
		change("trust_email_verified", before.TrustEmailVerified, trust)
		if in.ClientSecret != "" {
			changes["client_secret"] = "replaced" // never the secret itself
		}
		if len(changes) == 0 {
			return nil
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "social_provider.updated", TargetType: "social_provider", TargetID: id, Changes: changes,
		})
	})
	return providerOf(out), err
}

// Delete removes a provider. People who signed in with it keep their
// accounts and can sign in another way.
func (s *Service) Delete(ctx context.Context, id string) (Provider, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return Provider{}, err
	}
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.DeleteSocialProvider(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "social_provider.deleted", TargetType: "social_provider", TargetID: id,
			Changes: model.JSONObject{"display_name": p.DisplayName, "issuer": p.Issuer},
		})
	})
	return p, err
}

// checkInput validates in and fills what a kind implies.
func checkInput(in ProviderInput, creating bool) (ProviderInput, error) {
	var v apperr.Violations
	in.Kind = strings.TrimSpace(in.Kind)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	in.Issuer = strings.TrimSpace(in.Issuer)
	in.ClientID = strings.TrimSpace(in.ClientID)
	in.ClientSecret = strings.TrimSpace(in.ClientSecret)
	if creating && in.ID != "" && !ids.Valid(in.ID, ids.Connection) {
		v.Add("id", "is not a provider id Roster made: open the form again")
	}
	switch in.Kind {
	case KindGoogle, KindMicrosoft, KindOIDC:
	case KindGitHub:
		v.Add("kind", "GitHub does not offer OpenID Connect sign-in, so Roster cannot use it; choose another kind")
	default:
		v.Add("kind", "must be Google, Microsoft or OpenID Connect")
	}
	if in.DisplayName == "" && (in.Kind == KindGoogle || in.Kind == KindMicrosoft) {
		in.DisplayName = KindName(in.Kind)
	}
	if in.Issuer == "" && in.Kind == KindGoogle {
		in.Issuer = GoogleIssuer
	}
	if n := len([]rune(in.DisplayName)); n == 0 {
		v.Add("display_name", "is required: it is what the sign-in button says")
	} else if n > 100 {
		v.Add("display_name", "must be at most 100 characters")
	}
	checkIssuer(&v, in.Issuer)
	if in.ClientID == "" {
		v.Add("client_id", "is required")
	} else if len(in.ClientID) > 512 {
		v.Add("client_id", "must be at most 512 characters")
	}
	if creating && in.ClientSecret == "" {
		v.Add("client_secret", "is required")
	} else if len(in.ClientSecret) > 1024 {
		v.Add("client_secret", "must be at most 1024 characters")
	}
	return in, v.Err()
}

// checkIssuer accepts an https URL, or http on this machine (a provider run
// for development). Discovery is tried at the first sign-in, not here: the
// provider may not be reachable from where the console runs.
func checkIssuer(v *apperr.Violations, issuer string) {
	if issuer == "" {
		v.Add("issuer", "is required")
		return
	}
	u, err := url.Parse(issuer)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil:
		v.Add("issuer", "must be the provider's issuer URL, like https://login.example.com")
	case u.Scheme == "http" && !loopback(u.Hostname()):
		v.Add("issuer", "must use https (http only for a provider on this machine)")
	case u.RawQuery != "" || u.Fragment != "":
		v.Add("issuer", "must not have a query or fragment")
	case len(issuer) > 2048:
		v.Add("issuer", "must be at most 2048 characters")
	}
}

func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func providerOf(r store.SocialProvider) Provider {
	return Provider{
		ID: r.ID, Kind: r.ProviderKind, DisplayName: r.DisplayName, Issuer: r.Issuer, ClientID: r.ClientID,
		SecretSet: len(r.ClientSecretEncrypted) > 0, Scopes: []string(r.Scopes), Enabled: r.Enabled,
		TrustEmailVerified: r.TrustEmailVerified, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}
