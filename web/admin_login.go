package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"roster/internal/adminauth"
	"roster/internal/clock"
	"roster/internal/config"
	"roster/views"
	"roster/views/pages"
)

// signInHandler serves the console's sign-in: the sign-in page, OpenID
// Connect with the owner's identity provider (authorization code + PKCE),
// one-time sign-in links for setup mode, and sign-out.
type signInHandler struct {
	auth   *adminAuth
	svc    *adminauth.Service
	policy adminauth.Policy
	oidc   *oidcClient // nil in setup mode (no issuer configured)
	log    *slog.Logger
}

func newSignInHandler(d Deps, auth *adminAuth, svc *adminauth.Service) *signInHandler {
	h := &signInHandler{
		auth:   auth,
		svc:    svc,
		policy: adminauth.NewPolicy(d.Config.AdminAllowed, d.Config.AdminClaims),
		log:    d.Log,
	}
	if d.Config.AdminOIDCIssuer != "" {
		h.oidc = newOIDCClient(d.Config, d.SecretKey, d.Clock, secureCookies(d))
	}
	return h
}

// Routes registers the sign-in routes. They sit outside the console group:
// people who are not signed in must reach them.
func (h *signInHandler) Routes(e *echo.Echo) {
	e.GET("/login", h.loginPage)
	e.GET("/auth/oidc/start", h.start)
	e.GET("/auth/oidc/callback", h.callback)
	e.GET("/login/link/:token", h.linkPage)
	e.POST("/login/link/:token", h.useLink)
	e.POST("/logout", h.logout)
}

// loginPage offers the identity provider, or explains setup mode. Someone
// already signed in goes straight on.
func (h *signInHandler) loginPage(c echo.Context) error {
	back := safeReturnTo(c.QueryParam("return_to"))
	sess, err := h.auth.load(c)
	if err != nil {
		return err
	}
	if sess != nil {
		return c.Redirect(http.StatusSeeOther, orHome(back))
	}
	d := pages.LoginData{}
	if h.oidc != nil {
		d.StartURL = "/auth/oidc/start"
		if back != "" {
			d.StartURL += "?return_to=" + url.QueryEscape(back)
		}
	}
	return render(c, http.StatusOK, pages.Login(signInPage(c, "Sign in"), d))
}

// start sends the browser to the identity provider. state, nonce and the
// PKCE verifier stay behind in a short-lived encrypted cookie, so the
// callback can tell its own answer from a forged or replayed one.
func (h *signInHandler) start(c echo.Context) error {
	if h.oidc == nil {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	provider, err := h.oidc.discover(ctx)
	if err != nil {
		h.log.ErrorContext(ctx, "console sign-in: identity provider discovery failed",
			slog.String("issuer", h.oidc.cfg.AdminOIDCIssuer), slog.String("error", err.Error()))
		return h.problem(c, http.StatusServiceUnavailable, pages.SignInProblem{
			Reason: "provider-unreachable", Title: "Your identity provider cannot be reached",
			Message: "Roster could not reach the identity provider at " + h.oidc.cfg.AdminOIDCIssuer + ". Try again in a moment; if it keeps failing, check ROSTER_ADMIN_OIDC_ISSUER.",
		})
	}
	st := oidcState{
		State:    randomString(),
		Nonce:    randomString(),
		Verifier: oauth2.GenerateVerifier(),
		ReturnTo: safeReturnTo(c.QueryParam("return_to")),
	}
	if err := h.oidc.saveState(c, st); err != nil {
		return err
	}
	target := h.oidc.oauth2(provider).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return c.Redirect(http.StatusSeeOther, target)
}

// callback finishes sign-in: it checks state, trades the code (with the
// PKCE verifier) for tokens, verifies the ID token (signature, issuer,
// audience, expiry, nonce), reads the email and claims from it and from
// /userinfo, and lets the person in only if the policy gives them a role.
func (h *signInHandler) callback(c echo.Context) error {
	if h.oidc == nil {
		return echo.ErrNotFound
	}
	ctx := visitorContext(c)
	st, ok := h.oidc.takeState(c)
	if !ok {
		return h.problem(c, http.StatusBadRequest, pages.SignInProblem{
			Reason: "no-state", Title: "Sign-in expired",
			Message: "This sign-in took longer than 10 minutes, or was started in another browser. Please start again.",
		})
	}
	q := c.QueryParams()
	if e := q.Get("error"); e != "" {
		return h.problem(c, http.StatusBadRequest, pages.SignInProblem{
			Reason: "provider-error", Title: "Your identity provider did not sign you in",
			Message: fmt.Sprintf("It answered %q. Please start again, or ask whoever runs your identity provider.", truncateText(e, 100)),
		})
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1 {
		return h.refuse(c, "state-mismatch", "the state parameter does not match")
	}

	provider, err := h.oidc.discover(ctx)
	if err != nil {
		return h.refuse(c, "provider-unreachable", "discovery: "+err.Error())
	}
	pctx := oidc.ClientContext(ctx, h.oidc.http)
	tok, err := h.oidc.oauth2(provider).Exchange(pctx, q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return h.refuse(c, "exchange-failed", "code exchange: "+err.Error())
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return h.refuse(c, "no-id-token", "the token response has no id_token")
	}
	idt, err := provider.VerifierContext(pctx, &oidc.Config{ClientID: h.oidc.cfg.AdminOIDCClientID, Now: h.oidc.clock.Now}).Verify(pctx, rawID)
	if err != nil {
		return h.refuse(c, "bad-id-token", "ID token: "+err.Error())
	}
	// go-oidc leaves the nonce to us: it ties the token to this browser's
	// sign-in, so a token obtained elsewhere cannot be replayed here.
	if idt.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return h.refuse(c, "nonce-mismatch", "the ID token's nonce does not match")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return h.refuse(c, "bad-id-token", "at_hash: "+err.Error())
		}
	}

	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return h.refuse(c, "bad-id-token", "ID token claims: "+err.Error())
	}
	// Many providers put the email and groups only in /userinfo. Its
	// answer fills what the ID token lacks; the signed token wins.
	if provider.UserInfoEndpoint() != "" {
		ui, err := provider.UserInfo(pctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return h.refuse(c, "userinfo-failed", "userinfo: "+err.Error())
		}
		if ui.Subject != idt.Subject {
			return h.refuse(c, "userinfo-failed", "userinfo is about another subject")
		}
		more := map[string]any{}
		if err := ui.Claims(&more); err != nil {
			return h.refuse(c, "userinfo-failed", "userinfo claims: "+err.Error())
		}
		for k, v := range more {
			if _, ok := claims[k]; !ok {
				claims[k] = v
			}
		}
	}

	email, _ := claims["email"].(string)
	verified := isTrue(claims["email_verified"])
	role := h.policy.RoleFor(email, verified, claims)
	if role == "" {
		if err := h.svc.RecordRefusal(ctx, email, idt.Issuer, idt.Subject); err != nil {
			return err
		}
		return h.notAllowed(c, email, verified)
	}
	if email == "" {
		email = idt.Subject // a claim rule let in someone without an email; label them by subject
	}
	_, token, err := h.svc.Start(ctx, adminauth.Identity{
		Email: email, Subject: idt.Subject, Issuer: idt.Issuer, Role: role,
		IP: c.RealIP(), UserAgent: c.Request().UserAgent(),
	}, h.auth.token(c))
	if err != nil {
		return err
	}
	if err := h.auth.signedIn(c, token); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, orHome(st.ReturnTo))
}

