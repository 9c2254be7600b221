package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"roster/internal/adminauth"
	"roster/internal/apiclients"
	"roster/views"
	clientpages "roster/views/pages/apiclients"
)

// apiClientsHandler serves the owners' API client pages: the list, creating
// a client (its secret shown once) and revoking one.
type apiClientsHandler struct {
	svc *apiclients.Service
}

// Routes registers the pages. /api-clients is an owner-only area anyway
// (ownerOnlyAreas); requireRole says so where the routes are read.
func (h apiClientsHandler) Routes(g *echo.Group) {
	owner := requireRole(adminauth.Owner)
	g.GET("/api-clients", h.list, owner)
	g.POST("/api-clients", h.create, owner)
	g.GET("/api-clients/:client/revoke", h.confirmRevoke, owner)
	g.POST("/api-clients/:client/revoke", h.revoke, owner)
}

func (h apiClientsHandler) list(c echo.Context) error {
	return h.listPage(c, http.StatusOK, "", "")
}

func (h apiClientsHandler) listPage(c echo.Context, status int, name, nameError string) error {
	list, err := h.svc.List(c.Request().Context())
	if err != nil {
		return err
	}
	d := clientpages.ListData{Clients: make([]clientpages.Client, len(list)), Name: name, NameError: nameError}
	for i, cl := range list {
		d.Clients[i] = clientView(cl)
	}
	return render(c, status, clientpages.List(newPage(c, "API clients", views.NavAPIClients), d))
}

// create answers with the secret itself rather than redirecting: a redirect
// would have to carry the secret somewhere (a URL, a cookie), and the secret
// must exist only in this one response. no-store keeps it out of caches and
// the browser's back-forward history.
func (h apiClientsHandler) create(c echo.Context) error {
	name := c.FormValue("name")
	cl, secret, err := h.svc.Create(c.Request().Context(), name)
	if errs := fieldErrorsOf(err, map[string]string{"name": "name"}); errs != nil {
		return h.listPage(c, http.StatusUnprocessableEntity, name, errs["name"])
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
	d := clientpages.CreatedData{Client: clientView(cl), Secret: secret}
	return render(c, http.StatusCreated, clientpages.Created(newPage(c, "API client created", views.NavAPIClients), d))
}

func (h apiClientsHandler) confirmRevoke(c echo.Context) error {
	cl, err := h.svc.Get(c.Request().Context(), c.Param("client"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, clientpages.Revoke(newPage(c, "Revoke "+cl.Name, views.NavAPIClients), clientView(cl)))
}

func (h apiClientsHandler) revoke(c echo.Context) error {
	cl, err := h.svc.Revoke(c.Request().Context(), c.Param("client"))
	if err != nil {
		return err
	}
	return redirectWithFlash(c, "Revoked "+cl.Name+". Its secret and tokens no longer work.", "/api-clients")
}

func clientView(cl apiclients.Client) clientpages.Client {
	return clientpages.Client{
		ID: cl.ID, Name: cl.Name, SecretHint: cl.SecretHint, CreatedBy: cl.CreatedBy,
		CreatedAt: cl.CreatedAt, LastUsedAt: cl.LastUsedAt, RevokedAt: cl.RevokedAt,
	}
}
