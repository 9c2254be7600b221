package web

// Console sign-in, roles and CSRF.
//
// Adding console pages. Every console route hangs off the group that
// consoleGroup returns (in routes.go's console block), usually through a
// handler's Routes method:
//
//	func (h orgsHandler) Routes(g *echo.Group) {
//		g.GET("/organizations", h.list)
//		g.POST("/organizations", h.create)
//	}
//	// in routes.go: orgsHandler{...}.Routes(console)
//
// What the group enforces, so handlers need not:
//   - A signed-in admin. Anyone else is sent (303) to /login?return_to=<path>
//     and comes back after signing in.
//   - Viewers are read-only: POST, PUT, PATCH and DELETE need editor or
//     owner, and are refused with the 403 page otherwise, even when a form
//     is posted by hand.
//   - Owner-only areas: every route under /settings, /api-clients and
//     /admin-sessions needs owner, whatever the method (ownerOnlyAreas).
//     For another owner-only route add requireRole(adminauth.Owner) to it.
//   - CSRF: every form needs @components.CSRF(p.CSRFToken). This is checked
//     on every non-API route (csrf.go), not only the console's.
//
// In handlers, adminFrom(c) is the signed-in *adminauth.Session, and the
// audit actor is already on c.Request().Context(), so services record who
// did what. In views, newPage fills p.Admin: hide write controls with
// `if p.Admin.CanWrite() { … }` and owner-only ones with p.Admin.IsOwner().
// In tests, webtest.SignInAdmin (browser) and webtest.NewConsoleClient
// (HTTP) sign in with a chosen role without an identity provider.

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"roster/internal/adminauth"
	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/model"
	"roster/views"
)

// adminCookie is the base name of the console session cookie (cookies.go).
const adminCookie = "roster_admin"

// adminKey is where the signed-in session lives in the echo context.
const adminKey = "roster.admin"

// ownerOnlyAreas are the console's path prefixes that only owners may use.
var ownerOnlyAreas = []string{"/settings", "/api-clients", "/admin-sessions"}

// adminAuth reads and writes the console session cookie and checks it.
type adminAuth struct {
	svc     *adminauth.Service
	cookies *sessions.CookieStore
	name    string // of the session cookie
	csrf    csrfGuard
}

func newAdminAuth(svc *adminauth.Service, secret []byte, csrf csrfGuard) *adminAuth {
	return &adminAuth{
		svc: svc, csrf: csrf,
		cookies: newAdminCookieStore(secret, csrf.secure), name: cookieName(adminCookie, csrf.secure),
	}
}

// newAdminCookieStore returns the signed and encrypted store of the session
// cookie. The cookie holds only the opaque token; everything else is in the
// database, which alone decides when a session ends. The cookie itself ends
// with the browser, with no "keep me signed in": the console opens personal
// data and settings, so closing the browser on a shared machine should sign
// its admin out, and the session's short idle timeout and lifetime (2 and
// 12 hours by default) leave a lasting cookie little to add.
func newAdminCookieStore(secret []byte, secure bool) *sessions.CookieStore {
	return newCookieStore(secret, "admin", 0, secure)
}

// AdminSessionCookie returns the cookie that carries a console session
// token, exactly as the server sets it at sign-in. The test kit uses it to
// sign in without an identity provider.
func AdminSessionCookie(d Deps, token string) (*http.Cookie, error) {
	secure := secureCookies(d)
	s := newAdminCookieStore(d.SecretKey, secure)
	name := cookieName(adminCookie, secure)
	encoded, err := securecookie.EncodeMulti(name, map[any]any{"token": token}, s.Codecs...)
	if err != nil {
		return nil, err
	}
	return sessions.NewCookie(name, encoded, s.Options), nil
}

// token returns the session token from the request's cookie, or "".
func (a *adminAuth) token(c echo.Context) string {
	if _, err := c.Cookie(a.name); err != nil {
		return ""
	}
	sess, err := a.cookies.New(c.Request(), a.name)
	if err != nil {
		return "" // forged, from another key, or garbled: as good as none
	}
	token, _ := sess.Values["token"].(string)
	return token
}

// signedIn gives the browser the token of a new session, in a cookie that
// ends with the browser, and a new CSRF token: one known before sign-in (a
// planted cookie, a page fetched earlier) is worth nothing after it.
func (a *adminAuth) signedIn(c echo.Context, token string) error {
	sess := sessions.NewSession(a.cookies, a.name)
	opts := *a.cookies.Options
	sess.Options = &opts
	sess.Values["token"] = token
	if err := a.cookies.Save(c.Request(), c.Response(), sess); err != nil {
		return err
	}
	a.csrf.rotate(c)
	return nil
}

// clearToken deletes the session cookie.
func (a *adminAuth) clearToken(c echo.Context) {
	sess := sessions.NewSession(a.cookies, a.name)
	opts := *a.cookies.Options
	opts.MaxAge = -1
	sess.Options = &opts
	_ = a.cookies.Save(c.Request(), c.Response(), sess) // deleting cannot fail to encode
}

