package store

import (
	"context"
	"time"

	"roster/internal/ids"
	"roster/internal/model"
)

var outboxQueries struct {
	InsertEmail           string `query:"insert-email"`
	InsertToken           string `query:"insert-one-time-token"`
	RevokeMembershipToken string `query:"revoke-membership-tokens"`
}

func init() { loadQueries("outbox.sql", &outboxQueries) }

// Email is one message for the outbox.
type Email struct {
	To, ToName, Subject, Text, HTML, Kind string
	OrganizationID                        *string
}

// QueueEmail writes a mail to the outbox. Call it in the transaction of the
// change that causes it: the mail goes out if and only if the change commits.
func (s *Store) QueueEmail(ctx context.Context, e Email, at time.Time) error {
	_, err := s.exec(ctx, outboxQueries.InsertEmail, ids.New(ids.Email), e.To, e.ToName, e.Subject,
		e.Text, e.HTML, e.Kind, e.OrganizationID, at)
	return err
}

// OneTimeToken is a single-use secret's stored half: only the hash.
type OneTimeToken struct {
	Purpose        string
	Hash           []byte
	Email          string
	UserID         *string
	OrganizationID *string
	MembershipID   *string
	Data           model.JSONObject
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// InsertOneTimeToken stores a token's hash.
func (s *Store) InsertOneTimeToken(ctx context.Context, t OneTimeToken) error {
	_, err := s.exec(ctx, outboxQueries.InsertToken, ids.New(ids.Token), t.Purpose, t.Hash, t.Email,
		t.UserID, t.OrganizationID, t.MembershipID, t.Data, t.CreatedAt, t.ExpiresAt)
	return err
}

// RevokeInvitationTokens invalidates the membership's unused invitation links.
func (s *Store) RevokeInvitationTokens(ctx context.Context, membershipID string, at time.Time) error {
	_, err := s.exec(ctx, outboxQueries.RevokeMembershipToken, membershipID, at)
	return err
}
