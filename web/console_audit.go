package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/clock"
	"roster/internal/directory"
	"roster/views"
	auditpages "roster/views/pages/audit"
)

// auditHandler serves the audit log: every change, newest first, read-only
// for every console role, and its export (console_audit_export.go).
type auditHandler struct {
	dir   *directory.Service
	clock clock.Clock
}

func (h auditHandler) Routes(g *echo.Group) {
	g.GET("/audit", h.list)
	g.GET("/audit.csv", h.export)
	g.GET("/audit/:id", h.show)
}

// auditFilter is the log's filter as the query string gives it.
func auditFilter(c echo.Context) auditpages.Filter {
	return auditpages.Filter{
		Actor: c.QueryParam("actor"), Org: c.QueryParam("org"), User: c.QueryParam("user"),
		Action: c.QueryParam("action"), From: c.QueryParam("from"), To: c.QueryParam("to"),
	}
}

// auditQuery is the directory's query for the filter f.
func auditQuery(f auditpages.Filter) directory.AuditQuery {
	return directory.AuditQuery{Actor: f.Actor, Org: f.Org, User: f.User, Action: f.Action, From: f.From, To: f.To}
}

// list shows one page of the log as filtered by the query string. A bad
// filter (a date that is not one) shows the form again with the problem
// beside the field, and no entries.
func (h auditHandler) list(c echo.Context) error {
	f := auditFilter(c)
	q := auditQuery(f)
	q.PageToken = c.QueryParam("page")
	log, err := h.dir.AuditLog(c.Request().Context(), q)
	problems := apperr.FieldErrors(err)
	if err != nil && problems == nil {
		return err
	}
	status := http.StatusOK
	if problems != nil {
		status = http.StatusBadRequest
	}
	return render(c, status, auditpages.List(newPage(c, "Audit log", views.NavAudit), auditpages.ListData{
		Filter: f, Errors: problems, Actions: log.Actions, Events: log.Events,
		PrevToken: log.Page.PrevToken, NextToken: log.Page.NextToken,
	}))
}

// show is one entry in full.
func (h auditHandler) show(c echo.Context) error {
	ev, err := h.dir.AuditEvent(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, auditpages.Entry(newPage(c, "Audit entry "+ev.ID, views.NavAudit), ev))
}
