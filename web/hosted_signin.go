package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/enduser"
	"roster/internal/identity"
	"roster/views"
	"roster/views/pages/hosted"
)

// hostedSignInHandler serves end users' sign-in: identity first (the email
// address), then the methods the environment allows: a mailed link or
// code, a password (with sign-up, confirmation and reset), or a social
// provider (S2's pages). Every way in ends with auth.finishSignIn.
type hostedSignInHandler struct {
	auth  *hostedAuth
	users *enduser.Service
}

// Routes registers the sign-in pages. They sit outside the console group:
// end users are not console admins.
func (h hostedSignInHandler) Routes(e *echo.Echo) {
	p := h.auth.pages
	e.GET("/signin", h.signInPage, p)
	e.POST("/signin", h.identify, p)
	e.POST("/signin/email", h.sendEmail, p)
	e.GET("/signin/code", h.codePage, p)
	e.POST("/signin/code", h.checkCode, p)
	e.GET("/signin/sent", h.sentPage, p)
	e.GET("/signin/link/:token", h.linkPage, p)
	e.POST("/signin/link/:token", h.useLink, p)
	e.POST("/signin/password", h.password, p)
	e.GET("/signup", h.signUpPage, p)
	e.POST("/signup", h.signUp, p)
	e.GET("/signin/verify/:token", h.verifyPage, p)
	e.POST("/signin/verify/:token", h.verify, p)
	e.GET("/signin/forgot", h.forgotPage, p)
	e.POST("/signin/forgot", h.forgot, p)
	e.GET("/signin/reset/:token", h.resetPage, p)
	e.POST("/signin/reset/:token", h.reset, p)
	e.POST("/logout/user", h.signOut, p)
}

// signInPage asks for the email address. Someone already signed in goes
// straight on.
func (h hostedSignInHandler) signInPage(c echo.Context) error {
	returnTo := c.QueryParam("return_to")
	if sess := h.auth.currentUser(c); sess != nil {
		target, err := h.users.ReturnTo(c.Request().Context(), returnTo)
		if err != nil {
			return err
		}
		if target == "" {
			target = hostedHome
		}
		return c.Redirect(http.StatusSeeOther, target)
	}
	return h.renderSignIn(c, http.StatusOK, hosted.SignInData{Email: c.QueryParam("email"), ReturnTo: returnTo})
}

func (h hostedSignInHandler) renderSignIn(c echo.Context, status int, d hosted.SignInData) error {
	p, err := h.auth.page(c, "Sign in")
	if err != nil {
		return err
	}
	return render(c, status, hosted.SignIn(p, d))
}

// identify shows the methods for the typed address; the page is the same
// whether or not the address has an account.
func (h hostedSignInHandler) identify(c echo.Context) error {
	email, returnTo, keep := c.FormValue("email"), c.FormValue("return_to"), keepSignedIn(c)
	m, err := h.users.Identify(c.Request().Context(), email, c.RealIP())
	if errs := apperr.FieldErrors(err); errs != nil {
		return h.renderSignIn(c, http.StatusUnprocessableEntity, hosted.SignInData{Email: email, EmailError: errs["email"], ReturnTo: returnTo, Keep: keep})
	}
	if err != nil {
		return err
	}
	return h.renderMethods(c, http.StatusOK, m, returnTo, keep, "")
}

// keepSignedIn reads the "Keep me signed in" checkbox of a sign-in form
// (or its choice carried on in a hidden field or a link).
func keepSignedIn(c echo.Context) bool { return c.FormValue("keep") == "1" }

func (h hostedSignInHandler) renderMethods(c echo.Context, status int, m enduser.Methods, returnTo string, keep bool, passwordError string) error {
	d := hosted.MethodsData{
		Email: m.Email, ReturnTo: returnTo, Keep: keep, EmailLink: m.EmailLink, EmailCode: m.EmailCode,
		Password: m.Password, SignUp: m.SignUp, SignUpBlocked: m.SignUpBlocked, PasswordError: passwordError,
	}
	for _, s := range m.Social {
		start, q := "/signin/social/"+url.PathEscape(s.ID), url.Values{}
		if returnTo != "" {
			q.Set("return_to", returnTo)
		}
		if keep {
			q.Set("keep", "1") // carried through the provider in the flow cookie
		}
		if len(q) > 0 {
			start += "?" + q.Encode()
		}
		d.Social = append(d.Social, hosted.SocialButton{Name: s.Name, Kind: s.Kind, URL: start})
	}
	p, err := h.auth.page(c, "Sign in")
	if err != nil {
		return err
	}
	return render(c, status, hosted.Methods(p, d))
}

