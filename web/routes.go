package web

import (
	"github.com/labstack/echo/v4"

	"roster/internal/apiclients"
	"roster/internal/directory"
	"roster/internal/store"
	"roster/web/api"
)

// routes registers every route of the server, in one place, so any URL can be
// traced to its handler from here.
func routes(e *echo.Echo, d Deps) {
	st := store.New(d.DB)
	dir := directory.New(st, d.Clock)
	dir.BaseURL = d.Config.PublicURL.String()
	tokens := apiclients.New(st, d.Clock, apiclients.Options{SecretKey: d.SecretKey, Issuer: d.Config.PublicURL.String()})

	// Probes and assets.
	e.GET("/healthz", healthz)
	e.GET("/readyz", readyz(d.DB))
	e.GET("/static/:file", serveStatic)
	e.GET("/favicon.ico", serveFavicon)

	// Console.
	console := consoleHandler{}
	e.GET("/", console.home)
	e.GET("/_styleguide", console.styleguide)

	// Management API: a token from /oauth/token, then bearer calls to /api/v1.
	api.RegisterToken(e, tokens)
	v1 := e.Group("/api/v1", api.RequireClient(tokens))
	api.Register(v1, api.Deps{Store: st, Directory: dir, Clock: d.Clock, SecretKey: d.SecretKey})
}
