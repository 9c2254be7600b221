package store

import (
	"context"
	"time"

	"github.com/lib/pq"

	"roster/internal/ids"
	"roster/internal/model"
)

// End users' hosted sign-in (internal/enduser): their sessions, the tokens
// of email links and codes, password credentials and the shared rate limiter.

var enduserQueries struct {
	InsertSession      string `query:"insert-user-session"`
	LiveSessionByToken string `query:"get-live-user-session-by-token"`
	TouchSession       string `query:"touch-user-session"`
	EndSessionByToken  string `query:"end-user-session-by-token"`
	SetSessionOrg      string `query:"set-session-organization"`
	LockActiveMember   string `query:"lock-active-membership"`
	SetPrimaryProvider string `query:"set-primary-identity-provider"`
	SetLastLogin       string `query:"set-user-last-login"`
	InsertToken        string `query:"insert-signin-token"`
	GetToken           string `query:"get-signin-token"`
	LockToken          string `query:"lock-signin-token"`
	CountAttempt       string `query:"count-token-attempt"`
	ConsumeToken       string `query:"consume-signin-token"`
	UseTokenByID       string `query:"use-token-by-id"`
	RevokeOpenEmail    string `query:"revoke-open-email-tokens"`
	PasswordHash       string `query:"get-password-hash"`
	UpsertPassword     string `query:"upsert-password"`
	HitRateLimit       string `query:"hit-rate-limit"`
	PurgeRateLimits    string `query:"purge-rate-limits"`
	AppName            string `query:"get-app-name"`
	CountActiveMember  string `query:"count-active-memberships"`
}

func init() { loadQueries("enduser.sql", &enduserQueries) }

// UserSession is a live end-user session as hosted pages need it.
type UserSession struct {
	ID                string    `db:"id"`
	UserID            string    `db:"user_id"`
	Email             string    `db:"email"`
	OrganizationID    *string   `db:"organization_id"`
	OrganizationName  *string   `db:"organization_name"`
	AuthMethod        *string   `db:"auth_method"`
	Status            string    `db:"status"`
	CreatedAt         time.Time `db:"created_at"`
	LastActiveAt      time.Time `db:"last_active_at"`
	IdleExpiresAt     time.Time `db:"idle_expires_at"`
	AbsoluteExpiresAt time.Time `db:"absolute_expires_at"`

	AuthOrgs pq.StringArray `db:"authenticated_organizations"`
}

// NewUserSession is what InsertUserSession stores.
type NewUserSession struct {
	ID, UserID, AuthMethod string
	OrganizationID         *string
	IP, UserAgent          *string
	CreatedAt              time.Time
	IdleExpiresAt          time.Time
	AbsoluteExpiresAt      time.Time
}

// InsertUserSession stores an ACTIVE session with the SHA-256 of its token;
// its current organization, if any, counts as authenticated.
func (s *Store) InsertUserSession(ctx context.Context, n NewUserSession, tokenHash []byte) error {
	if _, err := s.exec(ctx, enduserQueries.InsertSession, n.ID, tokenHash, n.UserID, n.OrganizationID,
		n.IP, n.UserAgent, n.AuthMethod, n.CreatedAt, n.IdleExpiresAt, n.AbsoluteExpiresAt); err != nil {
		return err
	}
	if n.OrganizationID == nil {
		return nil
	}
	return s.AddSessionOrganization(ctx, n.ID, *n.OrganizationID, n.CreatedAt)
}

// AddSessionOrganization records that the session has signed in to orgID.
func (s *Store) AddSessionOrganization(ctx context.Context, sessionID, orgID string, at time.Time) error {
	_, err := s.exec(ctx, sessionQueries.InsertOrg, sessionID, orgID, at)
	return err
}

// LiveUserSessionByToken returns the session whose token has this hash if it
// is ACTIVE and not past either expiry at now.
func (s *Store) LiveUserSessionByToken(ctx context.Context, tokenHash []byte, now time.Time) (UserSession, error) {
	var us UserSession
	return us, found(s.get(ctx, &us, enduserQueries.LiveSessionByToken, tokenHash, now), "session")
}

// TouchUserSession records activity at now and slides the idle expiry; it
// writes only when the last write is a minute old.
func (s *Store) TouchUserSession(ctx context.Context, id string, now time.Time) error {
	_, err := s.exec(ctx, enduserQueries.TouchSession, id, now)
	return err
}

// EndedSession is what ending a session by its token reports.
type EndedSession struct {
	ID             string  `db:"id"`
	UserID         string  `db:"user_id"`
	OrganizationID *string `db:"organization_id"`
	Status         string  `db:"status"`
}

// EndUserSessionByToken ends the ACTIVE session of the token with status
// (LOGOUT, REVOKED), or as EXPIRED if its time was already up. Not found
// when there is no such live session.
func (s *Store) EndUserSessionByToken(ctx context.Context, tokenHash []byte, status string, at time.Time) (EndedSession, error) {
	var e EndedSession
	return e, found(s.get(ctx, &e, enduserQueries.EndSessionByToken, tokenHash, at, status), "session")
}

// SetSessionOrganization makes orgID (nil: none) the session's current org.
func (s *Store) SetSessionOrganization(ctx context.Context, sessionID string, orgID *string) (bool, error) {
	n, err := s.exec(ctx, enduserQueries.SetSessionOrg, sessionID, orgID)
	return n == 1, err
}

