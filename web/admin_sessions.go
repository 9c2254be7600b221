package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"roster/internal/adminauth"
	"roster/internal/apperr"
	"roster/views"
	"roster/views/pages"
)

// adminSessionsHandler serves the owners' list of console sessions, where a
// session can be ended (the person is signed out on their next request).
type adminSessionsHandler struct {
	auth *adminAuth
	svc  *adminauth.Service
}

// Routes registers the pages on the console group. /admin-sessions is an
// owner-only area anyway; requireRole says so where the route is read.
func (h adminSessionsHandler) Routes(g *echo.Group) {
	owner := requireRole(adminauth.Owner)
	g.GET("/admin-sessions", h.list, owner)
	g.POST("/admin-sessions/:id/end", h.end, owner)
}

func (h adminSessionsHandler) list(c echo.Context) error {
	list, err := h.svc.List(c.Request().Context())
	if err != nil {
		return err
	}
	me := adminFrom(c)
	rows := make([]pages.AdminSessionRow, len(list))
	for i, s := range list {
		rows[i] = pages.AdminSessionRow{
			ID: s.ID, Email: s.Email, Role: string(s.Role), CreatedAt: s.CreatedAt,
			LastActive: s.LastActiveAt, IP: s.IP, UserAgent: s.UserAgent, Current: s.ID == me.ID,
		}
	}
	return render(c, http.StatusOK, pages.AdminSessions(newPage(c, "Admin sessions", views.NavNone), rows))
}

func (h adminSessionsHandler) end(c echo.Context) error {
	ended, err := h.svc.End(c.Request().Context(), c.Param("id"))
	if errors.Is(err, apperr.ErrNotFound) {
		// Two owners ending the same session, or a stale page: the outcome
		// is what was wanted.
		if err := setFlash(c, views.FlashInfo, "That session had already ended."); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/admin-sessions")
	}
	if err != nil {
		return err
	}
	if ended.ID == adminFrom(c).ID {
		h.auth.clearToken(c)
		if err := setFlash(c, views.FlashInfo, "You ended your own session and are signed out."); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	if err := setFlash(c, views.FlashSuccess, "Ended the session of "+ended.Email+". They are signed out on their next request."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin-sessions")
}
