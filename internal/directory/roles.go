package directory

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/store"
)

// Roles come in two scopes: the environment's, which apply in every
// organization, and an organization's own. The exported methods name their
// scope (ListRoles / ListOrgRoles, …); underneath, orgID "" means the
// environment. An organization's role is only ever looked up together with
// its organization, so one org's path never reaches another org's role.

var roleNamePattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// RoleInput is what a caller sets on a role. On update, nil fields keep
// their value.
type RoleInput struct {
	// Name is set on create. Tokens and customers' code check roles by name,
	// so a role keeps its name; on update it may only repeat the current one.
	Name        string
	DisplayName *string
	Description *string
	// Extends names the role whose permissions this one inherits; "" for none.
	Extends *string
	// Permissions names the role's own permissions; on update it replaces them.
	Permissions *[]string
}

// DefaultRoles are the environment's default roles.
type DefaultRoles struct {
	Creator model.Role // given to the person who creates an organization
	Member  model.Role // given to everyone else who joins
}

// ListRoles returns the environment's roles, ordered by name.
func (s *Service) ListRoles(ctx context.Context) ([]model.Role, error) {
	return s.listRoles(ctx, "")
}

// ListOrgRoles returns the roles the organization's members may hold, its
// own and the environment's, ordered by name.
func (s *Service) ListOrgRoles(ctx context.Context, orgID string) ([]model.Role, error) {
	if orgID == "" {
		return nil, noSuchOrg()
	}
	return s.listRoles(ctx, orgID)
}

// GetRole returns the environment role called name.
func (s *Service) GetRole(ctx context.Context, name string) (model.Role, error) {
	return s.viewRole(ctx, s.store, "", name)
}

// GetOrgRole returns the role called name as the organization sees it: its
// own, or an environment role. Another organization's role is not found.
func (s *Service) GetOrgRole(ctx context.Context, orgID, name string) (model.Role, error) {
	if orgID == "" {
		return model.Role{}, noSuchOrg()
	}
	return s.viewRole(ctx, s.store, orgID, name)
}

// CreateRole creates an environment role.
func (s *Service) CreateRole(ctx context.Context, in RoleInput) (model.Role, error) {
	return s.createRole(ctx, "", in)
}

// CreateOrgRole creates a role of the organization. It may extend an
// environment role or another of the organization's roles.
func (s *Service) CreateOrgRole(ctx context.Context, orgID string, in RoleInput) (model.Role, error) {
	if orgID == "" {
		return model.Role{}, noSuchOrg()
	}
	return s.createRole(ctx, orgID, in)
}

// UpdateRole changes the environment role called name.
func (s *Service) UpdateRole(ctx context.Context, name string, in RoleInput) (model.Role, error) {
	return s.updateRole(ctx, "", name, in)
}

// UpdateOrgRole changes the organization's role called name.
func (s *Service) UpdateOrgRole(ctx context.Context, orgID, name string, in RoleInput) (model.Role, error) {
	if orgID == "" {
		return model.Role{}, noSuchOrg()
	}
	return s.updateRole(ctx, orgID, name, in)
}

// DeleteRole deletes the environment role called name. Members holding it
// get the role called reassignTo instead; without one, a role in use stays.
// A default role, or one that other roles extend, is never deleted.
func (s *Service) DeleteRole(ctx context.Context, name, reassignTo string) error {
	return s.deleteRole(ctx, "", name, reassignTo)
}

// DeleteOrgRole deletes the organization's role called name, as DeleteRole
// does; reassignTo may name an environment role or one of the org's own.
func (s *Service) DeleteOrgRole(ctx context.Context, orgID, name, reassignTo string) error {
	if orgID == "" {
		return noSuchOrg()
	}
	return s.deleteRole(ctx, orgID, name, reassignTo)
}

// RolePermissions returns the environment role's own permissions.
func (s *Service) RolePermissions(ctx context.Context, name string) ([]model.Permission, error) {
	return s.rolePermissions(ctx, "", name)
}

// OrgRolePermissions returns the organization role's own permissions.
func (s *Service) OrgRolePermissions(ctx context.Context, orgID, name string) ([]model.Permission, error) {
	if orgID == "" {
		return nil, noSuchOrg()
	}
	return s.rolePermissions(ctx, orgID, name)
}

