package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/ids"
	"roster/internal/mail"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/ratelimit"
	"roster/internal/store"
	"roster/internal/tokens"
)

// MembershipInput is what a caller may set on a membership.
type MembershipInput struct {
	Roles    []string // role names; nil keeps them (on update) or means the default
	Metadata model.Metadata
	// InviterEmail is who invited, as an API caller names them: it must be
	// an email address.
	InviterEmail *string
	// InvitedBy is the signed-in person inviting (a console admin): recorded
	// as the inviter when it is an address people can write to, and left
	// out otherwise. The setup owner, owner@localhost, invites like anyone;
	// nobody is asked to write to owner@localhost.
	InvitedBy string
	// SendInvitation makes the membership PENDING_INVITE and mails a link,
	// in the same transaction; otherwise it is ACTIVE at once.
	SendInvitation bool
}

// AddMember creates the user if new and gives them a membership in the org.
// It is POST /organizations/{org}/users.
func (s *Service) AddMember(ctx context.Context, orgID string, user UserInput, in MembershipInput) (model.User, error) {
	var userID string
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		org, err := tx.LockOrganization(ctx, orgID)
		if err != nil {
			return err
		}
		u, _, err := s.findOrCreateUser(ctx, tx, user)
		if err != nil {
			return err
		}
		userID = u.ID
		_, err = s.addMembership(ctx, tx, org, u, in, model.ProvisionedDirect)
		return err
	})
	if err != nil {
		return model.User{}, err
	}
	return s.User(ctx, userID)
}

// CreateMembership adds an existing user to an org.
func (s *Service) CreateMembership(ctx context.Context, orgID, userID string, in MembershipInput) (model.User, error) {
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		org, err := tx.LockOrganization(ctx, orgID)
		if err != nil {
			return err
		}
		u, err := tx.User(ctx, userID)
		if err != nil {
			return err
		}
		_, err = s.addMembership(ctx, tx, org, u, in, model.ProvisionedDirect)
		return err
	})
	if err != nil {
		return model.User{}, err
	}
	return s.User(ctx, userID)
}

// addMembership is the one place a membership is made. The caller holds the
// org's lock.
func (s *Service) addMembership(ctx context.Context, tx *store.Store, org model.Organization, u model.User, in MembershipInput, method string) (model.Membership, error) {
	var v apperr.Violations
	in.Metadata = checkMetadata(&v, "metadata", in.Metadata)
	var inviter *string
	if in.InviterEmail != nil && strings.TrimSpace(*in.InviterEmail) != "" {
		e := checkEmail(&v, "inviter_email", *in.InviterEmail)
		inviter = &e
	} else if e, ok := NormalizeEmail(in.InvitedBy); ok {
		inviter = &e
	}
	if err := v.Err(); err != nil {
		return model.Membership{}, err
	}

	existing, err := tx.Membership(ctx, u.ID, org.ID)
	switch {
	case err == nil && in.SendInvitation && (existing.Status == model.StatusPendingInvite || existing.Status == model.StatusInviteExpired):
		// Inviting someone already invited is a reminder, not a second
		// invite; inviting someone whose invitation expired invites them
		// again (resend renews it).
		return s.resend(ctx, tx, org, u, existing)
	case err == nil:
		return model.Membership{}, apperr.Conflict(fmt.Sprintf("%s is already a member of this organization (%s)", u.Email, existing.Status))
	case !isNotFound(err):
		return model.Membership{}, err
	}

	if org.MaxAllowedUsers > 0 {
		n, err := tx.ActiveOrPendingCount(ctx, org.ID)
		if err != nil {
			return model.Membership{}, err
		}
		if n >= org.MaxAllowedUsers {
			return model.Membership{}, apperr.FailedPrecondition(fmt.Sprintf("the organization has reached its limit of %d users", org.MaxAllowedUsers))
		}
	}

	roleIDs, err := s.rolesOrDefault(ctx, tx, org.ID, in.Roles)
	if err != nil {
		return model.Membership{}, err
	}
	now := s.clock.Now()
	m := model.Membership{
		ID: ids.New(ids.Membership), UserID: u.ID, OrganizationID: org.ID,
		ProvisioningMethod: method, Metadata: in.Metadata, InviterEmail: inviter, CreatedAt: now,
	}
	var settings model.EnvironmentSettings
	if in.SendInvitation {
		if settings, err = tx.EnvironmentSettings(ctx); err != nil {
			return m, err
		}
		expires := now.Add(settings.InvitationExpiry)
		m.Status, m.ProvisioningMethod = model.StatusPendingInvite, model.ProvisionedInvitation
		m.InviteCreatedAt, m.InviteExpiresAt = &now, &expires
	} else {
		m.Status, m.JoinedAt = model.StatusActive, &now
	}
	if m, err = tx.InsertMembership(ctx, m, roleIDs); err != nil {
		return m, err
	}
	if in.SendInvitation {
		if err := s.queueInvitation(ctx, tx, org, u, m, false); err != nil {
			return m, err
		}
	}
	return m, audit.Record(ctx, tx, s.clock, audit.Event{
		Action: "membership.created", OrgID: org.ID, UserID: u.ID, TargetType: "membership", TargetID: m.ID,
		Changes: model.JSONObject{"status": m.Status, "roles": roleNames(m.Roles), "provisioning_method": m.ProvisioningMethod},
	})
}

