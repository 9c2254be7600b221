package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"roster/views"
)

// flashCookie has a Roster-specific name: an OIDC provider on the same host
// shares our cookie jar (ports do not separate cookies).
const flashCookie = "roster_flash"

// flashStoreKey is where withFlashes puts the store in the echo context.
const flashStoreKey = "roster.flash_store"

// deriveKey makes an independent key for one purpose from the secret key,
// so the signing and the encryption keys are never the same bytes.
func deriveKey(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// newFlashStore returns the signed and encrypted cookie store for flashes.
func newFlashStore(secret []byte, secure bool) *sessions.CookieStore {
	s := sessions.NewCookieStore(
		deriveKey(secret, "roster/flash/hash-key"),
		deriveKey(secret, "roster/flash/encryption-key"), // 32 bytes: AES-256
	)
	// A flash is read on the very next page; one left unread for ten
	// minutes is stale.
	s.MaxAge(600)
	s.Options.Path = "/"
	s.Options.HttpOnly = true
	s.Options.SameSite = http.SameSiteLaxMode
	s.Options.Secure = secure
	return s
}

// withFlashes makes the store available to setFlash and popFlash.
func withFlashes(s *sessions.CookieStore) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(flashStoreKey, s)
			return next(c)
		}
	}
}

// setFlash leaves a message for the next page the browser shows, typically
// right before a redirect after a successful POST. A second call replaces it.
func setFlash(c echo.Context, kind views.FlashKind, message string) error {
	s := c.Get(flashStoreKey).(*sessions.CookieStore)
	sess, _ := s.New(c.Request(), flashCookie) // a bad old cookie is simply replaced
	sess.Values["kind"] = string(kind)
	sess.Values["message"] = message
	return sess.Save(c.Request(), c.Response())
}

// popFlash returns the waiting message, if any, and deletes its cookie so it
// shows once. A cookie that fails verification is dropped silently.
func popFlash(c echo.Context) views.Flash {
	s, ok := c.Get(flashStoreKey).(*sessions.CookieStore)
	if !ok {
		return views.Flash{}
	}
	if _, err := c.Cookie(flashCookie); err != nil {
		return views.Flash{} // the common case: no cookie, nothing to decode
	}
	sess, err := s.New(c.Request(), flashCookie)
	var f views.Flash
	if err == nil {
		kind, _ := sess.Values["kind"].(string)
		msg, _ := sess.Values["message"].(string)
		f = views.Flash{Kind: views.FlashKind(kind), Message: msg}
	}
	sess.Options.MaxAge = -1
	_ = sess.Save(c.Request(), c.Response()) // deleting cannot fail to encode
	return f
}