// sendEmail mails a link, a code or both, then shows where to enter the
// code (or to check the inbox).
func (h hostedSignInHandler) sendEmail(c echo.Context) error {
	email, returnTo, keep := c.FormValue("email"), c.FormValue("return_to"), keepSignedIn(c)
	ch, err := h.users.StartEmailSignIn(c.Request().Context(), email, returnTo, c.RealIP())
	if errs := apperr.FieldErrors(err); errs != nil {
		return h.renderSignIn(c, http.StatusUnprocessableEntity, hosted.SignInData{Email: email, EmailError: errs["email"], ReturnTo: returnTo, Keep: keep})
	}
	if err != nil {
		return err
	}
	st := signInState{Email: ch.Email, Challenge: ch.Challenge, Link: ch.Link, ReturnTo: returnTo, Sent: "signin", Keep: keep}
	if err := h.auth.saveSignInState(c, st); err != nil {
		return err
	}
	if ch.Challenge != "" {
		return c.Redirect(http.StatusSeeOther, "/signin/code")
	}
	return c.Redirect(http.StatusSeeOther, "/signin/sent")
}

func (h hostedSignInHandler) codePage(c echo.Context) error {
	st := h.auth.signInStateOf(c)
	if st.Challenge == "" {
		return c.Redirect(http.StatusSeeOther, "/signin")
	}
	return h.renderCode(c, http.StatusOK, hosted.CodeData{Email: st.Email, Link: st.Link, ReturnTo: st.ReturnTo, Keep: st.Keep})
}

func (h hostedSignInHandler) renderCode(c echo.Context, status int, d hosted.CodeData) error {
	p, err := h.auth.page(c, "Enter your code")
	if err != nil {
		return err
	}
	return render(c, status, hosted.Code(p, d))
}

// checkCode signs in with the code from the mail.
func (h hostedSignInHandler) checkCode(c echo.Context) error {
	st := h.auth.signInStateOf(c)
	if st.Challenge == "" {
		if err := setFlash(c, views.FlashError, "Your sign-in took too long. Please start again."); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/signin")
	}
	code := c.FormValue("code")
	in, err := h.users.SignInWithCode(c.Request().Context(), st.Challenge, code, c.RealIP())
	if errs := apperr.FieldErrors(err); errs != nil {
		return h.renderCode(c, http.StatusUnprocessableEntity, hosted.CodeData{
			Email: st.Email, Link: st.Link, Code: code, CodeError: errs["code"], ReturnTo: st.ReturnTo, Keep: st.Keep,
		})
	}
	if err != nil {
		return h.signInRefused(c, err)
	}
	return h.auth.finishSignIn(c, signedIn{UserID: in.UserID, Method: in.Method, ReturnTo: in.ReturnTo, Keep: st.Keep})
}

// sentPage says a mail is on its way. What it says depends on the step
// that sent it, never on whether the address has an account.
func (h hostedSignInHandler) sentPage(c echo.Context) error {
	st := h.auth.signInStateOf(c)
	if st.Email == "" {
		return c.Redirect(http.StatusSeeOther, "/signin")
	}
	d := hosted.SentData{Email: st.Email, ReturnTo: st.ReturnTo, Keep: st.Keep, Title: "Check your inbox"}
	switch st.Sent {
	case "signup":
		d.Title = "Confirm your email address"
		d.Message = "We have sent a link to " + st.Email + ". Open it to confirm the address; then your password works."
	case "reset":
		d.Message = "If " + st.Email + " has an account here, we have sent it a link to set a new password."
		d.Resend = "/signin/forgot"
	default:
		d.Message = "If " + st.Email + " can sign in here, we have sent it a sign-in link."
		d.Resend = "/signin/email"
	}
	p, err := h.auth.page(c, d.Title)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, hosted.Sent(p, d))
}

// linkPage shows what a sign-in link will do; only the button uses it. The
// link may open in another browser than the one that asked for it, so the
// page asks again whether to keep the person signed in (ticked if this
// browser asked for the link with the box ticked).
func (h hostedSignInHandler) linkPage(c echo.Context) error {
	token := c.Param("token")
	info, err := h.users.LinkStatus(c.Request().Context(), token)
	if err != nil {
		return err
	}
	if info.State != enduser.LinkOpen {
		return h.linkProblem(c, info.State, "sign-in link")
	}
	p, err := h.auth.page(c, "Sign in")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, hosted.Link(p, hosted.LinkData{
		Title: "Sign in to " + p.AppName, Lead: "Use the button to finish signing in on this device.",
		Email: info.Email, Action: "/signin/link/" + url.PathEscape(token), Button: "Sign in",
		Keep: h.auth.signInStateOf(c).Keep,
	}))
}

func (h hostedSignInHandler) useLink(c echo.Context) error {
	in, err := h.users.SignInWithLink(c.Request().Context(), c.Param("token"))
	if err != nil {
		return h.signInRefused(c, err)
	}
	return h.auth.finishSignIn(c, signedIn{UserID: in.UserID, Method: in.Method, ReturnTo: in.ReturnTo, Keep: keepSignedIn(c)})
}

