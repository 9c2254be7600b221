package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"roster/internal/directory"
	"roster/internal/model"
)

// sessionsAPI lets the app owner see and end end users' sessions.
type sessionsAPI struct{ dir *directory.Service }

func (h *sessionsAPI) Routes(g *echo.Group) {
	g.GET("/sessions/:id", h.get)
	g.POST("/sessions/:id/revoke", h.revoke)
	g.GET("/users/:id/sessions", h.listForUser)
	g.POST("/users/:id/sessions/revoke", h.revokeForUser)
}

type sessionJSON struct {
	ID                         string     `json:"id"`
	UserID                     string     `json:"user_id"`
	OrganizationID             *string    `json:"organization_id,omitempty"` // left out before the user picks an org
	AuthenticatedOrganizations []string   `json:"authenticated_organizations"`
	Status                     string     `json:"status"`
	CreatedAt                  string     `json:"created_at"`
	LastActiveAt               string     `json:"last_active_at"`
	IdleExpiresAt              string     `json:"idle_expires_at"`
	AbsoluteExpiresAt          string     `json:"absolute_expires_at"`
	Device                     deviceJSON `json:"device"`
}

type deviceJSON struct {
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
	Browser   string `json:"browser"`
	OS        string `json:"os"`
}

func toSessionJSON(s model.Session) sessionJSON {
	var dev deviceJSON
	if s.IP != nil {
		dev.IP = *s.IP
	}
	if s.UserAgent != nil {
		dev.UserAgent = *s.UserAgent
		dev.Browser, dev.OS = directory.ParseUserAgent(dev.UserAgent)
	}
	orgs := s.AuthenticatedOrganizations
	if orgs == nil {
		orgs = []string{}
	}
	return sessionJSON{
		ID: s.ID, UserID: s.UserID, OrganizationID: s.OrganizationID,
		AuthenticatedOrganizations: orgs, Status: s.Status,
		CreatedAt: ts(s.CreatedAt), LastActiveAt: ts(s.LastActiveAt),
		IdleExpiresAt: ts(s.IdleExpiresAt), AbsoluteExpiresAt: ts(s.AbsoluteExpiresAt),
		Device: dev,
	}
}

func (h *sessionsAPI) get(c echo.Context) error {
	s, err := h.dir.GetSession(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"session": toSessionJSON(s)})
}

func (h *sessionsAPI) revoke(c echo.Context) error {
	s, err := h.dir.RevokeSession(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"session": toSessionJSON(s)})
}

func (h *sessionsAPI) listForUser(c echo.Context) error {
	page, err := pageRequest(c)
	if err != nil {
		return err
	}
	list, info, err := h.dir.ListUserSessions(c.Request().Context(), c.Param("id"), page)
	if err != nil {
		return err
	}
	out := make([]sessionJSON, len(list))
	for i, s := range list {
		out[i] = toSessionJSON(s)
	}
	return c.JSON(http.StatusOK, pageJSON("sessions", out, info))
}

func (h *sessionsAPI) revokeForUser(c echo.Context) error {
	n, err := h.dir.RevokeUserSessions(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"total_revoked": n})
}
