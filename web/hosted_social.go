package web

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/enduser"
	"roster/internal/identity"
	"roster/internal/ratelimit"
	"roster/internal/social"
	"roster/views"
	"roster/views/pages/hosted"
)

// hostedSocialHandler signs end users in with a social provider: start
// sends the browser to the provider (code + PKCE, state and nonce kept in a
// sealed cookie), callback checks its answer and ends like every sign-in,
// with auth.finishSignIn. internal/social does the checks; identity.Resolve
// decides whose account it is. When it is an existing account and the owner
// does not trust the provider's verified emails, the person confirms with a
// code mailed to the account's address first (confirmPage, confirm).
type hostedSocialHandler struct {
	auth   *hostedAuth
	social *social.Service
	users  *enduser.Service // rate limits, the link code
	log    *slog.Logger
	flows  *sessions.CookieStore // socialCookie
	name   string                // its name
}

// socialCookie (base name) carries a social sign-in between start and
// callback.
const socialCookie = "roster_social"

// socialFlowLifetime bounds a sign-in at the provider.
const socialFlowLifetime = 10 * time.Minute

func newHostedSocialHandler(auth *hostedAuth, soc *social.Service, users *enduser.Service, d Deps) hostedSocialHandler {
	secure := secureCookies(d)
	return hostedSocialHandler{
		auth: auth, social: soc, users: users, log: d.Log,
		// The codec refuses older cookies too, so a flow cannot be kept and
		// replayed later.
		flows: newCookieStore(d.SecretKey, "social", int(socialFlowLifetime.Seconds()), secure),
		name:  cookieName(socialCookie, secure),
	}
}

// Routes registers the social sign-in routes. The sign-in page's buttons
// link to /signin/social/<provider>; /start is the same.
func (h hostedSocialHandler) Routes(e *echo.Echo) {
	p := h.auth.pages
	e.GET("/signin/social/:provider", h.start, p)
	e.GET("/signin/social/:provider/start", h.start, p)
	e.GET("/signin/social/:provider/callback", h.callback, p)
	e.GET("/signin/social/confirm", h.confirmPage, p)
	e.POST("/signin/social/confirm", h.confirm, p)
}

func (h hostedSocialHandler) start(c echo.Context) error {
	ctx := c.Request().Context()
	if err := h.users.Allow(ctx, ratelimit.SignInMail, c.RealIP(), ""); err != nil {
		return err
	}
	target, flow, err := h.social.Begin(ctx, c.Param("provider"))
	if err != nil {
		return h.problem(c, err, social.Result{})
	}
	if err := h.saveFlow(c, flow, c.QueryParam("return_to"), c.QueryParam("keep") == "1"); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, target)
}

func (h hostedSocialHandler) callback(c echo.Context) error {
	flow, returnTo, keep, ok := h.takeFlow(c)
	if !ok {
		return h.page(c, hosted.SocialProblemData{
			Reason: "no-state", Status: http.StatusBadRequest, Title: "This sign-in has expired",
			Message: "It took longer than 10 minutes, or was started in another browser. Please start again.",
			Action:  "/signin", Label: "Back to sign-in",
		})
	}
	res, err := h.social.SignIn(c.Request().Context(), c.Param("provider"), flow, c.QueryParams())
	var need *identity.InboxProofNeeded
	if errors.As(err, &need) {
		return h.startConfirm(c, need, res.Provider, returnTo, keep)
	}
	if err != nil {
		return h.problem(c, err, res)
	}
	return h.auth.finishSignIn(c, signedIn{UserID: res.User.ID, Method: res.Kind, ReturnTo: returnTo, Keep: keep})
}

// startConfirm mails a code to the existing account's address and asks for
// it: the provider's word that the address is the person's is not enough.
func (h hostedSocialHandler) startConfirm(c echo.Context, need *identity.InboxProofNeeded, provider, returnTo string, keep bool) error {
	ch, err := h.users.StartIdentityLink(c.Request().Context(), need, provider, returnTo, c.RealIP())
	if err != nil {
		return err
	}
	st := signInState{LinkChallenge: ch.Challenge, LinkEmail: ch.MaskedEmail, LinkProvider: provider, Keep: keep}
	if err := h.auth.saveSignInState(c, st); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/signin/social/confirm")
}

func (h hostedSocialHandler) confirmPage(c echo.Context) error {
	st := h.auth.signInStateOf(c)
	if st.LinkChallenge == "" {
		return c.Redirect(http.StatusSeeOther, "/signin")
	}
	return h.renderConfirm(c, http.StatusOK, hosted.SocialConfirmData{Email: st.LinkEmail, Provider: st.LinkProvider})
}

func (h hostedSocialHandler) renderConfirm(c echo.Context, status int, d hosted.SocialConfirmData) error {
	p, err := h.auth.page(c, "Confirm it is your account")
	if err != nil {
		return err
	}
	return render(c, status, hosted.SocialConfirm(p, d))
}

// confirm checks the mailed code; the right one links the provider's
// sign-in to the account and signs the person in.
func (h hostedSocialHandler) confirm(c echo.Context) error {
	st := h.auth.signInStateOf(c)
	if st.LinkChallenge == "" {
		if err := setFlash(c, views.FlashError, "Your sign-in took too long. Please start again."); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/signin")
	}
	code := c.FormValue("code")
	in, err := h.users.ConfirmIdentityLink(c.Request().Context(), st.LinkChallenge, code, c.RealIP())
	if errs := apperr.FieldErrors(err); errs != nil {
		return h.renderConfirm(c, http.StatusUnprocessableEntity, hosted.SocialConfirmData{
			Email: st.LinkEmail, Provider: st.LinkProvider, Code: code, CodeError: errs["code"],
		})
	}
	if err != nil {
		return err
	}
	return h.auth.finishSignIn(c, signedIn{UserID: in.UserID, Method: in.Method, ReturnTo: in.ReturnTo, Keep: st.Keep})
}

