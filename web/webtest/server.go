// Package webtest runs the whole HTTP application in tests: a server on a
// real port against a fresh database (NewServer), console and visitor
// clients that speak its forms and cookies, an API client whose every
// answer is checked against the OpenAPI document, and the outbox of a
// test server. It sits beside web, not in internal/testkit, so that tests
// of internal packages never link the web server.
package webtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"

	"roster/internal/clock"
	"roster/internal/config"
	"roster/internal/database"
	"roster/internal/store"
	"roster/internal/testkit"
	"roster/web"
)

// Server is the whole HTTP application (web.New) listening on a real
// 127.0.0.1 port, against a fresh database, with a fake clock.
type Server struct {
	URL   string // "http://127.0.0.1:port", no trailing slash; also the PublicURL unless set with WithEnv
	DB    *sqlx.DB
	Store *store.Store // on DB, sealing and opening mail with the server's key
	Clock *clock.Fake
	Deps  web.Deps
	Echo  *echo.Echo

	logs *testkit.SyncBuffer
}

// ServerOption changes how NewServer builds the server.
type ServerOption func(*serverOptions)

type serverOptions struct {
	dbURL  string
	env    map[string]string
	deps   []func(*web.Deps)
	routes []func(*echo.Echo)
}

// WithEnv sets a setting as if it were an environment variable read by
// config.Load (e.g. WithEnv("ROSTER_LOG_LEVEL", "debug")).
func WithEnv(name, value string) ServerOption {
	return func(o *serverOptions) { o.env[name] = value }
}

// WithDatabaseURL serves from the database at url (say a DBLink's) instead
// of a new one.
func WithDatabaseURL(url string) ServerOption {
	return func(o *serverOptions) { o.dbURL = url }
}

// WithEnvs sets several settings at once (see WithEnv), e.g. an identity
// provider's (testkit.OIDCProvider.Settings).
func WithEnvs(env map[string]string) ServerOption {
	return func(o *serverOptions) {
		for name, value := range env {
			o.env[name] = value
		}
	}
}

// WithDeps edits the dependencies before web.New sees them.
func WithDeps(f func(*web.Deps)) ServerOption {
	return func(o *serverOptions) { o.deps = append(o.deps, f) }
}

// WithRoutes adds routes (say, one that panics) before the server starts
// serving, so adding them does not race with requests.
func WithRoutes(f func(*echo.Echo)) ServerOption {
	return func(o *serverOptions) { o.routes = append(o.routes, f) }
}

// NewServer starts the application for one test and stops it at cleanup.
// Its log is kept in memory and printed only if the test fails; Logs returns
// it for tests that check what was logged.
func NewServer(t testing.TB, opts ...ServerOption) *Server {
	t.Helper()
	o := serverOptions{env: map[string]string{}}
	for _, opt := range opts {
		opt(&o)
	}

	// Listen first: the public URL must name the real port, because links,
	// redirects and OIDC issuers are built from it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("webtest: listen: %v", err)
	}
	addr := ln.Addr().String()
	key := make([]byte, 32)
	rand.Read(key)
	env := map[string]string{
		"ROSTER_ADDR":       addr,
		"ROSTER_PUBLIC_URL": "http://" + addr,
		"ROSTER_SECRET_KEY": hex.EncodeToString(key),
		"ROSTER_DATA_DIR":   t.TempDir(),
	}
	for k, v := range o.env {
		env[k] = v
	}
	cfg, err := config.Load(func(name string) string { return env[name] })
	if err != nil {
		ln.Close()
		t.Fatalf("webtest: config: %v", err)
	}

	s := &Server{
		// Not cfg.PublicURL: a test may set that to https://… to check
		// production behaviour, and still reaches the server here.
		URL:   "http://" + addr,
		Clock: clock.NewFake(testkit.Epoch),
		logs:  &testkit.SyncBuffer{},
	}
	if o.dbURL == "" {
		s.DB = testkit.NewDB(t)
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s.DB, err = database.Open(ctx, o.dbURL, 5)
		cancel()
		if err != nil {
			ln.Close()
			t.Fatalf("webtest: %v", err)
		}
		t.Cleanup(func() { s.DB.Close() })
	}
	s.Deps = web.Deps{
		DB:        s.DB,
		Config:    cfg,
		Log:       slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: cfg.LogLevel})),
		Clock:     s.Clock,
		SecretKey: cfg.SecretKey,
	}
	for _, f := range o.deps {
		f(&s.Deps)
	}
	s.Store = store.New(s.DB).WithMailKey(s.Deps.SecretKey)
	s.Echo = web.New(s.Deps)
	for _, f := range o.routes {
		f(s.Echo)
	}

	srv := &http.Server{Handler: s.Echo, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	// Registered after testkit.NewDB's cleanups, so it runs first: no request is in
	// flight when the database goes away.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("testkit: shut down the server: %v", err)
		}
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("testkit: serve: %v", err)
		}
		if t.Failed() {
			t.Logf("testkit: server log:\n%s", s.logs.String())
		}
	})
	return s
}

// Logs returns everything the server logged so far.
func (s *Server) Logs() string { return s.logs.String() }
