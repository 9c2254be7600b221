// Package adminauth signs app owners in to the console. Console admins are
// not directory users: they come from the owner's identity provider, or from
// a one-time sign-in link in setup mode, with a console role.
//
// A session's token is 256 random bits that only the browser holds (in a
// cookie); the database keeps its SHA-256, which is enough for a secret with
// that much entropy. A session ends at sign-out, when an owner ends it, after
// the idle timeout without a request, or at its absolute lifetime, whichever
// comes first; both timeouts come from the environment settings.
package adminauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/store"
	"roster/internal/tokens"
)

// Role is a console role. Each includes the ones below it.
type Role string

// The console roles, from most to least powerful.
const (
	Owner  Role = "owner"  // everything, including settings, API clients and admin sessions
	Editor Role = "editor" // changes the directory: organizations, users, roles…
	Viewer Role = "viewer" // reads only
)

var rank = map[Role]int{Viewer: 1, Editor: 2, Owner: 3}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); rank[r] > 0 {
		return r, nil
	}
	return "", fmt.Errorf("unknown console role %q: want owner, editor or viewer", s)
}

// AtLeast reports whether r includes min. An unknown role includes nothing.
func (r Role) AtLeast(min Role) bool { return rank[r] > 0 && rank[r] >= rank[min] }

// higher returns the more powerful of two roles ("" counts as none).
func higher(a, b Role) Role {
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Session is a live console session as the rest of Roster sees it.
type Session struct {
	ID                string
	Email             string
	Subject           string // the identity provider's "sub"; empty after a sign-in link
	Issuer            string // the identity provider; empty after a sign-in link
	Role              Role
	IP                string
	UserAgent         string
	CreatedAt         time.Time
	LastActiveAt      time.Time
	IdleExpiresAt     time.Time
	AbsoluteExpiresAt time.Time
}

// CanWrite reports whether the session may change anything (editor or
// owner). A nil session may not.
func (s *Session) CanWrite() bool { return s != nil && s.Role.AtLeast(Editor) }

// IsOwner reports whether the session has the owner role.
func (s *Session) IsOwner() bool { return s != nil && s.Role.AtLeast(Owner) }

// Has reports whether the session's role includes role.
func (s *Session) Has(role Role) bool { return s != nil && s.Role.AtLeast(role) }

// Identity is the person a session is started for, and where from.
type Identity struct {
	Email     string
	Subject   string
	Issuer    string
	Role      Role
	IP        string
	UserAgent string
}

// Service starts, checks and ends console sessions and sign-in links.
// Safe for concurrent use.
type Service struct {
	store *store.Store
	clock clock.Clock
}

// New returns the service.
func New(st *store.Store, clk clock.Clock) *Service {
	return &Service{store: st, clock: clk}
}

// touchEvery is how stale last_active_at may get before a request writes
// it: a page view is not a database write each time, at the cost of the idle
// timeout being up to a minute generous.
const touchEvery = time.Minute

// LoginLinkLifetime is how long a sign-in link works (once).
const LoginLinkLifetime = 15 * time.Minute

// Lowercase base32 like ids: URL- and cookie-safe, no padding.

// Start opens a new session for id and returns it with its token, the only
// copy of which goes to the caller. If previousToken names a live session
// (the browser's earlier cookie), that one ends: every sign-in gets a fresh
// session id, so a token planted before sign-in is worth nothing after it.
func (s *Service) Start(ctx context.Context, id Identity, previousToken string) (Session, string, error) {
	id.Email = strings.ToLower(strings.TrimSpace(id.Email))
	if id.Email == "" || len(id.Email) > 320 {
		return Session{}, "", apperr.Invalid(apperr.Field("email", "must be 1 to 320 characters"))
	}
	if _, err := ParseRole(string(id.Role)); err != nil {
		return Session{}, "", apperr.Invalid(apperr.Field("role", err.Error()))
	}
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil {
		return Session{}, "", err
	}
	now := s.clock.Now()
	row := store.AdminSession{
		ID:                ids.New(ids.Session),
		Email:             id.Email,
		Subject:           nullable.String(id.Subject),
		Issuer:            nullable.String(id.Issuer),
		Role:              string(id.Role),
		IP:                nullable.String(id.IP),
		UserAgent:         nullable.String(truncate(id.UserAgent, 1024)),
		CreatedAt:         now,
		AbsoluteExpiresAt: now.Add(settings.AdminSessionLifetime),
	}
	row.IdleExpiresAt = now.Add(settings.AdminSessionIdleTimeout)
	if row.IdleExpiresAt.After(row.AbsoluteExpiresAt) {
		row.IdleExpiresAt = row.AbsoluteExpiresAt
	}
	token := tokens.Random()
	actor := sessionActor(ctx, row)

	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if previousToken != "" {
			old, err := tx.EndAdminSessionByToken(ctx, tokens.Hash(previousToken), now)
			if err == nil {
				err = audit.Record(audit.WithActor(ctx, actor), tx, s.clock, audit.Event{
					Action: "admin_session.ended", TargetType: "admin_session", TargetID: old.ID,
					Changes: map[string]any{"email": old.Email, "reason": "signed in again"},
				})
			}
			if err != nil && !errors.Is(err, apperr.ErrNotFound) {
				return err
			}
		}
		if row, err = tx.InsertAdminSession(ctx, row, tokens.Hash(token)); err != nil {
			return err
		}
		changes := map[string]any{"email": row.Email, "role": row.Role}
		if id.Issuer != "" {
			changes["issuer"] = id.Issuer
			changes["subject"] = id.Subject
		} else {
			changes["method"] = "sign-in link"
		}
		return audit.Record(audit.WithActor(ctx, actor), tx, s.clock, audit.Event{
			Action: "admin.signed_in", TargetType: "admin_session", TargetID: row.ID, Changes: changes,
		})
	})
	if err != nil {
		return Session{}, "", err
	}
	return fromRow(row), token, nil
}

