package api

import (
	"github.com/labstack/echo/v4"

	"roster/internal/directory"
)

// MountDomainsAndSessions mounts the domain and session routes for the
// package's tests until Register lists them; then tests can call Register.
func MountDomainsAndSessions(g *echo.Group, dir *directory.Service) {
	(&domainsAPI{dir: dir}).Routes(g)
	(&sessionsAPI{dir: dir}).Routes(g)
}
