package enduser

import (
	"context"
	"net/url"
	"strings"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/identity"
	"roster/internal/ratelimit"
)

// Methods are the ways a person may sign in, as the page after the email
// step offers them.
type Methods struct {
	Email string // as typed, trimmed
	// EmailLink and EmailCode: a mail with a link, a code, or both.
	EmailLink, EmailCode bool
	Password             bool
	// SignUp: people without an account may create one (with a password
	// here; by email link or code, simply by proving the address).
	SignUp bool
	// SignUpBlocked says why nobody may sign up with this address (its
	// domain is blocked in the settings); "" otherwise. Existing accounts
	// sign in as usual.
	SignUpBlocked string
	Social        []SocialOption
}

// SocialOption is a social provider offered on the sign-in page.
type SocialOption struct {
	ID   string // conn_…
	Kind string // GOOGLE, MICROSOFT, GITHUB, OIDC
	Name string // what the button says: "Google"
}

// EmailSignIn reports whether any email method is offered.
func (m Methods) EmailSignIn() bool { return m.EmailLink || m.EmailCode }

// Any reports whether there is any way to sign in at all.
func (m Methods) Any() bool { return m.EmailSignIn() || m.Password || len(m.Social) > 0 }

// Methods is THE one place that decides which sign-in methods a person
// sees: today the environment's settings; an org's sign-in policy (enforced
// SSO, methods turned off) joins here later. The answer depends on the
// address only through such policies, never on whether it has an account,
// so the page cannot be used to find out who is registered.
func (s *Service) Methods(ctx context.Context, email string) (Methods, error) {
	email, ok := directory.NormalizeEmail(email)
	if !ok {
		return Methods{Email: email}, apperr.Invalid(apperr.Field("email", "must be a valid email address, like ann@example.com"))
	}
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil {
		return Methods{}, err
	}
	m := Methods{
		Email:    email,
		Password: settings.PasswordSigninEnabled,
		SignUp:   settings.SignupEnabled,
	}
	if m.SignUp {
		m.SignUpBlocked = identity.SignUpBlocked(settings, email)
		m.SignUp = m.SignUpBlocked == ""
	}
	if settings.EmailSigninEnabled {
		m.EmailLink = settings.EmailSigninMode == "link" || settings.EmailSigninMode == "both"
		m.EmailCode = settings.EmailSigninMode == "code" || settings.EmailSigninMode == "both"
	}
	if s.social != nil {
		providers, err := s.social.Enabled(ctx) // none while social sign-in is off
		if err != nil {
			return Methods{}, err
		}
		for _, p := range providers {
			m.Social = append(m.Social, SocialOption{ID: p.ID, Kind: p.Kind, Name: p.DisplayName})
		}
	}
	return m, nil
}

// Identify is the identity step of sign-in: Methods for email, counted
// against the sign-in limits of ip and of the address.
func (s *Service) Identify(ctx context.Context, email, ip string) (Methods, error) {
	m, err := s.Methods(ctx, email)
	if err != nil {
		return m, err
	}
	return m, s.Allow(ctx, ratelimit.Identify, ip, m.Email)
}

// ReturnTo says where a person may be sent after signing in: returnTo when
// it is a path on this site ("/invitations/…") or an address the
// environment's allowed redirect URLs list, exactly or by origin; else ""
// (the caller then uses the hosted home). The sign-in pages cannot be used
// to send people to any other site.
func (s *Service) ReturnTo(ctx context.Context, returnTo string) (string, error) {
	if returnTo == "" {
		return "", nil
	}
	if LocalPath(returnTo) {
		return returnTo, nil
	}
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil {
		return "", err
	}
	if RedirectAllowed(settings.AllowedRedirectURLs, returnTo) {
		return returnTo, nil
	}
	return "", nil
}

// LocalPath reports whether s is a plain path on this site ("/a?b=c"): not
// "//host", no scheme, no backslashes or control characters that browsers
// might read as another host.
func LocalPath(s string) bool {
	if s == "" || len(s) > 2000 || s[0] != '/' || strings.HasPrefix(s, "//") ||
		strings.ContainsAny(s, "\\\x00\r\n\t") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && !strings.HasPrefix(u.Path, "//")
}

// RedirectAllowed reports whether target matches an entry of allowed: the
// same URL exactly, or an entry that is an origin ("https://app.acme.com")
// and target's origin. Only http(s) URLs without credentials match.
func RedirectAllowed(allowed []string, target string) bool {
	t, ok := parseRedirect(target)
	if !ok {
		return false
	}
	for _, entry := range allowed {
		a, ok := parseRedirect(strings.TrimSpace(entry))
		if !ok {
			continue
		}
		sameOrigin := a.Scheme == t.Scheme && a.Host == t.Host
		if !sameOrigin {
			continue
		}
		if (a.Path == "" || a.Path == "/") && a.RawQuery == "" && a.Fragment == "" {
			return true // an origin allows every address under it
		}
		if a.Path == t.Path && a.RawQuery == t.RawQuery {
			return true
		}
	}
	return false
}

// parseRedirect reads an absolute http(s) URL, lowercasing what is not
// case-sensitive (scheme and host).
func parseRedirect(s string) (*url.URL, bool) {
	if s == "" || len(s) > 2000 || strings.ContainsAny(s, "\\\x00\r\n\t ") {
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Host == "" || u.Opaque != "" {
		return nil, false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, false
	}
	return u, true
}
