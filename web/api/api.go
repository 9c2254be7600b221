package api

import (
	"github.com/labstack/echo/v4"

	"roster/internal/clock"
	"roster/internal/directory"
	"roster/internal/importer"
	"roster/internal/store"
)

// Deps is what the API handlers need.
type Deps struct {
	Store     *store.Store
	Directory *directory.Service
	Clock     clock.Clock
	SecretKey []byte
}

// Register mounts every /api/v1 route on g. Each area's handler lives in its
// own file with a Routes method; this is the one list of them.
func Register(g *echo.Group, d Deps) {
	(&organizationsAPI{dir: d.Directory}).Routes(g)
	(&usersAPI{dir: d.Directory}).Routes(g)
	(&membersAPI{dir: d.Directory}).Routes(g)
	(&rolesAPI{dir: d.Directory}).Routes(g)
	(&domainsAPI{dir: d.Directory}).Routes(g)
	(&sessionsAPI{dir: d.Directory}).Routes(g)
	(&importAPI{imp: importer.New(d.Store, d.Clock)}).Routes(g)
}
