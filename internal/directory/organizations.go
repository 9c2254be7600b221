package directory

import (
	"context"
	"errors"
	"strings"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/store"
)

// OrganizationInput is what a caller may set on an organization. Nil fields
// are left as they are on update.
type OrganizationInput struct {
	DisplayName *string
	Slug        *string
	ExternalID  *string
	Metadata    model.Metadata
	LogoURL     *string
	// CreatorUserID, on create only, makes that user the org's first member
	// with the environment's default creator role.
	CreatorUserID string
}

// OrganizationSettings are the per-org toggles and limits.
type OrganizationSettings struct {
	Features        map[string]bool
	MaxAllowedUsers *int
}

// KnownFeatures are the toggles an organization's settings may hold.
var KnownFeatures = []string{"sso", "domain_verification", "session_policy", "directory_sync"}

// CreateOrganization creates an org, and the creator's membership when named.
func (s *Service) CreateOrganization(ctx context.Context, in OrganizationInput) (model.Organization, error) {
	var v apperr.Violations
	if in.DisplayName == nil {
		v.Add("display_name", "is required")
	}
	o := s.applyOrgInput(&v, model.Organization{Metadata: model.Metadata{}, Settings: model.JSONObject{}}, in)
	if err := v.Err(); err != nil {
		return o, err
	}
	o.ID = ids.New(ids.Organization)
	o.CreatedAt = s.clock.Now()
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if o, err = tx.InsertOrganization(ctx, o); err != nil {
			return err
		}
		if in.CreatorUserID != "" {
			if _, err := s.addCreator(ctx, tx, o, in.CreatorUserID); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "organization.created", OrgID: o.ID, TargetType: "organization", TargetID: o.ID,
			Changes: model.JSONObject{"display_name": o.DisplayName, "slug": o.Slug, "external_id": o.ExternalID},
		})
	})
	return o, err
}

// addCreator gives the creator an active membership with the default creator role.
func (s *Service) addCreator(ctx context.Context, tx *store.Store, o model.Organization, userID string) (model.Membership, error) {
	role, err := s.DefaultCreatorRole(ctx, tx)
	if err != nil {
		return model.Membership{}, err
	}
	now := s.clock.Now()
	return tx.InsertMembership(ctx, model.Membership{
		ID: ids.New(ids.Membership), UserID: userID, OrganizationID: o.ID,
		Status: model.StatusActive, ProvisioningMethod: model.ProvisionedOrgCreator,
		Metadata: model.Metadata{}, JoinedAt: &now, CreatedAt: now,
	}, []string{role.ID})
}

func (s *Service) applyOrgInput(v *apperr.Violations, o model.Organization, in OrganizationInput) model.Organization {
	if in.DisplayName != nil {
		name := strings.TrimSpace(*in.DisplayName)
		checkLen(v, "display_name", name, 1, 200)
		o.DisplayName = name
	}
	if in.Slug != nil {
		o.Slug = checkSlug(v, in.Slug)
	}
	if in.ExternalID != nil {
		o.ExternalID = checkOptional(v, "external_id", in.ExternalID, 255)
	}
	if in.Metadata != nil {
		o.Metadata = checkMetadata(v, "metadata", in.Metadata)
	}
	if in.LogoURL != nil {
		o.LogoURL = checkHTTPSURL(v, "logo_url", in.LogoURL)
	}
	return o
}

// Organization returns one organization.
func (s *Service) Organization(ctx context.Context, id string) (model.Organization, error) {
	return s.store.Organization(ctx, id)
}

// OrganizationByExternalID returns the org with the customer's id.
func (s *Service) OrganizationByExternalID(ctx context.Context, externalID string) (model.Organization, error) {
	return s.store.OrganizationByExternalID(ctx, externalID)
}

// ListOrganizations pages through organizations.
func (s *Service) ListOrganizations(ctx context.Context, externalID string, page store.PageRequest) ([]model.Organization, store.PageInfo, error) {
	return s.store.ListOrganizations(ctx, externalID, page)
}

// UpdateOrganization changes the fields set in in.
func (s *Service) UpdateOrganization(ctx context.Context, id string, in OrganizationInput) (model.Organization, error) {
	var out model.Organization
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		before, err := tx.LockOrganization(ctx, id)
		if err != nil {
			return err
		}
		var v apperr.Violations
		o := s.applyOrgInput(&v, before, in)
		if err := v.Err(); err != nil {
			return err
		}
		o.UpdatedAt = s.clock.Now()
		if out, err = tx.UpdateOrganization(ctx, o); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "organization.updated", OrgID: id, TargetType: "organization", TargetID: id,
			Changes: orgChanges(before, out),
		})
	})
	return out, err
}

