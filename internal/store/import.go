package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/lib/pq"

	"roster/internal/ids"
	"roster/internal/model"
)

// The importer's bulk queries. They take and return the model's types, one
// slice per batch; the importer decides what to write, these only write it.

var importQueries struct {
	Savepoint         string `query:"savepoint"`
	RollbackTo        string `query:"rollback-to-savepoint"`
	Release           string `query:"release-savepoint"`
	LockOrgs          string `query:"lock-organizations-by-external-id"`
	OrgsBySlug        string `query:"organizations-by-slug"`
	Users             string `query:"users-by-external-id-or-email"`
	WithPassword      string `query:"users-with-password"`
	Roles             string `query:"assignable-roles-of-organizations"`
	Memberships       string `query:"memberships-of-pairs"`
	Counts            string `query:"active-or-pending-counts"`
	InsertOrgs        string `query:"insert-organizations"`
	UpdateOrgs        string `query:"update-organizations"`
	InsertUsers       string `query:"insert-users"`
	UpdateUsers       string `query:"update-users"`
	InsertPasswords   string `query:"insert-password-hashes"`
	InsertMemberships string `query:"insert-memberships"`
	UpdateMemberships string `query:"update-memberships"`
	ClearRoles        string `query:"clear-roles-of-memberships"`
	AddRoles          string `query:"add-membership-role-pairs"`
	RevokeInvites     string `query:"revoke-invitation-tokens-of-memberships"`
	InsertAudit       string `query:"insert-audit-events"`
	WithoutHolder     string `query:"organizations-without-active-holder"`
}

func init() { loadQueries("import.sql", &importQueries) }

