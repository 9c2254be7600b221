package directory

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/model"
	"roster/internal/store"
)

// SettingsInput is every environment setting an owner edits on the
// settings page: the sign-in methods, sign-up, invitations, sessions and
// where end users may be sent afterwards. All fields are written.
type SettingsInput struct {
	AppName                       string // the product's name on sign-in pages and in mail
	EmailSigninEnabled            bool
	EmailSigninMode               string // link, code or both
	EmailTokenLifetime            time.Duration
	PasswordSigninEnabled         bool
	SocialSigninEnabled           bool
	SignupEnabled                 bool
	SignupCreatesOrganization     bool
	MaxOrganizationsPerUser       int // 0: no limit
	InvitationExpiry              time.Duration
	DeleteUsersWithoutMemberships bool
	BlockPublicEmailDomains       bool
	BlockDisposableEmailDomains   bool
	UserSessionIdleTimeout        time.Duration
	UserSessionLifetime           time.Duration
	AdminSessionIdleTimeout       time.Duration
	AdminSessionLifetime          time.Duration
	AllowedRedirectURLs           []string
}

// Bounds of the settings, as people read them in messages.
var (
	emailTokenBounds   = bounds{time.Minute, time.Hour, "1 minute", "1 hour"}
	invitationBounds   = bounds{24 * time.Hour, 90 * 24 * time.Hour, "1 day", "90 days"}
	userLifetimeBounds = bounds{time.Hour, 365 * 24 * time.Hour, "1 hour", "365 days"}
	adminLifetimeBound = bounds{time.Hour, 30 * 24 * time.Hour, "1 hour", "30 days"}
	minIdle            = 5 * time.Minute
)

// maxRedirectURLs bounds the allowlist: it is matched on every sign-in.
const maxRedirectURLs = 100

// maxOrganizationsLimit is the largest "max organizations per user".
const maxOrganizationsLimit = 10000

type bounds struct {
	min, max         time.Duration
	minText, maxText string
}

func (b bounds) check(v *apperr.Violations, field string, d time.Duration) {
	if d < b.min || d > b.max {
		v.Add(field, "must be between "+b.minText+" and "+b.maxText)
	}
}

// Settings returns the environment's settings.
func (s *Service) Settings(ctx context.Context) (model.EnvironmentSettings, error) {
	return s.store.EnvironmentSettings(ctx)
}

// UpdateSettings checks and saves in, and records what changed, from → to,
// in a settings.updated audit event. Saving the same values changes nothing.
func (s *Service) UpdateSettings(ctx context.Context, in SettingsInput) (model.EnvironmentSettings, error) {
	redirects, err := checkSettings(in)
	if err != nil {
		return model.EnvironmentSettings{}, err
	}
	var out model.EnvironmentSettings
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockEnvironmentSettings(ctx); err != nil {
			return err
		}
		before, err := tx.EnvironmentSettings(ctx)
		if err != nil {
			return err
		}
		after := before
		after.AppName = strings.TrimSpace(in.AppName)
		after.EmailSigninEnabled = in.EmailSigninEnabled
		after.EmailSigninMode = in.EmailSigninMode
		after.EmailTokenLifetime = in.EmailTokenLifetime
		after.PasswordSigninEnabled = in.PasswordSigninEnabled
		after.SocialSigninEnabled = in.SocialSigninEnabled
		after.SignupEnabled = in.SignupEnabled
		after.SignupCreatesOrganization = in.SignupCreatesOrganization
		after.MaxOrganizationsPerUser = in.MaxOrganizationsPerUser
		after.InvitationExpiry = in.InvitationExpiry
		after.DeleteUsersWithoutMemberships = in.DeleteUsersWithoutMemberships
		after.BlockPublicEmailDomains = in.BlockPublicEmailDomains
		after.BlockDisposableEmailDomains = in.BlockDisposableEmailDomains
		after.UserSessionIdleTimeout = in.UserSessionIdleTimeout
		after.UserSessionLifetime = in.UserSessionLifetime
		after.AdminSessionIdleTimeout = in.AdminSessionIdleTimeout
		after.AdminSessionLifetime = in.AdminSessionLifetime
		after.AllowedRedirectURLs = redirects
		changes := settingsChanges(before, after)
		if len(changes) == 0 {
			out = before
			return nil
		}
		if err := tx.UpdateEnvironmentSettings(ctx, after, s.clock.Now()); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "settings.updated", TargetType: "environment_settings", TargetID: "environment", Changes: changes,
		}); err != nil {
			return err
		}
		out, err = tx.EnvironmentSettings(ctx)
		return err
	})
	return out, err
}

