package store

import (
	"context"

	"github.com/lib/pq"

	"roster/internal/model"
)

var permissionQueries struct {
	List          string `query:"list-permissions"`
	Get           string `query:"get-permission"`
	FindNames     string `query:"find-permission-names"`
	Insert        string `query:"insert-permission"`
	Update        string `query:"update-permission"`
	Delete        string `query:"delete-permission"`
	GrantingRoles string `query:"roles-granting-permission"`
}

func init() { loadQueries("permissions.sql", &permissionQueries) }

// Permissions returns every permission, ordered by name.
func (s *Store) Permissions(ctx context.Context) ([]model.Permission, error) {
	out := []model.Permission{}
	return out, s.selectAll(ctx, &out, permissionQueries.List)
}

// Permission returns the permission called name.
func (s *Store) Permission(ctx context.Context, name string) (model.Permission, error) {
	var p model.Permission
	return p, found(s.get(ctx, &p, permissionQueries.Get, name), "permission")
}

// ExistingPermissionNames returns which of names are permissions.
func (s *Store) ExistingPermissionNames(ctx context.Context, names []string) (map[string]bool, error) {
	var found []string
	if err := s.selectAll(ctx, &found, permissionQueries.FindNames, pq.Array(names)); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(found))
	for _, n := range found {
		out[n] = true
	}
	return out, nil
}

// InsertPermission stores a new permission; p.ID and p.CreatedAt must be set.
func (s *Store) InsertPermission(ctx context.Context, p model.Permission) error {
	_, err := s.exec(ctx, permissionQueries.Insert, p.ID, p.Name, p.Description, p.CreatedAt)
	return err
}

// UpdatePermission writes p's description and UpdatedAt.
func (s *Store) UpdatePermission(ctx context.Context, p model.Permission) error {
	n, err := s.exec(ctx, permissionQueries.Update, p.ID, p.Description, p.UpdatedAt)
	if err == nil && n == 0 {
		return notFound("permission")
	}
	return err
}

// DeletePermission deletes the permission and every grant of it.
func (s *Store) DeletePermission(ctx context.Context, id string) error {
	n, err := s.exec(ctx, permissionQueries.Delete, id)
	if err == nil && n == 0 {
		return notFound("permission")
	}
	return err
}

// RolesGrantingPermission returns the roles granting the permission directly.
func (s *Store) RolesGrantingPermission(ctx context.Context, id string) ([]RoleRefName, error) {
	var out []RoleRefName
	return out, s.selectAll(ctx, &out, permissionQueries.GrantingRoles, id)
}
