package web

import (
	"github.com/labstack/echo/v4"

	"roster/internal/adminauth"
	"roster/internal/store"
)

// ConsoleGroup gives tests a group with the console's sign-in and role
// rules, to register stand-in routes on (webtest.WithRoutes) until real
// console pages exist.
func ConsoleGroup(e *echo.Echo, d Deps) *echo.Group {
	auth := newAdminAuth(adminauth.New(store.New(d.DB), d.Clock), d.SecretKey, newCSRFGuard(d))
	return consoleGroup(e, auth)
}
