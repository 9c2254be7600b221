package store

import (
	"context"
	"time"

	"roster/internal/model"
)

var orgQueries struct {
	Insert          string `query:"insert-organization"`
	Get             string `query:"get-organization"`
	GetByExternalID string `query:"get-organization-by-external-id"`
	Lock            string `query:"lock-organization"`
	Update          string `query:"update-organization"`
	Delete          string `query:"delete-organization"`
	ListForward     string `query:"list-organizations-forward"`
	ListBackward    string `query:"list-organizations-backward"`
	Count           string `query:"count-organizations"`
	MemberCount     string `query:"member-count"`
	ActiveOrPending string `query:"active-or-pending-count"`
	UsersOnlyInOrg  string `query:"user-ids-only-in-organization"`
	RevokeSessions  string `query:"revoke-organization-sessions"`
}

func init() { loadQueries("organizations.sql", &orgQueries) }

// InsertOrganization stores a new organization; o.ID and o.CreatedAt must be set.
func (s *Store) InsertOrganization(ctx context.Context, o model.Organization) (model.Organization, error) {
	var out model.Organization
	err := s.get(ctx, &out, orgQueries.Insert, o.ID, o.DisplayName, o.Slug, o.ExternalID,
		o.Metadata, o.Settings, o.MaxAllowedUsers, o.LogoURL, o.CreatedAt)
	return out, err
}

// Organization returns the organization with id.
func (s *Store) Organization(ctx context.Context, id string) (model.Organization, error) {
	var o model.Organization
	return o, found(s.get(ctx, &o, orgQueries.Get, id), "organization")
}

// OrganizationByExternalID returns the organization with the customer's id.
func (s *Store) OrganizationByExternalID(ctx context.Context, externalID string) (model.Organization, error) {
	var o model.Organization
	return o, found(s.get(ctx, &o, orgQueries.GetByExternalID, externalID), "organization")
}

// LockOrganization returns the organization and holds its row lock until the
// transaction ends. Use it inside InTx before changing memberships.
func (s *Store) LockOrganization(ctx context.Context, id string) (model.Organization, error) {
	var o model.Organization
	return o, found(s.get(ctx, &o, orgQueries.Lock, id), "organization")
}

// UpdateOrganization writes every editable field of o.
func (s *Store) UpdateOrganization(ctx context.Context, o model.Organization) (model.Organization, error) {
	var out model.Organization
	err := s.get(ctx, &out, orgQueries.Update, o.ID, o.DisplayName, o.Slug, o.ExternalID,
		o.Metadata, o.Settings, o.MaxAllowedUsers, o.LogoURL, o.UpdatedAt)
	return out, found(err, "organization")
}

// DeleteOrganization deletes the org; memberships, roles and domains go with it.
func (s *Store) DeleteOrganization(ctx context.Context, id string) error {
	n, err := s.exec(ctx, orgQueries.Delete, id)
	if err == nil && n == 0 {
		return notFound("organization")
	}
	return err
}

// ListOrganizations returns one keyset page, optionally only the org with externalID.
func (s *Store) ListOrganizations(ctx context.Context, externalID string, page PageRequest) ([]model.Organization, PageInfo, error) {
	size, cur, err := page.Parse()
	if err != nil {
		return nil, PageInfo{}, err
	}
	forward, t, id := keysetArgs(cur)
	q := orgQueries.ListForward
	if !forward {
		q = orgQueries.ListBackward
	}
	var rows []model.Organization
	if err := s.selectAll(ctx, &rows, q, t, id, externalID, size+1); err != nil {
		return nil, PageInfo{}, err
	}
	rows, info := finishPage(rows, size, cur, func(o model.Organization) (time.Time, string) { return o.CreatedAt, o.ID })
	if info.TotalSize, err = s.cappedCount(ctx, "organizations", orgQueries.Count, externalID); err != nil {
		return nil, PageInfo{}, err
	}
	return rows, info, nil
}

// MemberCount returns how many memberships the org has, from the trigger-kept counts.
func (s *Store) MemberCount(ctx context.Context, orgID string) (int, error) {
	var n int
	return n, s.get(ctx, &n, orgQueries.MemberCount, orgID)
}

// ActiveOrPendingCount counts the members that max_allowed_users limits.
func (s *Store) ActiveOrPendingCount(ctx context.Context, orgID string) (int, error) {
	var n int
	return n, s.get(ctx, &n, orgQueries.ActiveOrPending, orgID)
}

// UserIDsOnlyInOrganization lists members who belong to no other org.
func (s *Store) UserIDsOnlyInOrganization(ctx context.Context, orgID string) ([]string, error) {
	var ids []string
	return ids, s.selectAll(ctx, &ids, orgQueries.UsersOnlyInOrg, orgID)
}

// RevokeOrganizationSessions ends every active session acting in the org.
func (s *Store) RevokeOrganizationSessions(ctx context.Context, orgID string, at time.Time) (int64, error) {
	return s.exec(ctx, orgQueries.RevokeSessions, orgID, at)
}