// refuse answers a callback that failed a check. The details go to the log
// only: they help the operator, and would help an attacker more than the
// person in front of the page.
func (h *signInHandler) refuse(c echo.Context, reason, detail string) error {
	h.log.WarnContext(c.Request().Context(), "console sign-in refused",
		slog.String("reason", reason), slog.String("detail", detail), slog.String("request_id", requestID(c)))
	status := http.StatusBadRequest
	if reason == "provider-unreachable" {
		status = http.StatusServiceUnavailable
	}
	return h.problem(c, status, pages.SignInProblem{
		Reason: reason, Title: "Sign-in failed",
		Message: "Roster could not complete your sign-in with the identity provider. Please start again; if it keeps failing, quote the request id below to whoever runs Roster.",
	})
}

// notAllowed tells a person the provider vouched for that this console is
// not theirs, naming the account they used. No session is made.
func (h *signInHandler) notAllowed(c echo.Context, email string, verified bool) error {
	d := pages.SignInProblem{
		Reason: "not-allowed", Title: "You are not allowed into this console",
		Message: "Your identity provider signed you in, but this Roster does not let that account into its console.",
		Email:   email,
		Help:    "If you should have access, ask an owner of this Roster to add you to ROSTER_ADMIN_ALLOWED or ROSTER_ADMIN_CLAIM. If you used the wrong account, sign out at your identity provider and try again.",
	}
	if email == "" {
		d.Message = "Your identity provider signed you in without telling Roster your email address, and no rule lets you in."
	} else if !verified {
		d.Help = "Your identity provider does not say this email address is verified, so email rules do not apply to it. " + d.Help
	}
	return h.problem(c, http.StatusForbidden, d)
}

// linkPage shows what a one-time sign-in link will do; using it takes a
// click, so link previews and mail scanners do not spend it.
func (h *signInHandler) linkPage(c echo.Context) error {
	token := c.Param("token")
	email, err := h.svc.CheckLoginLink(c.Request().Context(), token)
	if err != nil {
		return h.linkProblem(c, err)
	}
	return render(c, http.StatusOK, pages.LoginLink(signInPage(c, "Set up Roster"), pages.LoginLinkData{
		Email: email, Action: "/login/link/" + url.PathEscape(token),
	}))
}

