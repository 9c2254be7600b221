package invitations

import (
	"context"
	"errors"
	"slices"
	"strings"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/ratelimit"
)

// Inviting from the org admin's side: a signed-in member of an org whose
// roles grant members:invite invites people to it from the hosted pages.

// PermissionInvite is the permission that lets a member invite people.
const PermissionInvite = "members:invite"

// Inviter is a member allowed to invite to an org, with the roles they may
// give: those granting no permission they lack themselves, so inviting never
// hands out more than the inviter has.
type Inviter struct {
	User         model.User
	Organization model.Organization
	Roles        []model.Role
	DefaultRole  string // the org's default member role, "" if none
}

// InviterFor checks that userID is an active member of orgID with
// members:invite, and returns what they may give. Anyone else is refused
// with a permission error; a user not in the org is told no more than that.
func (s *Service) InviterFor(ctx context.Context, orgID, userID string) (Inviter, error) {
	m, err := s.dir.Membership(ctx, orgID, userID)
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && (m.Status != model.StatusActive || !slices.Contains(m.Permissions, PermissionInvite))) {
		return Inviter{}, apperr.Forbidden("you may not invite people to this organization")
	}
	if err != nil {
		return Inviter{}, err
	}
	u, err := s.dir.User(ctx, userID)
	if err != nil {
		return Inviter{}, err
	}
	org, err := s.dir.Organization(ctx, orgID)
	if err != nil {
		return Inviter{}, err
	}
	all, err := s.dir.ListOrgRoles(ctx, orgID)
	if err != nil {
		return Inviter{}, err
	}
	ids := make([]string, len(all))
	for i, r := range all {
		ids[i] = r.ID
	}
	perms, err := s.dir.EffectivePermissionsByRole(ctx, ids)
	if err != nil {
		return Inviter{}, err
	}
	out := Inviter{User: u, Organization: org}
	for _, r := range all {
		if subset(perms[r.ID], m.Permissions) {
			out.Roles = append(out.Roles, r)
		}
	}
	if def, err := s.dir.DefaultMemberRole(ctx, nil, orgID); err == nil {
		out.DefaultRole = def.Name
	}
	return out, nil
}

func subset(perms, of []string) bool {
	for _, p := range perms {
		if !slices.Contains(of, p) {
			return false
		}
	}
	return true
}

// InviteAsMember has the member userID invite email to orgID with role (""
// for the org's default member role), recorded as invited by them. The rules
// of AddMember apply: a pending invitation is reminded, a member is refused.
// Sends are limited per client address ip (ratelimit.MemberInvites) and,
// as every invitation, per invited address (ratelimit.InviteMail), so no
// member can flood an inbox through Roster.
func (s *Service) InviteAsMember(ctx context.Context, orgID, userID, email, role, ip string) (model.User, error) {
	inv, err := s.InviterFor(ctx, orgID, userID)
	if err != nil {
		return model.User{}, err
	}
	if role == "" {
		role = inv.DefaultRole
	}
	allowed := slices.ContainsFunc(inv.Roles, func(r model.Role) bool { return r.Name == role })
	if !allowed {
		return model.User{}, apperr.Invalid(apperr.Field("role", "must be one of the roles you may give"))
	}
	email = strings.TrimSpace(email)
	if err := s.limits.Allow(ctx, ratelimit.MemberInvites, ip, ""); err != nil {
		return model.User{}, err
	}
	return s.dir.AddMember(ctx, orgID, directory.UserInput{Email: &email}, directory.MembershipInput{
		Roles: []string{role}, InviterEmail: &inv.User.Email, SendInvitation: true,
	})
}