// password signs in with a password; a refusal shows beside the field.
func (h hostedSignInHandler) password(c echo.Context) error {
	email, returnTo, keep := c.FormValue("email"), c.FormValue("return_to"), keepSignedIn(c)
	ctx := c.Request().Context()
	in, err := h.users.SignInWithPassword(ctx, email, c.FormValue("password"), returnTo, c.RealIP())
	if err == nil {
		return h.auth.finishSignIn(c, signedIn{UserID: in.UserID, Method: in.Method, ReturnTo: in.ReturnTo, Keep: keep})
	}
	msg := apperr.FieldErrors(err)["password"]
	if errors.Is(err, enduser.ErrEmailUnconfirmed) {
		var ae *apperr.Error
		errors.As(err, &ae)
		msg = ae.Message
	}
	if msg == "" {
		return err
	}
	m, merr := h.users.Methods(ctx, email)
	if errs := apperr.FieldErrors(merr); errs != nil {
		return h.renderSignIn(c, http.StatusUnprocessableEntity, hosted.SignInData{Email: email, EmailError: errs["email"], ReturnTo: returnTo, Keep: keep})
	}
	if merr != nil {
		return merr
	}
	return h.renderMethods(c, http.StatusUnprocessableEntity, m, returnTo, keep, msg)
}

func (h hostedSignInHandler) signUpPage(c echo.Context) error {
	return h.renderSignUp(c, http.StatusOK, hosted.SignUpData{Email: c.QueryParam("email"), ReturnTo: c.QueryParam("return_to")})
}

func (h hostedSignInHandler) renderSignUp(c echo.Context, status int, d hosted.SignUpData) error {
	p, err := h.auth.page(c, "Create an account")
	if err != nil {
		return err
	}
	return render(c, status, hosted.SignUp(p, d))
}

// signUp registers a password and mails a confirmation link. The answer is
// the same for an address that already has an account.
func (h hostedSignInHandler) signUp(c echo.Context) error {
	email, returnTo := c.FormValue("email"), c.FormValue("return_to")
	err := h.users.SignUpWithPassword(c.Request().Context(), email, c.FormValue("password"), returnTo, c.RealIP())
	d := hosted.SignUpData{Email: email, ReturnTo: returnTo} // the password is never sent back
	if errs := apperr.FieldErrors(err); errs != nil {
		d.EmailError, d.PasswordError = errs["email"], errs["password"]
		return h.renderSignUp(c, http.StatusUnprocessableEntity, d)
	}
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code == apperr.ErrFailedPrecondition {
		d.Problem = ae.Message
		return h.renderSignUp(c, http.StatusBadRequest, d)
	}
	if err != nil {
		return err
	}
	if err := h.auth.saveSignInState(c, signInState{Email: email, ReturnTo: returnTo, Sent: "signup"}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/signin/sent")
}

func (h hostedSignInHandler) verifyPage(c echo.Context) error {
	token := c.Param("token")
	info, err := h.users.VerificationStatus(c.Request().Context(), token)
	if err != nil {
		return err
	}
	if info.State != enduser.LinkOpen {
		return h.linkProblem(c, info.State, "confirmation link")
	}
	p, err := h.auth.page(c, "Confirm your email address")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, hosted.Link(p, hosted.LinkData{
		Title: "Confirm your email address", Lead: "Confirm that you created this account. Then you are signed in, and your password works from now on.",
		Email: info.Email, Action: "/signin/verify/" + url.PathEscape(token), Button: "Confirm and sign in",
		Keep: h.auth.signInStateOf(c).Keep,
	}))
}

func (h hostedSignInHandler) verify(c echo.Context) error {
	in, err := h.users.ConfirmEmail(c.Request().Context(), c.Param("token"))
	if err != nil {
		return h.signInRefused(c, err)
	}
	if err := setFlash(c, views.FlashSuccess, "Your email address is confirmed."); err != nil {
		return err
	}
	return h.auth.finishSignIn(c, signedIn{UserID: in.UserID, Method: in.Method, ReturnTo: in.ReturnTo, Keep: keepSignedIn(c)})
}

func (h hostedSignInHandler) forgotPage(c echo.Context) error {
	return h.renderForgot(c, http.StatusOK, hosted.ForgotData{Email: c.QueryParam("email")})
}

func (h hostedSignInHandler) renderForgot(c echo.Context, status int, d hosted.ForgotData) error {
	p, err := h.auth.page(c, "Forgot your password?")
	if err != nil {
		return err
	}
	return render(c, status, hosted.Forgot(p, d))
}

