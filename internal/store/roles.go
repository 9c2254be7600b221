package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"roster/internal/model"
)

var roleQueries struct {
	Lock                  string `query:"lock-roles"`
	ListEnvironment       string `query:"list-environment-roles"`
	ListOrganization      string `query:"list-organization-roles"`
	GetEnvironment        string `query:"get-environment-role"`
	GetOrganization       string `query:"get-organization-role"`
	FindAssignable        string `query:"find-assignable-roles"`
	OrgNameExists         string `query:"organization-role-name-exists"`
	Insert                string `query:"insert-role"`
	Update                string `query:"update-role"`
	Delete                string `query:"delete-role"`
	Ancestors             string `query:"role-ancestors"`
	ListPermissions       string `query:"list-role-permissions"`
	PermissionsByRole     string `query:"permissions-by-role"`
	AddPermissions        string `query:"add-role-permissions"`
	RemovePermission      string `query:"remove-role-permission"`
	ClearPermissions      string `query:"clear-role-permissions"`
	Usage                 string `query:"role-usage"`
	Reassign              string `query:"reassign-role-members"`
	GetEnvironmentDefault string `query:"get-environment-default-roles"`
	SetEnvironmentDefault string `query:"set-environment-default-roles"`
	GetOrgDefault         string `query:"get-organization-default-role"`
	SetOrgDefault         string `query:"set-organization-default-role"`
	DefaultCreator        string `query:"default-creator-role"`
	DefaultMember         string `query:"default-member-role"`
	ReleaseOrganization   string `query:"release-organization-roles"`
}

func init() { loadQueries("roles.sql", &roleQueries) }

// LockRoles serialises role writes until the transaction ends; see lock-roles
// in roles.sql for why one lock is enough. Call it first inside InTx.
func (s *Store) LockRoles(ctx context.Context) error {
	_, err := s.exec(ctx, roleQueries.Lock)
	return err
}

// EnvironmentRoles returns the environment's roles by name, with their own
// permissions.
func (s *Store) EnvironmentRoles(ctx context.Context) ([]model.Role, error) {
	var roles []model.Role
	if err := s.selectAll(ctx, &roles, roleQueries.ListEnvironment); err != nil {
		return nil, err
	}
	return roles, s.fillRolePermissions(ctx, roles)
}

// OrganizationRoles returns the organization's own roles by name, with their
// own permissions.
func (s *Store) OrganizationRoles(ctx context.Context, orgID string) ([]model.Role, error) {
	var roles []model.Role
	if err := s.selectAll(ctx, &roles, roleQueries.ListOrganization, orgID); err != nil {
		return nil, err
	}
	return roles, s.fillRolePermissions(ctx, roles)
}

// EnvironmentRole returns the environment role called name.
func (s *Store) EnvironmentRole(ctx context.Context, name string) (model.Role, error) {
	var r model.Role
	if err := found(s.get(ctx, &r, roleQueries.GetEnvironment, name), "role"); err != nil {
		return r, err
	}
	return s.withPermissions(ctx, r)
}

// OrganizationRole returns the organization's own role called name; another
// organization's role of that name is not found.
func (s *Store) OrganizationRole(ctx context.Context, orgID, name string) (model.Role, error) {
	var r model.Role
	if err := found(s.get(ctx, &r, roleQueries.GetOrganization, orgID, name), "role"); err != nil {
		return r, err
	}
	return s.withPermissions(ctx, r)
}

func (s *Store) withPermissions(ctx context.Context, r model.Role) (model.Role, error) {
	roles := []model.Role{r}
	err := s.fillRolePermissions(ctx, roles)
	return roles[0], err
}

// fillRolePermissions sets the own permission names of every role given,
// in one query whatever their number.
func (s *Store) fillRolePermissions(ctx context.Context, roles []model.Role) error {
	if len(roles) == 0 {
		return nil
	}
	byID := make(map[string]*model.Role, len(roles))
	ids := make([]string, len(roles))
	for i := range roles {
		roles[i].Permissions = []string{}
		byID[roles[i].ID] = &roles[i]
		ids[i] = roles[i].ID
	}
	perms, err := s.RolePermissions(ctx, ids)
	if err != nil {
		return err
	}
	for _, p := range perms {
		r := byID[p.RoleID]
		r.Permissions = append(r.Permissions, p.Name)
	}
	return nil
}

// RolePermission is one of a role's own permissions.
type RolePermission struct {
	RoleID string `db:"role_id"`
	model.Permission
}