// UpdateOrganizationSettings changes feature toggles and the member limit.
func (s *Service) UpdateOrganizationSettings(ctx context.Context, id string, in OrganizationSettings) (model.Organization, error) {
	var v apperr.Violations
	for name := range in.Features {
		if !known(name) {
			v.Add("features."+name, "is not a known feature; known: "+strings.Join(KnownFeatures, ", "))
		}
	}
	if in.MaxAllowedUsers != nil && (*in.MaxAllowedUsers < 0 || *in.MaxAllowedUsers > 10_000_000) {
		v.Add("max_allowed_users", "must be 0 (no limit) or a positive number")
	}
	if err := v.Err(); err != nil {
		return model.Organization{}, err
	}
	var out model.Organization
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		before, err := tx.LockOrganization(ctx, id)
		if err != nil {
			return err
		}
		o := before
		o.Settings = model.JSONObject{}
		for k, val := range before.Settings {
			o.Settings[k] = val
		}
		for name, on := range in.Features {
			o.Settings[name] = on
		}
		if in.MaxAllowedUsers != nil {
			o.MaxAllowedUsers = *in.MaxAllowedUsers
		}
		o.UpdatedAt = s.clock.Now()
		if out, err = tx.UpdateOrganization(ctx, o); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "organization.settings_updated", OrgID: id, TargetType: "organization", TargetID: id,
			Changes: model.JSONObject{"settings": map[string]any{"from": before.Settings, "to": out.Settings},
				"max_allowed_users": map[string]any{"from": before.MaxAllowedUsers, "to": out.MaxAllowedUsers}},
		})
	})
	return out, err
}

func known(feature string) bool {
	for _, f := range KnownFeatures {
		if f == feature {
			return true
		}
	}
	return false
}

// DeleteOrganization deletes an org in one transaction: its members' sessions
// there end, its memberships go, and members who belonged to no other org are
// deleted too when the environment deletes users left without one.
func (s *Service) DeleteOrganization(ctx context.Context, id string) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		o, err := tx.LockOrganization(ctx, id)
		if err != nil {
			return err
		}
		settings, err := tx.EnvironmentSettings(ctx)
		if err != nil {
			return err
		}
		var orphans []string
		if settings.DeleteUsersWithoutMemberships {
			if orphans, err = tx.UserIDsOnlyInOrganization(ctx, id); err != nil {
				return err
			}
		}
		now := s.clock.Now()
		if _, err := tx.RevokeOrganizationSessions(ctx, id, now); err != nil {
			return err
		}
		if err := tx.ReleaseOrganizationRoles(ctx, id); err != nil {
			return err
		}
		if err := tx.DeleteOrganization(ctx, id); err != nil {
			return err
		}
		for _, uid := range orphans {
			if _, err := tx.RevokeAllUserSessions(ctx, uid, now); err != nil {
				return err
			}
			if err := tx.DeleteUser(ctx, uid); err != nil && !errors.Is(err, apperr.ErrNotFound) {
				return err
			}
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "organization.deleted", OrgID: id, TargetType: "organization", TargetID: id,
			Changes: model.JSONObject{"display_name": o.DisplayName, "deleted_user_ids": orphans},
		})
	})
}

// DeletionImpact says what deleting an org would do, for a confirmation page.
func (s *Service) DeletionImpact(ctx context.Context, id string) (members, usersDeleted int, err error) {
	if members, err = s.store.MemberCount(ctx, id); err != nil {
		return 0, 0, err
	}
	orphans, err := s.store.UserIDsOnlyInOrganization(ctx, id)
	return members, len(orphans), err
}

func orgChanges(a, b model.Organization) model.JSONObject {
	c := model.JSONObject{}
	diff := func(field string, from, to any, changed bool) {
		if changed {
			c[field] = map[string]any{"from": from, "to": to}
		}
	}
	diff("display_name", a.DisplayName, b.DisplayName, a.DisplayName != b.DisplayName)
	diff("slug", a.Slug, b.Slug, nullable.Value(a.Slug) != nullable.Value(b.Slug))
	diff("external_id", a.ExternalID, b.ExternalID, nullable.Value(a.ExternalID) != nullable.Value(b.ExternalID))
	diff("logo_url", a.LogoURL, b.LogoURL, nullable.Value(a.LogoURL) != nullable.Value(b.LogoURL))
	diff("metadata", a.Metadata, b.Metadata, !sameMetadata(a.Metadata, b.Metadata))
	return c
}

func sameMetadata(a, b model.Metadata) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
