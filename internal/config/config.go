// Package config reads Roster's settings from environment variables and
// checks them once at start, so a bad value stops the process with a message
// that names the setting instead of failing later in some request.
package config

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
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
	// PublicURLSet: PublicURL came from ROSTER_PUBLIC_URL, not from Addr.
	PublicURLSet bool
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
	// TrustedProxies are the networks whose X-Forwarded-For Roster believes
	// when it works out a client's address. Empty: the connection's address.
	TrustedProxies []*net.IPNet

	// Console sign-in (see "Console sign-in settings" below). An empty
	// AdminOIDCIssuer means setup mode: only one-time sign-in links work.
	AdminOIDCIssuer       string
	AdminOIDCClientID     string
	AdminOIDCClientSecret string
	// AdminAllowed and AdminClaims say who may enter the console and with
	// which role; the rules are applied by internal/adminauth.
	AdminAllowed []AdminEmailRule
	AdminClaims  []AdminClaimRule
	// AdminBootstrapEmail names the owner signed in by the link that
	// `roster serve` prints in setup mode.
	AdminBootstrapEmail string

	// SMTPURL is the mail server internal/mail sends through: smtp:// with
	// STARTTLS (plain only to a loopback relay) or smtps:// with TLS from the
	// start. Nil means nothing is sent: mail waits in the outbox, readable
	// at /dev/mailbox.
	SMTPURL *url.URL
	// MailFrom is the From of every mail; required with SMTPURL.
	MailFrom *mail.Address
}

// Console sign-in settings, as the README lists them:
//
//	ROSTER_ADMIN_OIDC_ISSUER         Issuer URL of the OpenID Connect provider app owners sign
//	                                 in to the console with (https; plain http only for
//	                                 localhost). Register Roster there as a confidential web
//	                                 client with the redirect URI <ROSTER_PUBLIC_URL>/auth/oidc/callback.
//	                                 Empty (the default): setup mode, where the only way in is
//	                                 a one-time link printed by `roster serve` or
//	                                 `roster admin login-link --email E`.
//	ROSTER_ADMIN_OIDC_CLIENT_ID      Roster's client id at that provider. Required with an issuer.
//	ROSTER_ADMIN_OIDC_CLIENT_SECRET  Roster's client secret at that provider. Required with an issuer.
//	ROSTER_ADMIN_ALLOWED             Who may enter, by email: a comma list of email=role or
//	                                 @domain=role, role one of owner, editor, viewer, e.g.
//	                                 "ann@acme.com=owner,@acme.com=viewer". Only addresses the
//	                                 provider says are verified (email_verified) match.
//	ROSTER_ADMIN_CLAIM               Who may enter, by a claim of the ID token or userinfo: a
//	                                 comma list of claim:value=role, e.g.
//	                                 "groups:roster-owners=owner,groups:roster-editors=editor".
//	                                 The claim may be a string or an array of strings.
//	ROSTER_ADMIN_BOOTSTRAP_EMAIL     The first owner's email in the link `roster serve` prints
//	                                 in setup mode. Default owner@localhost.
//
// With an issuer, ROSTER_ADMIN_ALLOWED or ROSTER_ADMIN_CLAIM (or both) must be
// set. An exact email rule decides alone; otherwise a person gets the highest
// role of the domain rule and the claim rules they match. Matching nothing
// means no entry.

// AdminEmailRule gives Role to one email address or, when Domain is set
// instead, to every verified address at that domain. Both are lowercase.
type AdminEmailRule struct {
	Email  string
	Domain string
	Role   string
}