// AddRolePermissions grants the named permissions to the environment role
// and returns its own permissions afterwards. Ones it has already stay.
func (s *Service) AddRolePermissions(ctx context.Context, name string, permissions []string) ([]model.Permission, error) {
	return s.addRolePermissions(ctx, "", name, permissions)
}

// AddOrgRolePermissions grants the named permissions to the organization's role.
func (s *Service) AddOrgRolePermissions(ctx context.Context, orgID, name string, permissions []string) ([]model.Permission, error) {
	if orgID == "" {
		return nil, noSuchOrg()
	}
	return s.addRolePermissions(ctx, orgID, name, permissions)
}

// RemoveRolePermission takes a permission the environment role grants
// itself away from it (inherited ones stay with the role they come from).
func (s *Service) RemoveRolePermission(ctx context.Context, name, permission string) error {
	return s.removeRolePermission(ctx, "", name, permission)
}

// RemoveOrgRolePermission takes a permission away from the organization's role.
func (s *Service) RemoveOrgRolePermission(ctx context.Context, orgID, name, permission string) error {
	if orgID == "" {
		return noSuchOrg()
	}
	return s.removeRolePermission(ctx, orgID, name, permission)
}

// EffectivePermissions returns every permission the roles grant, those
// inherited through extends included, each once and ordered by name.
func (s *Service) EffectivePermissions(ctx context.Context, roleIDs []string) ([]model.Permission, error) {
	return s.store.PermissionsOfRoles(ctx, roleIDs)
}

// EnvironmentDefaultRoles returns the environment's default roles.
func (s *Service) EnvironmentDefaultRoles(ctx context.Context) (DefaultRoles, error) {
	d, err := s.store.EnvironmentDefaultRoles(ctx)
	if err != nil {
		return DefaultRoles{}, err
	}
	return s.defaultRoles(ctx, s.store, d)
}

// SetDefaultRoles points the environment's defaults at the environment roles
// named; a nil name leaves that default as it is. Defaults cannot be
// cleared: every new member must get some role.
func (s *Service) SetDefaultRoles(ctx context.Context, creator, member *string) (DefaultRoles, error) {
	var v apperr.Violations
	if creator == nil && member == nil {
		v.Add("body", "must set default_creator_role, default_member_role or both")
	}
	if creator != nil && *creator == "" {
		v.Add("default_creator_role", "must name a role; defaults cannot be cleared")
	}
	if member != nil && *member == "" {
		v.Add("default_member_role", "must name a role; defaults cannot be cleared")
	}
	if err := v.Err(); err != nil {
		return DefaultRoles{}, err
	}
	var out DefaultRoles
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockRoles(ctx); err != nil {
			return err
		}
		before, err := tx.EnvironmentDefaultRoles(ctx)
		if err != nil {
			return err
		}
		prev, err := s.defaultRoles(ctx, tx, before)
		if err != nil {
			return err
		}
		after := before
		if creator != nil {
			ref, err := s.findReferencedRole(ctx, tx, &v, "", "default_creator_role", *creator)
			if err != nil {
				return err
			}
			after.CreatorID = &ref.ID
		}
		if member != nil {
			ref, err := s.findReferencedRole(ctx, tx, &v, "", "default_member_role", *member)
			if err != nil {
				return err
			}
			after.MemberID = &ref.ID
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := tx.SetEnvironmentDefaultRoles(ctx, after, s.clock.Now()); err != nil {
			return err
		}
		if out, err = s.defaultRoles(ctx, tx, after); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "role.defaults_updated", TargetType: "environment",
			Changes: model.JSONObject{
				"default_creator_role": model.JSONObject{"from": prev.Creator.Name, "to": out.Creator.Name},
				"default_member_role":  model.JSONObject{"from": prev.Member.Name, "to": out.Member.Name},
			},
		})
	})
	return out, err
}

// OrgDefaultMemberRole returns the role new members of the organization get:
// its own default member role, else the environment's.
func (s *Service) OrgDefaultMemberRole(ctx context.Context, orgID string) (model.Role, error) {
	ref, err := s.DefaultMemberRole(ctx, s.store, orgID)
	if err != nil {
		return model.Role{}, err
	}
	return s.viewRole(ctx, s.store, orgID, ref.Name)
}