// Authenticate returns the live session of token, or nil when there is none
// (no token, unknown, ended, idle or past its lifetime). An error means the
// database failed, not that the token is bad.
func (s *Service) Authenticate(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, nil
	}
	now := s.clock.Now()
	row, err := s.store.LiveAdminSessionByToken(ctx, tokens.Hash(token), now)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(row.LastActiveAt) >= touchEvery {
		touched, ok, err := s.store.TouchAdminSession(ctx, row.ID, now)
		if err != nil {
			return nil, err
		}
		if ok {
			row = touched
		}
	}
	sess := fromRow(row)
	return &sess, nil
}

// SignOut ends the session of token, if it is live.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.store.InTx(ctx, func(tx *store.Store) error {
		row, err := tx.EndAdminSessionByToken(ctx, tokens.Hash(token), s.clock.Now())
		if errors.Is(err, apperr.ErrNotFound) {
			return nil // already ended or expired: nothing to do
		}
		if err != nil {
			return err
		}
		return audit.Record(audit.WithActor(ctx, sessionActor(ctx, row)), tx, s.clock, audit.Event{
			Action: "admin.signed_out", TargetType: "admin_session", TargetID: row.ID,
			Changes: map[string]any{"email": row.Email},
		})
	})
}

// List returns the live sessions, newest first.
func (s *Service) List(ctx context.Context) ([]Session, error) {
	rows, err := s.store.ListLiveAdminSessions(ctx, s.clock.Now())
	if err != nil {
		return nil, err
	}
	out := make([]Session, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, nil
}

// End ends the session with id on behalf of the actor on ctx (an owner).
// The session is signed out on its next request. Ending a session that has
// already ended is a not-found error.
func (s *Service) End(ctx context.Context, id string) (Session, error) {
	if !ids.HasPrefix(id, ids.Session) {
		return Session{}, apperr.NotFound("admin session not found")
	}
	var row store.AdminSession
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if row, err = tx.EndAdminSession(ctx, id, s.clock.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "admin_session.ended", TargetType: "admin_session", TargetID: row.ID,
			Changes: map[string]any{"email": row.Email, "role": row.Role},
		})
	})
	if err != nil {
		return Session{}, err
	}
	return fromRow(row), nil
}

// RecordRefusal writes to the audit log that someone the identity provider
// vouched for was not let in, so owners can see who tried.
func (s *Service) RecordRefusal(ctx context.Context, email, issuer, subject string) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "admin.sign_in_refused", TargetType: "admin_session",
			Changes: map[string]any{"email": email, "issuer": issuer, "subject": subject},
		})
	})
}

// sessionActor is the session's person as the audit actor, keeping the
// request id of the actor already on ctx.
func sessionActor(ctx context.Context, row store.AdminSession) model.Actor {
	a := model.Actor{Type: "admin", ID: row.ID, Label: row.Email, RequestID: audit.ActorFrom(ctx).RequestID}
	if row.IP != nil {
		a.IP = *row.IP
	}
	if row.UserAgent != nil {
		a.UserAgent = *row.UserAgent
	}
	return a
}

func fromRow(r store.AdminSession) Session {
	return Session{
		ID: r.ID, Email: r.Email, Subject: nullable.Value(r.Subject), Issuer: nullable.Value(r.Issuer), Role: Role(r.Role),
		IP: nullable.Value(r.IP), UserAgent: nullable.Value(r.UserAgent), CreatedAt: r.CreatedAt, LastActiveAt: r.LastActiveAt,
		IdleExpiresAt: r.IdleExpiresAt, AbsoluteExpiresAt: r.AbsoluteExpiresAt,
	}
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
