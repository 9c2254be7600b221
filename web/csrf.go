package web

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"roster/internal/apperr"
)

// Cross-site request forgery: how Roster tells its own forms from forged
// ones. Every unsafe request (POST, PUT, PATCH, DELETE) to a non-API route
// passes three checks, in this order:
//
//  1. Origin. Browsers name the origin of the page a POST comes from. One
//     that is not Roster's own (ROSTER_PUBLIC_URL's scheme, host and port)
//     is refused, whatever else the request carries; so is "null", which
//     any page can make its browser send, unless Sec-Fetch-Site says the
//     request is same-origin (a form on a no-referrer page: the token
//     pages, see redact.go). Clients that send no Origin (older ones,
//     scripts) go on to the next checks.
//  2. Sec-Fetch-Site. Browsers that send it say where the request comes
//     from: same-origin passes, cross-site is refused, same-site (a sibling
//     host or port) falls back to the token.
//  3. The token: the form field csrf_token or the X-CSRF-Token header must
//     match the CSRF cookie (double submit).
//
// Every failure is the 403 page. A sign-in gives the browser a new token
// (csrfGuard.rotate), so a token known before it is worth nothing after.
// The API (/api, /oauth) authenticates with bearer tokens and client
// credentials, never cookies, and is not checked.

// csrfCookie is the base name of the cookie holding the CSRF token.
const csrfCookie = "roster_csrf"

// csrfCookieLifetime is how long a browser keeps a CSRF token it is not
// using; any page it opens renews it.
const csrfCookieLifetime = 24 * time.Hour

// csrfGuard holds what the checks and the token rotation share.
type csrfGuard struct {
	cookie string // the cookie's name
	secure bool
	origin string // Roster's own, e.g. "https://roster.example.com"; "" for unknown
	log    *slog.Logger
}

func newCSRFGuard(d Deps) csrfGuard {
	g := csrfGuard{secure: secureCookies(d), log: d.Log}
	g.cookie = cookieName(csrfCookie, g.secure)
	if u := d.Config.PublicURL; u != nil {
		g.origin, _ = originOf(u.Scheme + "://" + u.Host)
	}
	return g
}

// skipCSRF says which requests are not checked: the API authenticates with
// bearer tokens, not cookies; static files and probes have no forms and
// must not set cookies.
func skipCSRF(c echo.Context) bool {
	p := c.Request().URL.Path
	return isAPI(p) || strings.HasPrefix(p, "/static/") ||
		p == "/healthz" || p == "/readyz" || p == "/favicon.ico"
}

// protect is the middleware that runs the checks on every route.
func (g csrfGuard) protect() echo.MiddlewareFunc {
	tokens := middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper:        skipCSRF,
		TokenLookup:    "form:csrf_token,header:X-CSRF-Token",
		ContextKey:     csrfTokenKey,
		CookieName:     g.cookie,
		CookiePath:     "/",
		CookieMaxAge:   int(csrfCookieLifetime.Seconds()),
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteLaxMode,
		CookieSecure:   g.secure,
		ErrorHandler:   func(error, echo.Context) error { return errCSRF() },
		AllowSecFetchSiteFunc: func(c echo.Context) (bool, error) {
			if c.Request().Header.Get(echo.HeaderSecFetchSite) == "same-site" {
				return false, nil // a sibling host or port: fall back to the token
			}
			return false, errCSRF()
		},
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		checkTokens := tokens(next)
		return func(c echo.Context) error {
			if !skipCSRF(c) && !isSafeMethod(c.Request().Method) {
				if err := g.checkOrigin(c); err != nil {
					return err
				}
			}
			return checkTokens(c)
		}
	}
}

// checkOrigin refuses a request whose Origin header names another site.
func (g csrfGuard) checkOrigin(c echo.Context) error {
	raw := c.Request().Header.Get(echo.HeaderOrigin)
	if raw == "" || g.origin == "" {
		return nil
	}
	if o, ok := originOf(raw); ok && o == g.origin {
		return nil
	}
	// A page whose URL is a credential (a sign-in or invitation link) is
	// sent with Referrer-Policy: no-referrer, under which the browser says
	// "null" for its own forms' origin. Sec-Fetch-Site, which no page can
	// set, tells those forms from a sandboxed frame elsewhere.
	if raw == "null" && c.Request().Header.Get(echo.HeaderSecFetchSite) == "same-origin" {
		return nil
	}
	// Besides attacks, this catches Roster opened at another address than
	// ROSTER_PUBLIC_URL (localhost for 127.0.0.1, say): worth a line.
	g.log.WarnContext(c.Request().Context(), "refused a request from another origin",
		slog.String("origin", truncateText(raw, 200)), slog.String("public_origin", g.origin),
		slog.String("path", logPath(c)), slog.String("request_id", requestID(c)))
	return apperr.Forbidden("This form was not sent from a page of " + g.origin + ", so it was refused. Open " +
		g.origin + " and try again.")
}

// rotate gives the browser a new CSRF token at sign-in, replacing the
// cookie the middleware set on this request; pages rendered by this request
// get the new token too.
func (g csrfGuard) rotate(c echo.Context) {
	token := randomString()
	replaceCookie(c, &http.Cookie{
		Name: g.cookie, Value: token, Path: "/", Expires: time.Now().Add(csrfCookieLifetime),
		HttpOnly: true, Secure: g.secure, SameSite: http.SameSiteLaxMode,
	})
	c.Set(csrfTokenKey, token)
}

// originOf returns the origin of an http(s) URL as browsers write it in
// the Origin header: lower-case scheme and host, the port only when it is
// not the scheme's default. ok is false for anything else ("null", junk).
func originOf(raw string) (origin string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 address
	}
	return u.Scheme + "://" + host, true
}

// errStaleForm is in the chain of every refused CSRF token: the hosted
// error page words it for end users, who know the app, not Roster.
var errStaleForm = errors.New("web: the form's CSRF token is missing or wrong")

func errCSRF() error {
	return apperr.Forbidden("This form did not come from a Roster page, or the page is too old. Go back, reload it and try again.").Wrap(errStaleForm)
}

// pageToken makes sure a page rendered for a request the middleware refused
// (an error page, whose header holds sign-out forms) carries a CSRF token:
// the browser's own, or a new one it is given now.
func (g csrfGuard) pageToken(c echo.Context) {
	if t, _ := c.Get(csrfTokenKey).(string); t != "" {
		return
	}
	if ck, err := c.Cookie(g.cookie); err == nil && ck.Value != "" {
		c.Set(csrfTokenKey, ck.Value)
		return
	}
	g.rotate(c)
}
