package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"roster/internal/directory"
	"roster/views"
	"roster/views/pages/orgs"
)

// The domains tab of an organization: its domains, adding and removing one.

func (h orgsHandler) domains(c echo.Context) error {
	return h.renderDomains(c, http.StatusOK, orgs.DomainForm{Type: directory.DomainTypeOrganization})
}

func (h orgsHandler) renderDomains(c echo.Context, status int, f orgs.DomainForm) error {
	ctx := c.Request().Context()
	o, err := h.dir.Organization(ctx, c.Param("org"))
	if err != nil {
		return err
	}
	rows, info, err := h.dir.ListDomains(ctx, o.ID, orgPageRequest(c))
	if err != nil {
		return err
	}
	d := orgs.DomainsData{Org: orgRef(o), Form: f}
	for _, r := range rows {
		row := orgs.DomainRow{
			ID: r.ID, Domain: r.Domain, Type: r.DomainType, Status: r.VerificationStatus,
			Method: r.VerificationMethod, CreatedAt: r.CreatedAt,
		}
		if r.DomainType == directory.DomainTypeOrganization {
			row.TXTName, row.TXTValue = orgDeref(r.TXTRecordKey), orgDeref(r.TXTRecordSecret)
		}
		d.Rows = append(d.Rows, row)
	}
	d.Pages = orgPageLinks(c, info, orgs.CountLabel(info.TotalSize, false, "domain", "domains"))
	return render(c, status, orgs.Domains(newPage(c, "Domains · "+o.DisplayName, views.NavOrganizations), d))
}

func (h orgsHandler) addDomain(c echo.Context) error {
	f := orgs.DomainForm{Domain: c.FormValue("domain"), Type: c.FormValue("domain_type")}
	dom, err := h.dir.CreateDomain(c.Request().Context(), c.Param("org"), directory.NewDomain{Domain: f.Domain, DomainType: f.Type})
	if status, ok := orgFormFailure(err, &f.Errors, &f.Problem, "domain", "domain_type"); ok {
		return h.renderDomains(c, status, f)
	}
	if err != nil {
		return err
	}
	msg := "Added " + dom.Domain + "."
	if dom.DomainType == directory.DomainTypeOrganization {
		msg += " It stays pending: Roster does not check DNS records yet."
	}
	return orgRedirect(c, views.FlashSuccess, msg, "/organizations/"+c.Param("org")+"/domains")
}

func (h orgsHandler) confirmRemoveDomain(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := h.dir.Organization(ctx, c.Param("org"))
	if err != nil {
		return err
	}
	dom, err := h.dir.GetDomain(ctx, o.ID, c.Param("domain"))
	if err != nil {
		return err
	}
	back := "/organizations/" + o.ID + "/domains"
	// Today a domain only reserves its name and finds the org in search, so
	// that is all removing it undoes.
	effect := "Another organization may claim " + dom.Domain + ", and searching for it no longer finds " + o.DisplayName + "."
	if dom.DomainType == directory.DomainTypeOrganization {
		effect += " Claiming it again gives a new TXT record."
	}
	d := orgs.ConfirmData{
		Org: orgRef(o), Tab: orgs.TabDomains,
		Title:        "Remove " + dom.Domain + " from " + o.DisplayName + "?",
		Consequences: []string{effect, "Members already in the organization stay."},
		Action:       back + "/" + dom.ID + "/delete", Button: "Remove domain", Cancel: back,
	}
	return render(c, http.StatusOK, orgs.Confirm(newPage(c, "Remove "+dom.Domain, views.NavOrganizations), d))
}

func (h orgsHandler) removeDomain(c echo.Context) error {
	ctx := c.Request().Context()
	dom, err := h.dir.GetDomain(ctx, c.Param("org"), c.Param("domain"))
	if err != nil {
		return err
	}
	if err := h.dir.DeleteDomain(ctx, c.Param("org"), dom.ID); err != nil {
		return err
	}
	return orgRedirect(c, views.FlashSuccess, "Removed "+dom.Domain+".", "/organizations/"+c.Param("org")+"/domains")
}
