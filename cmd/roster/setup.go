package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/jmoiron/sqlx"

	"roster/internal/config"
	"roster/internal/database"
	"roster/internal/pgcluster"
)

// loadConfig reads the settings from the environment and installs the
// logger they ask for as slog's default, for every command alike.
func loadConfig() (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return cfg, nil, err
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	log := slog.New(h)
	slog.SetDefault(log)
	return cfg, log, nil
}

// openDatabase connects to DATABASE_URL when set. Otherwise it runs (or
// attaches to) the private cluster in the data directory and uses its
// database "roster". closeFn closes the pool and stops the cluster if this
// process started it.
func openDatabase(ctx context.Context, cfg config.Config) (db *sqlx.DB, closeFn func(), err error) {
	if cfg.DatabaseURL != "" {
		db, err := database.Open(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close() }, nil
	}

	cluster, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: cfg.DataDir, Fsync: true, Log: slog.Default()})
	if err != nil {
		return nil, nil, err
	}
	stop := func() {
		if err := cluster.Stop(); err != nil {
			slog.Error("stopping PostgreSQL", "err", err)
		}
	}
	if err := cluster.CreateDatabase(ctx, "roster"); err != nil {
		stop()
		return nil, nil, err
	}
	db, err = database.Open(ctx, cluster.URL("roster"), cfg.DBMaxConns)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return db, func() { db.Close(); stop() }, nil
}

// openMigratedDatabase opens the database as openDatabase does and refuses
// one that lacks migrations: changing the schema is `roster migrate`'s job
// (or serve's, at start), not a side effect of listing organizations.
func openMigratedDatabase(ctx context.Context) (config.Config, *sqlx.DB, func(), error) {
	cfg, _, err := loadConfig()
	if err != nil {
		return cfg, nil, nil, err
	}
	db, closeDB, err := openDatabase(ctx, cfg)
	if err != nil {
		return cfg, nil, nil, err
	}
	list, err := database.Status(ctx, db)
	if err != nil {
		closeDB()
		return cfg, nil, nil, err
	}
	pending := 0
	for _, m := range list {
		if !m.Applied {
			pending++
		}
	}
	if pending > 0 {
		closeDB()
		return cfg, nil, nil, fmt.Errorf("the database lacks %d of this roster's migrations: run `roster migrate` first", pending)
	}
	// Links in mail the commands queue (invitations) must reach the
	// running server, wherever it listens.
	if cfg.PublicURL, _, err = servingURL(ctx, db, cfg); err != nil {
		closeDB()
		return cfg, nil, nil, err
	}
	// Commands that queue mail seal it with the server's key, the one from
	// the environment or, without one, the key kept in the database.
	if cfg.SecretKey == nil {
		if cfg.SecretKey, err = database.SecretKey(ctx, db); err != nil {
			closeDB()
			return cfg, nil, nil, err
		}
	}
	return cfg, db, closeDB, nil
}
