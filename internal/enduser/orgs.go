package enduser

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
)

// Next is where a person goes once signed in.
type Next int

// Where Landing sends people.
const (
	// NextDone: the session is in an org; go on to return_to or home.
	NextDone Next = iota
	// NextChooseOrganization: several orgs; the person picks one.
	NextChooseOrganization
	// NextMyOrganizations: no active org; the person sees their
	// invitations, or creates an org when sign-up makes one.
	NextMyOrganizations
)

// Landing is THE step after every sign-in: which org the new session acts
// in (orgID, "" for none) and where the person goes next. chosen, when not
// "", is an org the sign-in already decided (an accepted invitation). One
// ACTIVE membership goes straight in; several ask; none go to "my
// organizations".
func (s *Service) Landing(ctx context.Context, userID, chosen string) (orgID string, next Next, err error) {
	if chosen != "" {
		return chosen, NextDone, nil
	}
	active, err := s.ActiveOrganizations(ctx, userID)
	if err != nil {
		return "", 0, err
	}
	switch len(active) {
	case 0:
		return "", NextMyOrganizations, nil
	case 1:
		return active[0].OrganizationID, NextDone, nil
	}
	return "", NextChooseOrganization, nil
}

// ActiveOrganizations are the user's ACTIVE memberships, by org name: the
// orgs they may sign in to.
func (s *Service) ActiveOrganizations(ctx context.Context, userID string) ([]model.Membership, error) {
	mine, err := s.MyOrganizations(ctx, userID)
	return mine.Active, err
}

// OrganizationCount counts the orgs the user may sign in to, for the
// hosted header's "switch organization".
func (s *Service) OrganizationCount(ctx context.Context, userID string) (int, error) {
	return s.store.ActiveMembershipCount(ctx, userID)
}

// MyOrganizations is what the "my organizations" page lists.
type MyOrganizations struct {
	User    model.User
	Active  []model.Membership // ACTIVE, by org name
	Pending []model.Membership // PENDING_INVITE: may be accepted or declined
	Other   []model.Membership // INVITE_EXPIRED and INACTIVE: shown, nothing to do
	// CanCreate: sign-up creates organizations and the user is under the
	// environment's limit of orgs per user.
	CanCreate bool
	// LeavingLastDeletesAccount: the environment deletes users left without
	// memberships, so leaving the only one ends the account.
	LeavingLastDeletesAccount bool
}

// MyOrganizations loads the user's memberships with their roles in one
// query (a person in 1,000 orgs is one round trip), sorted for people.
func (s *Service) MyOrganizations(ctx context.Context, userID string) (MyOrganizations, error) {
	u, err := s.dir.User(ctx, userID)
	if err != nil {
		return MyOrganizations{}, err
	}
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil {
		return MyOrganizations{}, err
	}
	out := MyOrganizations{
		User:                      u,
		CanCreate:                 settings.SignupCreatesOrganization && (settings.MaxOrganizationsPerUser == 0 || len(u.Memberships) < settings.MaxOrganizationsPerUser),
		LeavingLastDeletesAccount: settings.DeleteUsersWithoutMemberships,
	}
	for _, m := range u.Memberships {
		switch m.Status {
		case model.StatusActive:
			out.Active = append(out.Active, m)
		case model.StatusPendingInvite:
			out.Pending = append(out.Pending, m)
		default:
			out.Other = append(out.Other, m)
		}
	}
	for _, list := range [][]model.Membership{out.Active, out.Pending, out.Other} {
		sortByOrgName(list)
	}
	return out, nil
}

func sortByOrgName(ms []model.Membership) {
	slices.SortFunc(ms, func(a, b model.Membership) int {
		if c := strings.Compare(strings.ToLower(a.OrganizationName), strings.ToLower(b.OrganizationName)); c != 0 {
			return c
		}
		return strings.Compare(a.OrganizationID, b.OrganizationID)
	})
}

// LeaveImpact is what the confirmation before leaving an org says.
type LeaveImpact struct {
	Membership model.Membership
	// DeletesAccount: this is the user's only membership and the
	// environment deletes users left without one.
	DeletesAccount bool
	// CurrentOrganization: the session is acting in this org now.
	CurrentOrganization bool
	// Only: this is the user's only membership.
	Only bool
	// LastAdmin: the user is the org's last active admin, who cannot leave
	// while it exists (someone else must be made admin first).
	LastAdmin bool
}

// LeaveImpact returns what leaving orgID would do to the session's user.
// Not found unless they are an ACTIVE or INACTIVE member: an invitation is
// declined, not left.
func (s *Service) LeaveImpact(ctx context.Context, sess *Session, orgID string) (LeaveImpact, error) {
	return s.impact(ctx, sess, orgID, model.StatusActive, model.StatusInactive)
}