// SetOrgDefaultMemberRole makes the role called name, the organization's own
// or an environment role, the one its new members get. An empty name drops
// the organization's choice, so the environment's default applies again.
// It returns the organization's default member role afterwards.
func (s *Service) SetOrgDefaultMemberRole(ctx context.Context, orgID, name string) (model.Role, error) {
	if orgID == "" {
		return model.Role{}, noSuchOrg()
	}
	var out model.Role
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockRoles(ctx); err != nil {
			return err
		}
		// What new members got before, for the audit log; this also finds an
		// unknown org. A missing default is no reason to refuse setting one.
		before, err := s.DefaultMemberRole(ctx, tx, orgID)
		if err != nil && !errors.Is(err, apperr.ErrFailedPrecondition) {
			return err
		}
		var roleID *string
		if name != "" {
			var v apperr.Violations
			ref, err := s.findReferencedRole(ctx, tx, &v, orgID, "default_member_role", name)
			if err != nil {
				return err
			}
			if err := v.Err(); err != nil {
				return err
			}
			roleID = &ref.ID
		}
		if err := tx.SetOrganizationDefaultRole(ctx, orgID, roleID, s.clock.Now()); err != nil {
			return err
		}
		ref, err := s.DefaultMemberRole(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if out, err = s.viewRole(ctx, tx, orgID, ref.Name); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "role.defaults_updated", OrgID: orgID, TargetType: "organization", TargetID: orgID,
			Changes: model.JSONObject{
				"default_member_role": model.JSONObject{"from": before.Name, "to": out.Name, "own": roleID != nil},
			},
		})
	})
	return out, err
}

// ResolveRoleNames turns role names into the roles an organization's members
// may hold: the environment's and that organization's own (orgID "" allows
// environment roles only). The result follows the order of names, without
// repeats. A name that matches none is bad input on the field "roles".
// tx may be a transaction or the plain store.
func (s *Service) ResolveRoleNames(ctx context.Context, tx *store.Store, orgID string, names []string) ([]model.RoleRef, error) {
	if tx == nil {
		tx = s.store
	}
	unique := dedupeNames(names)
	if len(unique) == 0 {
		return []model.RoleRef{}, nil
	}
	found, err := tx.AssignableRoles(ctx, orgID, unique)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]model.RoleRef, len(found))
	for _, r := range found {
		byName[r.Name] = r
	}
	out := make([]model.RoleRef, 0, len(unique))
	var unknown []string
	for _, n := range unique {
		r, ok := byName[n]
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q", n))
			continue
		}
		out = append(out, r)
	}
	if len(unknown) > 0 {
		return nil, apperr.Invalid(apperr.Field("roles", "names no role of this organization or the environment: "+strings.Join(unknown, ", ")))
	}
	return out, nil
}

// DefaultCreatorRole returns the role the creator of an organization gets.
// tx may be a transaction or the plain store.
func (s *Service) DefaultCreatorRole(ctx context.Context, tx *store.Store) (model.RoleRef, error) {
	if tx == nil {
		tx = s.store
	}
	ref, ok, err := tx.DefaultCreatorRole(ctx)
	if err == nil && !ok {
		err = apperr.FailedPrecondition("the environment has no default creator role; set one first")
	}
	return ref, err
}

// DefaultMemberRole returns the role new members of the organization get:
// the organization's own default member role wins over the environment's.
// tx may be a transaction or the plain store.
func (s *Service) DefaultMemberRole(ctx context.Context, tx *store.Store, orgID string) (model.RoleRef, error) {
	if tx == nil {
		tx = s.store
	}
	if orgID == "" {
		return model.RoleRef{}, noSuchOrg()
	}
	ref, ok, err := tx.DefaultMemberRole(ctx, orgID)
	if err == nil && !ok {
		err = apperr.FailedPrecondition("neither the organization nor the environment has a default member role; set one first")
	}
	return ref, err
}

// ---- the shared implementation; orgID "" is the environment ----

func noSuchOrg() error { return apperr.NotFound("organization not found") }

// roleDefaults says which roles are defaults as seen from the scope: in an
// organization, its default member role is its own choice or else the
// environment's. For an organization it also checks that it exists.
type roleDefaults struct{ creatorID, memberID *string }

