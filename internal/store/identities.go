package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"roster/internal/model"
)

var identityQueries struct {
	BySubject             string `query:"get-identity-by-subject"`
	Insert                string `query:"insert-identity"`
	Touch                 string `query:"touch-identity"`
	FillProfile           string `query:"fill-user-profile"`
	MarkEmailVerified     string `query:"mark-user-email-verified"`
	RemoveUnprovenSignIns string `query:"remove-unproven-sign-ins"`
	Delete                string `query:"delete-identity"`
}

func init() { loadQueries("identities.sql", &identityQueries) }

// IdentityBySubject finds the identity a provider names issuer + subject.
func (s *Store) IdentityBySubject(ctx context.Context, issuer, subject string) (model.Identity, error) {
	var out model.Identity
	return out, found(s.get(ctx, &out, identityQueries.BySubject, issuer, subject), "identity")
}

// InsertIdentity adds idn (ID, UserID and CreatedAt set) with its profile
// claims. When the issuer + subject exists already, created is false and
// the existing identity comes back, whoever's it is.
func (s *Store) InsertIdentity(ctx context.Context, idn model.Identity, profile model.Metadata) (out model.Identity, created bool, err error) {
	err = s.get(ctx, &out, identityQueries.Insert, idn.ID, idn.UserID, idn.ProviderKind, idn.ConnectionID,
		idn.IsSocial, idn.Issuer, idn.Subject, idn.Email, idn.EmailVerified, profile, idn.CreatedAt)
	if err == nil {
		return out, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return out, false, err
	}
	// ON CONFLICT waited for the parallel insert to commit: it is visible now.
	out, err = s.IdentityBySubject(ctx, idn.Issuer, idn.Subject)
	return out, false, err
}

// TouchIdentity records a sign-in through the identity at at, with what the
// provider said this time.
func (s *Store) TouchIdentity(ctx context.Context, id string, email *string, emailVerified bool, profile model.Metadata, at time.Time) error {
	_, err := s.exec(ctx, identityQueries.Touch, id, email, emailVerified, profile, at)
	return err
}

// ProfileFill is what an identity knows about its person.
type ProfileFill struct {
	GivenName, FamilyName, Name, Picture, Locale *string
}

// FillUserProfile sets the user's empty profile fields from p, leaving set
// ones alone. It reports whether anything changed.
func (s *Store) FillUserProfile(ctx context.Context, userID string, p ProfileFill, at time.Time) (bool, error) {
	var u model.User
	err := s.get(ctx, &u, identityQueries.FillProfile, userID, p.GivenName, p.FamilyName, p.Name, p.Picture, p.Locale, at)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// MarkUserEmailVerified records that the user proved email, their address.
// It reports whether the address was unverified until now; when the user's
// address is no longer email (changed meanwhile), nothing changes.
func (s *Store) MarkUserEmailVerified(ctx context.Context, userID, email string, at time.Time) (bool, error) {
	var u model.User
	err := s.get(ctx, &u, identityQueries.MarkEmailVerified, userID, at, email)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// RemoveUnprovenSignIns deletes what let people in without proving the
// user's email — the password credential, PASSWORD identities and
// identities whose email was not verified — and says how many of each.
func (s *Store) RemoveUnprovenSignIns(ctx context.Context, userID string) (passwords, identities int, err error) {
	var row struct {
		Passwords  int `db:"passwords"`
		Identities int `db:"identities"`
	}
	err = s.get(ctx, &row, identityQueries.RemoveUnprovenSignIns, userID)
	return row.Passwords, row.Identities, err
}

// DeleteIdentity removes one identity.
func (s *Store) DeleteIdentity(ctx context.Context, id string) error {
	_, err := s.exec(ctx, identityQueries.Delete, id)
	return err
}
