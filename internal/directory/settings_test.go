package directory_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
)

// settingsInput is the defaults as an owner would save them unchanged.
func settingsInput(es model.EnvironmentSettings) directory.SettingsInput {
	return directory.SettingsInput{
		AppName:            es.AppName,
		EmailSigninEnabled: es.EmailSigninEnabled, EmailSigninMode: es.EmailSigninMode, EmailTokenLifetime: es.EmailTokenLifetime,
		PasswordSigninEnabled: es.PasswordSigninEnabled, SocialSigninEnabled: es.SocialSigninEnabled,
		SignupEnabled: es.SignupEnabled, SignupCreatesOrganization: es.SignupCreatesOrganization,
		MaxOrganizationsPerUser: es.MaxOrganizationsPerUser, InvitationExpiry: es.InvitationExpiry,
		DeleteUsersWithoutMemberships: es.DeleteUsersWithoutMemberships,
		BlockPublicEmailDomains:       es.BlockPublicEmailDomains, BlockDisposableEmailDomains: es.BlockDisposableEmailDomains,
		UserSessionIdleTimeout: es.UserSessionIdleTimeout, UserSessionLifetime: es.UserSessionLifetime,
		AdminSessionIdleTimeout: es.AdminSessionIdleTimeout, AdminSessionLifetime: es.AdminSessionLifetime,
		AllowedRedirectURLs: es.AllowedRedirectURLs,
	}
}

func TestUpdateSettings(t *testing.T) {
	f := newFixture(t)
	before, err := f.dir.Settings(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.EmailSigninMode != "both" || before.InvitationExpiry != 15*24*time.Hour || !before.SignupEnabled {
		t.Fatalf("defaults: %+v", before)
	}

	// Saving what is there changes nothing and records nothing.
	if _, err := f.dir.UpdateSettings(f.ctx, settingsInput(before)); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'settings.updated'`); n != 0 {
		t.Errorf("%d audit events for an unchanged save", n)
	}

	in := settingsInput(before)
	in.EmailSigninMode = "code"
	in.PasswordSigninEnabled = false
	in.SignupEnabled = false
	in.EmailTokenLifetime = 5 * time.Minute
	in.InvitationExpiry = 7 * 24 * time.Hour
	in.MaxOrganizationsPerUser = 3
	in.UserSessionIdleTimeout = 2 * time.Hour
	in.AdminSessionLifetime = 8 * time.Hour
	in.AllowedRedirectURLs = []string{" https://app.acme.test/after ", "", "http://localhost:3000", "https://app.acme.test/after"}
	after, err := f.dir.UpdateSettings(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if after.EmailSigninMode != "code" || after.PasswordSigninEnabled || after.SignupEnabled ||
		after.EmailTokenLifetime != 5*time.Minute || after.InvitationExpiry != 7*24*time.Hour ||
		after.MaxOrganizationsPerUser != 3 || after.UserSessionIdleTimeout != 2*time.Hour ||
		after.AdminSessionLifetime != 8*time.Hour {
		t.Errorf("saved: %+v", after)
	}
	if got := after.AllowedRedirectURLs; len(got) != 2 || got[0] != "https://app.acme.test/after" || got[1] != "http://localhost:3000" {
		t.Errorf("redirect URLs: %q", got)
	}
	reread, _ := f.dir.Settings(f.ctx)
	if reread.EmailSigninMode != "code" || len(reread.AllowedRedirectURLs) != 2 {
		t.Errorf("not stored: %+v", reread)
	}

	var raw []byte
	if err := f.db.Get(&raw, `SELECT changes FROM audit_events WHERE action = 'settings.updated'`); err != nil {
		t.Fatal(err)
	}
	var changes map[string]struct{ From, To any }
	if err := json.Unmarshal(raw, &changes); err != nil {
		t.Fatal(err)
	}
	if c := changes["email_signin_mode"]; c.From != "both" || c.To != "code" {
		t.Errorf("email_signin_mode change: %+v", c)
	}
	if c := changes["invitation_expiry"]; c.From != "360h0m0s" || c.To != "168h0m0s" {
		t.Errorf("invitation_expiry change: %+v", c)
	}
	if _, ok := changes["social_signin_enabled"]; ok {
		t.Error("an unchanged setting is listed")
	}
	if len(changes) != 9 {
		t.Errorf("%d changes: %v", len(changes), changes)
	}
}

func TestUpdateSettingsValidation(t *testing.T) {
	f := newFixture(t)
	defaults, err := f.dir.Settings(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		edit  func(*directory.SettingsInput)
		field string
	}{
		{"no sign-in method", func(in *directory.SettingsInput) {
			in.EmailSigninEnabled, in.PasswordSigninEnabled, in.SocialSigninEnabled = false, false, false
		}, "email_signin_enabled"},
		{"unknown email mode", func(in *directory.SettingsInput) { in.EmailSigninMode = "pigeon" }, "email_signin_mode"},
		{"email lifetime too short", func(in *directory.SettingsInput) { in.EmailTokenLifetime = 30 * time.Second }, "email_token_lifetime"},
		{"email lifetime too long", func(in *directory.SettingsInput) { in.EmailTokenLifetime = 2 * time.Hour }, "email_token_lifetime"},
		{"invitation expiry too long", func(in *directory.SettingsInput) { in.InvitationExpiry = 91 * 24 * time.Hour }, "invitation_expiry"},
		{"negative max orgs", func(in *directory.SettingsInput) { in.MaxOrganizationsPerUser = -1 }, "max_organizations_per_user"},
		{"idle past lifetime", func(in *directory.SettingsInput) {
			in.UserSessionIdleTimeout, in.UserSessionLifetime = 48*time.Hour, 24*time.Hour
		}, "user_session_idle_timeout"},
		{"admin idle too short", func(in *directory.SettingsInput) { in.AdminSessionIdleTimeout = time.Minute }, "admin_session_idle_timeout"},
		{"admin lifetime too long", func(in *directory.SettingsInput) { in.AdminSessionLifetime = 40 * 24 * time.Hour }, "admin_session_lifetime"},
		{"relative redirect", func(in *directory.SettingsInput) { in.AllowedRedirectURLs = []string{"/after"} }, "allowed_redirect_urls"},
		{"javascript redirect", func(in *directory.SettingsInput) { in.AllowedRedirectURLs = []string{"javascript:alert(1)"} }, "allowed_redirect_urls"},
		{"redirect with credentials", func(in *directory.SettingsInput) {
			in.AllowedRedirectURLs = []string{"https://user:pw@app.test/"}
		}, "allowed_redirect_urls"},
		{"redirect with fragment", func(in *directory.SettingsInput) { in.AllowedRedirectURLs = []string{"https://app.test/#x"} }, "allowed_redirect_urls"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := settingsInput(defaults)
			tt.edit(&in)
			_, err := f.dir.UpdateSettings(f.ctx, in)
			if !errors.Is(err, apperr.ErrInvalid) || apperr.FieldErrors(err)[tt.field] == "" {
				t.Errorf("err = %v, want a violation on %s", err, tt.field)
			}
		})
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'settings.updated'`); n != 0 {
		t.Errorf("refused saves recorded %d events", n)
	}
}
