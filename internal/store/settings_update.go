package store

import (
	"context"
	"time"

	"github.com/lib/pq"

	"roster/internal/model"
)

var settingsUpdateQueries struct {
	Lock   string `query:"lock-environment-settings"`
	Update string `query:"update-environment-settings"`
}

func init() { loadQueries("settings_update.sql", &settingsUpdateQueries) }

// LockEnvironmentSettings holds the settings row until the transaction
// ends. Call it in InTx before reading settings you are about to change.
func (s *Store) LockEnvironmentSettings(ctx context.Context) error {
	var ok bool
	return found(s.get(ctx, &ok, settingsUpdateQueries.Lock), "environment settings")
}

// UpdateEnvironmentSettings writes every sign-in and lifecycle setting of es
// (the default roles are changed elsewhere) and stamps updated_at with at.
func (s *Store) UpdateEnvironmentSettings(ctx context.Context, es model.EnvironmentSettings, at time.Time) error {
	secs := func(d time.Duration) float64 { return d.Seconds() }
	redirects := es.AllowedRedirectURLs
	if redirects == nil {
		redirects = []string{}
	}
	_, err := s.exec(ctx, settingsUpdateQueries.Update,
		es.EmailSigninEnabled, es.EmailSigninMode, secs(es.EmailTokenLifetime),
		es.PasswordSigninEnabled, es.SocialSigninEnabled, es.SignupEnabled, es.SignupCreatesOrganization,
		es.MaxOrganizationsPerUser, secs(es.InvitationExpiry), es.DeleteUsersWithoutMemberships,
		es.BlockPublicEmailDomains, es.BlockDisposableEmailDomains,
		secs(es.UserSessionIdleTimeout), secs(es.UserSessionLifetime),
		secs(es.AdminSessionIdleTimeout), secs(es.AdminSessionLifetime),
		pq.StringArray(redirects), at, es.AppName)
	return err
}