// problem turns what stopped a social sign-in into a page that says what
// to do. Details of failed checks go to the log only: they help whoever
// runs Roster, and would help an attacker more than the person here.
func (h hostedSocialHandler) problem(c echo.Context, err error, who social.Result) error {
	var fe *social.FlowError
	switch {
	case errors.Is(err, identity.ErrEmailNotVerified):
		return h.page(c, hosted.SocialProblemData{
			Reason: "email-not-verified", Status: http.StatusForbidden, Title: "Prove your email address first",
			Provider: who.Provider, Email: who.Email,
			Message: providerName(who) + " signed you in but did not confirm that this email address is yours, and an account with this address already exists. To keep that account safe, it is not opened this way.",
			Help:    "Sign in another way — with a link or code sent to the address — then this provider will work too, if it confirms the address.",
			Action:  "/signin", Label: "Sign in another way",
		})
	case errors.Is(err, social.ErrSignUpClosed):
		return h.page(c, hosted.SocialProblemData{
			Reason: "signup-closed", Status: http.StatusForbidden, Title: "Sign-up is closed",
			Provider: who.Provider, Email: who.Email,
			Message: "There is no account for this sign-in, and new accounts cannot be created here.",
			Help:    "Ask your organization's admin to invite you; the invitation's link lets you in.",
			Action:  "/signin", Label: "Back to sign-in",
		})
	case errors.Is(err, identity.ErrEmailDomainBlocked):
		var ae *apperr.Error
		errors.As(err, &ae)
		return h.page(c, hosted.SocialProblemData{
			Reason: "email-domain-blocked", Status: http.StatusForbidden, Title: "No account for this address",
			Provider: who.Provider, Email: who.Email, Message: ae.Message,
			Help:   "Sign in with your work address instead, by email or with a provider account that uses it.",
			Action: "/signin", Label: "Back to sign-in",
		})
	case errors.Is(err, identity.ErrNoEmail):
		return h.page(c, hosted.SocialProblemData{
			Reason: "no-email", Status: http.StatusBadRequest, Title: providerName(who) + " did not share your email address",
			Provider: who.Provider,
			Message:  "An account needs an email address. Allow access to your email address at the provider, or sign in another way.",
			Action:   "/signin", Label: "Back to sign-in",
		})
	case errors.As(err, &fe):
		h.log.WarnContext(c.Request().Context(), "social sign-in refused",
			slog.String("reason", fe.Reason), slog.String("detail", fe.Detail), slog.String("request_id", requestID(c)))
		d := hosted.SocialProblemData{
			Reason: fe.Reason, Status: http.StatusBadRequest, Title: "Sign-in failed",
			Message: "We could not complete your sign-in with this provider. Please start again; if it keeps failing, sign in another way.",
			Action:  "/signin", Label: "Back to sign-in",
		}
		switch fe.Reason {
		case "provider-unavailable":
			d.Status, d.Title = http.StatusNotFound, "This sign-in option is not available"
			d.Message = "It may have been turned off. Sign in another way."
		case "provider-unreachable":
			d.Status, d.Title = http.StatusServiceUnavailable, "The provider cannot be reached"
			d.Message = "Try again in a moment, or sign in another way."
		case "provider-error":
			d.Title = "The provider did not sign you in"
			d.Message = "You may have cancelled, or the provider refused. Please start again, or sign in another way."
		}
		return h.page(c, d)
	}
	return err
}

func (h hostedSocialHandler) page(c echo.Context, d hosted.SocialProblemData) error {
	p, err := h.auth.page(c, d.Title)
	if err != nil {
		return err
	}
	return render(c, d.Status, hosted.SocialProblem(p, d))
}

func (h hostedSocialHandler) saveFlow(c echo.Context, f social.Flow, returnTo string, keep bool) error {
	sess := sessions.NewSession(h.flows, h.name)
	opts := *h.flows.Options
	sess.Options = &opts
	sess.Values["provider"] = f.ProviderID
	sess.Values["state"] = f.State
	sess.Values["nonce"] = f.Nonce
	sess.Values["verifier"] = f.Verifier
	sess.Values["keep"] = keep
	// finishSignIn decides whether return_to is honoured; keep it bounded.
	if len(returnTo) <= 2000 {
		sess.Values["return_to"] = returnTo
	}
	return h.flows.Save(c.Request(), c.Response(), sess)
}

// takeFlow reads the flow cookie and deletes it: each flow is good for one
// callback. It returns the flow, where to go afterwards, and whether to keep
// the person signed in.
func (h hostedSocialHandler) takeFlow(c echo.Context) (f social.Flow, returnTo string, keep, ok bool) {
	if _, err := c.Cookie(h.name); err != nil {
		return social.Flow{}, "", false, false
	}
	sess, err := h.flows.New(c.Request(), h.name)
	get := func(k string) string { v, _ := sess.Values[k].(string); return v }
	f = social.Flow{ProviderID: get("provider"), State: get("state"), Nonce: get("nonce"), Verifier: get("verifier")}
	keep, _ = sess.Values["keep"].(bool)
	sess.Options.MaxAge = -1
	_ = h.flows.Save(c.Request(), c.Response(), sess) // deleting cannot fail to encode
	return f, get("return_to"), keep, err == nil && f.State != "" && f.Nonce != "" && f.Verifier != ""
}

// providerName names the provider in a sentence.
func providerName(r social.Result) string {
	if r.Provider == "" {
		return "Your provider"
	}
	return r.Provider
}
