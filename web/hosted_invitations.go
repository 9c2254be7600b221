package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/enduser"
	"roster/internal/invitations"
	"roster/internal/model"
	"roster/views"
	"roster/views/pages/hosted"
)

// The pages an invitation link opens, and the member's side of inviting.
//
// GET /invitations/:token only shows the invitation: mail scanners open
// links, and must not use them up. Accepting is the page's POST. A person
// new here gives a name (and may set a password) while accepting; anyone
// else only accepts or declines. Accepting signs the invitee in to the org
// through finishSignIn, like any sign-in, or, when the invitee is signed in
// on this browser already, moves their session into the org. Declining asks
// first (GET …/decline), then closes the invitation (POST …/decline).

type hostedInvitationsHandler struct {
	auth    *hostedAuth
	users   *enduser.Service
	dir     *directory.Service
	invites *invitations.Service
}

// Routes registers the pages. The link pages are open to anyone holding the
// link; inviting needs a signed-in member.
func (h hostedInvitationsHandler) Routes(e *echo.Echo) {
	p, u := h.auth.pages, h.auth.requireUser
	e.GET("/invitations/:token", h.show, p)
	e.POST("/invitations/:token", h.accept, p)
	e.GET("/invitations/:token/decline", h.confirmDecline, p)
	e.POST("/invitations/:token/decline", h.decline, p)
	e.POST("/invitations/:token/renew", h.renew, p)
	e.GET("/org/:org/invite", h.inviteForm, p, u)
	e.POST("/org/:org/invite", h.invite, p, u)
}

func (h hostedInvitationsHandler) show(c echo.Context) error {
	inv, err := h.invites.Lookup(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	return h.render(c, inv, hosted.InvitationData{ReturnTo: c.QueryParam("return_to")})
}

// accept uses the link. A link used meanwhile (a double submit, a parallel
// accept) gets the "used" page, or, for someone already in that org on this
// browser, simply goes on.
func (h hostedInvitationsHandler) accept(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	setup := invitations.Setup{Name: c.FormValue("name"), Password: c.FormValue("password")}
	if setup.Password != "" {
		if inv, err := h.invites.Lookup(ctx, token); err != nil || !h.passwordOffered(c, inv.Email) {
			setup.Password = "" // only a hand-made form sends one when none is offered
		}
	}
	userID, orgID, err := h.invites.Accept(ctx, token, setup)
	var closed *invitations.LinkError
	if errors.As(err, &closed) {
		if closed.Invitation.State == invitations.Used && h.alreadyIn(c, closed.Invitation.OrganizationID) {
			if err := setFlash(c, views.FlashInfo, "You are a member of "+closed.Invitation.OrganizationName+" already."); err != nil {
				return err
			}
			return c.Redirect(http.StatusSeeOther, hostedHome)
		}
		return h.render(c, closed.Invitation, hosted.InvitationData{})
	}
	if orgInputError(err) {
		// A refused name or password, or the invitation changed under us:
		// show the invitation again with the reasons.
		inv, lerr := h.invites.Lookup(ctx, token)
		if lerr != nil {
			return lerr
		}
		fe := apperr.FieldErrors(err)
		d := hosted.InvitationData{
			Name: setup.Name, NameError: orgSentence(fe["name"]), PasswordError: orgSentence(fe["password"]),
			Keep: keepSignedIn(c), ReturnTo: c.FormValue("return_to"),
		}
		if len(fe) == 0 {
			d.Problem = orgErrorMessage(err)
		}
		return h.render(c, inv, d)
	}
	if err != nil {
		return err
	}
	joined := "You joined " + h.orgName(c, orgID) + "."
	target, err := h.users.ReturnTo(ctx, c.FormValue("return_to"))
	if err != nil {
		return err
	}
	if sess := h.auth.currentUser(c); sess != nil && sess.UserID == userID {
		// The invitee is signed in here already: their session moves into
		// the org, as "Keep me signed in" left it.
		if err := h.users.SwitchOrganization(ctx, sess, orgID); err != nil {
			return err
		}
		return h.auth.goOn(c, target, joined)
	}
	return h.auth.finishSignIn(c, signedIn{
		UserID: userID, OrgID: orgID, Method: enduser.MethodEmail, Keep: keepSignedIn(c), ReturnTo: target, Flash: joined,
	})
}

// orgName is the display name of orgID, for messages; "the organization"
// if it cannot be read.
func (h hostedInvitationsHandler) orgName(c echo.Context, orgID string) string {
	o, err := h.dir.Organization(c.Request().Context(), orgID)
	if err != nil || o.DisplayName == "" {
		return "the organization"
	}
	return o.DisplayName
}

// confirmDecline asks before declining, and says what declining does.
func (h hostedInvitationsHandler) confirmDecline(c echo.Context) error {
	ctx := c.Request().Context()
	inv, err := h.invites.Lookup(ctx, c.Param("token"))
	if err != nil {
		return err
	}
	if inv.State != invitations.Open {
		return h.render(c, inv, hosted.InvitationData{})
	}
	deletes, err := h.invites.DeclineImpact(ctx, inv)
	if err != nil {
		return err
	}
	d := h.invitationData(c, inv, hosted.InvitationData{DeletesAccount: deletes})
	p, err := h.auth.page(c, "Decline the invitation to "+inv.OrganizationName)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, hosted.InvitationDecline(p, d))
}