// rolesOrDefault resolves role names, or gives the org's default member role.
func (s *Service) rolesOrDefault(ctx context.Context, tx *store.Store, orgID string, names []string) ([]string, error) {
	if len(names) == 0 {
		r, err := s.DefaultMemberRole(ctx, tx, orgID)
		if err != nil {
			return nil, err
		}
		return []string{r.ID}, nil
	}
	refs, err := s.ResolveRoleNames(ctx, tx, orgID, names)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.ID
	}
	return out, nil
}

// Membership returns a user's membership in an org, with effective permissions.
func (s *Service) Membership(ctx context.Context, orgID, userID string) (model.Membership, error) {
	if _, err := s.store.Organization(ctx, orgID); err != nil {
		return model.Membership{}, err
	}
	ms, err := s.store.MembershipsOfUsers(ctx, []string{userID})
	if err != nil {
		return model.Membership{}, err
	}
	for _, m := range ms[userID] {
		if m.OrganizationID == orgID {
			markExpired(&m, s.clock.Now())
			return m, nil
		}
	}
	return model.Membership{}, apperr.NotFound("membership not found")
}

// UpdateMembership changes roles and metadata. Taking the admin role from the
// org's last active admin is refused while others are active there.
func (s *Service) UpdateMembership(ctx context.Context, orgID, userID string, in MembershipInput) (model.User, error) {
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.LockOrganization(ctx, orgID); err != nil {
			return err
		}
		m, err := tx.Membership(ctx, userID, orgID)
		if err != nil {
			return err
		}
		var v apperr.Violations
		changes := model.JSONObject{}
		if in.Metadata != nil {
			changes["metadata"] = map[string]any{"from": m.Metadata, "to": in.Metadata}
			m.Metadata = checkMetadata(&v, "metadata", in.Metadata)
		}
		if err := v.Err(); err != nil {
			return err
		}
		if in.Roles != nil {
			if len(in.Roles) == 0 {
				return apperr.Invalid(apperr.Field("roles", "must name at least one role"))
			}
			roleIDs, err := s.rolesOrDefault(ctx, tx, orgID, in.Roles)
			if err != nil {
				return err
			}
			if err := s.checkLeavesAnAdmin(ctx, tx, m, roleIDs); err != nil {
				return err
			}
			if err := tx.SetMembershipRoles(ctx, m.ID, roleIDs); err != nil {
				return err
			}
			changes["roles"] = map[string]any{"from": roleNames(m.Roles), "to": in.Roles}
		}
		m.UpdatedAt = s.clock.Now()
		if err := tx.UpdateMembership(ctx, m); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "membership.updated", OrgID: orgID, UserID: userID, TargetType: "membership", TargetID: m.ID,
			Changes: changes,
		})
	})
	if err != nil {
		return model.User{}, err
	}
	return s.User(ctx, userID)
}

