// Package database opens Roster's PostgreSQL connection pool, applies the
// embedded schema migrations and keeps the instance secret key.
package database

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // registers the "postgres" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"roster/migrations"
)

// Open connects to the database at url with at most maxConns connections
// and checks that it answers.
//
// While the server is away the pool needs no help: database/sql drops
// connections that broke and dials new ones for the next query, so Roster
// answers 503 meanwhile (Unavailable) and serves again once it is back.
func Open(ctx context.Context, url string, maxConns int) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", withConnectTimeout(url))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redact(url), err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	// Recycle connections now and then so a restarted server or a moved
	// address (failover behind a DNS name) is picked up.
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database %s: %w", redact(url), err)
	}
	return db, nil
}

// connectTimeout bounds one connection attempt, unless the URL (or
// PGCONNECT_TIMEOUT) says otherwise. Without it a server behind a network
// that drops packets holds each request for the system's TCP timeout
// (minutes) instead of letting it fail fast with a 503.
const connectTimeout = "5"

// withConnectTimeout adds connect_timeout to a lib/pq URL or key=value
// string that has none.
func withConnectTimeout(dsn string) string {
	if os.Getenv("PGCONNECT_TIMEOUT") != "" {
		return dsn
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn // sqlx.Open reports it
		}
		q := u.Query()
		if q.Get("connect_timeout") == "" {
			q.Set("connect_timeout", connectTimeout)
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	if strings.Contains(dsn, "connect_timeout=") {
		return dsn
	}
	return strings.TrimSpace(dsn + " connect_timeout=" + connectTimeout)
}

// redact hides the password of a database URL in messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// provider builds a goose provider over the embedded migrations. Its
// session lock (a PostgreSQL advisory lock) makes replicas that start
// together take turns, so each migration runs once.
func provider(db *sqlx.DB) (*goose.Provider, error) {
	// Ask for the lock every second, for up to five minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db.DB, migrations.FS, goose.WithSessionLocker(locker))
}

// Migrate applies every pending migration.
func Migrate(ctx context.Context, db *sqlx.DB) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	return nil
}

// MigrationStatus says whether one migration file has been applied.
type MigrationStatus struct {
	Version   int64
	Name      string // file name, e.g. 00001_foundations.sql
	Applied   bool
	AppliedAt time.Time // zero when not applied
}

// Status lists every migration in version order.
func Status(ctx context.Context, db *sqlx.DB) ([]MigrationStatus, error) {
	p, err := provider(db)
	if err != nil {
		return nil, err
	}
	list, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]MigrationStatus, len(list))
	for i, s := range list {
		out[i] = MigrationStatus{
			Version:   s.Source.Version,
			Name:      s.Source.Path,
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		}
	}
	return out, nil
}

// ErrNothingToRollBack is returned by Down when no migration is applied.
var ErrNothingToRollBack = errors.New("no migration to roll back")

// Down rolls back the most recent migration and returns its file name.
func Down(ctx context.Context, db *sqlx.DB) (string, error) {
	p, err := provider(db)
	if err != nil {
		return "", err
	}
	res, err := p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return "", ErrNothingToRollBack
	}
	if err != nil {
		return "", fmt.Errorf("roll back migration: %w", err)
	}
	return res.Source.Path, nil
}

// SecretKey returns the instance's 32-byte secret key, made on first use.
// Replicas racing to make it all end up with the one that was stored first.
func SecretKey(ctx context.Context, db *sqlx.DB) ([]byte, error) {
	candidate := make([]byte, 32)
	if _, err := rand.Read(candidate); err != nil {
		return nil, err
	}
	_, err := db.ExecContext(ctx, `
		INSERT INTO instance_secrets (name, value) VALUES ('secret_key', $1)
		ON CONFLICT (name) DO NOTHING`, candidate)
	if err != nil {
		return nil, fmt.Errorf("store secret key: %w", err)
	}
	var key []byte
	if err := db.GetContext(ctx, &key, `SELECT value FROM instance_secrets WHERE name = 'secret_key'`); err != nil {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	return key, nil
}
