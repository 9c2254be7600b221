package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

var passwordFailureQueries struct {
	Lock       string `query:"password-lock"`
	Record     string `query:"record-password-failure"`
	LockPair   string `query:"lock-password-pair"`
	ClearPair  string `query:"clear-password-pair"`
	ClearEmail string `query:"clear-password-failures"`
	Purge      string `query:"purge-password-failures"`
}

func init() { loadQueries("password_failures.sql", &passwordFailureQueries) }

// PasswordLock returns until when password attempts at emailKey from
// network wait, or nil when they need not.
func (s *Store) PasswordLock(ctx context.Context, emailKey, network string) (*time.Time, error) {
	var until *time.Time
	err := s.get(ctx, &until, passwordFailureQueries.Lock, emailKey, network)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return until, err
}

// RecordPasswordFailure counts a wrong password at emailKey from network at
// `at`, starting the count again if the last one was before forgetBefore,
// and returns the count.
func (s *Store) RecordPasswordFailure(ctx context.Context, emailKey, network string, at, forgetBefore time.Time) (int, error) {
	var n int
	return n, s.get(ctx, &n, passwordFailureQueries.Record, emailKey, network, at, forgetBefore)
}

// LockPasswordPair makes attempts at emailKey from network wait until until.
func (s *Store) LockPasswordPair(ctx context.Context, emailKey, network string, until time.Time) error {
	_, err := s.exec(ctx, passwordFailureQueries.LockPair, emailKey, network, until)
	return err
}

// ClearPasswordPair forgets the failures at emailKey from network.
func (s *Store) ClearPasswordPair(ctx context.Context, emailKey, network string) error {
	_, err := s.exec(ctx, passwordFailureQueries.ClearPair, emailKey, network)
	return err
}

// ClearPasswordFailures forgets every failure at emailKey.
func (s *Store) ClearPasswordFailures(ctx context.Context, emailKey string) error {
	_, err := s.exec(ctx, passwordFailureQueries.ClearEmail, emailKey)
	return err
}

// PurgePasswordFailures forgets failures last seen before before.
func (s *Store) PurgePasswordFailures(ctx context.Context, before time.Time) error {
	_, err := s.exec(ctx, passwordFailureQueries.Purge, before)
	return err
}