// load finds the live session of the request's cookie, remembers it for
// adminFrom and puts its admin on the request context as the audit actor.
// It returns nil when nobody is signed in, and drops a cookie whose session
// has ended, so a revoked admin is signed out on their next request.
func (a *adminAuth) load(c echo.Context) (*adminauth.Session, error) {
	if s := adminFrom(c); s != nil {
		return s, nil
	}
	token := a.token(c)
	if token == "" {
		return nil, nil
	}
	sess, err := a.svc.Authenticate(c.Request().Context(), token)
	if err != nil {
		return nil, err
	}
	if sess == nil {
		a.clearToken(c)
		return nil, nil
	}
	c.Set(adminKey, sess)
	req := c.Request()
	ctx := audit.WithActor(req.Context(), model.Actor{
		Type: "admin", ID: sess.ID, Label: sess.Email,
		IP: c.RealIP(), UserAgent: req.UserAgent(), RequestID: requestID(c),
	})
	c.SetRequest(req.WithContext(ctx))
	return sess, nil
}

// adminFrom returns the signed-in admin of a console request, or nil.
func adminFrom(c echo.Context) *adminauth.Session {
	s, _ := c.Get(adminKey).(*adminauth.Session)
	return s
}

// pageAdmin is the signed-in admin as views show them.
func pageAdmin(c echo.Context) *views.Admin {
	s := adminFrom(c)
	if s == nil {
		return nil
	}
	hasMailbox, _ := c.Get(devMailboxKey).(bool)
	return &views.Admin{Email: s.Email, Role: string(s.Role), Writer: s.CanWrite(), Owner: s.IsOwner(),
		Mailbox: hasMailbox && s.IsOwner()}
}

// visitorContext is the request context with an actor for people not (yet)
// signed in, so audit events of sign-in carry the request's origin.
func visitorContext(c echo.Context) context.Context {
	req := c.Request()
	return audit.WithActor(req.Context(), model.Actor{
		Type: "system", Label: "console sign-in",
		IP: c.RealIP(), UserAgent: req.UserAgent(), RequestID: requestID(c),
	})
}

// consoleGroup returns the group every console route is registered on: it
// requires a signed-in admin and applies the console's role rules (see the
// top of this file).
func consoleGroup(e *echo.Echo, a *adminAuth) *echo.Group {
	g := e.Group("", a.requireSignedIn, authorizeConsole)
	// Group middleware makes echo add catch-all not-found routes behind that
	// middleware, which would send a stranger asking for any unknown URL to
	// sign-in. Put plain ones back: an unknown URL is a 404 for everyone.
	e.RouteNotFound("/", echo.NotFoundHandler)
	e.RouteNotFound("/*", echo.NotFoundHandler)
	return g
}

// requireSignedIn lets signed-in admins through and sends everyone else to
// the sign-in page.
func (a *adminAuth) requireSignedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, err := a.load(c)
		if err != nil {
			return err
		}
		if sess == nil {
			return redirectToLogin(c)
		}
		return next(c)
	}
}

// redirectToLogin answers 303 to /login, remembering where a GET was going.
// A refused POST is not replayed: after sign-in the person starts over.
func redirectToLogin(c echo.Context) error {
	target := "/login"
	req := c.Request()
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		if back := safeReturnTo(req.URL.RequestURI()); back != "" {
			target += "?return_to=" + url.QueryEscape(back)
		}
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// authorizeConsole applies the role rules every console route shares:
// owner-only areas, and no changes by viewers.
func authorizeConsole(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := adminFrom(c)
		if inOwnerOnlyArea(c.Path()) && !sess.IsOwner() {
			return apperr.Forbidden("Only owners can use this part of the console.")
		}
		if !isSafeMethod(c.Request().Method) && !sess.CanWrite() {
			return apperr.Forbidden("Your console role is " + string(sess.Role) + ": you can look, but not change anything. Ask an owner for the editor role.")
		}
		return next(c)
	}
}

// requireRole refuses the route to admins whose role does not include role.
// Use it on a console route for a rule finer than the group's.
func requireRole(role adminauth.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !adminFrom(c).Has(role) {
				return apperr.Forbidden("This needs the " + string(role) + " console role.")
			}
			return next(c)
		}
	}
}

// inOwnerOnlyArea matches the route's path (as registered, so no trick of
// encoding gets around it) against ownerOnlyAreas.
func inOwnerOnlyArea(routePath string) bool {
	for _, area := range ownerOnlyAreas {
		if routePath == area || strings.HasPrefix(routePath, area+"/") {
			return true
		}
	}
	return false
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// safeReturnTo accepts only a path on this site ("/orgs?page=2") as where to
// go after sign-in, so the sign-in page cannot be used to send people to
// another site. Anything else gives "".
func safeReturnTo(s string) string {
	if s == "" || len(s) > 2000 || s[0] != '/' || strings.HasPrefix(s, "//") ||
		strings.ContainsAny(s, "\\\x00\r\n\t") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	return s
}