// decline closes the invitation. The invitee, signed in here and still
// with an account, goes back to their organizations; anyone else sees the
// link's page, which now says it was declined.
func (h hostedInvitationsHandler) decline(c echo.Context) error {
	ctx, token := c.Request().Context(), c.Param("token")
	sess := h.auth.currentUser(c)
	out, err := h.invites.Decline(ctx, token)
	var closed *invitations.LinkError
	if errors.As(err, &closed) {
		return h.render(c, closed.Invitation, hosted.InvitationData{})
	}
	if orgInputError(err) {
		inv, lerr := h.invites.Lookup(ctx, token)
		if lerr != nil {
			return lerr
		}
		return h.render(c, inv, hosted.InvitationData{Problem: orgErrorMessage(err)})
	}
	if err != nil {
		return err
	}
	msg := "You declined the invitation to " + out.Invitation.OrganizationName + "."
	invitee := sess != nil && sess.UserID == out.Invitation.UserID
	switch {
	case out.AccountDeleted && invitee:
		h.auth.setCookie(c, "", -1) // its session ended with the account
		msg += " Your account was deleted with its last organization."
	case invitee:
		return h.auth.goOn(c, hostedHome, msg)
	}
	if err := setFlash(c, views.FlashSuccess, msg); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/invitations/"+token)
}

// passwordOffered reports whether the invitation's page offers to set a
// password: only when the invitee may sign in with one.
func (h hostedInvitationsHandler) passwordOffered(c echo.Context, email string) bool {
	if email == "" {
		return false
	}
	methods, err := h.users.Methods(c.Request().Context(), email)
	return err == nil && methods.Password
}

// alreadyIn reports whether the browser's signed-in person is an active
// member of orgID.
func (h hostedInvitationsHandler) alreadyIn(c echo.Context, orgID string) bool {
	sess := h.auth.currentUser(c)
	if sess == nil || orgID == "" {
		return false
	}
	m, err := h.dir.Membership(c.Request().Context(), orgID, sess.UserID)
	return err == nil && m.Status == model.StatusActive
}

// renew asks the org for a new invitation, from an expired link's page.
func (h hostedInvitationsHandler) renew(c echo.Context) error {
	r, err := h.invites.RequestRenewal(c.Request().Context(), c.Param("token"))
	var closed *invitations.LinkError
	if errors.As(err, &closed) {
		return h.render(c, closed.Invitation, hosted.InvitationData{})
	}
	if err != nil {
		return err
	}
	msg := "We let " + r.Invitation.InviterEmail + " know that you would like a new invitation."
	switch {
	case r.AlreadyAsked:
		msg = "You asked for a new invitation already; " + r.Invitation.InviterEmail + " has been told."
	case !r.Notified:
		msg = "We do not know who sent this invitation. Ask them to send a new one."
	}
	if err := setFlash(c, views.FlashSuccess, msg); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/invitations/"+c.Param("token"))
}

