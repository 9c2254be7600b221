package web

import (
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// Some URLs are themselves credentials: an invitation link, a sign-in or
// reset link, a console setup link. Their secret part must never reach a
// log line, whatever the request's method (a HEAD or OPTIONS on such a URL
// matches no route, so route parameters cannot be relied on), status or
// spelling, and the page they open must not leak them through Referer.

// secretParam matches route parameter names whose values must not be logged.
var secretParam = regexp.MustCompile(`(?i)token|secret|code|key|password`)

// secretQuery lists query parameters that carry credentials (OAuth codes
// and states, tokens). Query strings are never logged; these only decide
// the Referrer-Policy of the page.
var secretQuery = []string{"token", "code", "state"}

// tokenPaths knows every route with a secret path parameter and blanks
// that parameter out of a path. It reads the router itself on first use,
// when every route is registered, so a new token route is covered by being
// declared with a parameter named like one.
type tokenPaths struct {
	e        *echo.Echo
	once     sync.Once
	patterns []*regexp.Regexp // each captures the secret segment
}

// learn compiles a pattern for every route with a secret parameter. Each
// pattern is a prefix match that ignores case and repeated slashes, so a
// mistyped or extended token URL (a trailing slash, "/Invitations/…") is
// blanked too, even though it matches no route. Longer routes come first,
// so the most specific pattern decides.
func (t *tokenPaths) learn() {
	routes := t.e.Routes()
	sort.SliceStable(routes, func(i, j int) bool {
		return strings.Count(routes[i].Path, "/") > strings.Count(routes[j].Path, "/")
	})
	seen := map[string]bool{}
	for _, r := range routes {
		if !strings.Contains(r.Path, ":") {
			continue
		}
		var b strings.Builder
		b.WriteString(`(?i)^`)
		secret := false
		for _, seg := range strings.Split(strings.TrimPrefix(r.Path, "/"), "/") {
			b.WriteString(`/+`)
			switch {
			case strings.HasPrefix(seg, ":") && secretParam.MatchString(seg):
				b.WriteString(`([^/]*)`)
				secret = true
			case strings.HasPrefix(seg, ":"):
				b.WriteString(`[^/]*`)
			default:
				b.WriteString(regexp.QuoteMeta(seg))
			}
			if secret {
				break // everything after the first secret goes too
			}
		}
		if secret && !seen[b.String()] {
			seen[b.String()] = true
			t.patterns = append(t.patterns, regexp.MustCompile(b.String()))
		}
	}
}

// redact returns path with the secret segments of any token route replaced
// by REDACTED, and anything after them dropped.
func (t *tokenPaths) redact(path string) string {
	t.once.Do(t.learn)
	for _, p := range t.patterns {
		loc := p.FindStringSubmatchIndex(path)
		if loc == nil {
			continue
		}
		return path[:loc[2]] + "REDACTED"
	}
	return path
}

// carriesSecret says whether the request's URL holds a credential, in its
// path (logRequests has redacted it already) or its query.
func carriesSecret(c echo.Context) bool {
	req := c.Request()
	if logPath(c) != req.URL.Path {
		return true
	}
	q := req.URL.Query()
	for _, name := range secretQuery {
		if q.Has(name) {
			return true
		}
	}
	return false
}

// hideTokenURLs sets Referrer-Policy: no-referrer on every answer to a URL
// that carries a credential, so the link does not travel to the next site
// (or the next Roster page) in a Referer header.
func hideTokenURLs(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if carriesSecret(c) {
			c.Response().Header().Set("Referrer-Policy", "no-referrer")
		}
		return next(c)
	}
}
