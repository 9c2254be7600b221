package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
)

// rolesAPI serves the environment's roles, each organization's roles and the
// permissions they grant.
//
// Paths like /roles:set_defaults hold a literal colon, which echo reads as
// the start of a parameter; "\\:" escapes it. They do not clash with
// /roles/:name: a role name cannot contain ":" and the paths differ at "/".
type rolesAPI struct {
	dir *directory.Service
}

func (h *rolesAPI) Routes(g *echo.Group) {
	g.GET("/roles", h.list)
	g.POST("/roles", h.create)
	g.PATCH("/roles\\:set_defaults", h.setDefaults)
	g.GET("/roles/:name", h.get)
	g.PUT("/roles/:name", h.update)
	g.DELETE("/roles/:name", h.delete)
	g.GET("/roles/:name/permissions", h.listPermissions)
	g.POST("/roles/:name/permissions", h.addPermissions)
	g.DELETE("/roles/:name/permissions/:perm", h.removePermission)

	g.GET("/organizations/:org/roles", h.list)
	g.POST("/organizations/:org/roles", h.create)
	g.PATCH("/organizations/:org/roles\\:set_defaults", h.setOrgDefaults)
	g.GET("/organizations/:org/roles/:name", h.get)
	g.PUT("/organizations/:org/roles/:name", h.update)
	g.DELETE("/organizations/:org/roles/:name", h.delete)
	g.GET("/organizations/:org/roles/:name/permissions", h.listPermissions)
	g.POST("/organizations/:org/roles/:name/permissions", h.addPermissions)
	g.DELETE("/organizations/:org/roles/:name/permissions/:perm", h.removePermission)

	g.GET("/permissions", h.listCatalogue)
	g.POST("/permissions", h.createPermission)
	g.GET("/permissions/:perm", h.getPermission)
	g.PUT("/permissions/:perm", h.updatePermission)
	g.DELETE("/permissions/:perm", h.deletePermission)
}

type roleJSON struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	DisplayName string  `json:"display_name"`
	Description string  `json:"description"`
	Extends     *string `json:"extends,omitempty"`
	// Its own permissions; EffectivePermissions (with ?include=permissions)
	// adds those inherited through extends.
	Permissions          []rolePermissionJSON `json:"permissions"`
	EffectivePermissions []rolePermissionJSON `json:"effective_permissions,omitempty"`
	DefaultCreator       bool                 `json:"default_creator"`
	DefaultMember        bool                 `json:"default_member"`
	IsOrgRole            bool                 `json:"is_org_role"`
	CreateTime           string               `json:"create_time"`
	UpdateTime           string               `json:"update_time"`
}

type rolePermissionJSON struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type permissionJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	CreateTime  string `json:"create_time"`
	UpdateTime  string `json:"update_time"`
}

func toPermission(p model.Permission) permissionJSON {
	return permissionJSON{ID: p.ID, Name: p.Name, Description: p.Description,
		CreateTime: ts(p.CreatedAt), UpdateTime: ts(p.UpdatedAt)}
}

func toRolePermissions(ps []model.Permission) []rolePermissionJSON {
	out := make([]rolePermissionJSON, len(ps))
	for i, p := range ps {
		out[i] = rolePermissionJSON{Name: p.Name, Description: p.Description}
	}
	return out
}

// roles shapes roles for the API. A role carries only its permissions'
// names, so their descriptions come from the catalogue, read once.
func (h *rolesAPI) roles(ctx context.Context, roles []model.Role) ([]roleJSON, error) {
	catalogue, err := h.dir.ListPermissions(ctx)
	if err != nil {
		return nil, err
	}
	described := make(map[string]string, len(catalogue))
	for _, p := range catalogue {
		described[p.Name] = p.Description
	}
	out := make([]roleJSON, len(roles))
	for i, r := range roles {
		perms := make([]rolePermissionJSON, len(r.Permissions))
		for j, name := range r.Permissions {
			perms[j] = rolePermissionJSON{Name: name, Description: described[name]}
		}
		out[i] = roleJSON{
			ID: r.ID, Name: r.Name, DisplayName: r.DisplayName, Description: r.Description,
			Extends: r.ExtendsName, Permissions: perms,
			DefaultCreator: r.DefaultCreator, DefaultMember: r.DefaultMember,
			IsOrgRole:  r.OrganizationID != nil,
			CreateTime: ts(r.CreatedAt), UpdateTime: ts(r.UpdatedAt),
		}
	}
	return out, nil
}

// answerRole writes {"<key>": role}.
func (h *rolesAPI) answerRole(c echo.Context, status int, key string, r model.Role) error {
	out, err := h.roles(c.Request().Context(), []model.Role{r})
	if err != nil {
		return err
	}
	return c.JSON(status, map[string]any{key: out[0]})
}

