package store

import (
	"context"
	"time"

	"github.com/lib/pq"

	"roster/internal/model"
)

var settingsQueries struct {
	Get string `query:"get-environment-settings"`
}

func init() { loadQueries("settings.sql", &settingsQueries) }

// EnvironmentSettings reads the environment's defaults.
func (s *Store) EnvironmentSettings(ctx context.Context) (model.EnvironmentSettings, error) {
	var row struct {
		model.EnvironmentSettings
		Redirects     pq.StringArray `db:"allowed_redirect_urls"`
		EmailToken    int64          `db:"email_token_lifetime_s"`
		Invitation    int64          `db:"invitation_expiry_s"`
		UserIdle      int64          `db:"user_session_idle_timeout_s"`
		UserLifetime  int64          `db:"user_session_lifetime_s"`
		AdminIdle     int64          `db:"admin_session_idle_timeout_s"`
		AdminLifetime int64          `db:"admin_session_lifetime_s"`
	}
	if err := s.get(ctx, &row, settingsQueries.Get); err != nil {
		return model.EnvironmentSettings{}, found(err, "environment settings")
	}
	es := row.EnvironmentSettings
	es.AllowedRedirectURLs = row.Redirects
	es.EmailTokenLifetime = time.Duration(row.EmailToken) * time.Second
	es.InvitationExpiry = time.Duration(row.Invitation) * time.Second
	es.UserSessionIdleTimeout = time.Duration(row.UserIdle) * time.Second
	es.UserSessionLifetime = time.Duration(row.UserLifetime) * time.Second
	es.AdminSessionIdleTimeout = time.Duration(row.AdminIdle) * time.Second
	es.AdminSessionLifetime = time.Duration(row.AdminLifetime) * time.Second
	return es, nil
}