// forgot mails a reset link if the address has an account; the next page
// is the same either way.
func (h hostedSignInHandler) forgot(c echo.Context) error {
	email := c.FormValue("email")
	err := h.users.RequestPasswordReset(c.Request().Context(), email, c.RealIP())
	if errs := apperr.FieldErrors(err); errs != nil {
		return h.renderForgot(c, http.StatusUnprocessableEntity, hosted.ForgotData{Email: email, EmailError: errs["email"]})
	}
	if err != nil {
		return err
	}
	if err := h.auth.saveSignInState(c, signInState{Email: email, Sent: "reset"}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/signin/sent")
}

func (h hostedSignInHandler) resetPage(c echo.Context) error {
	return h.renderReset(c, http.StatusOK, "", h.auth.signInStateOf(c).Keep)
}

func (h hostedSignInHandler) renderReset(c echo.Context, status int, passwordError string, keep bool) error {
	token := c.Param("token")
	info, err := h.users.ResetStatus(c.Request().Context(), token)
	if err != nil {
		return err
	}
	if info.State != enduser.LinkOpen {
		return h.linkProblem(c, info.State, "reset link")
	}
	p, err := h.auth.page(c, "Set a new password")
	if err != nil {
		return err
	}
	return render(c, status, hosted.Link(p, hosted.LinkData{
		Title: "Set a new password", Lead: "Choose a new password. Setting it signs you out on every other device.",
		Email: info.Email, Action: "/signin/reset/" + url.PathEscape(token), Button: "Set password and sign in",
		Password: true, PasswordError: passwordError, Keep: keep,
	}))
}

func (h hostedSignInHandler) reset(c echo.Context) error {
	in, err := h.users.ResetPassword(c.Request().Context(), c.Param("token"), c.FormValue("password"))
	if errs := apperr.FieldErrors(err); errs != nil {
		return h.renderReset(c, http.StatusUnprocessableEntity, errs["password"], keepSignedIn(c))
	}
	if err != nil {
		return h.signInRefused(c, err)
	}
	if err := setFlash(c, views.FlashSuccess, "Your new password is set."); err != nil {
		return err
	}
	return h.auth.finishSignIn(c, signedIn{UserID: in.UserID, Method: in.Method, Keep: keepSignedIn(c)})
}

// signOut ends the session. A local return_to (an invitation page asking
// to switch account, say) is kept for the next sign-in.
func (h hostedSignInHandler) signOut(c echo.Context) error {
	if err := h.users.EndSession(c.Request().Context(), h.auth.token(c), enduser.ReasonSignedOut); err != nil {
		return err
	}
	h.auth.setCookie(c, "", -1)
	if err := setFlash(c, views.FlashSuccess, "You are signed out."); err != nil {
		return err
	}
	target := "/signin"
	if back := c.FormValue("return_to"); enduser.LocalPath(back) {
		target = withReturnTo(target, back)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// signInRefused turns why a link or code could not sign in into a page
// that says what to do next; other errors go on to the error pages.
func (h hostedSignInHandler) signInRefused(c echo.Context, err error) error {
	var le *enduser.LinkError
	if errors.As(err, &le) {
		return h.linkProblem(c, le.State, "link")
	}
	if errors.Is(err, enduser.ErrSignUpClosed) {
		var ae *apperr.Error
		errors.As(err, &ae)
		return h.auth.notice(c, http.StatusForbidden, hosted.NoticeData{
			Reason: "signup-closed", Title: "No account for this address",
			Message: ae.Message, Action: "/signin", Label: "Back to sign-in",
		})
	}
	if errors.Is(err, identity.ErrEmailDomainBlocked) {
		var ae *apperr.Error
		errors.As(err, &ae)
		return h.auth.notice(c, http.StatusForbidden, hosted.NoticeData{
			Reason: "email-domain-blocked", Title: "No account for this address",
			Message: ae.Message, Action: "/signin", Label: "Back to sign-in",
		})
	}
	return err
}

// linkProblem is the page of a mailed link that cannot be used: it says
// why and offers a fresh start, never a bare error.
func (h hostedSignInHandler) linkProblem(c echo.Context, state, what string) error {
	d := hosted.NoticeData{Reason: "link-" + state, Action: "/signin", Label: "Sign in again"}
	status := http.StatusGone
	switch state {
	case enduser.LinkUsed:
		d.Title = "This " + what + " has already been used"
		d.Message = "Each " + what + " works once. If it was not you who used it, sign in again to get a new one."
	case enduser.LinkExpired:
		d.Title = "This " + what + " has expired"
		d.Message = "For your safety, a " + what + " works for a short time only. Sign in again to get a new one."
	default:
		status = http.StatusNotFound
		d.Title = "This " + what + " does not work"
		d.Message = "It may be incomplete: mail programs sometimes cut long links. Sign in again to get a new one."
	}
	if what == "reset link" {
		d.Action, d.Label = "/signin/forgot", "Ask for a new reset link"
	}
	return h.auth.notice(c, status, d)
}