// useLink spends a one-time sign-in link and signs its owner in.
func (h *signInHandler) useLink(c echo.Context) error {
	_, token, err := h.svc.RedeemLoginLink(visitorContext(c), c.Param("token"), adminauth.Identity{
		IP: c.RealIP(), UserAgent: c.Request().UserAgent(),
	}, h.auth.token(c))
	if err != nil {
		return h.linkProblem(c, err)
	}
	if err := h.auth.signedIn(c, token); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

func (h *signInHandler) linkProblem(c echo.Context, err error) error {
	const help = "Make a new link on the server with: roster admin login-link --email you@example.com"
	switch {
	case errors.Is(err, adminauth.ErrLinkUsed):
		return h.problem(c, http.StatusGone, pages.SignInProblem{
			Reason: "link-used", Title: "This sign-in link has already been used",
			Message: "Each sign-in link works only once.", Help: help,
		})
	case errors.Is(err, adminauth.ErrLinkExpired):
		return h.problem(c, http.StatusGone, pages.SignInProblem{
			Reason: "link-expired", Title: "This sign-in link has expired",
			Message: "Sign-in links work for 15 minutes.", Help: help,
		})
	case errors.Is(err, adminauth.ErrLinkUnknown):
		return h.problem(c, http.StatusNotFound, pages.SignInProblem{
			Reason: "link-unknown", Title: "This sign-in link is not valid",
			Message: "Check that you copied the whole link.", Help: help,
		})
	}
	return err
}

// logout ends the session and drops the cookie. It is a POST with the CSRF
// token, so another site cannot sign anyone out.
func (h *signInHandler) logout(c echo.Context) error {
	if err := h.svc.SignOut(visitorContext(c), h.auth.token(c)); err != nil {
		return err
	}
	h.auth.clearToken(c)
	if err := setFlash(c, views.FlashSuccess, "You are signed out."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

func (h *signInHandler) problem(c echo.Context, status int, d pages.SignInProblem) error {
	return render(c, status, pages.SignInFailed(signInPage(c, d.Title), d))
}

// signInPage is the page value of the sign-in pages: no navigation, since
// every console link would lead back to sign-in.
func signInPage(c echo.Context, title string) views.Page {
	p := newPage(c, title, views.NavNone)
	p.HideNav = true
	return p
}

func orHome(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// isTrue reads email_verified, which some providers send as a string.
func isTrue(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true"
	}
	return false
}

func truncateText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// randomString returns 256 random bits, URL-safe.
func randomString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// oidcCookie (base name) holds state, nonce and PKCE verifier between start
// and callback.
const oidcCookie = "roster_oidc"

// oidcStateLifetime bounds a sign-in at the identity provider.
const oidcStateLifetime = 10 * time.Minute

// oidcState is what the browser carries, encrypted, through the sign-in.
type oidcState struct {
	State, Nonce, Verifier, ReturnTo string
}

// oidcClient is Roster as a client of the owner's identity provider.
type oidcClient struct {
	cfg    config.Config
	clock  clock.Clock
	http   *http.Client
	states *sessions.CookieStore
	cookie string // the state cookie's name

	mu       sync.Mutex
	provider *oidc.Provider // discovered on first use, then kept
}

func newOIDCClient(cfg config.Config, secret []byte, clk clock.Clock, secure bool) *oidcClient {
	return &oidcClient{
		cfg:   cfg,
		clock: clk,
		http:  &http.Client{Timeout: 10 * time.Second},
		// The codec refuses cookies older than this too, so a state cannot
		// be kept and replayed later.
		states: newCookieStore(secret, "oidc", int(oidcStateLifetime.Seconds()), secure),
		cookie: cookieName(oidcCookie, secure),
	}
}

// discover fetches the provider's metadata once. Not at start: Roster must
// start (and serve setup links) while the provider is down; a failure is
// retried on the next sign-in.
func (o *oidcClient) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.http), o.cfg.AdminOIDCIssuer)
	if err != nil {
		return nil, err
	}
	o.provider = p
	return p, nil
}

func (o *oidcClient) oauth2(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     o.cfg.AdminOIDCClientID,
		ClientSecret: o.cfg.AdminOIDCClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  o.cfg.PublicURL.String() + "/auth/oidc/callback",
		Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
	}
}

func (o *oidcClient) saveState(c echo.Context, st oidcState) error {
	sess := sessions.NewSession(o.states, o.cookie)
	opts := *o.states.Options
	sess.Options = &opts
	sess.Values["state"] = st.State
	sess.Values["nonce"] = st.Nonce
	sess.Values["verifier"] = st.Verifier
	sess.Values["return_to"] = st.ReturnTo
	return o.states.Save(c.Request(), c.Response(), sess)
}

// takeState reads the sign-in cookie and deletes it: each state is good for
// one callback.
func (o *oidcClient) takeState(c echo.Context) (oidcState, bool) {
	if _, err := c.Cookie(o.cookie); err != nil {
		return oidcState{}, false
	}
	sess, err := o.states.New(c.Request(), o.cookie)
	get := func(k string) string { v, _ := sess.Values[k].(string); return v }
	st := oidcState{State: get("state"), Nonce: get("nonce"), Verifier: get("verifier"), ReturnTo: safeReturnTo(get("return_to"))}
	sess.Options.MaxAge = -1
	_ = o.states.Save(c.Request(), c.Response(), sess) // deleting cannot fail to encode
	return st, err == nil && st.State != "" && st.Nonce != "" && st.Verifier != ""
}
