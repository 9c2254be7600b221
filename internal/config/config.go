// Package config reads Roster's settings from environment variables and
// checks them once at start, so a bad value stops the process with a message
// that names the setting instead of failing later in some request.
package config

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting. The README lists them with their defaults.
type Config struct {
	// DatabaseURL points at an existing PostgreSQL server. Empty means Roster
	// runs its own private cluster in DataDir.
	DatabaseURL string
	// Addr is the listen address of the HTTP server.
	Addr string
	// DataDir holds the private PostgreSQL cluster and other local state.
	DataDir string
	// PublicURL is the address people use to reach Roster; links in mail and
	// OIDC redirects are built from it. Cookies are Secure when it is https.
	PublicURL *url.URL
	// LogLevel and LogFormat shape the structured log.
	LogLevel  slog.Level
	LogFormat string
	// SecretKey signs cookies and encrypts secrets at rest. Empty means a key
	// is generated once and kept in the database, shared by every replica.
	SecretKey []byte
	// DBMaxConns caps the connection pool of one process.
	DBMaxConns int
	// ShutdownTimeout is how long a stopping server waits for requests in flight.
	ShutdownTimeout time.Duration
}

// SettingError names the setting whose value is wrong.
type SettingError struct {
	Name   string
	Value  string
	Reason string
}

func (e *SettingError) Error() string {
	return fmt.Sprintf("setting %s=%q is invalid: %s", e.Name, e.Value, e.Reason)
}

// Load reads the settings through getenv (os.Getenv in production, a map in tests).
func Load(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var c Config

	c.DatabaseURL = get("DATABASE_URL", "")
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return c, &SettingError{"DATABASE_URL", redact(c.DatabaseURL), "want postgres://user:password@host:port/dbname"}
		}
	}

	c.Addr = get("ROSTER_ADDR", "127.0.0.1:8080")
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return c, &SettingError{"ROSTER_ADDR", c.Addr, "want host:port, e.g. 127.0.0.1:8080"}
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return c, &SettingError{"ROSTER_ADDR", c.Addr, "the port must be a number from 0 to 65535"}
	}

	dataDir, err := filepath.Abs(get("ROSTER_DATA_DIR", ".roster"))
	if err != nil {
		return c, &SettingError{"ROSTER_DATA_DIR", getenv("ROSTER_DATA_DIR"), err.Error()}
	}
	c.DataDir = dataDir

	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	public := get("ROSTER_PUBLIC_URL", "http://"+net.JoinHostPort(host, port))
	u, err := url.Parse(public)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return c, &SettingError{"ROSTER_PUBLIC_URL", public, "want an absolute http(s) URL without query, e.g. https://id.example.com"}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c.PublicURL = u

	level := get("ROSTER_LOG_LEVEL", "info")
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return c, &SettingError{"ROSTER_LOG_LEVEL", level, "want debug, info, warn or error"}
	}
	c.LogFormat = get("ROSTER_LOG_FORMAT", "text")
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, &SettingError{"ROSTER_LOG_FORMAT", c.LogFormat, "want text or json"}
	}

	if key := get("ROSTER_SECRET_KEY", ""); key != "" {
		b, err := hex.DecodeString(key)
		if err != nil || len(b) < 32 {
			return c, &SettingError{"ROSTER_SECRET_KEY", "(hidden)", "want at least 32 bytes as hex (64 hex characters); make one with: openssl rand -hex 32"}
		}
		c.SecretKey = b
	}

	conns := get("ROSTER_DB_MAX_CONNS", "20")
	c.DBMaxConns, err = strconv.Atoi(conns)
	if err != nil || c.DBMaxConns < 1 || c.DBMaxConns > 1000 {
		return c, &SettingError{"ROSTER_DB_MAX_CONNS", conns, "want a whole number from 1 to 1000"}
	}

	timeout := get("ROSTER_SHUTDOWN_TIMEOUT", "15s")
	c.ShutdownTimeout, err = time.ParseDuration(timeout)
	if err != nil || c.ShutdownTimeout <= 0 {
		return c, &SettingError{"ROSTER_SHUTDOWN_TIMEOUT", timeout, "want a positive duration such as 15s"}
	}
	return c, nil
}

// SecureCookies reports whether cookies must carry the Secure flag.
func (c Config) SecureCookies() bool { return c.PublicURL.Scheme == "https" }

// redact hides the password of a database URL in messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}
