package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"roster/internal/adminauth"
	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/views"
	"roster/views/pages/roles"
)

// rolesHandler serves the environment's roles and permissions: the
// overview with the default roles, the forms, and deletion steps.
//
// A role is addressed by name. Names are letters, digits and "_", so paths
// with a hyphen (/roles/set-defaults) can never be a role's.
type rolesHandler struct {
	dir *directory.Service
}

// Routes registers the pages. Form and confirmation pages need a writer;
// the group refuses viewers every POST anyway.
func (h rolesHandler) Routes(g *echo.Group) {
	writer := requireRole(adminauth.Editor)
	g.GET("/roles", h.overview)
	g.POST("/roles/set-defaults", h.setDefaults)
	g.GET("/roles/new", h.newRole, writer)
	g.POST("/roles/new", h.createRole)
	g.GET("/roles/:role/edit", h.editRole, writer)
	g.POST("/roles/:role/edit", h.updateRole)
	g.GET("/roles/:role/delete", h.confirmDeleteRole, writer)
	g.POST("/roles/:role/delete", h.deleteRole)

	g.GET("/permissions", h.permissions)
	g.GET("/permissions/new", h.newPermission, writer)
	g.POST("/permissions/new", h.createPermission)
	g.GET("/permissions/:permission/edit", h.editPermission, writer)
	g.POST("/permissions/:permission/edit", h.updatePermission)
	g.GET("/permissions/:permission/delete", h.confirmDeletePermission, writer)
	g.POST("/permissions/:permission/delete", h.deletePermission)
}

// overviewData reads the roles, what each grants and the permissions.
func (h rolesHandler) overviewData(c echo.Context) (roles.OverviewData, error) {
	ctx := c.Request().Context()
	list, err := h.dir.ListRoles(ctx)
	if err != nil {
		return roles.OverviewData{}, err
	}
	ids := make([]string, len(list))
	for i, r := range list {
		ids[i] = r.ID
	}
	effective, err := h.dir.EffectivePermissionsByRole(ctx, ids)
	if err != nil {
		return roles.OverviewData{}, err
	}
	perms, err := h.dir.ListPermissions(ctx)
	if err != nil {
		return roles.OverviewData{}, err
	}
	d := roles.OverviewData{Roles: make([]roles.RoleRow, len(list)), Permissions: perms}
	for i, r := range list {
		d.Roles[i] = roles.RoleRow{Role: r, Effective: effective[r.ID]}
		if r.DefaultCreator {
			d.Defaults.Creator = r.Name
		}
		if r.DefaultMember {
			d.Defaults.Member = r.Name
		}
	}
	return d, nil
}

func (h rolesHandler) overview(c echo.Context) error {
	d, err := h.overviewData(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, roles.Overview(newPage(c, "Roles", views.NavRoles), d))
}

var defaultRoleFields = map[string]string{
	"default_creator_role": "default_creator_role",
	"default_member_role":  "default_member_role",
}

func (h rolesHandler) setDefaults(c echo.Context) error {
	creator, member := c.FormValue("default_creator_role"), c.FormValue("default_member_role")
	_, err := h.dir.SetDefaultRoles(c.Request().Context(), &creator, &member)
	if errs := fieldErrorsOf(err, defaultRoleFields); errs != nil {
		d, derr := h.overviewData(c)
		if derr != nil {
			return derr
		}
		d.Defaults = roles.DefaultsForm{Creator: creator, Member: member, Errors: errs}
		return render(c, http.StatusUnprocessableEntity, roles.Overview(newPage(c, "Roles", views.NavRoles), d))
	}
	if err != nil {
		return err
	}
	return redirectWithFlash(c, "Saved the default roles: creators get "+creator+", everyone else "+member+".", "/roles")
}

// roleFields are the role form's fields, named alike in the directory.
var roleFields = map[string]string{
	"name": "name", "display_name": "display_name", "description": "description",
	"extends": "extends", "permissions": "permissions",
}

func (h rolesHandler) newRole(c echo.Context) error {
	return h.roleForm(c, http.StatusOK, false, roles.RoleForm{}, nil)
}

func (h rolesHandler) editRole(c echo.Context) error {
	r, err := h.dir.GetRole(c.Request().Context(), unescapedPathParam(c, "role"))
	if err != nil {
		return err
	}
	f := roles.RoleForm{Name: r.Name, DisplayName: r.DisplayName, Description: r.Description, Permissions: r.Permissions}
	if r.ExtendsName != nil {
		f.Extends = *r.ExtendsName
	}
	return h.roleForm(c, http.StatusOK, true, f, nil)
}

