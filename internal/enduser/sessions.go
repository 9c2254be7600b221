package enduser

import (
	"context"
	"errors"
	"time"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/store"
	"roster/internal/tokens"
)

// Session is a signed-in end user's live session. The browser holds only
// its token; everything else, and whether it is still live, is in the
// database, so revoking it in the console or the API signs the person out
// on their next request.
type Session struct {
	ID     string
	UserID string
	Email  string
	// OrganizationID is the org the user acts in now; "" before they pick one.
	OrganizationID   string
	OrganizationName string
	// AuthenticatedOrganizations are the orgs this session has entered.
	AuthenticatedOrganizations []string
	// Method is how the session signed in: EMAIL, PASSWORD, GOOGLE, …
	Method            string
	Status            string
	CreatedAt         time.Time
	LastActiveAt      time.Time
	IdleExpiresAt     time.Time
	AbsoluteExpiresAt time.Time
}

// Why a session ends at the user's hand.
const (
	ReasonSignedOut     = "signed out"
	ReasonSignedInAgain = "signed in again"
)

// Start opens a session for userID, acting in orgID ("" for none yet),
// signed in with method, and returns its token (the only copy) and the
// session. With an org, the user must be an ACTIVE member of it, and method
// becomes the membership's primary identity provider. Idle and absolute
// expiry come from the environment settings.
//
// Start never reuses a session: the caller ends the browser's previous one
// (EndSession with ReasonSignedInAgain), so a token planted before sign-in
// is worth nothing after it.
func (s *Service) Start(ctx context.Context, userID, orgID, method, ip, userAgent string) (string, Session, error) {
	if method == "" || len(method) > 32 {
		return "", Session{}, apperr.Invalid(apperr.Field("method", "must be 1 to 32 characters"))
	}
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil {
		return "", Session{}, err
	}
	now := s.clock.Now()
	n := store.NewUserSession{
		ID: ids.New(ids.Session), UserID: userID, AuthMethod: method, OrganizationID: nullable.String(orgID),
		IP: nullable.String(truncate(ip, 100)), UserAgent: nullable.String(truncate(userAgent, 1024)),
		CreatedAt: now, AbsoluteExpiresAt: now.Add(settings.UserSessionLifetime),
	}
	n.IdleExpiresAt = now.Add(settings.UserSessionIdleTimeout)
	if n.IdleExpiresAt.After(n.AbsoluteExpiresAt) {
		n.IdleExpiresAt = n.AbsoluteExpiresAt
	}
	token, hash := tokens.New()
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		u, err := tx.User(ctx, userID)
		if err != nil {
			return err
		}
		if orgID != "" {
			if err := s.enterOrganization(ctx, tx, userID, orgID, method); err != nil {
				return err
			}
		}
		if err := tx.InsertUserSession(ctx, n, hash); err != nil {
			return err
		}
		if err := tx.SetUserLastLogin(ctx, userID, now); err != nil {
			return err
		}
		return audit.Record(userActor(ctx, userID, u.Email), tx, s.clock, audit.Event{
			Action: "user.signed_in", OrgID: orgID, UserID: userID, TargetType: "session", TargetID: n.ID,
			Changes: model.JSONObject{"method": method},
		})
	})
	if err != nil {
		return "", Session{}, err
	}
	sess, err := s.Authenticate(ctx, token)
	if err != nil || sess == nil {
		return "", Session{}, errors.Join(errors.New("enduser: a new session is not live"), err)
	}
	return token, *sess, nil
}

// enterOrganization checks that the user is an ACTIVE member of orgID,
// holding the membership until the transaction ends, and records method as
// how they last signed in there. Not found otherwise, so an org the person
// has no part in looks like one that does not exist.
func (s *Service) enterOrganization(ctx context.Context, tx *store.Store, userID, orgID, method string) error {
	if !ids.HasPrefix(orgID, ids.Organization) {
		return apperr.NotFound("organization not found")
	}
	if err := tx.LockActiveMembership(ctx, userID, orgID); err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return apperr.NotFound("organization not found")
		}
		return err
	}
	if method == "" {
		return nil
	}
	return tx.SetPrimaryIdentityProvider(ctx, userID, orgID, method)
}

// Authenticate returns the live session of token, or nil when there is none
// (no token, unknown, ended, idle or past its lifetime). An error means the
// database failed, not that the token is bad. A request within the idle
// timeout slides it, written at most once a minute.
func (s *Service) Authenticate(ctx context.Context, token string) (*Session, error) {
	if token == "" || len(token) > 100 {
		return nil, nil
	}
	now := s.clock.Now()
	row, err := s.store.LiveUserSessionByToken(ctx, tokens.Hash(token), now)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(row.LastActiveAt) >= time.Minute {
		if err := s.store.TouchUserSession(ctx, row.ID, now); err != nil {
			return nil, err
		}
	}
	sess := Session{
		ID: row.ID, UserID: row.UserID, Email: row.Email,
		OrganizationID: nullable.Value(row.OrganizationID), OrganizationName: nullable.Value(row.OrganizationName),
		AuthenticatedOrganizations: []string(row.AuthOrgs), Method: nullable.Value(row.AuthMethod), Status: row.Status,
		CreatedAt: row.CreatedAt, LastActiveAt: row.LastActiveAt,
		IdleExpiresAt: row.IdleExpiresAt, AbsoluteExpiresAt: row.AbsoluteExpiresAt,
	}
	return &sess, nil
}

// EndSession ends the live session of token (status LOGOUT) for reason. A
// token with no live session is not an error: there is nothing to end.
func (s *Service) EndSession(ctx context.Context, token, reason string) error {
	if token == "" || len(token) > 100 {
		return nil
	}
	return s.store.InTx(ctx, func(tx *store.Store) error {
		ended, err := tx.EndUserSessionByToken(ctx, tokens.Hash(token), "LOGOUT", s.clock.Now())
		if errors.Is(err, apperr.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		u, err := tx.User(ctx, ended.UserID)
		if err != nil {
			return err
		}
		return audit.Record(userActor(ctx, u.ID, u.Email), tx, s.clock, audit.Event{
			Action: "user.signed_out", OrgID: nullable.Value(ended.OrganizationID), UserID: u.ID,
			TargetType: "session", TargetID: ended.ID,
			Changes: model.JSONObject{"reason": reason, "status": ended.Status},
		})
	})
}

// SwitchOrganization makes orgID the session's current org. The user must be
// an ACTIVE member of it (else not found). The org joins the session's
// authenticated orgs, and the session's sign-in method becomes the
// membership's primary identity provider.
func (s *Service) SwitchOrganization(ctx context.Context, sess *Session, orgID string) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		if err := s.enterOrganization(ctx, tx, sess.UserID, orgID, sess.Method); err != nil {
			return err
		}
		ok, err := tx.SetSessionOrganization(ctx, sess.ID, &orgID)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.Unauthenticated("your session has ended; sign in again")
		}
		if err := tx.AddSessionOrganization(ctx, sess.ID, orgID, s.clock.Now()); err != nil {
			return err
		}
		if orgID == sess.OrganizationID {
			return nil // nothing changed worth a line in the log
		}
		return audit.Record(userActor(ctx, sess.UserID, sess.Email), tx, s.clock, audit.Event{
			Action: "session.organization_switched", OrgID: orgID, UserID: sess.UserID,
			TargetType: "session", TargetID: sess.ID,
			Changes: model.JSONObject{"from": nullable.String(sess.OrganizationID), "to": orgID},
		})
	})
}
