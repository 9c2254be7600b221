package directory

import (
	"context"
	"strings"
	"time"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/store"
)

// Session statuses.
const (
	SessionActive  = "ACTIVE"
	SessionExpired = "EXPIRED"
	SessionRevoked = "REVOKED"
	SessionLogout  = "LOGOUT"
)

// SessionStatus is the status a reader should see at now: a session still
// marked ACTIVE but past its idle or absolute expiry is EXPIRED, whether or
// not anything has closed it yet.
func SessionStatus(sess model.Session, now time.Time) string {
	if sess.Status == SessionActive && (!now.Before(sess.IdleExpiresAt) || !now.Before(sess.AbsoluteExpiresAt)) {
		return SessionExpired
	}
	return sess.Status
}

func (s *Service) withStatus(sess model.Session) model.Session {
	sess.Status = SessionStatus(sess, s.clock.Now())
	return sess
}

// GetSession returns one session with its status as of now.
func (s *Service) GetSession(ctx context.Context, id string) (model.Session, error) {
	if !ids.HasPrefix(id, ids.Session) {
		return model.Session{}, apperr.NotFound("session not found")
	}
	sess, err := s.store.Session(ctx, id)
	if err != nil {
		return model.Session{}, err
	}
	return s.withStatus(sess), nil
}

// RevokeSession ends one session. Revoking a session that has already ended
// changes nothing and is not an error.
func (s *Service) RevokeSession(ctx context.Context, id string) (model.Session, error) {
	if !ids.HasPrefix(id, ids.Session) {
		return model.Session{}, apperr.NotFound("session not found")
	}
	var out model.Session
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		before, err := tx.Session(ctx, id)
		if err != nil {
			return err
		}
		if out, err = tx.RevokeSession(ctx, id, s.clock.Now()); err != nil {
			return err
		}
		if before.Status != SessionActive || out.Status != SessionRevoked {
			return nil // it had already ended (or just expired): nothing was revoked
		}
		ev := audit.Event{Action: "session.revoked", UserID: out.UserID, TargetType: "session", TargetID: id}
		if out.OrganizationID != nil {
			ev.OrgID = *out.OrganizationID
		}
		return audit.Record(ctx, tx, s.clock, ev)
	})
	if err != nil {
		return model.Session{}, err
	}
	return s.withStatus(out), nil
}

// ListUserSessions returns a page of the user's sessions, ended ones included.
func (s *Service) ListUserSessions(ctx context.Context, userID string, page store.PageRequest) ([]model.Session, store.PageInfo, error) {
	if !ids.HasPrefix(userID, ids.User) {
		return nil, store.PageInfo{}, apperr.NotFound("user not found")
	}
	// An unknown user is "not found", not an empty list.
	if _, err := s.store.User(ctx, userID); err != nil {
		return nil, store.PageInfo{}, err
	}
	list, info, err := s.store.ListUserSessions(ctx, userID, page)
	if err != nil {
		return nil, store.PageInfo{}, err
	}
	for i := range list {
		list[i] = s.withStatus(list[i])
	}
	return list, info, nil
}

// RevokeUserSessions ends every live session of the user and returns how many.
func (s *Service) RevokeUserSessions(ctx context.Context, userID string) (int64, error) {
	if !ids.HasPrefix(userID, ids.User) {
		return 0, apperr.NotFound("user not found")
	}
	var n int64
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.User(ctx, userID); err != nil {
			return err
		}
		var err error
		if n, err = tx.RevokeAllUserSessions(ctx, userID, s.clock.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "user.sessions_revoked", UserID: userID, TargetType: "user", TargetID: userID,
			Changes: map[string]any{"revoked_sessions": n},
		})
	})
	return n, err
}

// ParseUserAgent names the browser and operating system in a User-Agent
// header, roughly: enough for a person to recognise their own devices in a
// session list. Unknown parts are "".
func ParseUserAgent(ua string) (browser, os string) {
	// Order matters: Edge and Opera also say Chrome, Chrome also says Safari,
	// Android also says Linux, iOS also says Mac OS X.
	switch {
	case strings.Contains(ua, "Edg/"), strings.Contains(ua, "Edge/"):
		browser = "Edge"
	case strings.Contains(ua, "OPR/"), strings.Contains(ua, "Opera"):
		browser = "Opera"
	case strings.Contains(ua, "Firefox/"), strings.Contains(ua, "FxiOS/"):
		browser = "Firefox"
	case strings.Contains(ua, "Chrome/"), strings.Contains(ua, "CriOS/"):
		browser = "Chrome"
	case strings.Contains(ua, "Safari/"):
		browser = "Safari"
	}
	switch {
	case strings.Contains(ua, "Windows"):
		os = "Windows"
	case strings.Contains(ua, "Android"):
		os = "Android"
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"), strings.Contains(ua, "iPod"):
		os = "iOS"
	case strings.Contains(ua, "CrOS"):
		os = "ChromeOS"
	case strings.Contains(ua, "Mac OS X"), strings.Contains(ua, "Macintosh"):
		os = "macOS"
	case strings.Contains(ua, "Linux"):
		os = "Linux"
	}
	return browser, os
}