// invitationData fills d with what the page says about inv and about who
// is looking: the invitee, someone else signed in, or nobody.
func (h hostedInvitationsHandler) invitationData(c echo.Context, inv invitations.Invitation, d hosted.InvitationData) hosted.InvitationData {
	d.Action = "/invitations/" + c.Param("token")
	d.State, d.OrgName, d.Inviter, d.Email = string(inv.State), inv.OrganizationName, inv.InviterEmail, inv.Email
	d.Expires = inv.ExpiresAt.UTC().Format("2 January 2006, 15:04 UTC")
	for _, r := range inv.Roles {
		d.Roles = append(d.Roles, r.DisplayName)
	}
	d.Replaced, d.Asked = inv.Replaced, inv.RenewalRequested
	d.CanAsk = inv.InviterEmail != "" && !inv.RenewalRequested
	if inv.State == invitations.Open {
		d.NewAccount = inv.NewAccount
		d.Password = inv.NewAccount && h.passwordOffered(c, inv.Email)
		if sess := h.auth.currentUser(c); sess != nil {
			d.Invitee = sess.UserID == inv.UserID
			if !d.Invitee {
				d.SignedInAs = sess.Email
			}
		}
	}
	return d
}

// render shows the page of inv's state; d carries a form's values and
// errors.
func (h hostedInvitationsHandler) render(c echo.Context, inv invitations.Invitation, d hosted.InvitationData) error {
	d = h.invitationData(c, inv, d)
	title, status := "Invitation", http.StatusGone
	switch inv.State {
	case invitations.Open:
		status = http.StatusOK
		if d.NameError != "" || d.PasswordError != "" || d.Problem != "" {
			status = http.StatusUnprocessableEntity
		}
		p, err := h.auth.page(c, "Join "+inv.OrganizationName)
		if err != nil {
			return err
		}
		return render(c, status, hosted.Invitation(p, d))
	case invitations.Expired:
		title = "Invitation expired"
	case invitations.Used:
		title = "Invitation used"
		d.SignedIn, d.Member = h.auth.currentUser(c) != nil, h.alreadyIn(c, inv.OrganizationID)
	case invitations.Revoked:
		title = "Invitation withdrawn"
	case invitations.Declined:
		title = "Invitation declined"
	default:
		title, status = "Invitation not found", http.StatusNotFound
	}
	p, err := h.auth.page(c, title)
	if err != nil {
		return err
	}
	return render(c, status, hosted.InvitationClosed(p, d))
}

// ---- the member's side: inviting to one's own org ----

func (h hostedInvitationsHandler) inviteForm(c echo.Context) error {
	return h.renderInvite(c, http.StatusOK, hosted.InviteData{})
}

func (h hostedInvitationsHandler) renderInvite(c echo.Context, status int, d hosted.InviteData) error {
	sess := h.auth.currentUser(c)
	inviter, err := h.invites.InviterFor(c.Request().Context(), c.Param("org"), sess.UserID)
	if err != nil {
		return err
	}
	d.OrgID, d.OrgName, d.DefaultRole = inviter.Organization.ID, inviter.Organization.DisplayName, inviter.DefaultRole
	for _, r := range inviter.Roles {
		d.Roles = append(d.Roles, hosted.InviteRole{Name: r.Name, Label: r.DisplayName})
	}
	p, err := h.auth.page(c, "Invite to "+d.OrgName)
	if err != nil {
		return err
	}
	return render(c, status, hosted.Invite(p, d))
}

func (h hostedInvitationsHandler) invite(c echo.Context) error {
	sess := h.auth.currentUser(c)
	d := hosted.InviteData{Email: strings.TrimSpace(c.FormValue("email")), Role: c.FormValue("role")}
	u, err := h.invites.InviteAsMember(c.Request().Context(), c.Param("org"), sess.UserID, d.Email, d.Role, c.RealIP())
	switch {
	case errors.Is(err, apperr.ErrInvalid):
		fe := apperr.FieldErrors(err)
		d.EmailError, d.RoleError = fe["email"], fe["role"]
		if d.EmailError == "" && d.RoleError == "" {
			d.Problem = orgErrorMessage(err)
		}
		return h.renderInvite(c, http.StatusUnprocessableEntity, d)
	case errors.Is(err, apperr.ErrConflict) || errors.Is(err, apperr.ErrFailedPrecondition):
		d.Problem = orgErrorMessage(err) + "."
		return h.renderInvite(c, http.StatusConflict, d)
	case err != nil:
		return err
	}
	if err := setFlash(c, views.FlashSuccess, "Invited "+u.Email+". They get an email with a link to join."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/org/"+c.Param("org")+"/invite")
}
