// Package store is Roster's only way into PostgreSQL. One file per aggregate
// (organizations.go, users.go, …) holds its methods; the SQL sits beside it in
// a .sql file of the same name, one query under each "-- name:" header.
//
// Methods take a context, return typed errors from internal/apperr and never
// speak HTTP. Business rules live in the services that call the store.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"roster/internal/secretbox"
)

// Store runs queries on the database or, inside InTx, on one transaction.
type Store struct {
	db      *sqlx.DB
	q       sqlx.ExtContext // db, or the transaction when inside InTx
	inTx    bool
	mailBox *secretbox.Box // seals mail bodies; nil until WithMailKey
}

// New returns a Store on db.
func New(db *sqlx.DB) *Store {
	return &Store{db: db, q: db}
}

// DB gives the underlying pool (health checks, benchmarks).
func (s *Store) DB() *sqlx.DB { return s.db }

// InTx runs fn in one transaction: every write fn makes commits together or
// not at all. Nested calls join the outer transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.inTx {
		return fn(s)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(&Store{db: s.db, q: tx, inTx: true, mailBox: s.mailBox}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapError(err))
	}
	return nil
}

// InSavepoint runs fn as InTx does, and inside a transaction already open
// it runs fn within a savepoint: when fn fails, only what fn wrote is
// undone and the transaction goes on, where a failed statement would
// otherwise abort it.
func (s *Store) InSavepoint(ctx context.Context, fn func(tx *Store) error) error {
	if !s.inTx {
		return s.InTx(ctx, fn)
	}
	if _, err := s.q.ExecContext(ctx, "SAVEPOINT roster_step"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(s); err != nil {
		if _, rerr := s.q.ExecContext(ctx, "ROLLBACK TO SAVEPOINT roster_step; RELEASE SAVEPOINT roster_step"); rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back to savepoint: %w", rerr))
		}
		return err
	}
	if _, err := s.q.ExecContext(ctx, "RELEASE SAVEPOINT roster_step"); err != nil {
		return fmt.Errorf("release savepoint: %w", mapError(err))
	}
	return nil
}

func (s *Store) get(ctx context.Context, dst any, query string, args ...any) error {
	return mapError(sqlx.GetContext(ctx, s.q, dst, query, args...))
}

func (s *Store) selectAll(ctx context.Context, dst any, query string, args ...any) error {
	return mapError(sqlx.SelectContext(ctx, s.q, dst, query, args...))
}

func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, mapError(err)
	}
	return res.RowsAffected()
}

// found turns sql.ErrNoRows into a not-found error naming what was missing.
func found(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what)
	}
	return err
}
