package store

import (
	"context"
	"time"

	"github.com/lib/pq"

	"roster/internal/model"
)

var membershipQueries struct {
	Insert             string `query:"insert-membership"`
	Get                string `query:"get-membership"`
	OfUsers            string `query:"memberships-of-users"`
	Update             string `query:"update-membership"`
	Delete             string `query:"delete-membership"`
	ClearRoles         string `query:"clear-membership-roles"`
	AddRoles           string `query:"add-membership-roles"`
	CountActiveHolders string `query:"count-active-holders"`
	CountOtherActive   string `query:"count-other-active-members"`
	ListForward        string `query:"list-members-forward"`
	ListBackward       string `query:"list-members-backward"`
	CountFiltered      string `query:"count-members-filtered"`
	Search             string `query:"search-members"`
	SearchFiltered     string `query:"search-members-filtered"`
}

func init() { loadQueries("memberships.sql", &membershipQueries) }

// InsertMembership stores m (ID and CreatedAt set) and gives it roleIDs.
func (s *Store) InsertMembership(ctx context.Context, m model.Membership, roleIDs []string) (model.Membership, error) {
	var out model.Membership
	err := s.get(ctx, &out, membershipQueries.Insert, m.ID, m.UserID, m.OrganizationID, m.Status,
		m.ProvisioningMethod, m.Metadata, m.InviterUserID, m.InviterEmail, m.InviteCreatedAt,
		m.InviteExpiresAt, m.JoinedAt, m.CreatedAt)
	if err != nil {
		return out, err
	}
	if err := s.SetMembershipRoles(ctx, out.ID, roleIDs); err != nil {
		return out, err
	}
	return s.Membership(ctx, out.UserID, out.OrganizationID)
}

// Membership returns the user's membership in org, with its roles.
func (s *Store) Membership(ctx context.Context, userID, orgID string) (model.Membership, error) {
	var m model.Membership
	return m, found(s.get(ctx, &m, membershipQueries.Get, userID, orgID), "membership")
}

// MembershipsOfUsers returns every membership of the users, by user id, with
// roles and effective permissions, in two queries whatever the count.
func (s *Store) MembershipsOfUsers(ctx context.Context, userIDs []string) (map[string][]model.Membership, error) {
	var rows []model.Membership
	if err := s.selectAll(ctx, &rows, membershipQueries.OfUsers, pq.Array(userIDs)); err != nil {
		return nil, err
	}
	var roleIDs []string
	seen := map[string]bool{}
	for _, m := range rows {
		for _, r := range m.Roles {
			if !seen[r.ID] {
				seen[r.ID] = true
				roleIDs = append(roleIDs, r.ID)
			}
		}
	}
	perms, err := s.PermissionsByRole(ctx, roleIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]model.Membership, len(userIDs))
	for _, m := range rows {
		m.Permissions = mergePermissions(m.Roles, perms)
		out[m.UserID] = append(out[m.UserID], m)
	}
	return out, nil
}

func mergePermissions(roles model.RoleRefs, perms map[string][]string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, r := range roles {
		for _, p := range perms[r.ID] {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// UpdateMembership writes the membership's changeable fields (not its roles).
func (s *Store) UpdateMembership(ctx context.Context, m model.Membership) error {
	var out model.Membership
	return found(s.get(ctx, &out, membershipQueries.Update, m.ID, m.Status, m.Metadata,
		m.PrimaryIdentityProvider, m.InviterUserID, m.InviterEmail, m.InviteCreatedAt,
		m.InviteExpiresAt, m.InviteAcceptedAt, m.ResentCount, m.JoinedAt, m.UpdatedAt), "membership")
}

// DeleteMembership removes a membership and its roles.
func (s *Store) DeleteMembership(ctx context.Context, id string) error {
	n, err := s.exec(ctx, membershipQueries.Delete, id)
	if err == nil && n == 0 {
		return notFound("membership")
	}
	return err
}

// SetMembershipRoles replaces the membership's roles with roleIDs.
func (s *Store) SetMembershipRoles(ctx context.Context, membershipID string, roleIDs []string) error {
	if _, err := s.exec(ctx, membershipQueries.ClearRoles, membershipID); err != nil {
		return err
	}
	_, err := s.exec(ctx, membershipQueries.AddRoles, membershipID, pq.Array(roleIDs))
	return err
}

// CountActiveHolders counts the org's active members holding roleID, other
// than the membership exceptID.
func (s *Store) CountActiveHolders(ctx context.Context, orgID, roleID, exceptID string) (int, error) {
	var n int
	return n, s.get(ctx, &n, membershipQueries.CountActiveHolders, orgID, roleID, exceptID)
}

// HasOtherActiveMembers tells whether anyone but exceptID is active in the org.
func (s *Store) HasOtherActiveMembers(ctx context.Context, orgID, exceptID string) (bool, error) {
	var n int
	err := s.get(ctx, &n, membershipQueries.CountOtherActive, orgID, exceptID)
	return n > 0, err
}

// MemberFilter narrows an org's member list.
type MemberFilter struct {
	Status string // a membership status, or empty for all
	RoleID string // only members holding this role, or empty
	Query  string // email or name substring, combined with the filters; searches page forward only
}

type memberRow struct {
	model.User
	MembershipCreatedAt time.Time `db:"membership_created_at"`
	MembershipID        string    `db:"membership_id"`
}

// ListMembers returns one keyset page of the org's members as users.
func (s *Store) ListMembers(ctx context.Context, orgID string, f MemberFilter, page PageRequest) ([]model.User, PageInfo, error) {
	size, cur, err := page.Parse()
	if err != nil {
		return nil, PageInfo{}, err
	}
	var rows []memberRow
	if f.Query != "" {
		if cur != nil && cur.Backward {
			cur = &Cursor{CreatedAt: cur.CreatedAt, ID: cur.ID}
		}
		_, t, id := keysetArgs(cur)
		if f.Status == "" && f.RoleID == "" {
			err = s.selectAll(ctx, &rows, membershipQueries.Search, orgID, likeEscape(f.Query), t, id, size+1)
		} else {
			err = s.selectAll(ctx, &rows, membershipQueries.SearchFiltered, orgID, likeEscape(f.Query), t, id, size+1, f.Status, f.RoleID)
		}
	} else {
		forward, t, id := keysetArgs(cur)
		q := membershipQueries.ListForward
		if !forward {
			q = membershipQueries.ListBackward
		}
		err = s.selectAll(ctx, &rows, q, orgID, t, id, f.Status, f.RoleID, size+1)
	}
	if err != nil {
		return nil, PageInfo{}, err
	}
	rows, info := finishPage(rows, size, cur, func(r memberRow) (time.Time, string) { return r.MembershipCreatedAt, r.MembershipID })
	users := make([]model.User, len(rows))
	for i, r := range rows {
		users[i] = r.User
	}
	switch {
	case f.Query != "":
		info.PrevToken = ""
		info.TotalSize = len(users)
	case f.Status == "" && f.RoleID == "":
		info.TotalSize, err = s.MemberCount(ctx, orgID)
	default:
		info.TotalSize, err = s.cappedCount(ctx, "", membershipQueries.CountFiltered, orgID, f.Status, f.RoleID)
	}
	return users, info, err
}
