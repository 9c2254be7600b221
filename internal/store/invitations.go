package store

import (
	"context"
	"strings"
	"time"

	"github.com/lib/pq"

	"roster/internal/model"
)

// Invitation links and their lifecycle: what a link's page shows, using a
// link once, the expiry job, and the reads of the bulk invite preview.

var invitationQueries struct {
	Link            string `query:"invitation-link"`
	Tombstone       string `query:"invitation-tombstone"`
	Use             string `query:"use-invitation-link"`
	UseOfMembership string `query:"use-membership-invitation-links"`
	MarkDeclined    string `query:"mark-invitation-links-declined"`
	RequestRenewal  string `query:"request-invitation-renewal"`
	Expire          string `query:"expire-invitations"`
	ForgetTombs     string `query:"forget-invitation-tombstones"`
	UsersByEmails   string `query:"users-by-emails"`
	OrgMemberships  string `query:"org-memberships-of-users"`
}

func init() { loadQueries("invitations.sql", &invitationQueries) }

// InvitationLink is an invitation token's row with what its page shows.
// The membership columns are nil when the membership is gone.
type InvitationLink struct {
	ID               string           `db:"id"`
	Email            *string          `db:"email"`
	UserID           *string          `db:"user_id"`
	OrganizationID   *string          `db:"organization_id"`
	MembershipID     *string          `db:"membership_id"`
	Data             model.JSONObject `db:"data"`
	ExpiresAt        time.Time        `db:"expires_at"`
	UsedAt           *time.Time       `db:"used_at"`
	RevokedAt        *time.Time       `db:"revoked_at"`
	OrganizationName *string          `db:"organization_name"`
	MembershipStatus *string          `db:"membership_status"`
	InviterEmail     *string          `db:"inviter_email"`
	InviteExpiresAt  *time.Time       `db:"invite_expires_at"`
	Roles            model.RoleRefs   `db:"roles"`
}

// InvitationLinkByHash returns the invitation link whose token hashes to
// hash.
func (s *Store) InvitationLinkByHash(ctx context.Context, hash []byte) (InvitationLink, error) {
	var l InvitationLink
	return l, found(s.get(ctx, &l, invitationQueries.Link, hash), "invitation")
}

// InvitationTombstone is what is left of a deleted invitation link.
type InvitationTombstone struct {
	OrganizationID   *string    `db:"organization_id"`
	OrganizationName *string    `db:"organization_name"`
	UsedAt           *time.Time `db:"used_at"`
	RevokedAt        *time.Time `db:"revoked_at"`
	ExpiresAt        time.Time  `db:"expires_at"`
	// DeclinedAt: the invitee declined the invitation (not the org revoking it).
	DeclinedAt *time.Time `db:"declined_at"`
}

// InvitationTombstoneByHash returns the tombstone of a deleted link.
func (s *Store) InvitationTombstoneByHash(ctx context.Context, hash []byte) (InvitationTombstone, error) {
	var t InvitationTombstone
	return t, found(s.get(ctx, &t, invitationQueries.Tombstone, hash), "invitation")
}

// UsedInvitationLink is the link UseInvitationLink consumed.
type UsedInvitationLink struct {
	ID             string  `db:"id"`
	Email          *string `db:"email"`
	UserID         *string `db:"user_id"`
	OrganizationID *string `db:"organization_id"`
	MembershipID   *string `db:"membership_id"`
}

// UseInvitationLink marks the live link hashing to hash used at now and
// returns it; a link that is used, revoked, expired or unknown is not found.
// Exactly one of any number of parallel calls succeeds.
func (s *Store) UseInvitationLink(ctx context.Context, hash []byte, now time.Time) (UsedInvitationLink, error) {
	var l UsedInvitationLink
	return l, found(s.get(ctx, &l, invitationQueries.Use, hash, now), "invitation")
}

// UseMembershipInvitationLinks marks the membership's live links used.
func (s *Store) UseMembershipInvitationLinks(ctx context.Context, membershipID string, now time.Time) error {
	_, err := s.exec(ctx, invitationQueries.UseOfMembership, membershipID, now)
	return err
}

// MarkInvitationLinksDeclined marks the membership's live links as declined
// by their invitee at now, so their tombstones say so once the membership is
// deleted.
func (s *Store) MarkInvitationLinksDeclined(ctx context.Context, membershipID string, now time.Time) error {
	_, err := s.exec(ctx, invitationQueries.MarkDeclined, membershipID, now)
	return err
}

// RequestInvitationRenewal marks the live link hashing to hash as having
// asked for a new invitation. It reports false when the link is not live
// or has asked already.
func (s *Store) RequestInvitationRenewal(ctx context.Context, hash []byte, now time.Time) (bool, error) {
	n, err := s.exec(ctx, invitationQueries.RequestRenewal, hash, now)
	return n > 0, err
}

// ExpiredInvitation is a membership the expiry job marked INVITE_EXPIRED.
type ExpiredInvitation struct {
	MembershipID    string    `db:"id"`
	UserID          string    `db:"user_id"`
	OrganizationID  string    `db:"organization_id"`
	InviteExpiresAt time.Time `db:"invite_expires_at"`
}

// ExpireInvitations marks up to limit pending invitations whose expiry is
// at or before now INVITE_EXPIRED and returns them.
func (s *Store) ExpireInvitations(ctx context.Context, now time.Time, limit int) ([]ExpiredInvitation, error) {
	var out []ExpiredInvitation
	return out, s.selectAll(ctx, &out, invitationQueries.Expire, now, limit)
}

// ForgetInvitationTombstones deletes tombstones of links deleted longer
// than keep ago.
func (s *Store) ForgetInvitationTombstones(ctx context.Context, keep time.Duration) (int64, error) {
	return s.exec(ctx, invitationQueries.ForgetTombs, keep.Seconds())
}

// UsersByEmails returns the users with these addresses, compared without
// case, keyed by the lowercased address.
func (s *Store) UsersByEmails(ctx context.Context, emails []string) (map[string]model.User, error) {
	lower := make([]string, len(emails))
	for i, e := range emails {
		lower[i] = strings.ToLower(e)
	}
	var users []model.User
	if err := s.selectAll(ctx, &users, invitationQueries.UsersByEmails, pq.Array(lower)); err != nil {
		return nil, err
	}
	out := make(map[string]model.User, len(users))
	for _, u := range users {
		out[strings.ToLower(u.Email)] = u
	}
	return out, nil
}

// OrgMembershipsOfUsers returns the memberships of these users in one org,
// keyed by user id, without roles.
func (s *Store) OrgMembershipsOfUsers(ctx context.Context, orgID string, userIDs []string) (map[string]model.Membership, error) {
	var ms []model.Membership
	if err := s.selectAll(ctx, &ms, invitationQueries.OrgMemberships, orgID, pq.Array(userIDs)); err != nil {
		return nil, err
	}
	out := make(map[string]model.Membership, len(ms))
	for _, m := range ms {
		out[m.UserID] = m
	}
	return out, nil
}