// LockActiveMembership holds the user's ACTIVE membership of orgID until the
// transaction ends; not found when there is none.
func (s *Store) LockActiveMembership(ctx context.Context, userID, orgID string) error {
	var id string
	return found(s.get(ctx, &id, enduserQueries.LockActiveMember, userID, orgID), "membership")
}

// SetPrimaryIdentityProvider records the kind of sign-in the user last used
// for the org.
func (s *Store) SetPrimaryIdentityProvider(ctx context.Context, userID, orgID, kind string) error {
	_, err := s.exec(ctx, enduserQueries.SetPrimaryProvider, userID, orgID, kind)
	return err
}

// SetUserLastLogin records a sign-in time.
func (s *Store) SetUserLastLogin(ctx context.Context, userID string, at time.Time) error {
	_, err := s.exec(ctx, enduserQueries.SetLastLogin, userID, at)
	return err
}

// SignInToken is the stored half of an email link, code, reset or
// verification: hashes only.
type SignInToken struct {
	ID          string           `db:"id"`
	Purpose     string           `db:"purpose"`
	Email       *string          `db:"email"`
	UserID      *string          `db:"user_id"`
	Data        model.JSONObject `db:"data"`
	Attempts    int              `db:"attempts"`
	MaxAttempts int              `db:"max_attempts"`
	CodeHash    []byte           `db:"code_hash"`
	ExpiresAt   time.Time        `db:"expires_at"`
	UsedAt      *time.Time       `db:"used_at"`
	RevokedAt   *time.Time       `db:"revoked_at"`

	Hash      []byte    `db:"-"` // on insert only
	CreatedAt time.Time `db:"-"` // on insert only
}

// InsertSignInToken stores a token. MaxAttempts 0 means the table's default.
func (s *Store) InsertSignInToken(ctx context.Context, t SignInToken) error {
	if t.MaxAttempts == 0 {
		t.MaxAttempts = 5
	}
	if t.Data == nil {
		t.Data = model.JSONObject{}
	}
	_, err := s.exec(ctx, enduserQueries.InsertToken, ids.New(ids.Token), t.Purpose, t.Hash, t.CodeHash,
		t.MaxAttempts, t.Email, t.UserID, t.Data, t.CreatedAt, t.ExpiresAt)
	return err
}

// SignInTokenByHash returns the token of purpose with this hash, used or not.
func (s *Store) SignInTokenByHash(ctx context.Context, hash []byte, purpose string) (SignInToken, error) {
	var t SignInToken
	return t, found(s.get(ctx, &t, enduserQueries.GetToken, hash, purpose), "token")
}

// LockSignInToken is SignInTokenByHash holding the row until the
// transaction ends.
func (s *Store) LockSignInToken(ctx context.Context, hash []byte, purpose string) (SignInToken, error) {
	var t SignInToken
	return t, found(s.get(ctx, &t, enduserQueries.LockToken, hash, purpose), "token")
}

// CountTokenAttempt adds one to the token's attempts.
func (s *Store) CountTokenAttempt(ctx context.Context, id string) error {
	_, err := s.exec(ctx, enduserQueries.CountAttempt, id)
	return err
}

// ConsumeSignInToken marks the token used if it is unused, not revoked and
// not expired at now, and returns it; not found otherwise.
func (s *Store) ConsumeSignInToken(ctx context.Context, hash []byte, purpose string, now time.Time) (SignInToken, error) {
	var t SignInToken
	return t, found(s.get(ctx, &t, enduserQueries.ConsumeToken, hash, purpose, now), "token")
}

// UseSignInToken marks a token (already locked by the caller) used.
func (s *Store) UseSignInToken(ctx context.Context, id string, at time.Time) error {
	_, err := s.exec(ctx, enduserQueries.UseTokenByID, id, at)
	return err
}

// RevokeOpenEmailTokens revokes the unused tokens of these purposes sent to
// email, whatever its case.
func (s *Store) RevokeOpenEmailTokens(ctx context.Context, email string, purposes []string, at time.Time) error {
	_, err := s.exec(ctx, enduserQueries.RevokeOpenEmail, email, pq.StringArray(purposes), at)
	return err
}

// PasswordHash returns the user's password hash; not found when the user
// has no password.
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	var h string
	return h, found(s.get(ctx, &h, enduserQueries.PasswordHash, userID), "password")
}

// SetPasswordHash stores (or replaces) the user's password hash.
func (s *Store) SetPasswordHash(ctx context.Context, userID, hash string, at time.Time) error {
	_, err := s.exec(ctx, enduserQueries.UpsertPassword, userID, hash, at)
	return err
}

// HitRateLimit counts one hit on key in the window starting at
// windowStart and returns the window's count, this hit included.
func (s *Store) HitRateLimit(ctx context.Context, key string, windowStart time.Time) (int, error) {
	var n int
	return n, s.get(ctx, &n, enduserQueries.HitRateLimit, key, windowStart)
}

// PurgeRateLimits forgets windows that started before before.
func (s *Store) PurgeRateLimits(ctx context.Context, before time.Time) error {
	_, err := s.exec(ctx, enduserQueries.PurgeRateLimits, before)
	return err
}

// AppName is the product name hosted pages show.
func (s *Store) AppName(ctx context.Context) (string, error) {
	var name string
	return name, found(s.get(ctx, &name, enduserQueries.AppName), "environment settings")
}

// ActiveMembershipCount counts the orgs the user may sign in to.
func (s *Store) ActiveMembershipCount(ctx context.Context, userID string) (int, error) {
	var n int
	return n, s.get(ctx, &n, enduserQueries.CountActiveMember, userID)
}
