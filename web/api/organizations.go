package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"roster/internal/directory"
	"roster/internal/model"
)

type organizationsAPI struct {
	dir *directory.Service
}

func (h *organizationsAPI) Routes(g *echo.Group) {
	g.GET("/organizations", h.list)
	g.POST("/organizations", h.create)
	g.GET("/organizations\\:external/:external_id", h.getByExternalID)
	g.GET("/organizations/:org", h.get)
	g.PATCH("/organizations/:org", h.update)
	g.DELETE("/organizations/:org", h.delete)
	g.PATCH("/organizations/:org/settings", h.updateSettings)
}

type organizationBody struct {
	DisplayName *string        `json:"display_name"`
	Slug        *string        `json:"slug"`
	ExternalID  *string        `json:"external_id"`
	Metadata    model.Metadata `json:"metadata"`
	LogoURL     *string        `json:"logo_url"`
}

func (b organizationBody) input() directory.OrganizationInput {
	return directory.OrganizationInput{
		DisplayName: b.DisplayName, Slug: b.Slug, ExternalID: b.ExternalID,
		Metadata: b.Metadata, LogoURL: b.LogoURL,
	}
}

func (h *organizationsAPI) org(o model.Organization) organizationJSON {
	return toOrganization(o, directory.KnownFeatures)
}

func (h *organizationsAPI) list(c echo.Context) error {
	page, err := pageRequest(c)
	if err != nil {
		return err
	}
	orgs, info, err := h.dir.ListOrganizations(c.Request().Context(), c.QueryParam("external_id"), page)
	if err != nil {
		return err
	}
	out := make([]organizationJSON, len(orgs))
	for i, o := range orgs {
		out[i] = h.org(o)
	}
	return c.JSON(http.StatusOK, pageJSON("organizations", out, info))
}

func (h *organizationsAPI) create(c echo.Context) error {
	var body organizationBody
	if err := bind(c, &body); err != nil {
		return err
	}
	o, err := h.dir.CreateOrganization(c.Request().Context(), body.input())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"organization": h.org(o)})
}

func (h *organizationsAPI) get(c echo.Context) error {
	o, err := h.dir.Organization(c.Request().Context(), c.Param("org"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"organization": h.org(o)})
}

func (h *organizationsAPI) getByExternalID(c echo.Context) error {
	o, err := h.dir.OrganizationByExternalID(c.Request().Context(), c.Param("external_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"organization": h.org(o)})
}

func (h *organizationsAPI) update(c echo.Context) error {
	var body organizationBody
	if err := bind(c, &body); err != nil {
		return err
	}
	o, err := h.dir.UpdateOrganization(c.Request().Context(), c.Param("org"), body.input())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"organization": h.org(o)})
}

func (h *organizationsAPI) delete(c echo.Context) error {
	if err := h.dir.DeleteOrganization(c.Request().Context(), c.Param("org")); err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}

type settingsBody struct {
	Features        []featureJSON `json:"features"`
	MaxAllowedUsers *int          `json:"max_allowed_users"`
}

func (h *organizationsAPI) updateSettings(c echo.Context) error {
	var body settingsBody
	if err := bind(c, &body); err != nil {
		return err
	}
	in := directory.OrganizationSettings{Features: map[string]bool{}, MaxAllowedUsers: body.MaxAllowedUsers}
	for _, f := range body.Features {
		in.Features[f.Name] = f.Enabled
	}
	o, err := h.dir.UpdateOrganizationSettings(c.Request().Context(), c.Param("org"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"organization": h.org(o)})
}
