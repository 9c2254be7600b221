// Package web serves Roster's console, hosted pages and API over HTTP.
//
// A console page is a templ component in views/pages that takes views.Page
// first; its handler builds that value with newPage, calls one service
// method and answers with render (or, after a POST, setFlash and a
// redirect). Every route is registered in routes.go; every error a handler
// returns is turned into the error page or the API's JSON error by the one
// handler in errors.go.
package web

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"roster/internal/clock"
	"roster/internal/config"
)

// Deps is everything the HTTP layer needs from the process.
type Deps struct {
	DB        *sqlx.DB
	Config    config.Config
	Log       *slog.Logger
	Clock     clock.Clock
	SecretKey []byte // at least 32 bytes; signs cookies
}

// maxBodySize caps request bodies. Forms and API calls are small; a route
// that takes uploads (imports) can raise it for itself.
const maxBodySize = "1M"

// New builds the HTTP handler with every route.
func New(d Deps) *echo.Echo {
	if len(d.SecretKey) < 32 {
		panic(fmt.Sprintf("web.New: SecretKey has %d bytes, want at least 32", len(d.SecretKey)))
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}

	// An https public URL means browsers reach us over TLS (perhaps through
	// a proxy): then cookies are Secure and __Host- (cookies.go) and HSTS
	// is sent.
	https := d.Config.PublicURL != nil && d.Config.SecureCookies()

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	// Reads the router on first use, when every route is registered.
	secrets := &tokenPaths{e: e}
	e.IPExtractor = clientIP(d.Config.TrustedProxies)

	e.Pre(dropBadRequestID)
	// Order matters: the logger sits outside everything that can fail, so it
	// sees the final status; errors are turned into responses inside gzip,
	// so error pages are compressed and carry the secure headers.
	e.Use(
		middleware.RequestIDWithConfig(middleware.RequestIDConfig{
			RequestIDHandler: func(c echo.Context, id string) { c.Set(requestIDKey, id) },
		}),
		logRequests(d.Log, secrets),
		secureHeaders(https),
		hideTokenURLs,
		middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024}),
		respondToErrors,
		recoverPanics(d.Log),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
			Limit: maxBodySize,
			// The bulk import takes whole files and sets its own, larger limit.
			Skipper: func(c echo.Context) bool { return c.Path() == "/api/v1/import" },
		}),
		withFlashes(newFlashes(d.SecretKey, https)),
		refuseManyEmails,
	)

	e.HTTPErrorHandler = newErrorHandler(d.Log, routes(e, d))
	return e
}

// requestIDKey is where the request id lives in the echo context.
const requestIDKey = "roster.request_id"

// logPathKey is where the request's path, as logs may show it (token
// segments blanked), lives in the echo context.
const logPathKey = "roster.log_path"

// logPath is the request's path as any log line may show it: secret
// segments (an invitation token) replaced by REDACTED. Use it, never
// URL.Path, in every log line.
func logPath(c echo.Context) string {
	if p, ok := c.Get(logPathKey).(string); ok {
		return p
	}
	return "(unknown)"
}

// requestID returns the id of the current request ("" outside the middleware).
func requestID(c echo.Context) string {
	id, _ := c.Get(requestIDKey).(string)
	return id
}

// goodRequestID is what we accept from a proxy's X-Request-ID. Anything else
// is replaced, because the id is echoed into logs, headers and pages.
var goodRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func dropBadRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if id := h.Get(echo.HeaderXRequestID); id != "" && !goodRequestID.MatchString(id) {
			h.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}

// logRequests writes one structured line per request. It logs the path
// without the query string, which may carry tokens or codes, and with secret
// path segments (an invitation token) blanked out, for every method. It
// redacts the path once, first, for every later log line (logPath) and for
// hideTokenURLs.
func logRequests(log *slog.Logger, secrets *tokenPaths) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			c.Set(logPathKey, secrets.redact(c.Request().URL.Path))
			err := next(c)
			if err != nil {
				// Only reached if something outside respondToErrors failed.
				c.Error(err)
			}
			req, res := c.Request(), c.Response()
			level := slog.LevelInfo
			if req.URL.Path == "/healthz" || req.URL.Path == "/readyz" {
				level = slog.LevelDebug // probes every few seconds would drown the log
			}
			log.LogAttrs(req.Context(), level, "request",
				slog.String("method", req.Method),
				slog.String("path", logPath(c)),
				slog.Int("status", res.Status),
				slog.Int64("bytes", res.Size),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", requestID(c)),
			)
			return nil
		}
	}
}

// contentSecurityPolicy allows scripts, styles and images from Roster itself
// only: no inline code, no framing, forms post back to Roster.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// secureHeaders sets the browser protections on every response, before the
// handler runs, so error pages get them too.
func secureHeaders(hsts bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			h.Set("X-Frame-Options", "DENY")
			// Console pages show personal data: keep them out of shared and
			// back-button caches. Static files override this.
			h.Set("Cache-Control", "no-store")
			if hsts {
				// includeSubDomains pins only hosts under Roster's own
				// (*.roster.example.com for roster.example.com), never its
				// parent or siblings, so it is safe wherever Roster lives;
				// it keeps a network attacker from serving plain-http pages
				// under Roster's name. No preload: that is the owner's call.
				h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
			}
			return next(c)
		}
	}
}

// respondToErrors hands a returned error to the central error handler right
// here, inside gzip and the logger, and reports success outward.
func respondToErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := next(c); err != nil {
			c.Error(err)
		}
		return nil
	}
}

// errPanicked stands for a recovered panic that is already logged with its
// stack, so the error handler answers 500 without logging it twice.
var errPanicked = fmt.Errorf("handler panicked")

// recoverPanics turns a panic into a 500 answer and one log line with the
// stack. The stack goes to the log only, never to the client.
func recoverPanics(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				if r == http.ErrAbortHandler {
					panic(r) // net/http's way to abort a response on purpose
				}
				log.ErrorContext(c.Request().Context(), "panic",
					slog.String("request_id", requestID(c)),
					slog.String("method", c.Request().Method),
					slog.String("path", logPath(c)),
					slog.String("panic", fmt.Sprint(r)),
					slog.String("stack", string(debug.Stack())),
				)
				err = errPanicked
			}()
			return next(c)
		}
	}
}

// clientIP decides where c.RealIP() looks. The client's address feeds rate
// limits and the audit log, so X-Forwarded-For counts only when the request
// comes through a proxy named in ROSTER_TRUSTED_PROXIES; otherwise anyone
// could pick their own address with a header.
func clientIP(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
