package web

import (
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"roster/views"
)

// flashCookie is the base name of the cookie that carries a flash.
const flashCookie = "roster_flash"

// flashStoreKey is where withFlashes puts the flashes in the echo context.
const flashStoreKey = "roster.flash_store"

// flashes is the cookie store of flash messages and the cookie's name.
type flashes struct {
	store *sessions.CookieStore
	name  string
}

// newFlashes returns the signed and encrypted cookie store for flashes.
func newFlashes(secret []byte, secure bool) flashes {
	// A flash is read on the very next page; one left unread for ten
	// minutes is stale.
	return flashes{store: newCookieStore(secret, "flash", 600, secure), name: cookieName(flashCookie, secure)}
}

// withFlashes makes the store available to setFlash and popFlash.
func withFlashes(f flashes) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(flashStoreKey, f)
			return next(c)
		}
	}
}

// setFlash leaves a message for the next page the browser shows, typically
// right before a redirect after a successful POST. A second call replaces it.
func setFlash(c echo.Context, kind views.FlashKind, message string) error {
	f := c.Get(flashStoreKey).(flashes)
	sess, _ := f.store.New(c.Request(), f.name) // a bad old cookie is simply replaced
	sess.Values["kind"] = string(kind)
	sess.Values["message"] = message
	return sess.Save(c.Request(), c.Response())
}

// popFlash returns the waiting message, if any, and deletes its cookie so it
// shows once. A cookie that fails verification is dropped silently.
func popFlash(c echo.Context) views.Flash {
	fl, ok := c.Get(flashStoreKey).(flashes)
	if !ok {
		return views.Flash{}
	}
	if _, err := c.Cookie(fl.name); err != nil {
		return views.Flash{} // the common case: no cookie, nothing to decode
	}
	sess, err := fl.store.New(c.Request(), fl.name)
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
