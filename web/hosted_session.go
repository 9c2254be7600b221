package web

// End users' sessions on the hosted pages.
//
// End users never see the console: hosted pages (sign-in, the org picker,
// "my organizations", invitations) hang directly off echo, in routes.go's
// "Hosted end-user pages" block, each with h.pages (hosted errors render in
// the hosted layout) and, when they need a signed-in person, h.requireUser:
//
//	e.GET("/my-organizations", h.myOrgs, auth.pages, auth.requireUser)
//
// In handlers, auth.currentUser(c) is the signed-in *enduser.Session (or
// nil), and the person is the audit actor on the request context. Every
// sign-in method ends with auth.finishSignIn, the one post-sign-in step;
// auth.page(c, title) builds what hosted views take first. Forms need
// @components.CSRF(p.CSRFToken) as on the console.

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/enduser"
	"roster/internal/model"
	"roster/internal/ratelimit"
	"roster/views"
	"roster/views/layouts"
	"roster/views/pages/hosted"
)

// Base names of the cookies of hosted sign-in (cookies.go).
const (
	// userCookie carries the end user's session token: 256 random bits,
	// only their SHA-256 stored. The database alone says whether it is live.
	userCookie = "roster_session"
	// signInStateCookie carries a sign-in in progress between its pages:
	// the address, the email code's challenge, where to go afterwards.
	signInStateCookie = "roster_signin"
)

// userKey is where the signed-in end user's session lives in the echo context.
const userKey = "roster.enduser"

// hostedHome is where people go after signing in when return_to says nothing.
const hostedHome = "/my-organizations"

// hostedAuth reads and writes the end-user session cookie and runs the step
// after every sign-in.
type hostedAuth struct {
	users      *enduser.Service
	clock      clock.Clock
	secure     bool
	log        *slog.Logger
	csrf       csrfGuard
	userCookie string                // the session cookie's name
	state      *sessions.CookieStore // signInStateCookie, signed and encrypted
	stateName  string                // its name
}

func newHostedAuth(users *enduser.Service, d Deps, csrf csrfGuard) *hostedAuth {
	secure := secureCookies(d)
	return &hostedAuth{
		users: users, clock: d.Clock, secure: secure, log: d.Log, csrf: csrf,
		userCookie: cookieName(userCookie, secure),
		state:      newCookieStore(d.SecretKey, "signin", 3600, secure), // an email code lives at most an hour
		stateName:  cookieName(signInStateCookie, secure),
	}
}

// token returns the session token of the request's cookie, or "".
func (h *hostedAuth) token(c echo.Context) string {
	ck, err := c.Cookie(h.userCookie)
	if err != nil {
		return ""
	}
	return ck.Value
}

// setCookie sets the session cookie: maxAge 0 makes a cookie that ends
// with the browser, -1 deletes it.
func (h *hostedAuth) setCookie(c echo.Context, value string, maxAge int) {
	c.SetCookie(&http.Cookie{
		Name: h.userCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	})
}

// load finds the live session of the request's cookie, remembers it, and
// makes the person the audit actor. A cookie whose session has ended
// (revoked in the console, expired, signed out elsewhere) is dropped: the
// person is signed out on this request.
func (h *hostedAuth) load(c echo.Context) (*enduser.Session, error) {
	if s, ok := c.Get(userKey).(*enduser.Session); ok {
		return s, nil
	}
	token := h.token(c)
	if token == "" {
		return nil, nil
	}
	sess, err := h.users.Authenticate(c.Request().Context(), token)
	if err != nil {
		return nil, err
	}
	if sess == nil {
		h.setCookie(c, "", -1)
		return nil, nil
	}
	h.remember(c, sess)
	return sess, nil
}