// roleForm renders the role form with the roles and permissions to choose from.
func (h rolesHandler) roleForm(c echo.Context, status int, editing bool, f roles.RoleForm, errs roles.FormErrors) error {
	ctx := c.Request().Context()
	all, err := h.dir.ListRoles(ctx)
	if err != nil {
		return err
	}
	perms, err := h.dir.ListPermissions(ctx)
	if err != nil {
		return err
	}
	d := roles.RoleFormData{Editing: editing, Form: f, Roles: all, Permissions: perms, Errors: errs}
	for _, r := range all {
		if r.Name == f.Extends {
			byRole, err := h.dir.EffectivePermissionsByRole(ctx, []string{r.ID})
			if err != nil {
				return err
			}
			d.Inherited = byRole[r.ID]
		}
	}
	title := "New role"
	if editing {
		title = "Edit role " + f.Name
	}
	return render(c, status, roles.RoleFormPage(newPage(c, title, views.NavRoles), d))
}

// roleFormOf reads the posted role form.
func roleFormOf(c echo.Context, name string) (roles.RoleForm, directory.RoleInput, error) {
	form, err := c.FormParams()
	if err != nil {
		return roles.RoleForm{}, directory.RoleInput{}, err
	}
	f := roles.RoleForm{
		Name: name, DisplayName: form.Get("display_name"), Description: form.Get("description"),
		Extends: form.Get("extends"), Permissions: form["permissions"],
	}
	perms := append([]string{}, f.Permissions...) // none checked clears them
	in := directory.RoleInput{
		Name: f.Name, DisplayName: &f.DisplayName, Description: &f.Description,
		Extends: &f.Extends, Permissions: &perms,
	}
	return f, in, nil
}

func (h rolesHandler) createRole(c echo.Context) error {
	f, in, err := roleFormOf(c, strings.TrimSpace(c.FormValue("name")))
	if err != nil {
		return err
	}
	r, err := h.dir.CreateRole(c.Request().Context(), in)
	if errs := fieldErrorsOf(err, roleFields); errs != nil {
		return h.roleForm(c, http.StatusUnprocessableEntity, false, f, errs)
	}
	if err != nil {
		return err
	}
	return redirectWithFlash(c, "Created the role "+r.Name+".", "/roles")
}

func (h rolesHandler) updateRole(c echo.Context) error {
	ctx := c.Request().Context()
	before, err := h.dir.GetRole(ctx, unescapedPathParam(c, "role"))
	if err != nil {
		return err
	}
	f, in, err := roleFormOf(c, before.Name)
	if err != nil {
		return err
	}
	_, err = h.dir.UpdateRole(ctx, before.Name, in)
	if errs := fieldErrorsOf(err, roleFields); errs != nil {
		return h.roleForm(c, http.StatusUnprocessableEntity, true, f, errs)
	}
	if err != nil {
		return err
	}
	return redirectWithFlash(c, "Saved the role "+before.Name+".", "/roles")
}

func (h rolesHandler) confirmDeleteRole(c echo.Context) error {
	return h.deleteRolePage(c, http.StatusOK, unescapedPathParam(c, "role"), "", nil, "")
}

// deleteRolePage shows what refers to the role and asks where its members go.
func (h rolesHandler) deleteRolePage(c echo.Context, status int, name, reassign string, errs roles.FormErrors, refusal string) error {
	ctx := c.Request().Context()
	r, use, err := h.dir.RoleUsage(ctx, name)
	if err != nil {
		return err
	}
	others, err := h.dir.ListRoles(ctx)
	if err != nil {
		return err
	}
	d := roles.DeleteRoleData{
		Role: r, Members: use.Members, ExtendedBy: use.ExtendedBy, OrganizationDefault: use.OrganizationDefault,
		EnvironmentDefault: use.EnvironmentDefault, Others: others, Reassign: reassign, Errors: errs, Refusal: refusal,
	}
	return render(c, status, roles.DeleteRole(newPage(c, "Delete role "+r.Name, views.NavRoles), d))
}

