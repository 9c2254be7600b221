package directory

import (
	"context"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/model"
	"roster/internal/store"
)

// What internal/invitations needs from the directory's rules.

// DeclineInvitation is the invited person turning the invitation down: as
// RevokeInvitation, but recorded as their choice. The membership and its
// links go, and the user too when left without memberships and deleteOrphan
// says so (nil: as the environment setting says).
func (s *Service) DeclineInvitation(ctx context.Context, orgID, userID string, deleteOrphan *bool) error {
	return s.closeInvitation(ctx, orgID, userID, actionDeclined, deleteOrphan, func(m model.Membership) string {
		return "you are already a member of " + m.OrganizationName + "; leave it instead"
	})
}

// actionDeclined is the audit action of an invitation its invitee declined.
const actionDeclined = "invitation.declined"

// closeInvitation ends an invitation that has not been accepted, in one
// transaction: its links stop working, the membership goes, the event is
// audited as action, and the user goes too when left without memberships
// and deleteOrphan (or, nil, the environment) says so. An accepted
// membership is refused with the message accepted gives.
func (s *Service) closeInvitation(ctx context.Context, orgID, userID, action string, deleteOrphan *bool, accepted func(model.Membership) string) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.LockOrganization(ctx, orgID); err != nil {
			return err
		}
		m, err := tx.Membership(ctx, userID, orgID)
		if err != nil {
			return err
		}
		if m.Status != model.StatusPendingInvite && m.Status != model.StatusInviteExpired {
			return apperr.FailedPrecondition(accepted(m))
		}
		if action == actionDeclined {
			// Its links' tombstones say the invitee declined, not that the
			// org withdrew the invitation.
			if err := tx.MarkInvitationLinksDeclined(ctx, m.ID, s.clock.Now()); err != nil {
				return err
			}
		}
		if err := tx.RevokeInvitationTokens(ctx, m.ID, s.clock.Now()); err != nil {
			return err
		}
		if err := tx.DeleteMembership(ctx, m.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, s.clock, audit.Event{
			Action: action, OrgID: orgID, UserID: userID, TargetType: "membership", TargetID: m.ID,
			Changes: model.JSONObject{"status": m.Status, "roles": roleNames(m.Roles), "inviter_email": m.InviterEmail},
		}); err != nil {
			return err
		}
		return s.deleteIfOrphan(ctx, tx, userID, deleteOrphan)
	})
}