// remember keeps sess for currentUser and puts its person on the request
// context as the audit actor.
func (h *hostedAuth) remember(c echo.Context, sess *enduser.Session) {
	c.Set(userKey, sess)
	req := c.Request()
	ctx := audit.WithActor(req.Context(), model.Actor{
		Type: "user", ID: sess.UserID, Label: sess.Email,
		IP: c.RealIP(), UserAgent: req.UserAgent(), RequestID: requestID(c),
	})
	c.SetRequest(req.WithContext(ctx))
}

// currentUser returns the signed-in end user's session, or nil. A database
// failure while looking counts as nobody signed in (and is logged).
func (h *hostedAuth) currentUser(c echo.Context) *enduser.Session {
	sess, err := h.load(c)
	if err != nil {
		h.log.ErrorContext(c.Request().Context(), "hosted: loading the session failed",
			slog.String("request_id", requestID(c)), slog.String("error", err.Error()))
		return nil
	}
	return sess
}

// startUserSession ends any current end-user session of this browser, starts a new one
// (new id, new cookie: rotation at sign-in) for userID acting in orgID ("" = none yet),
// records method ("EMAIL", "PASSWORD", "GOOGLE", "OIDC", …) as the membership's
// primary_identity_provider when orgID is set, updates users.last_login_at, audits, sets
// the session cookie (HttpOnly, SameSite=Lax, Secure and __Host- behind TLS) and gives
// the browser a new CSRF token.
//
// The cookie ends with the browser unless keep ("Keep me signed in"): then it lasts as
// long as the session may (its absolute expiry). Either way the session ends on the
// server after its idle timeout or lifetime, whichever comes first.
func (h *hostedAuth) startUserSession(c echo.Context, userID, orgID, method string, keep bool) error {
	ctx := c.Request().Context()
	if old := h.token(c); old != "" {
		if err := h.users.EndSession(ctx, old, enduser.ReasonSignedInAgain); err != nil {
			return err
		}
	}
	c.Set(userKey, nil)
	token, sess, err := h.users.Start(ctx, userID, orgID, method, c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	maxAge := 0
	if keep {
		maxAge = max(int(sess.AbsoluteExpiresAt.Sub(h.clock.Now()).Seconds()), 1)
	}
	h.setCookie(c, token, maxAge)
	h.csrf.rotate(c)
	h.remember(c, &sess)
	return nil
}

// signedIn is what a sign-in method hands to finishSignIn.
type signedIn struct {
	UserID string
	// OrgID, when not "", is the org the flow already chose (an accepted
	// invitation).
	OrgID    string
	Method   string // EMAIL, PASSWORD, GOOGLE, …
	ReturnTo string
	// Keep is the person's "Keep me signed in": the session cookie outlives
	// the browser.
	Keep bool
	// Flash, when not "", is said on the hosted page the person lands on
	// ("You joined Acme."); nothing is said when they go on to an app.
	Flash string
}

// finishSignIn is THE post-sign-in step every method ends with: if the user has one active
// org → sign in to it; several → the org picker (/choose-organization); none → "my
// organizations" page (pending invitations, sign-up-creates-org); then redirect to the
// allowlisted return_to (environment_settings.allowed_redirect_urls) or the hosted home.
func (h *hostedAuth) finishSignIn(c echo.Context, in signedIn) error {
	ctx := c.Request().Context()
	target, err := h.users.ReturnTo(ctx, in.ReturnTo)
	if err != nil {
		return err
	}
	org, next, err := h.users.Landing(ctx, in.UserID, in.OrgID)
	if err != nil {
		return err
	}
	if err := h.startUserSession(c, in.UserID, org, in.Method, in.Keep); err != nil {
		return err
	}
	h.clearSignInState(c)
	switch next {
	case enduser.NextChooseOrganization:
		return h.goOn(c, withReturnTo("/choose-organization", target), in.Flash)
	case enduser.NextMyOrganizations:
		return h.goOn(c, withReturnTo(hostedHome, target), in.Flash)
	}
	return h.goOn(c, target, in.Flash)
}

// goOn sends a signed-in person on to target (a local path or an
// allowlisted return_to; "" is the hosted home), with message as a success
// flash when target is one of Roster's pages: an app would never show it,
// and it would wait for the next hosted page instead.
func (h *hostedAuth) goOn(c echo.Context, target, message string) error {
	if target == "" {
		target = hostedHome
	}
	if message != "" && enduser.LocalPath(target) {
		if err := setFlash(c, views.FlashSuccess, message); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// withReturnTo adds return_to to a local path when there is one.
func withReturnTo(path, returnTo string) string {
	if returnTo == "" {
		return path
	}
	return path + "?return_to=" + url.QueryEscape(returnTo)
}

// requireUser lets signed-in end users through and sends everyone else to
// sign-in, remembering where a GET was going.
func (h *hostedAuth) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, err := h.load(c)
		if err != nil {
			return err
		}
		if sess == nil {
			target := "/signin"
			req := c.Request()
			if req.Method == http.MethodGet || req.Method == http.MethodHead {
				if back := safeReturnTo(req.URL.RequestURI()); back != "" {
					target = withReturnTo(target, back)
				}
			}
			return c.Redirect(http.StatusSeeOther, target)
		}
		return next(c)
	}
}

// page builds what every hosted view takes first: the common page values,
// the app's name and the signed-in person, if any.
func (h *hostedAuth) page(c echo.Context, title string) (layouts.HostedPage, error) {
	ctx := c.Request().Context()
	name, err := h.users.AppName(ctx)
	if err != nil {
		return layouts.HostedPage{}, err
	}
	token, _ := c.Get(csrfTokenKey).(string)
	p := layouts.HostedPage{AppName: name}
	p.Title, p.Flash, p.RequestID, p.CSRFToken = title, popFlash(c), requestID(c), token
	sess, err := h.load(c)
	if err != nil {
		return p, err
	}
	if sess != nil {
		n, err := h.users.OrganizationCount(ctx, sess.UserID)
		if err != nil {
			return p, err
		}
		p.User = &layouts.HostedUser{Email: sess.Email, OrgName: sess.OrganizationName, CanSwitch: n > 1}
	}
	return p, nil
}

// hostedKey marks a request of a hosted route, whose errors the central
// error handler renders in the hosted layout (hostedAuth.errorPage).
const hostedKey = "roster.hosted"

// pages marks the request as a hosted page's, so its errors render in the
// hosted layout, where an end user can go on from, instead of the console's
// error page; it loads the signed-in person, if any, or makes the visitor
// the audit actor.
func (h *hostedAuth) pages(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(hostedKey, true)
		sess, err := h.load(c)
		if err != nil {
			return err
		}
		if sess == nil {
			visitorActor(c)
		}
		return next(c)
	}
}