// RolePermissions returns the own permissions of the roles, ordered by name.
func (s *Store) RolePermissions(ctx context.Context, roleIDs []string) ([]RolePermission, error) {
	var out []RolePermission
	return out, s.selectAll(ctx, &out, roleQueries.ListPermissions, pq.Array(roleIDs))
}

// AssignableRoles returns the roles called names that an organization's
// members may hold: the environment's and, when orgID is set, that
// organization's own. Names that match nothing are simply absent.
func (s *Store) AssignableRoles(ctx context.Context, orgID string, names []string) ([]model.RoleRef, error) {
	var out []model.RoleRef
	return out, s.selectAll(ctx, &out, roleQueries.FindAssignable, orgID, pq.Array(names))
}

// OrganizationRoleNameExists reports whether any organization has a role
// called name.
func (s *Store) OrganizationRoleNameExists(ctx context.Context, name string) (bool, error) {
	var ok bool
	return ok, s.get(ctx, &ok, roleQueries.OrgNameExists, name)
}

// InsertRole stores a new role; r.ID and r.CreatedAt must be set.
func (s *Store) InsertRole(ctx context.Context, r model.Role) error {
	_, err := s.exec(ctx, roleQueries.Insert, r.ID, r.OrganizationID, r.Name, r.DisplayName,
		r.Description, r.ExtendsRoleID, r.CreatedAt)
	return err
}

// UpdateRole writes the editable fields of r: display name, description,
// the role it extends and UpdatedAt.
func (s *Store) UpdateRole(ctx context.Context, r model.Role) error {
	n, err := s.exec(ctx, roleQueries.Update, r.ID, r.DisplayName, r.Description, r.ExtendsRoleID, r.UpdatedAt)
	if err == nil && n == 0 {
		return notFound("role")
	}
	return err
}

// DeleteRole deletes the role and its permission grants.
func (s *Store) DeleteRole(ctx context.Context, id string) error {
	n, err := s.exec(ctx, roleQueries.Delete, id)
	if err == nil && n == 0 {
		return notFound("role")
	}
	return err
}

// RoleRefName is a role in a chain of extends.
type RoleRefName struct {
	ID   string `db:"id"`
	Name string `db:"name"`
}

// RoleAncestors returns the role and every role up its extends chain.
func (s *Store) RoleAncestors(ctx context.Context, id string) ([]RoleRefName, error) {
	var out []RoleRefName
	return out, s.selectAll(ctx, &out, roleQueries.Ancestors, id)
}

// rolePermission is one permission a role grants, own or inherited.
type rolePermission struct {
	RoleID string `db:"role_id"`
	model.Permission
}

func (s *Store) permissionsByRole(ctx context.Context, roleIDs []string) ([]rolePermission, error) {
	var rows []rolePermission
	if len(roleIDs) == 0 {
		return rows, nil
	}
	return rows, s.selectAll(ctx, &rows, roleQueries.PermissionsByRole, pq.Array(roleIDs))
}

// PermissionsByRole maps each role id to its permission names, inherited
// ones included, ordered by name.
func (s *Store) PermissionsByRole(ctx context.Context, roleIDs []string) (map[string][]string, error) {
	rows, err := s.permissionsByRole(ctx, roleIDs)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.RoleID] = append(out[r.RoleID], r.Name)
	}
	return out, nil
}