// checkSettings validates in and returns the redirect allowlist cleaned up
// (trimmed, blank lines and repeats dropped).
func checkSettings(in SettingsInput) ([]string, error) {
	var v apperr.Violations
	checkLen(&v, "app_name", strings.TrimSpace(in.AppName), 1, 100)
	if !in.EmailSigninEnabled && !in.PasswordSigninEnabled && !in.SocialSigninEnabled {
		v.Add("email_signin_enabled", "or another sign-in method must stay on, or nobody can sign in")
	}
	if !slices.Contains([]string{"link", "code", "both"}, in.EmailSigninMode) {
		v.Add("email_signin_mode", "must be link, code or both")
	}
	emailTokenBounds.check(&v, "email_token_lifetime", in.EmailTokenLifetime)
	invitationBounds.check(&v, "invitation_expiry", in.InvitationExpiry)
	if in.MaxOrganizationsPerUser < 0 || in.MaxOrganizationsPerUser > maxOrganizationsLimit {
		v.Add("max_organizations_per_user", fmt.Sprintf("must be a whole number from 0 (no limit) to %d", maxOrganizationsLimit))
	}
	checkSessionTimes(&v, "user_session", userLifetimeBounds, in.UserSessionIdleTimeout, in.UserSessionLifetime)
	checkSessionTimes(&v, "admin_session", adminLifetimeBound, in.AdminSessionIdleTimeout, in.AdminSessionLifetime)
	redirects := checkRedirectURLs(&v, in.AllowedRedirectURLs)
	return redirects, v.Err()
}

func checkSessionTimes(v *apperr.Violations, prefix string, lifetime bounds, idle, total time.Duration) {
	lifetime.check(v, prefix+"_lifetime", total)
	switch {
	case idle < minIdle:
		v.Add(prefix+"_idle_timeout", "must be at least 5 minutes")
	case idle > total && total >= lifetime.min:
		v.Add(prefix+"_idle_timeout", "must not be longer than the session's lifetime")
	case idle > lifetime.max:
		v.Add(prefix+"_idle_timeout", "must be at most "+lifetime.maxText)
	}
}

// checkRedirectURLs accepts absolute http(s) URLs without credentials or a
// fragment: where end users may land after sign-in.
func checkRedirectURLs(v *apperr.Violations, raw []string) []string {
	out := []string{}
	for _, line := range raw {
		s := strings.TrimSpace(line)
		if s == "" || slices.Contains(out, s) {
			continue
		}
		u, err := url.Parse(s)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "":
			v.Add("allowed_redirect_urls", quotedURL(s)+" is not an absolute http or https URL, like https://app.example.com/after-sign-in")
		case u.User != nil:
			v.Add("allowed_redirect_urls", quotedURL(s)+" must not contain a user name or password")
		case u.Fragment != "" || strings.Contains(s, "#"):
			v.Add("allowed_redirect_urls", quotedURL(s)+" must not have a #fragment")
		case len(s) > 2048:
			v.Add("allowed_redirect_urls", "URLs must be at most 2048 characters")
		}
		out = append(out, s)
	}
	if len(out) > maxRedirectURLs {
		v.Add("allowed_redirect_urls", fmt.Sprintf("must list at most %d URLs", maxRedirectURLs))
	}
	return out
}

// quotedURL quotes a URL for a message, shortened if long.
func quotedURL(s string) string {
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	return strconv.Quote(s)
}

// settingsChanges lists every setting that differs, as {from, to}.
func settingsChanges(a, b model.EnvironmentSettings) model.JSONObject {
	out := model.JSONObject{}
	add := func(name string, from, to any) {
		if fmt.Sprint(from) != fmt.Sprint(to) {
			out[name] = map[string]any{"from": from, "to": to}
		}
	}
	dur := func(d time.Duration) string { return d.String() }
	add("app_name", a.AppName, b.AppName)
	add("email_signin_enabled", a.EmailSigninEnabled, b.EmailSigninEnabled)
	add("email_signin_mode", a.EmailSigninMode, b.EmailSigninMode)
	add("email_token_lifetime", dur(a.EmailTokenLifetime), dur(b.EmailTokenLifetime))
	add("password_signin_enabled", a.PasswordSigninEnabled, b.PasswordSigninEnabled)
	add("social_signin_enabled", a.SocialSigninEnabled, b.SocialSigninEnabled)
	add("signup_enabled", a.SignupEnabled, b.SignupEnabled)
	add("signup_creates_organization", a.SignupCreatesOrganization, b.SignupCreatesOrganization)
	add("max_organizations_per_user", a.MaxOrganizationsPerUser, b.MaxOrganizationsPerUser)
	add("invitation_expiry", dur(a.InvitationExpiry), dur(b.InvitationExpiry))
	add("delete_users_without_memberships", a.DeleteUsersWithoutMemberships, b.DeleteUsersWithoutMemberships)
	add("block_public_email_domains", a.BlockPublicEmailDomains, b.BlockPublicEmailDomains)
	add("block_disposable_email_domains", a.BlockDisposableEmailDomains, b.BlockDisposableEmailDomains)
	add("user_session_idle_timeout", dur(a.UserSessionIdleTimeout), dur(b.UserSessionIdleTimeout))
	add("user_session_lifetime", dur(a.UserSessionLifetime), dur(b.UserSessionLifetime))
	add("admin_session_idle_timeout", dur(a.AdminSessionIdleTimeout), dur(b.AdminSessionIdleTimeout))
	add("admin_session_lifetime", dur(a.AdminSessionLifetime), dur(b.AdminSessionLifetime))
	if !slices.Equal(a.AllowedRedirectURLs, b.AllowedRedirectURLs) {
		from, to := a.AllowedRedirectURLs, b.AllowedRedirectURLs
		if from == nil {
			from = []string{}
		}
		out["allowed_redirect_urls"] = map[string]any{"from": from, "to": to}
	}
	return out
}
