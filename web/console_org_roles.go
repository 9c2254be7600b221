package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/views"
	"roster/views/pages/orgs"
)

// The roles tab of an organization: the roles its members may hold, its
// default member role, creating and deleting its own roles.

func (h orgsHandler) roles(c echo.Context) error {
	return h.renderRoles(c, http.StatusOK, orgs.RoleForm{}, nil, "", nil)
}

// renderRoles shows the tab; perms are the permissions ticked in a refused
// create form, pickedDefault the role chosen in a refused default form.
func (h orgsHandler) renderRoles(c echo.Context, status int, f orgs.RoleForm, perms []string, defaultError string, pickedDefault *string) error {
	ctx := c.Request().Context()
	o, err := h.dir.Organization(ctx, c.Param("org"))
	if err != nil {
		return err
	}
	roles, err := h.dir.ListOrgRoles(ctx, o.ID)
	if err != nil {
		return err
	}
	inUse, err := h.dir.OrgRolesInUse(ctx, o.ID)
	if err != nil {
		return err
	}
	env, err := h.dir.EnvironmentDefaultRoles(ctx)
	if err != nil {
		return err
	}
	permissions, err := h.dir.ListPermissions(ctx)
	if err != nil {
		return err
	}
	d := orgs.RolesData{Org: orgRef(o), EnvDefault: orgOrDefault(env.Member.Name, "none set"), DefaultError: defaultError, Create: f}
	for _, r := range roles {
		own := r.OrganizationID != nil
		// The org's own choice may be one of its roles or an environment role.
		if o.DefaultMemberRoleID != nil && *o.DefaultMemberRoleID == r.ID {
			d.OwnDefault = r.Name
		}
		d.Roles = append(d.Roles, orgs.RoleRow{
			Name: r.Name, DisplayName: r.DisplayName, Description: r.Description, Extends: orgDeref(r.ExtendsName),
			Permissions: r.Permissions, Own: own, Default: r.DefaultMember, InUse: own && inUse[r.ID],
		})
	}
	if pickedDefault != nil {
		d.OwnDefault = *pickedDefault
	}
	for _, p := range permissions {
		d.Permissions = append(d.Permissions, orgs.Option{Value: p.Name, Label: p.Name, Hint: p.Description, Checked: slices.Contains(perms, p.Name)})
	}
	return render(c, status, orgs.Roles(newPage(c, "Roles · "+o.DisplayName, views.NavOrganizations), d))
}

func (h orgsHandler) createRole(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	f := orgs.RoleForm{
		Name:        strings.TrimSpace(form.Get("name")),
		DisplayName: form.Get("display_name"),
		Description: form.Get("description"),
		Extends:     form.Get("extends"),
	}
	perms := append([]string{}, form["permission"]...)
	r, err := h.dir.CreateOrgRole(c.Request().Context(), c.Param("org"), directory.RoleInput{
		Name: f.Name, DisplayName: &f.DisplayName, Description: &f.Description, Extends: &f.Extends, Permissions: &perms,
	})
	if status, ok := orgFormFailure(err, &f.Errors, &f.Problem, "name", "display_name", "description", "extends", "permissions"); ok {
		return h.renderRoles(c, status, f, perms, "", nil)
	}
	if err != nil {
		return err
	}
	return orgRedirect(c, views.FlashSuccess, "Created the role "+r.Name+".", "/organizations/"+c.Param("org")+"/roles")
}

func (h orgsHandler) setDefaultRole(c echo.Context) error {
	name := c.FormValue("default_member_role")
	r, err := h.dir.SetOrgDefaultMemberRole(c.Request().Context(), c.Param("org"), name)
	var errs orgs.FormErrors
	var problem string
	if status, ok := orgFormFailure(err, &errs, &problem, "default_member_role"); ok {
		return h.renderRoles(c, status, orgs.RoleForm{}, nil, orgOrDefault(errs["default_member_role"], problem), &name)
	}
	if err != nil {
		return err
	}
	return orgRedirect(c, views.FlashSuccess, "New members of this organization now get the role "+r.Name+".",
		"/organizations/"+c.Param("org")+"/roles")
}

func (h orgsHandler) confirmDeleteRole(c echo.Context) error {
	return h.renderDeleteRole(c, http.StatusOK, "", "", "")
}

func (h orgsHandler) renderDeleteRole(c echo.Context, status int, picked, fieldError, problem string) error {
	ctx := c.Request().Context()
	o, err := h.dir.Organization(ctx, c.Param("org"))
	if err != nil {
		return err
	}
	r, err := h.orgOwnRole(c, o.ID)
	if err != nil {
		return err
	}
	inUse, err := h.dir.OrgRolesInUse(ctx, o.ID)
	if err != nil {
		return err
	}
	back := "/organizations/" + o.ID + "/roles"
	d := orgs.ConfirmData{
		Org: orgRef(o), Tab: orgs.TabRoles,
		Title:        "Delete the role " + r.Name + "?",
		Consequences: []string{"The role is deleted from " + o.DisplayName + "; tokens stop carrying it."},
		Action:       back + "/" + r.Name + "/delete", Button: "Delete role", Cancel: back, Problem: problem,
	}
	if !inUse[r.ID] {
		d.Consequences = append(d.Consequences, "No member holds it, so nobody loses a role.")
	} else {
		d.Consequences = append(d.Consequences, "Members holding it get the role you choose below instead.")
		roles, err := h.dir.ListOrgRoles(ctx, o.ID)
		if err != nil {
			return err
		}
		if picked == "" {
			if def, err := h.dir.OrgDefaultMemberRole(ctx, o.ID); err == nil {
				picked = def.Name
			}
		}
		d.Reassign = &orgs.ReassignField{Selected: picked, Error: fieldError}
		for _, other := range roles {
			if other.ID != r.ID {
				d.Reassign.Options = append(d.Reassign.Options, orgs.Option{Value: other.Name, Label: orgRoleLabel(other)})
			}
		}
	}
	return render(c, status, orgs.Confirm(newPage(c, "Delete role "+r.Name, views.NavOrganizations), d))
}

// orgOwnRole finds the org's own role named in the URL. An environment role
// is not the org's to delete, and another org's role is not found: both 404.
func (h orgsHandler) orgOwnRole(c echo.Context, orgID string) (model.Role, error) {
	r, err := h.dir.GetOrgRole(c.Request().Context(), orgID, c.Param("role"))
	if err == nil && (r.OrganizationID == nil || *r.OrganizationID != orgID) {
		err = apperr.NotFound("role not found")
	}
	return r, err
}

func (h orgsHandler) deleteRole(c echo.Context) error {
	r, err := h.orgOwnRole(c, c.Param("org"))
	if err != nil {
		return err
	}
	reassign := c.FormValue("reassign_role_name")
	err = h.dir.DeleteOrgRole(c.Request().Context(), c.Param("org"), r.Name, reassign)
	var errs orgs.FormErrors
	var problem string
	if status, ok := orgFormFailure(err, &errs, &problem, "reassign_role_name"); ok {
		return h.renderDeleteRole(c, status, reassign, errs["reassign_role_name"], problem)
	}
	if err != nil {
		return err
	}
	msg := "Deleted the role " + r.Name + "."
	if reassign != "" {
		msg += " Its holders now have " + reassign + "."
	}
	return orgRedirect(c, views.FlashSuccess, msg, "/organizations/"+c.Param("org")+"/roles")
}