// PermissionsOfRoles returns every permission the roles grant, inherited
// ones included, each once and ordered by name.
func (s *Store) PermissionsOfRoles(ctx context.Context, roleIDs []string) ([]model.Permission, error) {
	rows, err := s.permissionsByRole(ctx, roleIDs)
	if err != nil {
		return nil, err
	}
	out := []model.Permission{}
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r.Permission)
		}
	}
	slices.SortFunc(out, func(a, b model.Permission) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// AddRolePermissions grants the named permissions to the role; ones it has
// already are left alone, and unknown names are skipped (check them first).
func (s *Store) AddRolePermissions(ctx context.Context, roleID string, names []string) error {
	_, err := s.exec(ctx, roleQueries.AddPermissions, roleID, pq.Array(names))
	return err
}

// RemoveRolePermission takes the named permission from the role. It reports
// whether the role had it.
func (s *Store) RemoveRolePermission(ctx context.Context, roleID, name string) (bool, error) {
	n, err := s.exec(ctx, roleQueries.RemovePermission, roleID, name)
	return n > 0, err
}

// ClearRolePermissions takes every own permission from the role.
func (s *Store) ClearRolePermissions(ctx context.Context, roleID string) error {
	_, err := s.exec(ctx, roleQueries.ClearPermissions, roleID)
	return err
}

// RoleUsage is what refers to a role.
type RoleUsage struct {
	Members             int  `db:"members"`              // memberships holding it
	ExtendedBy          int  `db:"extended_by"`          // roles extending it
	OrganizationDefault int  `db:"organization_default"` // orgs whose default member role it is
	EnvironmentDefault  bool `db:"environment_default"`  // the environment's default creator or member role
}

// RoleUsage tells what refers to the role.
func (s *Store) RoleUsage(ctx context.Context, id string) (RoleUsage, error) {
	var u RoleUsage
	return u, s.get(ctx, &u, roleQueries.Usage, id)
}

// ReassignRoleMembers gives every membership holding role from the role to
// instead, and returns how many memberships gained it.
func (s *Store) ReassignRoleMembers(ctx context.Context, from, to string) (int64, error) {
	return s.exec(ctx, roleQueries.Reassign, from, to)
}

// DefaultRoleIDs are the environment's default roles.
type DefaultRoleIDs struct {
	CreatorID *string `db:"default_creator_role_id"`
	MemberID  *string `db:"default_member_role_id"`
}

// EnvironmentDefaultRoles returns the ids of the environment's default roles.
func (s *Store) EnvironmentDefaultRoles(ctx context.Context) (DefaultRoleIDs, error) {
	var d DefaultRoleIDs
	err := s.get(ctx, &d, roleQueries.GetEnvironmentDefault)
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil // no settings row yet: no defaults
	}
	return d, err
}

// SetEnvironmentDefaultRoles points the environment's defaults at the roles.
func (s *Store) SetEnvironmentDefaultRoles(ctx context.Context, d DefaultRoleIDs, now time.Time) error {
	_, err := s.exec(ctx, roleQueries.SetEnvironmentDefault, d.CreatorID, d.MemberID, now)
	return err
}

// OrganizationDefaultRole returns the id of the organization's own default
// member role (nil when it uses the environment's), or not found when there
// is no such organization.
func (s *Store) OrganizationDefaultRole(ctx context.Context, orgID string) (*string, error) {
	var id *string
	return id, found(s.get(ctx, &id, roleQueries.GetOrgDefault, orgID), "organization")
}

// SetOrganizationDefaultRole sets the organization's default member role;
// nil falls back to the environment's.
func (s *Store) SetOrganizationDefaultRole(ctx context.Context, orgID string, roleID *string, now time.Time) error {
	n, err := s.exec(ctx, roleQueries.SetOrgDefault, orgID, roleID, now)
	if err == nil && n == 0 {
		return notFound("organization")
	}
	return err
}

// DefaultCreatorRole returns the role an organization's creator gets; ok is
// false when the environment has none.
func (s *Store) DefaultCreatorRole(ctx context.Context) (ref model.RoleRef, ok bool, err error) {
	err = s.get(ctx, &ref, roleQueries.DefaultCreator)
	if errors.Is(err, sql.ErrNoRows) {
		return ref, false, nil
	}
	return ref, err == nil, err
}

// DefaultMemberRole returns the role new members of the organization get:
// its own default, else the environment's. ok is false when neither is set;
// an unknown organization is not found.
func (s *Store) DefaultMemberRole(ctx context.Context, orgID string) (ref model.RoleRef, ok bool, err error) {
	var row struct {
		ID          *string `db:"id"`
		Name        *string `db:"name"`
		DisplayName *string `db:"display_name"`
	}
	if err := found(s.get(ctx, &row, roleQueries.DefaultMember, orgID), "organization"); err != nil {
		return ref, false, err
	}
	if row.ID == nil {
		return ref, false, nil
	}
	return model.RoleRef{ID: *row.ID, Name: *row.Name, DisplayName: *row.DisplayName}, true, nil
}

// ReleaseOrganizationRoles lets go of everything that holds on to the
// organization's own roles (members holding them, roles extending them), so
// that deleting the organization can delete them. Call it in the deleting
// transaction, just before DeleteOrganization.
func (s *Store) ReleaseOrganizationRoles(ctx context.Context, orgID string) error {
	_, err := s.exec(ctx, roleQueries.ReleaseOrganization, orgID)
	return err
}
