package web

import (
	"context"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
)

// healthz says the process is up and serving HTTP; it checks nothing else,
// so a slow database never gets a healthy process restarted.
func healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
}

// readyTimeout bounds the database ping: a probe that hangs is as bad as one
// that fails.
const readyTimeout = 2 * time.Second

// readyz says whether this instance can serve requests: the database answers.
// Load balancers stop sending traffic while it is 503.
func readyz(db *sqlx.DB) echo.HandlerFunc {
	return func(c echo.Context) error {
		if db == nil {
			return c.String(http.StatusServiceUnavailable, "no database")
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			return c.String(http.StatusServiceUnavailable, "database unreachable")
		}
		return c.String(http.StatusOK, "ok")
	}
}