// DeclineImpact returns what declining the invitation to orgID would do.
// Not found unless the user has an open or expired invitation there.
func (s *Service) DeclineImpact(ctx context.Context, sess *Session, orgID string) (LeaveImpact, error) {
	return s.impact(ctx, sess, orgID, model.StatusPendingInvite, model.StatusInviteExpired)
}

func (s *Service) impact(ctx context.Context, sess *Session, orgID string, statuses ...string) (LeaveImpact, error) {
	mine, err := s.MyOrganizations(ctx, sess.UserID)
	if err != nil {
		return LeaveImpact{}, err
	}
	for _, m := range mine.User.Memberships {
		if m.OrganizationID == orgID && slices.Contains(statuses, m.Status) {
			last, err := s.dir.IsLastAdmin(ctx, m)
			return LeaveImpact{
				Membership:          m,
				DeletesAccount:      mine.LeavingLastDeletesAccount && len(mine.User.Memberships) == 1,
				CurrentOrganization: sess.OrganizationID == orgID,
				Only:                len(mine.User.Memberships) == 1,
				LastAdmin:           last,
			}, err
		}
	}
	return LeaveImpact{}, apperr.NotFound("organization not found")
}

// Leave removes the session's user from orgID through the directory, whose
// rules apply: the org's last active admin cannot leave. The session itself
// survives when it was acting in that org (it steps out of the org first),
// unless the account goes with the last membership. deleteAccount says the
// person was told their account goes (LeaveImpact.DeletesAccount); without
// it the account stays, whatever the environment says, so nobody loses an
// account they were not warned about. accountDeleted reports that it went.
func (s *Service) Leave(ctx context.Context, sess *Session, orgID string, deleteAccount bool) (accountDeleted bool, err error) {
	if _, err := s.LeaveImpact(ctx, sess, orgID); err != nil {
		return false, err
	}
	ctx = userActor(ctx, sess.UserID, sess.Email)
	stepped := false
	if sess.OrganizationID == orgID {
		// The directory ends every session acting in the org being left;
		// this one should only stop acting in it.
		if _, err := s.store.SetSessionOrganization(ctx, sess.ID, nil); err != nil {
			return false, err
		}
		stepped = true
	}
	if err := s.dir.RemoveMembership(ctx, orgID, sess.UserID, directory.DeleteOrphanAsShown(deleteAccount)); err != nil {
		if stepped {
			// Refused (the last admin): back into the org it never left.
			if _, rerr := s.store.SetSessionOrganization(ctx, sess.ID, &orgID); rerr != nil {
				return false, errors.Join(err, rerr)
			}
		}
		return false, err
	}
	return s.UserGone(ctx, sess.UserID)
}

// UserGone reports whether the user no longer exists: after leaving their
// last org or declining their last invitation, the environment may delete
// them.
func (s *Service) UserGone(ctx context.Context, userID string) (bool, error) {
	_, err := s.store.User(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) {
		return true, nil
	}
	return false, err
}

// CreateOrganization creates an org named name for the session's user, who
// becomes its first member with the default creator role, and moves the
// session into it. Only when sign-up creates organizations, and within the
// environment's limit of orgs per user.
func (s *Service) CreateOrganization(ctx context.Context, sess *Session, name string) (model.Organization, error) {
	mine, err := s.MyOrganizations(ctx, sess.UserID)
	if err != nil {
		return model.Organization{}, err
	}
	if !mine.CanCreate {
		settings, err := s.store.EnvironmentSettings(ctx)
		if err != nil {
			return model.Organization{}, err
		}
		if settings.SignupCreatesOrganization {
			return model.Organization{}, apperr.FailedPrecondition(fmt.Sprintf("You are in %d organizations, the most one person may be in here.", len(mine.User.Memberships)))
		}
		return model.Organization{}, apperr.Forbidden("Organizations cannot be created here. Ask an organization's admin to invite you.")
	}
	ctx = userActor(ctx, sess.UserID, sess.Email)
	org, err := s.dir.CreateOrganization(ctx, directory.OrganizationInput{DisplayName: &name, CreatorUserID: sess.UserID})
	if err != nil {
		return org, renameField(err, "display_name", "name")
	}
	return org, s.SwitchOrganization(ctx, sess, org.ID)
}

// renameField moves field violations to the form's field name.
func renameField(err error, from, to string) error {
	var e *apperr.Error
	if !errors.As(err, &e) || len(e.Violations) == 0 {
		return err
	}
	vs := make([]apperr.FieldViolation, len(e.Violations))
	for i, v := range e.Violations {
		if v.Field == from {
			v.Field = to
		}
		vs[i] = v
	}
	return apperr.Invalid(vs...)
}