// unescapedParam reads a path parameter. Echo gives it as sent, so this
// lets a client that escapes the colon of "members:read" as %3A still name
// the permission.
func unescapedParam(c echo.Context, name string) (string, error) {
	v, err := url.PathUnescape(c.Param(name))
	if err != nil {
		return "", apperr.Invalid(apperr.Field(name, "is not a valid path segment"))
	}
	return v, nil
}

// roleScope reads whose roles a request is about and the role's name (empty
// on routes without one). onOrg comes from the route itself, never from an
// empty parameter, so a request cannot widen its scope to the environment.
func roleScope(c echo.Context) (orgID, name string, onOrg bool, err error) {
	for _, n := range c.ParamNames() {
		onOrg = onOrg || n == "org"
	}
	if orgID, err = unescapedParam(c, "org"); err != nil {
		return "", "", false, err
	}
	name, err = unescapedParam(c, "name")
	return orgID, name, onOrg, err
}

// roleBody is a role as a caller sends it. permissions may list names
// (["members:read"]) or objects as the API answers them ([{"name": …}]), so
// a role read with GET can be sent back with PUT.
type roleBody struct {
	Name        string             `json:"name"`
	DisplayName *string            `json:"display_name"`
	Description *string            `json:"description"`
	Extends     *string            `json:"extends"`
	Permissions *[]json.RawMessage `json:"permissions"`
}

func (b roleBody) input() (directory.RoleInput, error) {
	in := directory.RoleInput{Name: b.Name, DisplayName: b.DisplayName, Description: b.Description, Extends: b.Extends}
	if b.Permissions == nil {
		return in, nil
	}
	names := make([]string, 0, len(*b.Permissions))
	for _, raw := range *b.Permissions {
		var name string
		var obj struct {
			Name        string `json:"name"`
			Description string `json:"description"` // as GET shows it; ignored
		}
		if json.Unmarshal(raw, &name) != nil {
			if err := json.Unmarshal(raw, &obj); err != nil || obj.Name == "" {
				return in, apperr.Invalid(apperr.Field("permissions", `must list permission names, like ["members:read"]`))
			}
			name = obj.Name
		}
		names = append(names, name)
	}
	in.Permissions = &names
	return in, nil
}

func (h *rolesAPI) list(c echo.Context) error {
	orgID, _, onOrg, err := roleScope(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var roles []model.Role
	if onOrg {
		roles, err = h.dir.ListOrgRoles(ctx, orgID)
	} else {
		roles, err = h.dir.ListRoles(ctx)
	}
	if err != nil {
		return err
	}
	out, err := h.roles(ctx, roles)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"roles": out})
}

func (h *rolesAPI) create(c echo.Context) error {
	orgID, _, onOrg, err := roleScope(c)
	if err != nil {
		return err
	}
	var body roleBody
	if err := bind(c, &body); err != nil {
		return err
	}
	in, err := body.input()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var r model.Role
	if onOrg {
		r, err = h.dir.CreateOrgRole(ctx, orgID, in)
	} else {
		r, err = h.dir.CreateRole(ctx, in)
	}
	if err != nil {
		return err
	}
	return h.answerRole(c, http.StatusCreated, "role", r)
}

// get answers one role. ?include=permissions adds effective_permissions:
// its own and every one inherited through extends.
func (h *rolesAPI) get(c echo.Context) error {
	orgID, name, onOrg, err := roleScope(c)
	if err != nil {
		return err
	}
	include := c.QueryParam("include")
	if include != "" && include != "permissions" {
		return apperr.Invalid(apperr.Field("include", `must be "permissions" or left out`))
	}
	ctx := c.Request().Context()
	var r model.Role
	if onOrg {
		r, err = h.dir.GetOrgRole(ctx, orgID, name)
	} else {
		r, err = h.dir.GetRole(ctx, name)
	}
	if err != nil {
		return err
	}
	out, err := h.roles(ctx, []model.Role{r})
	if err != nil {
		return err
	}
	if include == "permissions" {
		eff, err := h.dir.EffectivePermissions(ctx, []string{r.ID})
		if err != nil {
			return err
		}
		out[0].EffectivePermissions = toRolePermissions(eff)
	}
	return c.JSON(http.StatusOK, map[string]any{"role": out[0]})
}

// update changes the fields sent; permissions, when sent, replace the
// role's own. A role keeps its name.
func (h *rolesAPI) update(c echo.Context) error {
	orgID, name, onOrg, err := roleScope(c)
	if err != nil {
		return err
	}
	var body roleBody
	if err := bind(c, &body); err != nil {
		return err
	}
	in, err := body.input()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var r model.Role
	if onOrg {
		r, err = h.dir.UpdateOrgRole(ctx, orgID, name, in)
	} else {
		r, err = h.dir.UpdateRole(ctx, name, in)
	}
	if err != nil {
		return err
	}
	return h.answerRole(c, http.StatusOK, "role", r)
}

