package web

import "github.com/labstack/echo/v4"

// routes registers every route of the server, in one place, so any URL can be
// traced to its handler from here.
func routes(e *echo.Echo, d Deps) {
	// Probes and assets.
	e.GET("/healthz", healthz)
	e.GET("/readyz", readyz(d.DB))
	e.GET("/static/:file", serveStatic)
	e.GET("/favicon.ico", serveFavicon)

	// Console.
	console := consoleHandler{}
	e.GET("/", console.home)
	e.GET("/_styleguide", console.styleguide)
}
