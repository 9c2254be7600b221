package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"roster/internal/clock"
	"roster/internal/config"
	"roster/internal/database"
	"roster/internal/invitations"
	"roster/internal/mail"
	"roster/internal/store"
	"roster/web"
)

func init() {
	register(&command{name: "serve", summary: "Run the web server (the default command)", run: runServe})
}

func runServe(ctx context.Context, args []string) error {
	fs := newFlags("serve", "Runs Roster's web server until SIGINT or SIGTERM, migrating the database first.\nWithout DATABASE_URL it runs a private PostgreSQL in ROSTER_DATA_DIR.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, log, err := loadConfig()
	if err != nil {
		return err
	}
	log.Info("starting Roster", "version", versionString())

	// Bind first: a taken port fails at once, before any database work.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if cfg.PublicURL.Port() == "0" { // ROSTER_ADDR asked for any free port
		cfg.PublicURL.Host = net.JoinHostPort(cfg.PublicURL.Hostname(), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}

	db, closeDB, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := database.Migrate(ctx, db); err != nil {
		return err
	}
	forget, err := recordServing(ctx, db, cfg.PublicURL.String(), log)
	if err != nil {
		return err
	}
	defer forget() // before closeDB, deferred earlier
	key := cfg.SecretKey
	if key == nil {
		if key, err = database.SecretKey(ctx, db); err != nil {
			return err
		}
	}

	handler := web.New(web.Deps{DB: db, Config: cfg, Log: log, Clock: clock.Real{}, SecretKey: key})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second, // slow clients must not pin connections
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	// Background work lives as long as this context: cancelled at shutdown,
	// after the last request has been answered.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	waitWork := startWorkers(workCtx, db, cfg, key, log)

	// Said before serving, so whoever sees /readyz answer has seen the URL.
	fmt.Printf("Roster is running at %s\n", cfg.PublicURL)
	if cfg.AdminOIDCIssuer == "" {
		if err := printSetupLink(ctx, os.Stdout, db, cfg); err != nil {
			log.Error("making the setup sign-in link", "err", err)
		}
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		stopWork()
		waitWork()
		return fmt.Errorf("web server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("requests still running at the shutdown timeout were cut off", "err", err)
		srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("web server", "err", err)
	}
	stopWork()
	waitWork()
	log.Info("stopped")
	return nil // closeDB, deferred, stops PostgreSQL if we started it
}

// recordServing notes in the database the address this process answers
// at, so that `roster admin login-link`, run in another shell without the
// server's settings, prints a link that reaches it (servingURL). forget
// removes the note, at a clean stop; a crashed process's note is simply
// older than the next one's.
func recordServing(ctx context.Context, db *sqlx.DB, publicURL string, log *slog.Logger) (forget func(), err error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	id := hex.EncodeToString(b[:])
	st := store.New(db)
	if err := st.RecordServing(ctx, id, publicURL, time.Now()); err != nil {
		return nil, fmt.Errorf("record the serving address: %w", err)
	}
	return func() {
		// ctx is cancelled by now (the signal that stops us): use our own.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := st.ForgetServing(ctx, id); err != nil {
			log.Warn("forgetting the serving address", "err", err)
		}
	}, nil
}

// servingURL is the address sign-in links printed outside `roster serve`
// start with: ROSTER_PUBLIC_URL when set; else the address of the newest
// running `roster serve` on this database; else, with none running, where
// serve would listen by ROSTER_ADDR (running says which).
func servingURL(ctx context.Context, db *sqlx.DB, cfg config.Config) (u *url.URL, running bool, err error) {
	if cfg.PublicURLSet {
		return cfg.PublicURL, true, nil
	}
	v, ok, err := store.New(db).NewestServing(ctx)
	if err != nil || !ok {
		return cfg.PublicURL, false, err
	}
	if u, err = url.Parse(v.PublicURL); err != nil {
		return nil, false, fmt.Errorf("the serving address %q: %w", v.PublicURL, err)
	}
	return u, true, nil
}

// startWorkers starts the background jobs that run beside the web server:
// mail delivery and marking expired invitations (cleanups will come here). Each must return soon after ctx
// is cancelled; wait blocks until all have.
func startWorkers(ctx context.Context, db *sqlx.DB, cfg config.Config, key []byte, log *slog.Logger) (wait func()) {
	var wg sync.WaitGroup
	if cfg.SMTPURL == nil {
		log.Info("ROSTER_SMTP_URL is not set: mail is not sent; read it in the console at /dev/mailbox")
	} else {
		sender, err := mail.NewSMTPSender(mail.SMTPOptions{URL: cfg.SMTPURL, From: cfg.MailFrom})
		if err != nil {
			log.Error("mail is not sent", "err", err) // config.Load checked the URL: not expected
		} else {
			w := mail.NewWorker(store.New(db).WithMailKey(key), sender, clock.Real{}, log.With("worker", "mail"), mail.WorkerOptions{})
			wg.Go(func() { w.Run(ctx) })
		}
	}
	expiry := invitations.NewExpiryJob(store.New(db).WithMailKey(key), clock.Real{}, log.With("worker", "invitation-expiry"), invitations.ExpiryOptions{})
	wg.Go(func() { expiry.Run(ctx) })
	return wg.Wait
}