// WithSavepoint runs fn inside a savepoint of the current transaction: when
// fn fails, only its own writes are undone and the transaction goes on.
// Savepoints do not nest here; call it outside any other WithSavepoint.
func (s *Store) WithSavepoint(ctx context.Context, fn func(tx *Store) error) error {
	if !s.inTx {
		return errors.New("store: WithSavepoint needs a transaction (call it inside InTx)")
	}
	if _, err := s.exec(ctx, importQueries.Savepoint); err != nil {
		return err
	}
	if err := fn(s); err != nil {
		if _, rbErr := s.exec(ctx, importQueries.RollbackTo); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	_, err := s.exec(ctx, importQueries.Release)
	return err
}

// LockOrganizationsByExternalID returns the organizations with these
// external ids and holds their row locks until the transaction ends.
func (s *Store) LockOrganizationsByExternalID(ctx context.Context, externalIDs []string) ([]model.Organization, error) {
	var out []model.Organization
	return out, s.selectAll(ctx, &out, importQueries.LockOrgs, pq.Array(externalIDs))
}

// OrganizationsBySlug returns the organizations using any of the slugs.
func (s *Store) OrganizationsBySlug(ctx context.Context, slugs []string) ([]model.Organization, error) {
	var out []model.Organization
	return out, s.selectAll(ctx, &out, importQueries.OrgsBySlug, pq.Array(slugs))
}

// UsersByExternalIDOrEmail returns the users with any of the external ids
// or any of the emails (lowercased by the caller).
func (s *Store) UsersByExternalIDOrEmail(ctx context.Context, externalIDs, lowerEmails []string) ([]model.User, error) {
	var out []model.User
	return out, s.selectAll(ctx, &out, importQueries.Users, pq.Array(externalIDs), pq.Array(lowerEmails))
}

// UsersWithPassword returns which of the users have a password credential.
func (s *Store) UsersWithPassword(ctx context.Context, userIDs []string) (map[string]bool, error) {
	var ids []string
	if err := s.selectAll(ctx, &ids, importQueries.WithPassword, pq.Array(userIDs)); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// AssignableRolesOf returns the environment's roles and the organizations'
// own (ID, OrganizationID, Name and DisplayName set).
func (s *Store) AssignableRolesOf(ctx context.Context, orgIDs []string) ([]model.Role, error) {
	var out []model.Role
	return out, s.selectAll(ctx, &out, importQueries.Roles, pq.Array(orgIDs))
}

// MembershipRoles is a membership with the ids of its roles.
type MembershipRoles struct {
	ID             string         `db:"id"`
	UserID         string         `db:"user_id"`
	OrganizationID string         `db:"organization_id"`
	Status         string         `db:"status"`
	Metadata       model.Metadata `db:"metadata"`
	JoinedAt       *time.Time     `db:"joined_at"`
	RoleIDs        pq.StringArray `db:"role_ids"`
}

// MembershipsOfPairs returns the memberships of userIDs[i] in orgIDs[i].
func (s *Store) MembershipsOfPairs(ctx context.Context, userIDs, orgIDs []string) ([]MembershipRoles, error) {
	var out []MembershipRoles
	return out, s.selectAll(ctx, &out, importQueries.Memberships, pq.Array(userIDs), pq.Array(orgIDs))
}

// ActiveOrPendingCounts returns, per organization, the members that
// max_allowed_users limits; organizations without members are absent.
func (s *Store) ActiveOrPendingCounts(ctx context.Context, orgIDs []string) (map[string]int, error) {
	var rows []struct {
		OrgID string `db:"organization_id"`
		N     int    `db:"n"`
	}
	if err := s.selectAll(ctx, &rows, importQueries.Counts, pq.Array(orgIDs)); err != nil {
		return nil, err
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.OrgID] = r.N
	}
	return out, nil
}

// InsertOrganizations stores new organizations (ID set) created at now.
func (s *Store) InsertOrganizations(ctx context.Context, orgs []model.Organization, now time.Time) error {
	if len(orgs) == 0 {
		return nil
	}
	var ids, names, md []string
	var slugs, exts []*string
	for _, o := range orgs {
		ids, names, slugs = append(ids, o.ID), append(names, o.DisplayName), append(slugs, o.Slug)
		exts, md = append(exts, o.ExternalID), append(md, metadataJSON(o.Metadata))
	}
	_, err := s.exec(ctx, importQueries.InsertOrgs, pq.Array(ids), pq.Array(names), pq.Array(slugs),
		pq.Array(exts), pq.Array(md), now)
	return err
}

// UpdateOrganizations writes the display name, slug and metadata of orgs.
func (s *Store) UpdateOrganizations(ctx context.Context, orgs []model.Organization, now time.Time) error {
	if len(orgs) == 0 {
		return nil
	}
	var ids, names, md []string
	var slugs []*string
	for _, o := range orgs {
		ids, names, slugs = append(ids, o.ID), append(names, o.DisplayName), append(slugs, o.Slug)
		md = append(md, metadataJSON(o.Metadata))
	}
	_, err := s.exec(ctx, importQueries.UpdateOrgs, pq.Array(ids), pq.Array(names), pq.Array(slugs), pq.Array(md), now)
	return err
}

// InsertUsers stores new users (ID set) created at now.
func (s *Store) InsertUsers(ctx context.Context, users []model.User, now time.Time) error {
	return s.writeUsers(ctx, importQueries.InsertUsers, users, now)
}

// UpdateUsers writes the profile, email, external id and metadata of users.
func (s *Store) UpdateUsers(ctx context.Context, users []model.User, now time.Time) error {
	return s.writeUsers(ctx, importQueries.UpdateUsers, users, now)
}

func (s *Store) writeUsers(ctx context.Context, query string, users []model.User, now time.Time) error {
	if len(users) == 0 {
		return nil
	}
	n := len(users)
	ids, emails, md := make([]string, n), make([]string, n), make([]string, n)
	verified := make([]bool, n)
	exts, given, family, name := make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
	locale, picture, phone := make([]*string, n), make([]*string, n), make([]*string, n)
	for i, u := range users {
		ids[i], emails[i], verified[i], exts[i] = u.ID, u.Email, u.EmailVerified, u.ExternalID
		given[i], family[i], name[i] = u.GivenName, u.FamilyName, u.Name
		locale[i], picture[i], phone[i], md[i] = u.Locale, u.Picture, u.PhoneNumber, metadataJSON(u.Metadata)
	}
	_, err := s.exec(ctx, query, pq.Array(ids), pq.Array(emails), pq.Array(verified), pq.Array(exts),
		pq.Array(given), pq.Array(family), pq.Array(name), pq.Array(locale), pq.Array(picture),
		pq.Array(phone), pq.Array(md), now)
	return err
}

// InsertPasswordHashes stores hashes[userID] for users who have no password
// yet; a user who has one keeps it.
func (s *Store) InsertPasswordHashes(ctx context.Context, hashes map[string]string, now time.Time) error {
	if len(hashes) == 0 {
		return nil
	}
	var users, values []string
	for u, h := range hashes {
		users, values = append(users, u), append(values, h)
	}
	_, err := s.exec(ctx, importQueries.InsertPasswords, pq.Array(users), pq.Array(values), now)
	return err
}

// InsertMemberships stores new memberships (ID set) created at now, without roles.
func (s *Store) InsertMemberships(ctx context.Context, ms []model.Membership, now time.Time) error {
	if len(ms) == 0 {
		return nil
	}
	n := len(ms)
	ids, users, orgs, status, method, md := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	invited, expires, joined := make([]*string, n), make([]*string, n), make([]*string, n)
	for i, m := range ms {
		ids[i], users[i], orgs[i], status[i], method[i] = m.ID, m.UserID, m.OrganizationID, m.Status, m.ProvisioningMethod
		md[i], invited[i], expires[i], joined[i] = metadataJSON(m.Metadata), timeText(m.InviteCreatedAt), timeText(m.InviteExpiresAt), timeText(m.JoinedAt)
	}
	_, err := s.exec(ctx, importQueries.InsertMemberships, pq.Array(ids), pq.Array(users), pq.Array(orgs),
		pq.Array(status), pq.Array(method), pq.Array(md), pq.Array(invited), pq.Array(expires), pq.Array(joined), now)
	return err
}

// UpdateMembershipsStatus writes the status, metadata and join time of ms.
func (s *Store) UpdateMembershipsStatus(ctx context.Context, ms []model.Membership, now time.Time) error {
	if len(ms) == 0 {
		return nil
	}
	n := len(ms)
	ids, status, md, joined := make([]string, n), make([]string, n), make([]string, n), make([]*string, n)
	for i, m := range ms {
		ids[i], status[i], md[i], joined[i] = m.ID, m.Status, metadataJSON(m.Metadata), timeText(m.JoinedAt)
	}
	_, err := s.exec(ctx, importQueries.UpdateMemberships, pq.Array(ids), pq.Array(status), pq.Array(md), pq.Array(joined), now)
	return err
}

// ReplaceMembershipRoles gives each membership in roles (by id) exactly
// those role ids.
func (s *Store) ReplaceMembershipRoles(ctx context.Context, roles map[string][]string) error {
	if len(roles) == 0 {
		return nil
	}
	var ids, pairMs, pairRoles []string
	for m, rs := range roles {
		ids = append(ids, m)
		for _, r := range rs {
			pairMs, pairRoles = append(pairMs, m), append(pairRoles, r)
		}
	}
	if _, err := s.exec(ctx, importQueries.ClearRoles, pq.Array(ids)); err != nil {
		return err
	}
	_, err := s.exec(ctx, importQueries.AddRoles, pq.Array(pairMs), pq.Array(pairRoles))
	return err
}

// RevokeInvitationTokensOf invalidates the unused invitation links of the memberships.
func (s *Store) RevokeInvitationTokensOf(ctx context.Context, membershipIDs []string, at time.Time) error {
	if len(membershipIDs) == 0 {
		return nil
	}
	_, err := s.exec(ctx, importQueries.RevokeInvites, pq.Array(membershipIDs), at)
	return err
}

// InsertAuditEvents writes many audit events in one statement. Like
// InsertAuditEvent, call it inside the transaction of the changes it records;
// an organization name or user label left nil is read from the tables.
func (s *Store) InsertAuditEvents(ctx context.Context, evs []model.AuditEvent) error {
	if len(evs) == 0 {
		return nil
	}
	n := len(evs)
	id, at, actorType, action, changes := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	actorID, actorLabel, org, user := make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
	targetType, targetID, ip, ua, reqID := make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
	orgName, userLabel, targetLabel := make([]*string, n), make([]*string, n), make([]*string, n)
	for i, ev := range evs {
		c, err := json.Marshal(ev.Changes)
		if err != nil {
			return err
		}
		if ev.Changes == nil {
			c = []byte("{}")
		}
		// Ids made here, not by the column's default: roster_new_id is
		// PL/pgSQL and costs more than the rest of the insert.
		if id[i] = ev.ID; id[i] == "" {
			id[i] = ids.New(ids.AuditEvent)
		}
		at[i], actorType[i], action[i], changes[i] = *timeText(&ev.OccurredAt), ev.ActorType, ev.Action, string(c)
		actorID[i], actorLabel[i], org[i], user[i] = ev.ActorID, ev.ActorLabel, ev.OrganizationID, ev.UserID
		targetType[i], targetID[i], ip[i], ua[i], reqID[i] = ev.TargetType, ev.TargetID, ev.IP, ev.UserAgent, ev.RequestID
		orgName[i], userLabel[i], targetLabel[i] = ev.OrganizationName, ev.UserLabel, ev.TargetLabel
	}
	_, err := s.exec(ctx, importQueries.InsertAudit, pq.Array(id), pq.Array(at), pq.Array(actorType), pq.Array(actorID),
		pq.Array(actorLabel), pq.Array(action), pq.Array(org), pq.Array(user), pq.Array(targetType),
		pq.Array(targetID), pq.Array(changes), pq.Array(ip), pq.Array(ua), pq.Array(reqID),
		pq.Array(orgName), pq.Array(userLabel), pq.Array(targetLabel))
	return err
}

// OrganizationsWithoutActiveHolder returns which of the organizations have
// no active member holding roleID (ID, ExternalID and DisplayName set).
func (s *Store) OrganizationsWithoutActiveHolder(ctx context.Context, orgIDs []string, roleID string) ([]model.Organization, error) {
	var out []model.Organization
	return out, s.selectAll(ctx, &out, importQueries.WithoutHolder, pq.Array(orgIDs), roleID)
}

// metadataJSON encodes a metadata map for a jsonb[] parameter ("{}" when nil).
func metadataJSON(m model.Metadata) string {
	if m == nil {
		return "{}"
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return string(b)
}

// timeText writes a time for a timestamptz[] parameter: lib/pq sends array
// elements as text, so they go as RFC 3339 strings; nil stays NULL.
func timeText(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}