func (h *rolesAPI) delete(c echo.Context) error {
	orgID, name, onOrg, err := roleScope(c)
	if err != nil {
		return err
	}
	reassign := c.QueryParam("reassign_role_name")
	ctx := c.Request().Context()
	if onOrg {
		err = h.dir.DeleteOrgRole(ctx, orgID, name, reassign)
	} else {
		err = h.dir.DeleteRole(ctx, name, reassign)
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}

func (h *rolesAPI) listPermissions(c echo.Context) error {
	orgID, name, onOrg, err := roleScope(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var perms []model.Permission
	if onOrg {
		perms, err = h.dir.OrgRolePermissions(ctx, orgID, name)
	} else {
		perms, err = h.dir.RolePermissions(ctx, name)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"permissions": toRolePermissions(perms)})
}

// addPermissions grants permissions ({"permission_names": [...]}) and
// answers the role's own permissions afterwards.
func (h *rolesAPI) addPermissions(c echo.Context) error {
	orgID, name, onOrg, err := roleScope(c)
	if err != nil {
		return err
	}
	var body struct {
		PermissionNames []string `json:"permission_names"`
	}
	if err := bind(c, &body); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var perms []model.Permission
	if onOrg {
		perms, err = h.dir.AddOrgRolePermissions(ctx, orgID, name, body.PermissionNames)
	} else {
		perms, err = h.dir.AddRolePermissions(ctx, name, body.PermissionNames)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"permissions": toRolePermissions(perms)})
}

func (h *rolesAPI) removePermission(c echo.Context) error {
	orgID, name, onOrg, err := roleScope(c)
	if err != nil {
		return err
	}
	perm, err := unescapedParam(c, "perm")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if onOrg {
		err = h.dir.RemoveOrgRolePermission(ctx, orgID, name, perm)
	} else {
		err = h.dir.RemoveRolePermission(ctx, name, perm)
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}

// setDefaults names the environment's default roles; a field left out keeps
// its role.
func (h *rolesAPI) setDefaults(c echo.Context) error {
	var body struct {
		DefaultCreatorRole *string `json:"default_creator_role"`
		DefaultMemberRole  *string `json:"default_member_role"`
	}
	if err := bind(c, &body); err != nil {
		return err
	}
	ctx := c.Request().Context()
	d, err := h.dir.SetDefaultRoles(ctx, body.DefaultCreatorRole, body.DefaultMemberRole)
	if err != nil {
		return err
	}
	out, err := h.roles(ctx, []model.Role{d.Creator, d.Member})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"default_creator_role": out[0], "default_member_role": out[1]})
}

// setOrgDefaults names the organization's default member role; an empty
// name or null hands the choice back to the environment's default.
func (h *rolesAPI) setOrgDefaults(c echo.Context) error {
	orgID, _, _, err := roleScope(c)
	if err != nil {
		return err
	}
	var body struct {
		DefaultMemberRole *string `json:"default_member_role"`
	}
	if err := bind(c, &body); err != nil {
		return err
	}
	name := ""
	if body.DefaultMemberRole != nil {
		name = *body.DefaultMemberRole
	}
	r, err := h.dir.SetOrgDefaultMemberRole(c.Request().Context(), orgID, name)
	if err != nil {
		return err
	}
	return h.answerRole(c, http.StatusOK, "default_member_role", r)
}

type permissionBody struct {
	Name        string  `json:"name"`
	Description *string `json:"description"`
}

func (h *rolesAPI) listCatalogue(c echo.Context) error {
	perms, err := h.dir.ListPermissions(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]permissionJSON, len(perms))
	for i, p := range perms {
		out[i] = toPermission(p)
	}
	return c.JSON(http.StatusOK, map[string]any{"permissions": out})
}

func (h *rolesAPI) createPermission(c echo.Context) error {
	var body permissionBody
	if err := bind(c, &body); err != nil {
		return err
	}
	p, err := h.dir.CreatePermission(c.Request().Context(), directory.PermissionInput{Name: body.Name, Description: body.Description})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"permission": toPermission(p)})
}

func (h *rolesAPI) getPermission(c echo.Context) error {
	name, err := unescapedParam(c, "perm")
	if err != nil {
		return err
	}
	p, err := h.dir.GetPermission(c.Request().Context(), name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"permission": toPermission(p)})
}

func (h *rolesAPI) updatePermission(c echo.Context) error {
	name, err := unescapedParam(c, "perm")
	if err != nil {
		return err
	}
	var body permissionBody
	if err := bind(c, &body); err != nil {
		return err
	}
	p, err := h.dir.UpdatePermission(c.Request().Context(), name, directory.PermissionInput{Name: body.Name, Description: body.Description})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"permission": toPermission(p)})
}

func (h *rolesAPI) deletePermission(c echo.Context) error {
	name, err := unescapedParam(c, "perm")
	if err != nil {
		return err
	}
	if err := h.dir.DeletePermission(c.Request().Context(), name); err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}