func (s *Service) scopeDefaults(ctx context.Context, tx *store.Store, orgID string) (roleDefaults, error) {
	env, err := tx.EnvironmentDefaultRoles(ctx)
	if err != nil {
		return roleDefaults{}, err
	}
	d := roleDefaults{creatorID: env.CreatorID, memberID: env.MemberID}
	if orgID != "" {
		own, err := tx.OrganizationDefaultRole(ctx, orgID)
		if err != nil {
			return d, err
		}
		if own != nil {
			d.memberID = own
		}
	}
	return d, nil
}

func (d roleDefaults) mark(r *model.Role) {
	r.DefaultCreator = d.creatorID != nil && *d.creatorID == r.ID
	r.DefaultMember = d.memberID != nil && *d.memberID == r.ID
}

func (s *Service) listRoles(ctx context.Context, orgID string) ([]model.Role, error) {
	d, err := s.scopeDefaults(ctx, s.store, orgID)
	if err != nil {
		return nil, err
	}
	roles, err := s.store.EnvironmentRoles(ctx)
	if err != nil {
		return nil, err
	}
	if orgID != "" {
		// An organization's members may hold its own roles and the
		// environment's, so its list shows both (is_org_role tells them apart).
		own, err := s.store.OrganizationRoles(ctx, orgID)
		if err != nil {
			return nil, err
		}
		roles = append(roles, own...)
		slices.SortFunc(roles, func(a, b model.Role) int { return strings.Compare(a.Name, b.Name) })
	}
	for i := range roles {
		d.mark(&roles[i])
	}
	if roles == nil {
		roles = []model.Role{}
	}
	return roles, nil
}

// viewRole reads a role as seen from the scope: in an organization, its own
// role of that name or else the environment's (names never clash across the
// two), with the default flags as they apply there.
func (s *Service) viewRole(ctx context.Context, tx *store.Store, orgID, name string) (model.Role, error) {
	d, err := s.scopeDefaults(ctx, tx, orgID)
	if err != nil {
		return model.Role{}, err
	}
	var r model.Role
	if orgID != "" {
		r, err = tx.OrganizationRole(ctx, orgID, name)
	}
	if orgID == "" || errors.Is(err, apperr.ErrNotFound) {
		r, err = tx.EnvironmentRole(ctx, name)
	}
	d.mark(&r)
	return r, err
}

// findRole returns the scope's own role called name, to change it: an
// environment role, or a role of the organization orgID and never another
// organization's. An environment role is visible through an organization
// but changed only as the environment's.
func (s *Service) findRole(ctx context.Context, tx *store.Store, orgID, name string) (model.Role, error) {
	if orgID == "" {
		return tx.EnvironmentRole(ctx, name)
	}
	r, err := tx.OrganizationRole(ctx, orgID, name)
	if !errors.Is(err, apperr.ErrNotFound) {
		return r, err
	}
	if _, envErr := tx.EnvironmentRole(ctx, name); envErr == nil {
		return r, apperr.FailedPrecondition(fmt.Sprintf("role %q is an environment role, shared by every organization; change it among the environment's roles", name))
	}
	return r, err
}

// findReferencedRole looks up a role that another field points at (extends,
// a default, a reassignment): in an organization's scope that is one of its
// own roles or an environment role. An unknown name is recorded on field.
func (s *Service) findReferencedRole(ctx context.Context, tx *store.Store, v *apperr.Violations, orgID, field, name string) (model.RoleRef, error) {
	refs, err := tx.AssignableRoles(ctx, orgID, []string{name})
	if err != nil {
		return model.RoleRef{}, err
	}
	if len(refs) > 0 {
		return refs[0], nil
	}
	if orgID == "" {
		v.Add(field, fmt.Sprintf("names no environment role: %q", name))
	} else {
		v.Add(field, fmt.Sprintf("names no role of this organization or the environment: %q", name))
	}
	return model.RoleRef{}, nil
}

// checkRoleFields checks the fields of in that do not need the database,
// and copies them onto r.
func checkRoleFields(v *apperr.Violations, r *model.Role, in RoleInput) (perms []string) {
	if in.DisplayName != nil {
		r.DisplayName = strings.TrimSpace(*in.DisplayName)
		checkLen(v, "display_name", r.DisplayName, 0, 100)
	}
	if in.Description != nil {
		r.Description = strings.TrimSpace(*in.Description)
		checkLen(v, "description", r.Description, 0, 2000)
	}
	if in.Permissions != nil {
		perms = dedupeNames(*in.Permissions)
		for _, p := range perms {
			if p == "" {
				v.Add("permissions", "must not hold an empty name")
				break
			}
		}
	}
	return perms
}

