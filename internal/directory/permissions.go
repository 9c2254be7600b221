package directory

import (
	"context"
	"regexp"
	"strings"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/store"
)

// A permission reads "resource:action" (more parts allowed, as in
// "billing:invoices:read"), each part letters, digits, "_", "." or "-".
var permissionNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)+$`)

// PermissionInput is what a caller sets on a permission. On update, a nil
// description keeps its value.
type PermissionInput struct {
	// Name is set on create. Tokens carry permissions by name, so a
	// permission keeps its name; on update it may only repeat it.
	Name        string
	Description *string
}

// ListPermissions returns every permission, ordered by name.
func (s *Service) ListPermissions(ctx context.Context) ([]model.Permission, error) {
	return s.store.Permissions(ctx)
}

// GetPermission returns the permission called name.
func (s *Service) GetPermission(ctx context.Context, name string) (model.Permission, error) {
	return s.store.Permission(ctx, name)
}

// CreatePermission adds a permission to the environment's catalogue.
func (s *Service) CreatePermission(ctx context.Context, in PermissionInput) (model.Permission, error) {
	var v apperr.Violations
	switch {
	case in.Name == "":
		v.Add("name", "is required")
	case len(in.Name) > 64 || !permissionNamePattern.MatchString(in.Name):
		v.Add("name", `must look like "resource:action": parts of letters, digits, "_", "." or "-" joined by ":", at most 64 characters`)
	}
	p := model.Permission{Name: in.Name}
	checkPermissionDescription(&v, &p, in)
	if err := v.Err(); err != nil {
		return p, err
	}
	p.ID = ids.New(ids.Permission)
	p.CreatedAt = s.clock.Now()
	p.UpdatedAt = p.CreatedAt
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.InsertPermission(ctx, p); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "permission.created", TargetType: "permission", TargetID: p.ID,
			Changes: model.JSONObject{"name": p.Name, "description": p.Description},
		})
	})
	return p, err
}

// UpdatePermission changes the description of the permission called name.
func (s *Service) UpdatePermission(ctx context.Context, name string, in PermissionInput) (model.Permission, error) {
	var out model.Permission
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		before, err := tx.Permission(ctx, name)
		if err != nil {
			return err
		}
		var v apperr.Violations
		if in.Name != "" && in.Name != before.Name {
			v.Add("name", "cannot be changed: create a permission with the new name, grant it, then delete this one")
		}
		p := before
		checkPermissionDescription(&v, &p, in)
		if err := v.Err(); err != nil {
			return err
		}
		p.UpdatedAt = s.clock.Now()
		if err := tx.UpdatePermission(ctx, p); err != nil {
			return err
		}
		out = p
		changes := model.JSONObject{}
		if before.Description != p.Description {
			changes["description"] = model.JSONObject{"from": before.Description, "to": p.Description}
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "permission.updated", TargetType: "permission", TargetID: p.ID, Changes: changes,
		})
	})
	return out, err
}

// DeletePermission deletes the permission called name. Roles that granted
// it stop granting it; the audit event names them.
func (s *Service) DeletePermission(ctx context.Context, name string) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		p, err := tx.Permission(ctx, name)
		if err != nil {
			return err
		}
		roles, err := tx.RolesGrantingPermission(ctx, p.ID)
		if err != nil {
			return err
		}
		if err := tx.DeletePermission(ctx, p.ID); err != nil {
			return err
		}
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = r.Name
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "permission.deleted", TargetType: "permission", TargetID: p.ID,
			Changes: model.JSONObject{"name": p.Name, "removed_from_roles": names},
		})
	})
}

func checkPermissionDescription(v *apperr.Violations, p *model.Permission, in PermissionInput) {
	if in.Description != nil {
		p.Description = strings.TrimSpace(*in.Description)
		checkLen(v, "description", p.Description, 0, 2000)
	}
}