// AdminClaimRule gives Role to a person whose claim Claim is Value or, for an
// array claim, contains Value.
type AdminClaimRule struct {
	Claim string
	Value string
	Role  string
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
	c.PublicURLSet = strings.TrimSpace(getenv("ROSTER_PUBLIC_URL")) != ""

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

	if proxies := get("ROSTER_TRUSTED_PROXIES", ""); proxies != "" {
		for _, p := range strings.Split(proxies, ",") {
			p = strings.TrimSpace(p)
			if !strings.Contains(p, "/") {
				if ip := net.ParseIP(p); ip != nil && ip.To4() != nil {
					p += "/32"
				} else {
					p += "/128"
				}
			}
			_, n, err := net.ParseCIDR(p)
			if err != nil {
				return c, &SettingError{"ROSTER_TRUSTED_PROXIES", proxies, "want addresses or networks separated by commas, e.g. 10.0.0.0/8,192.0.2.7"}
			}
			c.TrustedProxies = append(c.TrustedProxies, n)
		}
	}

	timeout := get("ROSTER_SHUTDOWN_TIMEOUT", "15s")
	c.ShutdownTimeout, err = time.ParseDuration(timeout)
	if err != nil || c.ShutdownTimeout <= 0 {
		return c, &SettingError{"ROSTER_SHUTDOWN_TIMEOUT", timeout, "want a positive duration such as 15s"}
	}

	if err := loadAdminSignIn(&c, get); err != nil {
		return c, err
	}
	if err := loadMail(&c, get); err != nil {
		return c, err
	}
	return c, nil
}

// loadMail reads ROSTER_SMTP_URL and ROSTER_MAIL_FROM. Whether TLS is
// required is decided when connecting (internal/mail), from the host.
func loadMail(c *Config, get func(name, def string) string) error {
	raw := get("ROSTER_SMTP_URL", "")
	from := get("ROSTER_MAIL_FROM", "")
	if raw != "" {
		const want = "want smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (TLS)"
		u, err := url.Parse(raw)
		if err != nil {
			// The value may hold a password: never echo one we cannot redact.
			return &SettingError{"ROSTER_SMTP_URL", "(unparseable)", want}
		}
		bad := func(reason string) error { return &SettingError{"ROSTER_SMTP_URL", u.Redacted(), reason} }
		if u.Scheme != "smtp" && u.Scheme != "smtps" || u.Hostname() == "" {
			return bad(want)
		}
		if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
			return bad("no path or query is read; " + want)
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return bad("the port must be a number from 1 to 65535")
			}
		}
		c.SMTPURL = u
		if from == "" {
			return &SettingError{"ROSTER_MAIL_FROM", "", "is required with ROSTER_SMTP_URL: the sender of every mail, e.g. Roster <no-reply@example.com>"}
		}
	}
	if from != "" {
		a, err := mail.ParseAddress(from)
		if err != nil || strings.ContainsFunc(from, unicode.IsControl) || !looksLikeEmail(a.Address) {
			return &SettingError{"ROSTER_MAIL_FROM", from, "want an address with an optional name, e.g. Roster <no-reply@example.com>"}
		}
		c.MailFrom = a
	}
	return nil
}

// loadAdminSignIn reads and checks the console sign-in settings together:
// an issuer without a client, or rules without an issuer, are mistakes that
// would otherwise only show when someone tries to sign in.
func loadAdminSignIn(c *Config, get func(name, def string) string) error {
	c.AdminOIDCIssuer = get("ROSTER_ADMIN_OIDC_ISSUER", "")
	c.AdminOIDCClientID = get("ROSTER_ADMIN_OIDC_CLIENT_ID", "")
	c.AdminOIDCClientSecret = get("ROSTER_ADMIN_OIDC_CLIENT_SECRET", "")
	allowed := get("ROSTER_ADMIN_ALLOWED", "")
	claims := get("ROSTER_ADMIN_CLAIM", "")

	if c.AdminOIDCIssuer != "" {
		u, err := url.Parse(c.AdminOIDCIssuer)
		// The issuer is compared byte for byte with what the provider says,
		// so it is kept exactly as written.
		if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
			!(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) {
			return &SettingError{"ROSTER_ADMIN_OIDC_ISSUER", c.AdminOIDCIssuer, "want the provider's https issuer URL, e.g. https://acme.okta.com (plain http only for localhost)"}
		}
		if c.AdminOIDCClientID == "" {
			return &SettingError{"ROSTER_ADMIN_OIDC_CLIENT_ID", "", "is required with ROSTER_ADMIN_OIDC_ISSUER: Roster's client id at the provider"}
		}
		if c.AdminOIDCClientSecret == "" {
			return &SettingError{"ROSTER_ADMIN_OIDC_CLIENT_SECRET", "", "is required with ROSTER_ADMIN_OIDC_ISSUER: Roster's client secret at the provider"}
		}
		if allowed == "" && claims == "" {
			return &SettingError{"ROSTER_ADMIN_ALLOWED", "", "set it or ROSTER_ADMIN_CLAIM: with an identity provider and no rules nobody could sign in to the console"}
		}
	} else {
		for _, s := range [][2]string{
			{"ROSTER_ADMIN_OIDC_CLIENT_ID", c.AdminOIDCClientID},
			{"ROSTER_ADMIN_OIDC_CLIENT_SECRET", c.AdminOIDCClientSecret},
			{"ROSTER_ADMIN_ALLOWED", allowed},
			{"ROSTER_ADMIN_CLAIM", claims},
		} {
			if s[1] != "" {
				shown := s[1]
				if s[0] == "ROSTER_ADMIN_OIDC_CLIENT_SECRET" {
					shown = "(hidden)"
				}
				return &SettingError{s[0], shown, "has no effect without ROSTER_ADMIN_OIDC_ISSUER"}
			}
		}
	}

	var err error
	if c.AdminAllowed, err = parseEmailRules(allowed); err != nil {
		return err
	}
	if c.AdminClaims, err = parseClaimRules(claims); err != nil {
		return err
	}

	c.AdminBootstrapEmail = strings.ToLower(get("ROSTER_ADMIN_BOOTSTRAP_EMAIL", "owner@localhost"))
	if !looksLikeEmail(c.AdminBootstrapEmail) {
		return &SettingError{"ROSTER_ADMIN_BOOTSTRAP_EMAIL", c.AdminBootstrapEmail, "want an email address, e.g. you@example.com"}
	}
	return nil
}

