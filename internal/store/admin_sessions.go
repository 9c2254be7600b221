package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// AdminSession is a console session of an app owner. Only the SHA-256 of its
// token is stored, and never read back.
type AdminSession struct {
	ID                string     `db:"id"`
	Email             string     `db:"email"`
	Subject           *string    `db:"subject"`
	Issuer            *string    `db:"issuer"`
	Role              string     `db:"console_role"`
	IP                *string    `db:"ip"`
	UserAgent         *string    `db:"user_agent"`
	CreatedAt         time.Time  `db:"created_at"`
	LastActiveAt      time.Time  `db:"last_active_at"`
	IdleExpiresAt     time.Time  `db:"idle_expires_at"`
	AbsoluteExpiresAt time.Time  `db:"absolute_expires_at"`
	EndedAt           *time.Time `db:"ended_at"`
}

// AdminLoginToken is what is stored of a console sign-in link.
type AdminLoginToken struct {
	Email     *string    `db:"email"`
	ExpiresAt time.Time  `db:"expires_at"`
	UsedAt    *time.Time `db:"used_at"`
	RevokedAt *time.Time `db:"revoked_at"`
}

var adminSessionQueries struct {
	Insert        string `query:"insert-admin-session"`
	LiveByToken   string `query:"get-live-admin-session-by-token"`
	Touch         string `query:"touch-admin-session"`
	End           string `query:"end-admin-session"`
	EndByToken    string `query:"end-admin-session-by-token"`
	ListLive      string `query:"list-live-admin-sessions"`
	ConsumeToken  string `query:"consume-admin-login-token"`
	GetLoginToken string `query:"get-admin-login-token"`
}

func init() { loadQueries("admin_sessions.sql", &adminSessionQueries) }

// InsertAdminSession stores a new session with its token's hash. ID,
// CreatedAt and both expiries must be set; LastActiveAt is CreatedAt.
func (s *Store) InsertAdminSession(ctx context.Context, a AdminSession, tokenHash []byte) (AdminSession, error) {
	var out AdminSession
	err := s.get(ctx, &out, adminSessionQueries.Insert, a.ID, tokenHash, a.Email, a.Subject, a.Issuer, a.Role,
		a.IP, a.UserAgent, a.CreatedAt, a.IdleExpiresAt, a.AbsoluteExpiresAt)
	return out, err
}

// LiveAdminSessionByToken returns the session whose token has this hash if
// it is neither ended nor expired at now.
func (s *Store) LiveAdminSessionByToken(ctx context.Context, tokenHash []byte, now time.Time) (AdminSession, error) {
	var a AdminSession
	return a, found(s.get(ctx, &a, adminSessionQueries.LiveByToken, tokenHash, now), "admin session")
}

// TouchAdminSession records activity at now and slides the idle expiry, if
// the last recorded activity is at least a minute old. ok is false when
// nothing was written (too recent, or the session ended meanwhile).
func (s *Store) TouchAdminSession(ctx context.Context, id string, now time.Time) (a AdminSession, ok bool, err error) {
	err = s.get(ctx, &a, adminSessionQueries.Touch, id, now)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	return a, err == nil, err
}

// EndAdminSession ends a session that has not ended yet and returns it;
// otherwise the error is not-found.
func (s *Store) EndAdminSession(ctx context.Context, id string, at time.Time) (AdminSession, error) {
	var a AdminSession
	return a, found(s.get(ctx, &a, adminSessionQueries.End, id, at), "admin session")
}

// EndAdminSessionByToken is EndAdminSession for the holder of a token.
func (s *Store) EndAdminSessionByToken(ctx context.Context, tokenHash []byte, at time.Time) (AdminSession, error) {
	var a AdminSession
	return a, found(s.get(ctx, &a, adminSessionQueries.EndByToken, tokenHash, at), "admin session")
}

// ListLiveAdminSessions returns the sessions live at now, newest first.
func (s *Store) ListLiveAdminSessions(ctx context.Context, now time.Time) ([]AdminSession, error) {
	list := []AdminSession{}
	return list, s.selectAll(ctx, &list, adminSessionQueries.ListLive, now)
}

// ConsumeAdminLoginToken marks the console sign-in link with this hash used
// and returns its email, if it is unused, not revoked and not expired at now;
// otherwise the error is not-found.
func (s *Store) ConsumeAdminLoginToken(ctx context.Context, tokenHash []byte, now time.Time) (string, error) {
	var email *string
	if err := s.get(ctx, &email, adminSessionQueries.ConsumeToken, tokenHash, now); err != nil {
		return "", found(err, "sign-in link")
	}
	if email == nil {
		return "", nil
	}
	return *email, nil
}

// AdminLoginToken returns the stored console sign-in link with this hash,
// used or not.
func (s *Store) AdminLoginToken(ctx context.Context, tokenHash []byte) (AdminLoginToken, error) {
	var t AdminLoginToken
	return t, found(s.get(ctx, &t, adminSessionQueries.GetLoginToken, tokenHash), "sign-in link")
}