// checkPermissionsExist records on field every name that is no permission.
func checkPermissionsExist(ctx context.Context, tx *store.Store, v *apperr.Violations, field string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	exist, err := tx.ExistingPermissionNames(ctx, names)
	if err != nil {
		return err
	}
	var unknown []string
	for _, n := range names {
		if !exist[n] {
			unknown = append(unknown, fmt.Sprintf("%q", n))
		}
	}
	if len(unknown) > 0 {
		v.Add(field, "names no permission: "+strings.Join(unknown, ", "))
	}
	return nil
}

// nameTaken is the conflict of a role name already in use, shaped like the
// store's conflicts so callers see the field to change.
func nameTaken(description string) error {
	e := apperr.Conflict("name " + description)
	e.Violations = []apperr.FieldViolation{apperr.Field("name", description)}
	return e
}

// checkNameFree refuses a name already used in the scope or, across scopes,
// one that would make an organization's role names ambiguous: an org role
// may not share an environment role's name, and the other way round.
func (s *Service) checkNameFree(ctx context.Context, tx *store.Store, orgID, name string) error {
	_, err := tx.EnvironmentRole(ctx, name)
	switch {
	case err == nil && orgID == "":
		return nameTaken("is already used by another role")
	case err == nil:
		return nameTaken("is already used by an environment role; organization roles need their own names")
	case !errors.Is(err, apperr.ErrNotFound):
		return err
	}
	if orgID == "" {
		taken, err := tx.OrganizationRoleNameExists(ctx, name)
		if err != nil || !taken {
			return err
		}
		return nameTaken("is already used by an organization's own role")
	}
	_, err = tx.OrganizationRole(ctx, orgID, name)
	switch {
	case err == nil:
		return nameTaken("is already used by another role of this organization")
	case !errors.Is(err, apperr.ErrNotFound):
		return err
	}
	return nil
}

func (s *Service) createRole(ctx context.Context, orgID string, in RoleInput) (model.Role, error) {
	var v apperr.Violations
	if in.Name == "" {
		v.Add("name", "is required")
	} else if !roleNamePattern.MatchString(in.Name) {
		v.Add("name", "must be 1 to 64 letters, digits or underscores")
	}
	r := model.Role{Name: in.Name}
	perms := checkRoleFields(&v, &r, in)
	if err := v.Err(); err != nil {
		return r, err
	}
	if orgID != "" {
		r.OrganizationID = &orgID
	}
	var out model.Role
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockRoles(ctx); err != nil {
			return err
		}
		d, err := s.scopeDefaults(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if err := s.checkNameFree(ctx, tx, orgID, in.Name); err != nil {
			return err
		}
		if in.Extends != nil && *in.Extends != "" {
			parent, err := s.findReferencedRole(ctx, tx, &v, orgID, "extends", *in.Extends)
			if err != nil {
				return err
			}
			if parent.ID != "" {
				r.ExtendsRoleID = &parent.ID
			}
		}
		if err := checkPermissionsExist(ctx, tx, &v, "permissions", perms); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		r.ID = ids.New(ids.Role)
		r.CreatedAt = s.clock.Now()
		if err := tx.InsertRole(ctx, r); err != nil {
			return err
		}
		if err := tx.AddRolePermissions(ctx, r.ID, perms); err != nil {
			return err
		}
		if out, err = s.findRole(ctx, tx, orgID, r.Name); err != nil {
			return err
		}
		d.mark(&out)
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "role.created", OrgID: orgID, TargetType: "role", TargetID: out.ID,
			Changes: model.JSONObject{
				"name": out.Name, "display_name": out.DisplayName, "description": out.Description,
				"extends": out.ExtendsName, "permissions": out.Permissions,
			},
		})
	})
	return out, err
}

