package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/secretbox"
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

// mailBodyLabel keys the seal of mail bodies (see secretbox).
const mailBodyLabel = "roster/email-outbox/body"

// WithMailKey returns the store with the key that seals mail bodies in the
// outbox, derived from the server's secret key. A store without one cannot
// queue mail, and reads bodies as unreadable.
func (s *Store) WithMailKey(secretKey []byte) *Store {
	c := *s
	c.mailBox = secretbox.New(secretKey, mailBodyLabel)
	return &c
}

// ErrNoMailKey says a store was built without WithMailKey.
var ErrNoMailKey = errors.New("store: no key to seal mail with (WithMailKey)")

// mailBody is what a sealed body holds.
type mailBody struct {
	Text string `json:"text"`
	HTML string `json:"html,omitempty"`
}

// QueueEmail writes a mail to the outbox. Call it in the transaction of the
// change that causes it: the mail goes out if and only if the change commits.
//
// Bodies carry live links, so the body is sealed with the server's secret
// key (bound to the mail's id) and the worker wipes it once the mail is
// sent: a copy of the database holds no link of a delivered mail, and no
// readable link at all unless it also holds the key.
func (s *Store) QueueEmail(ctx context.Context, e Email, at time.Time) error {
	if s.mailBox == nil {
		return ErrNoMailKey
	}
	id := ids.New(ids.Email)
	plain, err := json.Marshal(mailBody{Text: e.Text, HTML: e.HTML})
	if err != nil {
		return fmt.Errorf("encode mail body: %w", err)
	}
	_, err = s.exec(ctx, outboxQueries.InsertEmail, id, e.To, e.ToName, e.Subject,
		s.mailBox.Seal(plain, []byte(id)), e.Kind, e.OrganizationID, at)
	return err
}

// openBody fills m's Text and HTML from its sealed body. A mail whose body
// cannot be opened (sealed under another secret key, or this store has
// none) is marked Unreadable. Mails queued before bodies were sealed keep
// theirs in the clear until sent.
func (s *Store) openBody(m *OutboxEmail) {
	if m.Sealed == nil {
		return
	}
	if s.mailBox == nil {
		m.Unreadable = true
		return
	}
	plain, err := s.mailBox.Open(m.Sealed, []byte(m.ID))
	var b mailBody
	if err == nil {
		err = json.Unmarshal(plain, &b)
	}
	if err != nil {
		m.Unreadable = true
		return
	}
	m.Text, m.HTML = b.Text, b.HTML
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
