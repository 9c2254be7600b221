package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"roster/internal/directory"
	"roster/internal/model"
)

// domainsAPI serves an organization's domains. Every route names the org, and
// the directory looks domains up by org and id together, so another org's
// domain id under this org's path is not found.
type domainsAPI struct{ dir *directory.Service }

func (h *domainsAPI) Routes(g *echo.Group) {
	g.GET("/organizations/:org/domains", h.list)
	g.POST("/organizations/:org/domains", h.create)
	g.GET("/organizations/:org/domains/:id", h.get)
	g.DELETE("/organizations/:org/domains/:id", h.delete)
}

type domainJSON struct {
	ID                 string  `json:"id"`
	OrganizationID     string  `json:"organization_id"`
	Domain             string  `json:"domain"`
	DomainType         string  `json:"domain_type"`
	VerificationStatus string  `json:"verification_status"`
	VerificationMethod string  `json:"verification_method"`
	TXTRecordKey       *string `json:"txt_record_key,omitempty"`    // left out when no DNS proof is asked
	TXTRecordSecret    *string `json:"txt_record_secret,omitempty"` // left out when no DNS proof is asked
	CreateTime         string  `json:"create_time"`
	UpdateTime         string  `json:"update_time"`
}

func toDomainJSON(d model.Domain) domainJSON {
	return domainJSON{
		ID: d.ID, OrganizationID: d.OrganizationID, Domain: d.Domain, DomainType: d.DomainType,
		VerificationStatus: d.VerificationStatus, VerificationMethod: d.VerificationMethod,
		TXTRecordKey: d.TXTRecordKey, TXTRecordSecret: d.TXTRecordSecret,
		CreateTime: ts(d.CreatedAt), UpdateTime: ts(d.UpdatedAt),
	}
}

func (h *domainsAPI) list(c echo.Context) error {
	page, err := pageRequest(c)
	if err != nil {
		return err
	}
	list, info, err := h.dir.ListDomains(c.Request().Context(), c.Param("org"), page)
	if err != nil {
		return err
	}
	out := make([]domainJSON, len(list))
	for i, d := range list {
		out[i] = toDomainJSON(d)
	}
	return c.JSON(http.StatusOK, pageJSON("domains", out, info))
}

func (h *domainsAPI) create(c echo.Context) error {
	var body struct {
		Domain     string `json:"domain"`
		DomainType string `json:"domain_type"`
	}
	if err := bind(c, &body); err != nil {
		return err
	}
	d, err := h.dir.CreateDomain(c.Request().Context(), c.Param("org"),
		directory.NewDomain{Domain: body.Domain, DomainType: body.DomainType})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"domain": toDomainJSON(d)})
}

func (h *domainsAPI) get(c echo.Context) error {
	d, err := h.dir.GetDomain(c.Request().Context(), c.Param("org"), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"domain": toDomainJSON(d)})
}

func (h *domainsAPI) delete(c echo.Context) error {
	if err := h.dir.DeleteDomain(c.Request().Context(), c.Param("org"), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusOK) // as DELETE /organizations/{id} answers
}