func (h rolesHandler) deleteRole(c echo.Context) error {
	name, reassign := unescapedPathParam(c, "role"), c.FormValue("reassign")
	err := h.dir.DeleteRole(c.Request().Context(), name, reassign)
	if errs := fieldErrorsOf(err, map[string]string{"reassign_role_name": "reassign"}); errs != nil {
		return h.deleteRolePage(c, http.StatusUnprocessableEntity, name, reassign, errs, "")
	}
	if errors.Is(err, apperr.ErrFailedPrecondition) {
		return h.deleteRolePage(c, http.StatusConflict, name, reassign, nil, roleRefusal(err))
	}
	if err != nil {
		return err
	}
	msg := "Deleted the role " + name + "."
	if reassign != "" {
		msg = "Deleted the role " + name + "; its members hold " + reassign + " instead."
	}
	return redirectWithFlash(c, msg, "/roles")
}

// roleRefusal words the directory's refusal for this page, where the
// reassignment is chosen in a select rather than passed as a parameter.
func roleRefusal(err error) string {
	msg := errorMessage(err)
	if i := strings.Index(msg, "; pass reassign_role_name"); i >= 0 {
		msg = msg[:i] + "; choose a role to give them"
	}
	return msg
}

func (h rolesHandler) permissions(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/roles#permissions")
}

var permissionFields = map[string]string{"name": "name", "description": "description"}

func (h rolesHandler) newPermission(c echo.Context) error {
	return render(c, http.StatusOK, roles.PermissionFormPage(newPage(c, "New permission", views.NavRoles), roles.PermissionFormData{}))
}

func (h rolesHandler) createPermission(c echo.Context) error {
	f := roles.PermissionForm{Name: strings.TrimSpace(c.FormValue("name")), Description: c.FormValue("description")}
	p, err := h.dir.CreatePermission(c.Request().Context(), directory.PermissionInput{Name: f.Name, Description: &f.Description})
	if errs := fieldErrorsOf(err, permissionFields); errs != nil {
		d := roles.PermissionFormData{Form: f, Errors: errs}
		return render(c, http.StatusUnprocessableEntity, roles.PermissionFormPage(newPage(c, "New permission", views.NavRoles), d))
	}
	if err != nil {
		return err
	}
	return redirectWithFlash(c, "Created the permission "+p.Name+". Grant it to roles on their edit pages.", "/roles#permissions")
}

func (h rolesHandler) editPermission(c echo.Context) error {
	p, err := h.dir.GetPermission(c.Request().Context(), unescapedPathParam(c, "permission"))
	if err != nil {
		return err
	}
	d := roles.PermissionFormData{Editing: true, Form: roles.PermissionForm{Name: p.Name, Description: p.Description}}
	return render(c, http.StatusOK, roles.PermissionFormPage(newPage(c, "Edit permission "+p.Name, views.NavRoles), d))
}

func (h rolesHandler) updatePermission(c echo.Context) error {
	ctx := c.Request().Context()
	before, err := h.dir.GetPermission(ctx, unescapedPathParam(c, "permission"))
	if err != nil {
		return err
	}
	f := roles.PermissionForm{Name: before.Name, Description: c.FormValue("description")}
	_, err = h.dir.UpdatePermission(ctx, before.Name, directory.PermissionInput{Description: &f.Description})
	if errs := fieldErrorsOf(err, permissionFields); errs != nil {
		d := roles.PermissionFormData{Editing: true, Form: f, Errors: errs}
		return render(c, http.StatusUnprocessableEntity, roles.PermissionFormPage(newPage(c, "Edit permission "+f.Name, views.NavRoles), d))
	}
	if err != nil {
		return err
	}
	return redirectWithFlash(c, "Saved the permission "+before.Name+".", "/roles#permissions")
}

func (h rolesHandler) confirmDeletePermission(c echo.Context) error {
	p, granting, err := h.dir.PermissionUsage(c.Request().Context(), unescapedPathParam(c, "permission"))
	if err != nil {
		return err
	}
	d := roles.DeletePermissionData{Permission: p, Roles: granting}
	return render(c, http.StatusOK, roles.DeletePermission(newPage(c, "Delete permission "+p.Name, views.NavRoles), d))
}

func (h rolesHandler) deletePermission(c echo.Context) error {
	name := unescapedPathParam(c, "permission")
	if err := h.dir.DeletePermission(c.Request().Context(), name); err != nil {
		return err
	}
	return redirectWithFlash(c, "Deleted the permission "+name+"; no role grants it any more.", "/roles#permissions")
}

// unescapedPathParam is a path parameter with any percent-encoding undone.
func unescapedPathParam(c echo.Context, name string) string {
	v := c.Param(name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// redirectWithFlash leaves a success message for the next page and sends the
// browser there (POST → redirect → GET).
func redirectWithFlash(c echo.Context, message, to string) error {
	if err := setFlash(c, views.FlashSuccess, message); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}
