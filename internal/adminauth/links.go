package adminauth

import (
	"context"
	"errors"
	"strings"
	"time"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/store"
	"roster/internal/tokens"
)

// Why a sign-in link cannot be used. The page says which, so the person
// knows whether to ask for a new link or to look for the right one.
var (
	ErrLinkUnknown = errors.New("this sign-in link is not valid")
	ErrLinkUsed    = errors.New("this sign-in link has already been used")
	ErrLinkExpired = errors.New("this sign-in link has expired")
)

// CreateLoginLink makes a one-time sign-in link token for a console owner
// with this email, for setting Roster up before an identity provider is
// configured (and as the way back in if it breaks). It works once, within
// LoginLinkLifetime. Only its hash is stored.
func (s *Service) CreateLoginLink(ctx context.Context, email string) (token string, expires time.Time, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" || len(email) > 320 || strings.ContainsAny(email, " \t\r\n") {
		return "", time.Time{}, apperr.Invalid(apperr.Field("email", "must be an email address"))
	}
	now := s.clock.Now()
	token = tokens.Random()
	expires = now.Add(LoginLinkLifetime)
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.InsertOneTimeToken(ctx, store.OneTimeToken{
			Purpose: "admin_login", Hash: tokens.Hash(token), Email: email,
			Data: model.JSONObject{}, CreatedAt: now, ExpiresAt: expires,
		}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "admin.sign_in_link_created", TargetType: "admin_login_link",
			Changes: map[string]any{"email": email, "expires_at": expires},
		})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// CheckLoginLink says whether the link can still be used, and for whom,
// without using it: the page shown on opening the link asks for a click
// first, so a mail scanner or link preview fetching it spends nothing.
func (s *Service) CheckLoginLink(ctx context.Context, token string) (email string, err error) {
	if token == "" {
		return "", ErrLinkUnknown
	}
	t, err := s.store.AdminLoginToken(ctx, tokens.Hash(token))
	if errors.Is(err, apperr.ErrNotFound) {
		return "", ErrLinkUnknown
	}
	if err != nil {
		return "", err
	}
	switch {
	case t.UsedAt != nil:
		return "", ErrLinkUsed
	case t.RevokedAt != nil:
		return "", ErrLinkUnknown
	case !t.ExpiresAt.After(s.clock.Now()):
		return "", ErrLinkExpired
	}
	return nullable.Value(t.Email), nil
}

// RedeemLoginLink uses the link, once, and starts an owner session for its
// email (ending the session of previousToken, as Start does). The link is
// marked used in the same transaction that creates the session.
func (s *Service) RedeemLoginLink(ctx context.Context, token string, from Identity, previousToken string) (Session, string, error) {
	if token == "" {
		return Session{}, "", ErrLinkUnknown
	}
	var sess Session
	var sessToken string
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		email, err := tx.ConsumeAdminLoginToken(ctx, tokens.Hash(token), s.clock.Now())
		if errors.Is(err, apperr.ErrNotFound) {
			return errLinkNotUsable
		}
		if err != nil {
			return err
		}
		inTx := &Service{store: tx, clock: s.clock}
		sess, sessToken, err = inTx.Start(ctx, Identity{
			Email: email, Role: Owner, IP: from.IP, UserAgent: from.UserAgent,
		}, previousToken)
		return err
	})
	if errors.Is(err, errLinkNotUsable) {
		// Not usable: find out why, outside the rolled-back transaction.
		if _, why := s.CheckLoginLink(ctx, token); why != nil {
			return Session{}, "", why
		}
		return Session{}, "", ErrLinkUnknown
	}
	return sess, sessToken, err
}

var errLinkNotUsable = errors.New("sign-in link not usable")
