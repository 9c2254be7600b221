package directory

import (
	"context"

	"roster/internal/model"
	"roster/internal/store"
)

// What the console's roles pages need beyond the API's methods.

// EffectivePermissionsByRole maps each role id to the names of every
// permission it grants, inherited ones included, in one query for all roles.
func (s *Service) EffectivePermissionsByRole(ctx context.Context, roleIDs []string) (map[string][]string, error) {
	return s.store.PermissionsByRole(ctx, roleIDs)
}

// RoleUsage is the environment role called name and what refers to it: the
// facts a deletion page shows. DeleteRole alone decides what is refused.
func (s *Service) RoleUsage(ctx context.Context, name string) (model.Role, store.RoleUsage, error) {
	r, err := s.GetRole(ctx, name)
	if err != nil {
		return r, store.RoleUsage{}, err
	}
	use, err := s.store.RoleUsage(ctx, r.ID)
	return r, use, err
}

// PermissionUsage is the permission called name and the names of the roles
// granting it directly, which stop granting it if it is deleted.
func (s *Service) PermissionUsage(ctx context.Context, name string) (model.Permission, []string, error) {
	p, err := s.store.Permission(ctx, name)
	if err != nil {
		return p, nil, err
	}
	roles, err := s.store.RolesGrantingPermission(ctx, p.ID)
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Name
	}
	return p, names, err
}