// parseEmailRules reads "ann@acme.com=owner,@acme.com=viewer".
func parseEmailRules(v string) ([]AdminEmailRule, error) {
	var rules []AdminEmailRule
	seen := map[string]bool{}
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		bad := func(reason string) error {
			return &SettingError{"ROSTER_ADMIN_ALLOWED", v, fmt.Sprintf("%q: %s", item, reason)}
		}
		who, role, ok := cutLast(item, "=")
		who = strings.ToLower(strings.TrimSpace(who))
		role = strings.TrimSpace(role)
		if !ok || who == "" {
			return nil, bad("want email=role or @domain=role, e.g. ann@acme.com=owner")
		}
		if !isConsoleRole(role) {
			return nil, bad("the role must be owner, editor or viewer")
		}
		if seen[who] {
			return nil, bad("is listed twice")
		}
		seen[who] = true
		if domain, isDomain := strings.CutPrefix(who, "@"); isDomain {
			if !looksLikeEmail("x@" + domain) {
				return nil, bad("want a domain after @, e.g. @acme.com")
			}
			rules = append(rules, AdminEmailRule{Domain: domain, Role: role})
			continue
		}
		if !looksLikeEmail(who) {
			return nil, bad("want an email address or @domain")
		}
		rules = append(rules, AdminEmailRule{Email: who, Role: role})
	}
	return rules, nil
}

// parseClaimRules reads "groups:roster-owners=owner". The claim name ends at
// the first colon; the role starts after the last equals sign, so values
// may contain either.
func parseClaimRules(v string) ([]AdminClaimRule, error) {
	var rules []AdminClaimRule
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		bad := func(reason string) error {
			return &SettingError{"ROSTER_ADMIN_CLAIM", v, fmt.Sprintf("%q: %s", item, reason)}
		}
		rest, role, ok := cutLast(item, "=")
		claim, value, ok2 := strings.Cut(rest, ":")
		claim, value, role = strings.TrimSpace(claim), strings.TrimSpace(value), strings.TrimSpace(role)
		if !ok || !ok2 || claim == "" || value == "" {
			return nil, bad("want claim:value=role, e.g. groups:roster-owners=owner")
		}
		if !isConsoleRole(role) {
			return nil, bad("the role must be owner, editor or viewer")
		}
		rules = append(rules, AdminClaimRule{Claim: claim, Value: value, Role: role})
	}
	return rules, nil
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func isConsoleRole(r string) bool { return r == "owner" || r == "editor" || r == "viewer" }

// looksLikeEmail is a shape check for settings, not full address validation.
func looksLikeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(s, " \t,;<>\"") &&
		!strings.Contains(domain, "@") && len(s) <= 320
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