// errorPage renders the failure f of a hosted request (the central error
// handler decides which are: errors.go) as a hosted notice. Too many
// attempts get a page that says how long to wait. The way on is the
// person's organizations when they are signed in, sign-in otherwise.
func (h *hostedAuth) errorPage(c echo.Context, err error, f failure) error {
	d := hosted.NoticeData{Reason: "error", Status: f.status, Title: f.title, Message: f.message}
	var limited *ratelimit.Error
	switch {
	case errors.As(err, &limited):
		d.Reason, d.Status, d.Title = "rate-limited", 0, "Too many attempts"
		d.Message = "For your account's safety, please wait " + minutes(limited.Minutes()) + " before trying again."
		if limited.Reason == "password" {
			// Only this network waits: say what still works now.
			d.Title = "Too many wrong passwords"
			d.Message = "There were too many wrong passwords for this account from your network. Wait " +
				minutes(limited.Minutes()) + " to try a password again, or go back and sign in with a code sent by email."
		}
	case errors.Is(err, errStaleForm):
		d.Reason, d.Title = "csrf", "This form has expired"
		d.Message = "For your safety, a form can only be sent from a page of this site opened recently. Go back, reload the page and try again."
	case f.status == http.StatusNotFound && f.message == wording[http.StatusNotFound][1]:
		d.Reason = "not-found"
		d.Message = "There is nothing at this address. Check that you opened the whole link; some mail programs break long links in two."
	}
	d.Action, d.Label = "/signin", "Go to sign-in"
	if h.currentUser(c) != nil {
		d.Action, d.Label = hostedHome, "Back to your organizations"
	}
	return h.notice(c, f.status, d)
}

