package directory

import (
	"context"
	"errors"
	"strings"

	"roster/internal/apperr"
	"roster/internal/model"
	"roster/internal/store"
)

// What the console's organization pages need beyond the API's methods.

// ConsoleListOrganizations pages through organizations in the order sort,
// only those matching query when it is set: a display name substring, or
// exactly a slug, an external id or one of the org's domains.
func (s *Service) ConsoleListOrganizations(ctx context.Context, query string, sort store.OrgSort, page store.PageRequest) ([]store.OrgListRow, store.PageInfo, error) {
	query = strings.TrimSpace(query)
	if n := len([]rune(query)); query != "" && (n < 3 || n > 100) {
		return nil, store.PageInfo{}, apperr.Invalid(apperr.Field("q", "must be 3 to 100 characters"))
	}
	switch sort {
	case store.OrgsNewest, store.OrgsOldest, store.OrgsByName:
	default:
		return nil, store.PageInfo{}, apperr.Invalid(apperr.Field("sort", "must be newest, oldest or name"))
	}
	return s.store.ConsoleListOrganizations(ctx, query, sort, page)
}

// CreateOrganizationInvitingAdmin creates an org and, when adminEmail is
// set, invites that person as its first admin (the environment's default
// creator role), in one transaction: a refused invitation leaves no org
// behind. invitedBy is who sends the invitation (MembershipInput.InvitedBy).
func (s *Service) CreateOrganizationInvitingAdmin(ctx context.Context, in OrganizationInput, adminEmail, invitedBy string) (model.Organization, error) {
	// Check both parts first, so one answer names every field to fix.
	var v apperr.Violations
	if in.DisplayName == nil {
		v.Add("display_name", "is required")
	}
	s.applyOrgInput(&v, model.Organization{}, in)
	adminEmail = strings.TrimSpace(adminEmail)
	if adminEmail != "" {
		adminEmail = checkEmail(&v, "admin_email", adminEmail)
	}
	if err := v.Err(); err != nil {
		return model.Organization{}, err
	}
	var o model.Organization
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		// CreateOrganization opens its own transaction on s.store; on a copy
		// bound to tx it joins this one, so its rules run unchanged.
		inTx := *s
		inTx.store = tx
		var err error
		if o, err = inTx.CreateOrganization(ctx, in); err != nil || adminEmail == "" {
			return err
		}
		org, err := tx.LockOrganization(ctx, o.ID)
		if err != nil {
			return err
		}
		admin, err := s.DefaultCreatorRole(ctx, tx)
		if err != nil {
			return err
		}
		u, _, err := s.findOrCreateUser(ctx, tx, UserInput{Email: &adminEmail})
		if err != nil {
			return orgRenameField(err, "email", "admin_email")
		}
		_, err = s.addMembership(ctx, tx, org, u, MembershipInput{
			Roles: []string{admin.Name}, InvitedBy: invitedBy, SendInvitation: true,
		}, model.ProvisionedDirect)
		return orgRenameField(err, "email", "admin_email")
	})
	return o, err
}

// orgRenameField moves field violations of from onto to, for a form whose
// input has another name than the service's.
func orgRenameField(err error, from, to string) error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		for i := range ae.Violations {
			if ae.Violations[i].Field == from {
				ae.Violations[i].Field = to
			}
		}
	}
	return err
}

// OrganizationCounts returns the counts an org's overview shows: members by
// status (kept by triggers, never counted), domains and own roles.
func (s *Service) OrganizationCounts(ctx context.Context, orgID string) (store.OrgCounts, error) {
	return s.store.ConsoleOrgCounts(ctx, orgID)
}

// ListInvitations pages through the org's open invitations, newest first.
// One past its expiry shows as INVITE_EXPIRED before the job marks it so.
func (s *Service) ListInvitations(ctx context.Context, orgID string, page store.PageRequest) ([]store.InvitationRow, store.PageInfo, error) {
	if _, err := s.store.Organization(ctx, orgID); err != nil {
		return nil, store.PageInfo{}, err
	}
	rows, info, err := s.store.ListInvitations(ctx, orgID, page)
	now := s.clock.Now()
	for i := range rows {
		markExpired(&rows[i].Membership, now)
	}
	return rows, info, err
}

// RevokeInvitation withdraws an invitation that has not been accepted: its
// links stop working, the membership goes, and the user goes too when left
// without memberships and deleteOrphan says so (nil: as the environment
// setting says).
func (s *Service) RevokeInvitation(ctx context.Context, orgID, userID string, deleteOrphan *bool) error {
	return s.closeInvitation(ctx, orgID, userID, "invitation.revoked", deleteOrphan, func(model.Membership) string {
		return "this person has already accepted the invitation; remove them as a member instead"
	})
}

// RemovalImpact says what removing a member (or revoking their invitation)
// would do, for the confirmation step.
type RemovalImpact struct {
	User       model.User
	Membership model.Membership
	// OtherOrganizations counts the user's memberships elsewhere.
	OtherOrganizations int
	// DeletesUser: this is their only org and the environment deletes users
	// left without one.
	DeletesUser bool
	// LastAdmin: they are the org's last active admin, so they cannot be
	// removed (RemoveMembership refuses).
	LastAdmin bool
}

// MemberRemovalImpact returns what removing the user from the org would do.
// A user who is not a member of the org is not found.
func (s *Service) MemberRemovalImpact(ctx context.Context, orgID, userID string) (RemovalImpact, error) {
	var out RemovalImpact
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return out, err
	}
	users, err := s.withMemberships(ctx, []model.User{u})
	if err != nil {
		return out, err
	}
	out.User = users[0]
	found := false
	for _, m := range out.User.Memberships {
		if m.OrganizationID == orgID {
			out.Membership, found = m, true
		} else {
			out.OtherOrganizations++
		}
	}
	if !found {
		return out, apperr.NotFound("membership not found")
	}
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil {
		return out, err
	}
	out.DeletesUser = out.OtherOrganizations == 0 && settings.DeleteUsersWithoutMemberships
	out.LastAdmin, _, err = s.lastAdmin(ctx, s.store, out.Membership)
	return out, err
}

// OrgRolesInUse returns the ids of the org's own roles that members hold.
func (s *Service) OrgRolesInUse(ctx context.Context, orgID string) (map[string]bool, error) {
	return s.store.OrgRolesInUse(ctx, orgID)
}

// OrgDeletionImpact is DeletionImpact as it will happen here: members
// without another org are deleted only when the environment deletes users
// left without memberships.
func (s *Service) OrgDeletionImpact(ctx context.Context, orgID string) (members, usersDeleted int, err error) {
	if members, usersDeleted, err = s.DeletionImpact(ctx, orgID); err != nil {
		return 0, 0, err
	}
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil {
		return 0, 0, err
	}
	if !settings.DeleteUsersWithoutMemberships {
		usersDeleted = 0
	}
	return members, usersDeleted, nil
}

// CheckOrganizationMetadata checks a metadata map as every write of one does, for a
// form that wants all its problems at once, before anything is written.
// Violations are on "metadata.<key>" (or "metadata" for the whole map).
func CheckOrganizationMetadata(m model.Metadata) error {
	var v apperr.Violations
	checkMetadata(&v, "metadata", m)
	return v.Err()
}