// ReasonLastAdmin is the apperr reason of refusing to take an org's last
// active admin away: API callers get it as details[0].reason.
const ReasonLastAdmin = "LAST_ADMIN"

// lastAdmin reports whether m is the only ACTIVE membership of its org
// holding the admin role (the environment's default creator role), and
// names that role. The caller holds the org lock, so parallel changes see
// each other's results.
func (s *Service) lastAdmin(ctx context.Context, tx *store.Store, m model.Membership) (bool, model.RoleRef, error) {
	admin, err := s.DefaultCreatorRole(ctx, tx)
	if err != nil {
		return false, admin, err
	}
	if m.Status != model.StatusActive || !holds(m.Roles, admin.ID) {
		return false, admin, nil // not an active admin now: nothing to lose
	}
	others, err := tx.CountActiveHolders(ctx, m.OrganizationID, admin.ID, m.ID)
	return err == nil && others == 0, admin, err
}

// IsLastAdmin says whether m is its org's last active admin, who cannot
// leave or be removed: for confirmation pages, to explain before the click.
func (s *Service) IsLastAdmin(ctx context.Context, m model.Membership) (bool, error) {
	last, _, err := s.lastAdmin(ctx, s.store, m)
	return last, err
}

func lastAdminError(m model.Membership, admin model.RoleRef) error {
	return apperr.FailedPrecondition(fmt.Sprintf(
		"this member is the last active %s of %s; make another member %s first, or delete the organization",
		admin.Name, m.OrganizationName, admin.Name)).Because(ReasonLastAdmin)
}

// checkLeavesAnAdmin refuses a change that would leave an org with active
// members but no active admin. newRoleIDs is the membership's roles after the
// change (never empty), or nil when the user is deleted. The caller holds
// the org lock.
func (s *Service) checkLeavesAnAdmin(ctx context.Context, tx *store.Store, m model.Membership, newRoleIDs []string) error {
	last, admin, err := s.lastAdmin(ctx, tx, m)
	if err != nil || !last {
		return err
	}
	for _, id := range newRoleIDs {
		if id == admin.ID {
			return nil // stays an admin
		}
	}
	// A demoted member stays active, so the org would have an active member
	// and no admin. A deleted user may go if nobody active stays behind.
	stillActive := newRoleIDs != nil
	if !stillActive {
		if stillActive, err = tx.HasOtherActiveMembers(ctx, m.OrganizationID, m.ID); err != nil {
			return err
		}
	}
	if stillActive {
		return lastAdminError(m, admin)
	}
	return nil
}

// checkNotLastAdmin refuses to remove an org's last active admin, whoever
// else is left, alone or not: while the org exists someone must be able to
// run it and invite people back. They make another member admin first, or
// delete the organization.
func (s *Service) checkNotLastAdmin(ctx context.Context, tx *store.Store, m model.Membership) error {
	last, admin, err := s.lastAdmin(ctx, tx, m)
	if err != nil || !last {
		return err
	}
	return lastAdminError(m, admin)
}

// RemoveMembership removes a user from an org: their sessions there end at
// once, and a user left with no membership is deleted when deleteOrphan says
// so (nil: as the environment setting says). The org's last active admin is
// not removed (checkNotLastAdmin).
func (s *Service) RemoveMembership(ctx context.Context, orgID, userID string, deleteOrphan *bool) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.LockOrganization(ctx, orgID); err != nil {
			return err
		}
		m, err := tx.Membership(ctx, userID, orgID)
		if err != nil {
			return err
		}
		if err := s.checkNotLastAdmin(ctx, tx, m); err != nil {
			return err
		}
		now := s.clock.Now()
		if _, err := tx.RevokeUserSessionsInOrg(ctx, userID, orgID, now); err != nil {
			return err
		}
		if err := tx.DeleteMembership(ctx, m.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "membership.removed", OrgID: orgID, UserID: userID, TargetType: "membership", TargetID: m.ID,
			Changes: model.JSONObject{"status": m.Status, "roles": roleNames(m.Roles)},
		}); err != nil {
			return err
		}
		return s.deleteIfOrphan(ctx, tx, userID, deleteOrphan)
	})
}

