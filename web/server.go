// Package web serves Roster's console, hosted pages and API over HTTP.
package web

import (
	"log/slog"
	"net/http"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"

	"roster/internal/clock"
	"roster/internal/config"
)

// Deps is everything the HTTP layer needs from the process.
type Deps struct {
	DB        *sqlx.DB
	Config    config.Config
	Log       *slog.Logger
	Clock     clock.Clock
	SecretKey []byte // at least 32 bytes; signs cookies
}

// New builds the HTTP handler with every route.
func New(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.GET("/readyz", func(c echo.Context) error {
		if err := d.DB.PingContext(c.Request().Context()); err != nil {
			return c.String(http.StatusServiceUnavailable, "database unreachable")
		}
		return c.String(http.StatusOK, "ok")
	})
	return e
}
