package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"roster/internal/model"
)

var userQueries struct {
	Insert          string `query:"insert-user"`
	Get             string `query:"get-user"`
	Lock            string `query:"lock-user"`
	GetByEmail      string `query:"get-user-by-email"`
	GetByExternalID string `query:"get-user-by-external-id"`
	Update          string `query:"update-user"`
	Delete          string `query:"delete-user"`
	RevokeOldTokens string `query:"revoke-tokens-of-old-address"`
	DeleteInbox     string `query:"delete-inbox-identities"`
	ListForward     string `query:"list-users-forward"`
	ListBackward    string `query:"list-users-backward"`
	Count           string `query:"count-users"`
	Search          string `query:"search-users"`
	Identities      string `query:"list-identities"`
}

func init() { loadQueries("users.sql", &userQueries) }

// InsertUser creates u unless a user with the same email exists, in which
// case created is false and the existing user comes back.
func (s *Store) InsertUser(ctx context.Context, u model.User) (out model.User, created bool, err error) {
	err = s.get(ctx, &out, userQueries.Insert, u.ID, u.Email, u.EmailVerified, u.ExternalID,
		u.GivenName, u.FamilyName, u.Name, u.Locale, u.Picture, u.PhoneNumber,
		u.CustomAttributes, u.Metadata, u.CreatedAt)
	if err == nil {
		return out, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return out, false, err
	}
	// The email was taken: by a committed user, or by a parallel insert that
	// has committed by now, since ON CONFLICT waited for it.
	out, err = s.UserByEmail(ctx, u.Email)
	return out, false, err
}

// User returns the user with id (without memberships).
func (s *Store) User(ctx context.Context, id string) (model.User, error) {
	var u model.User
	return u, found(s.get(ctx, &u, userQueries.Get, id), "user")
}

// LockUser returns the user with id and holds their row lock until the
// transaction ends.
func (s *Store) LockUser(ctx context.Context, id string) (model.User, error) {
	var u model.User
	return u, found(s.get(ctx, &u, userQueries.Lock, id), "user")
}

// UserByEmail finds a user by email, whatever its case.
func (s *Store) UserByEmail(ctx context.Context, email string) (model.User, error) {
	var u model.User
	return u, found(s.get(ctx, &u, userQueries.GetByEmail, email), "user")
}

// UserByExternalID finds a user by the customer's id.
func (s *Store) UserByExternalID(ctx context.Context, externalID string) (model.User, error) {
	var u model.User
	return u, found(s.get(ctx, &u, userQueries.GetByExternalID, externalID), "user")
}

// UpdateUser writes every editable field of u.
func (s *Store) UpdateUser(ctx context.Context, u model.User) (model.User, error) {
	var out model.User
	err := s.get(ctx, &out, userQueries.Update, u.ID, u.Email, u.EmailVerified, u.ExternalID,
		u.GivenName, u.FamilyName, u.Name, u.Locale, u.Picture, u.PhoneNumber,
		u.CustomAttributes, u.Metadata, u.UpdatedAt)
	return out, found(err, "user")
}

// RevokeTokensOfOldAddress ends every open link and code that reaches the
// user through oldEmail, their address until now, and says how many.
func (s *Store) RevokeTokensOfOldAddress(ctx context.Context, userID, oldEmail string, at time.Time) (int64, error) {
	return s.exec(ctx, userQueries.RevokeOldTokens, userID, oldEmail, at)
}

// DeleteInboxIdentities removes the user's EMAIL identities and says how many.
func (s *Store) DeleteInboxIdentities(ctx context.Context, userID string) (int64, error) {
	return s.exec(ctx, userQueries.DeleteInbox, userID)
}

// DeleteUser deletes the user with their identities, memberships and sessions.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	n, err := s.exec(ctx, userQueries.Delete, id)
	if err == nil && n == 0 {
		return notFound("user")
	}
	return err
}

// ListUsers returns one keyset page of every user.
func (s *Store) ListUsers(ctx context.Context, page PageRequest) ([]model.User, PageInfo, error) {
	size, cur, err := page.Parse()
	if err != nil {
		return nil, PageInfo{}, err
	}
	forward, t, id := keysetArgs(cur)
	q := userQueries.ListForward
	if !forward {
		q = userQueries.ListBackward
	}
	var rows []model.User
	if err := s.selectAll(ctx, &rows, q, t, id, size+1); err != nil {
		return nil, PageInfo{}, err
	}
	rows, info := finishPage(rows, size, cur, userKey)
	if info.TotalSize, err = s.cappedCount(ctx, "users", userQueries.Count); err != nil {
		return nil, PageInfo{}, err
	}
	return rows, info, nil
}

// SearchUsers finds users whose email or name contains query, one page at a
// time forward. total_size is not counted for searches.
func (s *Store) SearchUsers(ctx context.Context, query string, page PageRequest) ([]model.User, PageInfo, error) {
	size, cur, err := page.Parse()
	if err != nil {
		return nil, PageInfo{}, err
	}
	if cur != nil && cur.Backward {
		cur = &Cursor{CreatedAt: cur.CreatedAt, ID: cur.ID} // searches page forward only
	}
	_, t, id := keysetArgs(cur)
	var rows []model.User
	if err := s.selectAll(ctx, &rows, userQueries.Search, likeEscape(query), t, id, size+1); err != nil {
		return nil, PageInfo{}, err
	}
	rows, info := finishPage(rows, size, cur, userKey)
	info.PrevToken = ""
	info.TotalSize = len(rows)
	return rows, info, nil
}

// Identities lists the ways a user signs in.
func (s *Store) Identities(ctx context.Context, userID string) ([]model.Identity, error) {
	var out []model.Identity
	return out, s.selectAll(ctx, &out, userQueries.Identities, userID)
}

func userKey(u model.User) (time.Time, string) { return u.CreatedAt, u.ID }

// likeEscape lowercases q and escapes LIKE's wildcards so they match literally.
func likeEscape(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(strings.ToLower(q))
}
