// Package settings holds the owners' settings pages: the environment's
// sign-in, sign-up, invitation and session settings, and the social
// providers (Google and other OpenID Connect providers) end users sign in
// with.
package settings

import (
	"net/url"
	"strconv"
	"time"
)

// Form is the settings form as saved or as typed. Numbers stay text so a
// form sent back with a mistake shows what was typed.
type Form struct {
	AppName                       string
	EmailSigninEnabled            bool
	EmailSigninMode               string // link, code, both
	EmailTokenLifetimeMinutes     string
	PasswordSigninEnabled         bool
	SocialSigninEnabled           bool
	SignupEnabled                 bool
	SignupCreatesOrganization     bool
	MaxOrganizationsPerUser       string
	BlockPublicEmailDomains       bool
	BlockDisposableEmailDomains   bool
	InvitationExpiryDays          string
	DeleteUsersWithoutMemberships bool
	UserSessionIdleHours          string
	UserSessionLifetimeDays       string
	AdminSessionIdleMinutes       string
	AdminSessionLifetimeHours     string
	AllowedRedirectURLs           string // one per line
}

// Data is the settings page.
type Data struct {
	Form      Form
	Errors    map[string]string // by form field name
	UpdatedAt time.Time
	// EnabledProviders counts the social providers people can use now.
	EnabledProviders int
}

// Provider is a social provider as the pages show it: never its secret.
type Provider struct {
	ID          string
	Kind        string
	KindName    string
	DisplayName string
	Issuer      string
	ClientID    string
	SecretSet   bool
	Enabled     bool
	CallbackURL string // the redirect URI to register at the provider
	// TrustEmailVerified: the provider's verified emails link to existing
	// accounts at once; otherwise a mailed code comes first.
	TrustEmailVerified bool
}

// ProvidersData is the list of social providers.
type ProvidersData struct {
	Providers     []Provider
	SocialEnabled bool // the environment's switch for social sign-in
}

// ProviderForm is the provider form as saved or as typed. The secret is
// never put back into the page.
type ProviderForm struct {
	// ID, on the add form, is the id the provider will have: its redirect
	// URI holds it, and the form sends it back in a hidden field.
	ID          string
	Kind        string
	DisplayName string
	Issuer      string
	ClientID    string
	Enabled     bool
	// TrustEmailVerified: the checkbox "Trust this provider's verified
	// emails to link existing accounts".
	TrustEmailVerified bool
}

// KindOption is one kind offered in the form.
type KindOption struct {
	Value, Label string
	// TrustDefault: a new provider of this kind trusts its verified emails
	// unless the owner says otherwise.
	TrustDefault bool
}

// ProviderFormData is the page that adds a provider (Provider.ID "") or
// changes one.
type ProviderFormData struct {
	Provider Provider // the saved provider, when editing
	Form     ProviderForm
	Kinds    []KindOption
	Errors   map[string]string
	// CallbackURL is the redirect URI to register at the provider, shown
	// on the add form too: the provider wants it before it gives out the
	// client id and secret.
	CallbackURL string
	// SecretTyped: a secret was typed in a form that came back with
	// mistakes; it is not shown again, so it must be typed again.
	SecretTyped bool
	// TrustFollowsKind: a fresh "add" form, whose trust checkbox follows the
	// chosen kind's default (static/js/app.js) until the owner ticks it.
	TrustFollowsKind bool
}

func (d ProviderFormData) editing() bool { return d.Provider.ID != "" }

func (d ProviderFormData) action() string {
	if d.editing() {
		return ProviderPath(d.Provider.ID, "/edit")
	}
	return "/settings/social-providers"
}

func (d ProviderFormData) secretHint() string {
	switch {
	case d.SecretTyped:
		return "Type the secret again: it is not shown back on the page."
	case d.editing() && d.Provider.SecretSet:
		return "•••• set. Leave empty to keep the stored secret; type a new one to replace it."
	}
	return "Stored encrypted. It is never shown again."
}

// ProviderPath is the address of a provider's page.
func ProviderPath(id, rest string) string {
	return "/settings/social-providers/" + url.PathEscape(id) + rest
}

func shortTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func itoa(n int) string { return strconv.Itoa(n) }

// Tab is a settings page.
type Tab string

// The settings pages.
const (
	TabGeneral Tab = "general"
	TabSocial  Tab = "social"
)

var tabs = []struct {
	ID    Tab
	Label string
	Path  string
}{
	{TabGeneral, "Sign-in and sessions", "/settings"},
	{TabSocial, "Social providers", "/settings/social-providers"},
}
