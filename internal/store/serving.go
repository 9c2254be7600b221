package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

var servingQueries struct {
	Record string `query:"record-serving"`
	Forget string `query:"forget-serving"`
	Newest string `query:"newest-serving"`
}

func init() { loadQueries("serving.sql", &servingQueries) }

// Serving is a `roster serve` process as it recorded itself.
type Serving struct {
	PublicURL string    `db:"public_url"`
	StartedAt time.Time `db:"started_at"`
}

// RecordServing notes that the process id answers at publicURL.
func (s *Store) RecordServing(ctx context.Context, id, publicURL string, startedAt time.Time) error {
	_, err := s.exec(ctx, servingQueries.Record, id, publicURL, startedAt)
	return err
}

// ForgetServing removes the note of the process id, which is stopping.
func (s *Store) ForgetServing(ctx context.Context, id string) error {
	_, err := s.exec(ctx, servingQueries.Forget, id)
	return err
}

// NewestServing returns the most recently started process still noted;
// ok is false when none is.
func (s *Store) NewestServing(ctx context.Context) (Serving, bool, error) {
	var v Serving
	err := s.get(ctx, &v, servingQueries.Newest)
	if errors.Is(err, sql.ErrNoRows) {
		return v, false, nil
	}
	return v, err == nil, err
}