func (s *Service) updateRole(ctx context.Context, orgID, name string, in RoleInput) (model.Role, error) {
	var out model.Role
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockRoles(ctx); err != nil {
			return err
		}
		d, err := s.scopeDefaults(ctx, tx, orgID)
		if err != nil {
			return err
		}
		before, err := s.findRole(ctx, tx, orgID, name)
		if err != nil {
			return err
		}
		var v apperr.Violations
		if in.Name != "" && in.Name != before.Name {
			v.Add("name", "cannot be changed: create a role with the new name, then delete this one reassigning its members")
		}
		r := before
		perms := checkRoleFields(&v, &r, in)
		if in.Extends != nil {
			r.ExtendsRoleID = nil
			if *in.Extends != "" {
				parent, err := s.findReferencedRole(ctx, tx, &v, orgID, "extends", *in.Extends)
				if err != nil {
					return err
				}
				if parent.ID != "" {
					if err := checkNoCycle(ctx, tx, &v, before, parent); err != nil {
						return err
					}
					r.ExtendsRoleID = &parent.ID
				}
			}
		}
		if err := checkPermissionsExist(ctx, tx, &v, "permissions", perms); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		r.UpdatedAt = s.clock.Now()
		if err := tx.UpdateRole(ctx, r); err != nil {
			return err
		}
		if in.Permissions != nil {
			if err := tx.ClearRolePermissions(ctx, r.ID); err != nil {
				return err
			}
			if err := tx.AddRolePermissions(ctx, r.ID, perms); err != nil {
				return err
			}
		}
		if out, err = s.findRole(ctx, tx, orgID, name); err != nil {
			return err
		}
		d.mark(&out)
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "role.updated", OrgID: orgID, TargetType: "role", TargetID: out.ID,
			Changes: roleChanges(before, out),
		})
	})
	return out, err
}

// checkNoCycle refuses making role extend parent when parent already
// inherits from role: single inheritance must stay a tree.
func checkNoCycle(ctx context.Context, tx *store.Store, v *apperr.Violations, role model.Role, parent model.RoleRef) error {
	if parent.ID == role.ID {
		v.Add("extends", "a role cannot extend itself")
		return nil
	}
	chain, err := tx.RoleAncestors(ctx, parent.ID)
	if err != nil {
		return err
	}
	for _, a := range chain {
		if a.ID == role.ID {
			v.Add("extends", fmt.Sprintf("would make a cycle: %q already extends %q, directly or through other roles", parent.Name, role.Name))
			return nil
		}
	}
	return nil
}

func (s *Service) deleteRole(ctx context.Context, orgID, name, reassignTo string) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockRoles(ctx); err != nil {
			return err
		}
		if _, err := s.scopeDefaults(ctx, tx, orgID); err != nil {
			return err
		}
		r, err := s.findRole(ctx, tx, orgID, name)
		if err != nil {
			return err
		}
		use, err := tx.RoleUsage(ctx, r.ID)
		if err != nil {
			return err
		}
		switch {
		case use.EnvironmentDefault:
			return apperr.FailedPrecondition(fmt.Sprintf("role %q is a default role of the environment; make another role the default first", r.Name))
		case use.OrganizationDefault > 0 && orgID != "":
			return apperr.FailedPrecondition(fmt.Sprintf("role %q is this organization's default member role; choose another default first", r.Name))
		case use.OrganizationDefault > 0:
			return apperr.FailedPrecondition(fmt.Sprintf("role %q is the default member role of %d organization(s); choose another default for them first", r.Name, use.OrganizationDefault))
		case use.ExtendedBy > 0:
			return apperr.FailedPrecondition(fmt.Sprintf("%d role(s) extend role %q; change what they extend first", use.ExtendedBy, r.Name))
		}
		changes := model.JSONObject{"name": r.Name}
		if reassignTo != "" {
			var v apperr.Violations
			target, err := s.findReferencedRole(ctx, tx, &v, orgID, "reassign_role_name", reassignTo)
			if err != nil {
				return err
			}
			if target.ID == r.ID {
				v.Add("reassign_role_name", "must name another role than the one being deleted")
			}
			if err := v.Err(); err != nil {
				return err
			}
			moved, err := tx.ReassignRoleMembers(ctx, r.ID, target.ID)
			if err != nil {
				return err
			}
			changes["reassigned_to"] = target.Name
			changes["memberships_reassigned"] = use.Members
			changes["memberships_gaining_role"] = moved
		} else if use.Members > 0 {
			return apperr.FailedPrecondition(fmt.Sprintf("role %q is held by %d membership(s); pass reassign_role_name to give them another role", r.Name, use.Members))
		}
		if err := tx.DeleteRole(ctx, r.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "role.deleted", OrgID: orgID, TargetType: "role", TargetID: r.ID, Changes: changes,
		})
	})
}