// notice renders a one-message hosted page.
func (h *hostedAuth) notice(c echo.Context, status int, d hosted.NoticeData) error {
	p, err := h.page(c, d.Title)
	if err != nil {
		return err
	}
	return render(c, status, hosted.Notice(p, d))
}

func minutes(n int) string {
	if n == 1 {
		return "a minute"
	}
	return strconv.Itoa(n) + " minutes"
}

// signInState is a sign-in in progress, between its pages.
type signInState struct {
	Email     string
	Challenge string // the email code's challenge; "" for none
	Link      bool   // the mail holds a link
	ReturnTo  string
	Sent      string // what the "check your inbox" page says: signin, signup, reset
	// A social sign-in waiting for the code that links it to an existing
	// account: the code's challenge, the masked address it went to, and the
	// provider's name.
	LinkChallenge, LinkEmail, LinkProvider string
	Keep                                   bool // "Keep me signed in" was ticked
}

func (h *hostedAuth) saveSignInState(c echo.Context, st signInState) error {
	sess := sessions.NewSession(h.state, h.stateName)
	opts := *h.state.Options
	sess.Options = &opts
	sess.Values["email"] = st.Email
	sess.Values["challenge"] = st.Challenge
	sess.Values["link"] = st.Link
	sess.Values["return_to"] = st.ReturnTo
	sess.Values["sent"] = st.Sent
	sess.Values["link_challenge"] = st.LinkChallenge
	sess.Values["link_email"] = st.LinkEmail
	sess.Values["link_provider"] = st.LinkProvider
	sess.Values["keep"] = st.Keep
	return h.state.Save(c.Request(), c.Response(), sess)
}

// signInStateOf reads the sign-in in progress; a missing or forged cookie
// gives the zero value.
func (h *hostedAuth) signInStateOf(c echo.Context) signInState {
	if _, err := c.Cookie(h.stateName); err != nil {
		return signInState{}
	}
	sess, err := h.state.New(c.Request(), h.stateName)
	if err != nil {
		return signInState{}
	}
	str := func(k string) string { v, _ := sess.Values[k].(string); return v }
	link, _ := sess.Values["link"].(bool)
	keep, _ := sess.Values["keep"].(bool)
	return signInState{
		Email: str("email"), Challenge: str("challenge"), Link: link, ReturnTo: str("return_to"), Sent: str("sent"),
		LinkChallenge: str("link_challenge"), LinkEmail: str("link_email"), LinkProvider: str("link_provider"),
		Keep: keep,
	}
}

func (h *hostedAuth) clearSignInState(c echo.Context) {
	if _, err := c.Cookie(h.stateName); err != nil {
		return
	}
	sess := sessions.NewSession(h.state, h.stateName)
	opts := *h.state.Options
	opts.MaxAge = -1
	sess.Options = &opts
	_ = h.state.Save(c.Request(), c.Response(), sess) // deleting cannot fail to encode
}

// visitorActor makes the request's origin the audit actor of a hosted
// request by someone not signed in yet.
func visitorActor(c echo.Context) {
	req := c.Request()
	c.SetRequest(req.WithContext(audit.WithActor(req.Context(), model.Actor{
		Type: "system", Label: "hosted sign-in",
		IP: c.RealIP(), UserAgent: req.UserAgent(), RequestID: requestID(c),
	})))
}