// DeleteOrphanAsShown is the deleteOrphan of a removal, revocation or
// declined invitation that a person confirmed on a page: nil (as the
// environment says) when the page said the account goes with it, and false
// (the account stays) when it did not. Whatever changed since the page was
// shown, no account goes without its page having said so.
func DeleteOrphanAsShown(shown bool) *bool {
	if shown {
		return nil
	}
	keep := false
	return &keep
}

func (s *Service) deleteIfOrphan(ctx context.Context, tx *store.Store, userID string, deleteOrphan *bool) error {
	del := deleteOrphan
	if del == nil {
		settings, err := tx.EnvironmentSettings(ctx)
		if err != nil {
			return err
		}
		del = &settings.DeleteUsersWithoutMemberships
	}
	if !*del {
		return nil
	}
	ms, err := tx.MembershipsOfUsers(ctx, []string{userID})
	if err != nil || len(ms[userID]) > 0 {
		return err
	}
	if _, err := tx.RevokeAllUserSessions(ctx, userID, s.clock.Now()); err != nil {
		return err
	}
	// Recorded before the deletion, while the user is there for the event
	// to keep their email; both happen in tx or neither does.
	if err := audit.Record(ctx, tx, s.clock, audit.Event{
		Action: "user.deleted", UserID: userID, TargetType: "user", TargetID: userID,
		Changes: model.JSONObject{"reason": "last membership removed"},
	}); err != nil {
		return err
	}
	return tx.DeleteUser(ctx, userID)
}

// ResendInvite sends the invitation again. On a live invite it reminds with a
// fresh link and keeps the expiry; on an expired one it also sets a new
// expiry. An active member has nothing to accept.
func (s *Service) ResendInvite(ctx context.Context, orgID, userID string) (model.User, error) {
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		org, err := tx.LockOrganization(ctx, orgID)
		if err != nil {
			return err
		}
		u, err := tx.User(ctx, userID)
		if err != nil {
			return err
		}
		m, err := tx.Membership(ctx, userID, orgID)
		if err != nil {
			return err
		}
		_, err = s.resend(ctx, tx, org, u, m)
		return err
	})
	if err != nil {
		return model.User{}, err
	}
	return s.User(ctx, userID)
}

func (s *Service) resend(ctx context.Context, tx *store.Store, org model.Organization, u model.User, m model.Membership) (model.Membership, error) {
	now := s.clock.Now()
	expired := m.Status == model.StatusInviteExpired ||
		(m.Status == model.StatusPendingInvite && m.InviteExpiresAt != nil && !now.Before(*m.InviteExpiresAt))
	if m.Status != model.StatusPendingInvite && m.Status != model.StatusInviteExpired {
		return m, apperr.FailedPrecondition(fmt.Sprintf("%s has already accepted; there is no invitation to resend", u.Email))
	}
	if m.Status == model.StatusInviteExpired && org.MaxAllowedUsers > 0 {
		// An expired invitation no longer holds a place; the renewed one does.
		n, err := tx.ActiveOrPendingCount(ctx, org.ID)
		if err != nil {
			return m, err
		}
		if n >= org.MaxAllowedUsers {
			return m, apperr.FailedPrecondition(fmt.Sprintf("the organization has reached its limit of %d users", org.MaxAllowedUsers))
		}
	}
	if expired {
		settings, err := tx.EnvironmentSettings(ctx)
		if err != nil {
			return m, err
		}
		expires := now.Add(settings.InvitationExpiry)
		m.Status, m.InviteCreatedAt, m.InviteExpiresAt = model.StatusPendingInvite, &now, &expires
	}
	m.ResentCount++
	m.UpdatedAt = now
	if err := tx.RevokeInvitationTokens(ctx, m.ID, now); err != nil {
		return m, err
	}
	if err := tx.UpdateMembership(ctx, m); err != nil {
		return m, err
	}
	if err := s.queueInvitation(ctx, tx, org, u, m, !expired); err != nil {
		return m, err
	}
	return m, audit.Record(ctx, tx, s.clock, audit.Event{
		Action: "invitation.resent", OrgID: org.ID, UserID: u.ID, TargetType: "membership", TargetID: m.ID,
		Changes: model.JSONObject{"resent_count": m.ResentCount, "expires_at": m.InviteExpiresAt},
	})
}