func (s *Service) rolePermissions(ctx context.Context, orgID, name string) ([]model.Permission, error) {
	r, err := s.viewRole(ctx, s.store, orgID, name)
	if err != nil {
		return nil, err
	}
	return ownPermissions(ctx, s.store, r.ID)
}

func ownPermissions(ctx context.Context, tx *store.Store, roleID string) ([]model.Permission, error) {
	rows, err := tx.RolePermissions(ctx, []string{roleID})
	out := make([]model.Permission, len(rows))
	for i, p := range rows {
		out[i] = p.Permission
	}
	return out, err
}

func (s *Service) addRolePermissions(ctx context.Context, orgID, name string, permissions []string) ([]model.Permission, error) {
	var v apperr.Violations
	perms := dedupeNames(permissions)
	if len(perms) == 0 {
		v.Add("permission_names", "must name at least one permission")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out []model.Permission
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if _, err := s.scopeDefaults(ctx, tx, orgID); err != nil {
			return err
		}
		r, err := s.findRole(ctx, tx, orgID, name)
		if err != nil {
			return err
		}
		if err := checkPermissionsExist(ctx, tx, &v, "permission_names", perms); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := tx.AddRolePermissions(ctx, r.ID, perms); err != nil {
			return err
		}
		if out, err = ownPermissions(ctx, tx, r.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "role.permissions_added", OrgID: orgID, TargetType: "role", TargetID: r.ID,
			Changes: model.JSONObject{"name": r.Name, "permissions": perms},
		})
	})
	return out, err
}

func (s *Service) removeRolePermission(ctx context.Context, orgID, name, permission string) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		if _, err := s.scopeDefaults(ctx, tx, orgID); err != nil {
			return err
		}
		r, err := s.findRole(ctx, tx, orgID, name)
		if err != nil {
			return err
		}
		if _, err := tx.Permission(ctx, permission); err != nil {
			return err
		}
		had, err := tx.RemoveRolePermission(ctx, r.ID, permission)
		if err != nil {
			return err
		}
		if !had {
			return apperr.NotFound(fmt.Sprintf("role %q does not grant %q itself (it may inherit it from the role it extends)", r.Name, permission))
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "role.permission_removed", OrgID: orgID, TargetType: "role", TargetID: r.ID,
			Changes: model.JSONObject{"name": r.Name, "permission": permission},
		})
	})
}

// defaultRoles reads the environment's default roles with their details.
func (s *Service) defaultRoles(ctx context.Context, tx *store.Store, set store.DefaultRoleIDs) (DefaultRoles, error) {
	d := roleDefaults{creatorID: set.CreatorID, memberID: set.MemberID}
	roles, err := tx.EnvironmentRoles(ctx)
	if err != nil {
		return DefaultRoles{}, err
	}
	var out DefaultRoles
	for _, r := range roles {
		d.mark(&r)
		if r.DefaultCreator {
			out.Creator = r
		}
		if r.DefaultMember {
			out.Member = r
		}
	}
	return out, nil
}

func roleChanges(before, after model.Role) model.JSONObject {
	changes := model.JSONObject{}
	diff := func(field string, from, to any) {
		changes[field] = model.JSONObject{"from": from, "to": to}
	}
	if before.DisplayName != after.DisplayName {
		diff("display_name", before.DisplayName, after.DisplayName)
	}
	if before.Description != after.Description {
		diff("description", before.Description, after.Description)
	}
	if jsonOrNull(before.ExtendsName) != jsonOrNull(after.ExtendsName) {
		diff("extends", jsonOrNull(before.ExtendsName), jsonOrNull(after.ExtendsName))
	}
	if !slices.Equal(before.Permissions, after.Permissions) {
		diff("permissions", before.Permissions, after.Permissions)
	}
	return changes
}

// jsonOrNull gives an optional string as a JSON value: the string or null.
func jsonOrNull(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// dedupeNames drops repeats, keeping the first occurrence's order.
func dedupeNames(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
