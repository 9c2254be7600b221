package store

import (
	"context"
	"time"

	"github.com/lib/pq"

	"roster/internal/ids"
	"roster/internal/model"
)

var sessionQueries struct {
	Insert          string `query:"insert-session"`
	InsertOrg       string `query:"insert-session-organization"`
	Get             string `query:"get-session"`
	ListForward     string `query:"list-user-sessions-forward"`
	ListBackward    string `query:"list-user-sessions-backward"`
	CountForUser    string `query:"count-user-sessions"`
	Revoke          string `query:"revoke-session"`
	RevokeForUser   string `query:"revoke-user-sessions"`
	RevokeUserInOrg string `query:"revoke-user-sessions-in-organization"`
}

func init() { loadQueries("sessions.sql", &sessionQueries) }

// sessionRow is a session as the queries read it, with its organizations
// aggregated into one array so a page of sessions is one query.
type sessionRow struct {
	model.Session
	AuthOrgs pq.StringArray `db:"authenticated_organizations"`
}

func (r sessionRow) session() model.Session {
	s := r.Session
	s.AuthenticatedOrganizations = []string(r.AuthOrgs)
	if s.AuthenticatedOrganizations == nil {
		s.AuthenticatedOrganizations = []string{}
	}
	return s
}

// CreateSession stores a new ACTIVE session with the SHA-256 of its token.
// sess.ID may be empty (one is made); CreatedAt, IdleExpiresAt and
// AbsoluteExpiresAt must be set. The current organization counts as
// authenticated even when AuthenticatedOrganizations leaves it out.
func (s *Store) CreateSession(ctx context.Context, sess model.Session, tokenHash []byte) (model.Session, error) {
	if sess.ID == "" {
		sess.ID = ids.New(ids.Session)
	}
	if sess.LastActiveAt.IsZero() {
		sess.LastActiveAt = sess.CreatedAt
	}
	orgs := sess.AuthenticatedOrganizations
	if sess.OrganizationID != nil {
		orgs = append([]string{*sess.OrganizationID}, orgs...)
	}
	var out model.Session
	err := s.InTx(ctx, func(tx *Store) error {
		_, err := tx.exec(ctx, sessionQueries.Insert, sess.ID, tokenHash, sess.UserID, sess.OrganizationID,
			sess.IP, sess.UserAgent, sess.CreatedAt, sess.LastActiveAt, sess.IdleExpiresAt, sess.AbsoluteExpiresAt)
		if err != nil {
			return err
		}
		for _, org := range orgs {
			if _, err := tx.exec(ctx, sessionQueries.InsertOrg, sess.ID, org, sess.CreatedAt); err != nil {
				return err
			}
		}
		out, err = tx.Session(ctx, sess.ID)
		return err
	})
	return out, err
}

// Session returns the session with id as stored: an ACTIVE session past its
// expiry still says ACTIVE here (the directory shows it as EXPIRED).
func (s *Store) Session(ctx context.Context, id string) (model.Session, error) {
	var r sessionRow
	if err := s.get(ctx, &r, sessionQueries.Get, id); err != nil {
		return model.Session{}, found(err, "session")
	}
	return r.session(), nil
}

// ListUserSessions returns one keyset page of the user's sessions, ended ones included.
func (s *Store) ListUserSessions(ctx context.Context, userID string, page PageRequest) ([]model.Session, PageInfo, error) {
	size, cur, err := page.Parse()
	if err != nil {
		return nil, PageInfo{}, err
	}
	forward, t, id := keysetArgs(cur)
	q := sessionQueries.ListForward
	if !forward {
		q = sessionQueries.ListBackward
	}
	var rows []sessionRow
	if err := s.selectAll(ctx, &rows, q, userID, t, id, size+1); err != nil {
		return nil, PageInfo{}, err
	}
	rows, info := finishPage(rows, size, cur, func(r sessionRow) (time.Time, string) { return r.CreatedAt, r.ID })
	// One person has tens of sessions at most: the exact count is cheap.
	if err := s.get(ctx, &info.TotalSize, sessionQueries.CountForUser, userID); err != nil {
		return nil, PageInfo{}, err
	}
	list := make([]model.Session, len(rows))
	for i, r := range rows {
		list[i] = r.session()
	}
	return list, info, nil
}

// RevokeSession ends the session if it is ACTIVE and returns it as it is now.
// Ending an already ended session changes nothing.
func (s *Store) RevokeSession(ctx context.Context, id string, at time.Time) (model.Session, error) {
	if _, err := s.exec(ctx, sessionQueries.Revoke, id, at); err != nil {
		return model.Session{}, err
	}
	return s.Session(ctx, id)
}

// RevokeAllUserSessions ends every ACTIVE session of the user and returns how
// many were live (sessions already past their expiry are closed as EXPIRED
// and not counted).
func (s *Store) RevokeAllUserSessions(ctx context.Context, userID string, at time.Time) (int64, error) {
	var n int64
	return n, s.get(ctx, &n, sessionQueries.RevokeForUser, userID, at)
}

// RevokeUserSessionsInOrg is what removing a membership does to sessions: it
// ends every ACTIVE session of the user whose current organization is orgID,
// and removes orgID from the authenticated organizations of the user's other
// live sessions. It returns how many live sessions were revoked. Call it in
// the transaction that removes the membership.
func (s *Store) RevokeUserSessionsInOrg(ctx context.Context, userID, orgID string, at time.Time) (int64, error) {
	var n int64
	return n, s.get(ctx, &n, sessionQueries.RevokeUserInOrg, userID, orgID, at)
}