// queueInvitation makes a single-use link for the invitation and writes its
// mail to the outbox, in the caller's transaction. Only the token's hash is kept.
func (s *Service) queueInvitation(ctx context.Context, tx *store.Store, org model.Organization, u model.User, m model.Membership, reminder bool) error {
	// Every invitation mail passes here, from every path (console, API,
	// CLI, bulk, members, resends): the settings may refuse the address's
	// domain, and one cap per invited address keeps anyone from flooding an
	// inbox through Roster. Counted in tx, so an invitation that is not
	// written is not counted.
	if err := refuseBlockedInvitee(ctx, tx, u.Email); err != nil {
		return err
	}
	if err := ratelimit.New(tx, s.clock).Allow(ctx, ratelimit.InviteMail, "", u.Email); err != nil {
		return err
	}
	token, hash := tokens.New()
	if err := tx.InsertOneTimeToken(ctx, store.OneTimeToken{
		Purpose: "invitation", Hash: hash, Email: u.Email, UserID: &u.ID, OrganizationID: &org.ID,
		MembershipID: &m.ID, CreatedAt: s.clock.Now(), ExpiresAt: *m.InviteExpiresAt,
	}); err != nil {
		return err
	}
	link := strings.TrimSuffix(s.BaseURL, "/") + "/invitations/" + token
	inviter := ""
	if m.InviterEmail != nil {
		inviter = *m.InviterEmail
	}
	c, err := mail.ComposeInvitation(ctx, mail.Invitation{
		OrgName: org.DisplayName, Inviter: inviter, InviteeName: nullable.Value(u.Name),
		AcceptURL: link, ExpiresAt: *m.InviteExpiresAt, Reminder: reminder,
	})
	if err != nil {
		return err
	}
	return tx.QueueEmail(ctx, store.Email{
		To: u.Email, ToName: nullable.Value(u.Name), Subject: c.Subject, Text: c.Text, HTML: c.HTML,
		Kind: "invitation", OrganizationID: &org.ID,
	}, s.clock.Now())
}

// ListMembers pages through an org's members, as users with their memberships.
func (s *Service) ListMembers(ctx context.Context, orgID string, f store.MemberFilter, page store.PageRequest) ([]model.User, store.PageInfo, error) {
	if _, err := s.store.Organization(ctx, orgID); err != nil {
		return nil, store.PageInfo{}, err
	}
	if f.Query != "" {
		if n := len([]rune(strings.TrimSpace(f.Query))); n < 3 || n > 100 {
			return nil, store.PageInfo{}, apperr.Invalid(apperr.Field("query", "must be 3 to 100 characters"))
		}
	}
	users, info, err := s.store.ListMembers(ctx, orgID, f, page)
	if err != nil {
		return nil, info, err
	}
	users, err = s.withMemberships(ctx, users)
	return users, info, err
}

func holds(roles model.RoleRefs, roleID string) bool {
	for _, r := range roles {
		if r.ID == roleID {
			return true
		}
	}
	return false
}

func roleNames(roles model.RoleRefs) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.Name
	}
	return out
}

func isNotFound(err error) bool { return errors.Is(err, apperr.ErrNotFound) }

// markExpired shows an invitation past its expiry as INVITE_EXPIRED even
// before the background job has written that status.
func markExpired(m *model.Membership, now time.Time) {
	if m.Status == model.StatusPendingInvite && m.InviteExpiresAt != nil && !now.Before(*m.InviteExpiresAt) {
		m.Status = model.StatusInviteExpired
	}
}
