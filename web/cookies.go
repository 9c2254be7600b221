package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

// Roster's cookies. Their base names are Roster's own (roster_…): an
// identity provider on the same host shares the browser's cookie jar, since
// ports do not separate cookies. All are HttpOnly; SameSite=Lax, not
// Strict, because the browser must send them on the redirect back from an
// identity provider and when someone follows a link into Roster; Path=/
// and without Domain, so they go to Roster's host alone.
//
// Behind https they are Secure and named "__Host-roster_…". Browsers accept
// a __Host- cookie only from a secure origin, with Secure, Path=/ and no
// Domain, so no other host under the same site (a sibling subdomain) and
// nothing on plain http can set or overwrite one: a session or CSRF cookie
// cannot be planted. Over plain http (development) the prefix would make
// browsers drop the cookie, so the names stay unprefixed there.

// hostPrefix is the cookie name prefix of RFC 6265bis, section 4.1.3.2.
const hostPrefix = "__Host-"

// cookieName is the name of the cookie base: with the __Host- prefix when
// secure (https).
func cookieName(base string, secure bool) string {
	if secure {
		return hostPrefix + base
	}
	return base
}

// secureCookies: an https public URL means browsers reach us over TLS.
func secureCookies(d Deps) bool { return d.Config.PublicURL != nil && d.Config.SecureCookies() }

// deriveKey makes an independent key for one purpose from the secret key,
// so the signing and the encryption keys are never the same bytes.
func deriveKey(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// newCookieStore returns a signed and encrypted cookie store with Roster's
// cookie attributes, its keys derived from secret for purpose alone (say
// "flash"), so no two stores can read each other's cookies. maxAge is the
// cookies' Max-Age in seconds and the oldest cookie the store accepts; 0
// makes cookies that end with the browser and are never too old (the
// database decides then).
func newCookieStore(secret []byte, purpose string, maxAge int, secure bool) *sessions.CookieStore {
	s := sessions.NewCookieStore(
		deriveKey(secret, "roster/"+purpose+"/hash-key"),
		deriveKey(secret, "roster/"+purpose+"/encryption-key"), // 32 bytes: AES-256
	)
	s.MaxAge(maxAge)
	s.Options.Path = "/"
	s.Options.Domain = "" // a __Host- cookie must have none; none means this host only
	s.Options.HttpOnly = true
	s.Options.SameSite = http.SameSiteLaxMode
	s.Options.Secure = secure
	return s
}

// replaceCookie sets ck as the response's only Set-Cookie of its name,
// dropping one set earlier in the same response (the CSRF middleware sets
// its cookie before the handler runs; a sign-in replaces it).
func replaceCookie(c echo.Context, ck *http.Cookie) {
	h := c.Response().Header()
	kept := h.Values("Set-Cookie")[:0:0]
	for _, v := range h.Values("Set-Cookie") {
		if !strings.HasPrefix(v, ck.Name+"=") {
			kept = append(kept, v)
		}
	}
	h.Del("Set-Cookie")
	for _, v := range kept {
		h.Add("Set-Cookie", v)
	}
	c.SetCookie(ck)
}
