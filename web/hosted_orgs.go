package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/enduser"
	"roster/internal/model"
	"roster/views"
	"roster/views/pages/hosted"
)

// invitationResponder accepts and declines a signed-in user's invitations
// from "my organizations" (internal/invitations). Nil hides the buttons.
type invitationResponder interface {
	AcceptForUser(ctx context.Context, userID, orgID string) error
	DeclineForUser(ctx context.Context, userID, orgID string, deleteOrphan *bool) error
}

// hostedOrgsHandler serves a signed-in end user's organizations: the
// picker, switching, "my organizations" with invitations, creating an org
// (when sign-up creates orgs) and leaving one.
type hostedOrgsHandler struct {
	auth    *hostedAuth
	users   *enduser.Service
	invites invitationResponder
}

// Routes registers the pages; each needs a signed-in end user.
func (h hostedOrgsHandler) Routes(e *echo.Echo) {
	p, u := h.auth.pages, h.auth.requireUser
	e.GET("/choose-organization", h.choose, p, u)
	e.POST("/switch-organization", h.switchOrg, p, u)
	e.GET("/my-organizations", h.myOrgs, p, u)
	e.POST("/my-organizations", h.createOrg, p, u)
	e.GET("/my-organizations/:org/leave", h.confirmLeave, p, u)
	e.POST("/my-organizations/:org/leave", h.leave, p, u)
	e.POST("/my-organizations/:org/accept", h.accept, p, u)
	e.GET("/my-organizations/:org/decline", h.confirmDecline, p, u)
	e.POST("/my-organizations/:org/decline", h.decline, p, u)
}

// choose is the org picker.
func (h hostedOrgsHandler) choose(c echo.Context) error {
	sess := h.auth.currentUser(c)
	active, err := h.users.ActiveOrganizations(c.Request().Context(), sess.UserID)
	if err != nil {
		return err
	}
	if len(active) == 0 {
		return c.Redirect(http.StatusSeeOther, hostedHome)
	}
	d := hosted.ChooseData{ReturnTo: c.QueryParam("return_to")}
	for _, m := range active {
		d.Orgs = append(d.Orgs, hosted.OrgChoice{
			ID: m.OrganizationID, Name: m.OrganizationName, Roles: roleNamesOf(m), Current: m.OrganizationID == sess.OrganizationID,
		})
	}
	p, err := h.auth.page(c, "Choose an organization")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, hosted.ChooseOrganization(p, d))
}

// switchOrg moves the session into another of the user's orgs and goes on
// to return_to (when allowed) or the hosted home.
func (h hostedOrgsHandler) switchOrg(c echo.Context) error {
	ctx := c.Request().Context()
	if err := h.users.SwitchOrganization(ctx, h.auth.currentUser(c), c.FormValue("org_id")); err != nil {
		return err
	}
	target, err := h.users.ReturnTo(ctx, c.FormValue("return_to"))
	if err != nil {
		return err
	}
	if target == "" {
		target = hostedHome
	}
	return c.Redirect(http.StatusSeeOther, target)
}

func (h hostedOrgsHandler) myOrgs(c echo.Context) error {
	return h.renderMyOrgs(c, http.StatusOK, "", "")
}

func (h hostedOrgsHandler) renderMyOrgs(c echo.Context, status int, name, nameError string) error {
	sess := h.auth.currentUser(c)
	mine, err := h.users.MyOrganizations(c.Request().Context(), sess.UserID)
	if err != nil {
		return err
	}
	d := hosted.MyOrgsData{
		Email: mine.User.Email, CanCreate: mine.CanCreate, CanRespond: h.invites != nil,
		Name: name, NameError: nameError, ReturnTo: c.QueryParam("return_to"),
	}
	for _, m := range mine.Active {
		d.Active = append(d.Active, membershipRow(m, sess))
	}
	for _, m := range mine.Pending {
		d.Pending = append(d.Pending, membershipRow(m, sess))
	}
	for _, m := range mine.Other {
		d.Other = append(d.Other, membershipRow(m, sess))
	}
	p, err := h.auth.page(c, "Your organizations")
	if err != nil {
		return err
	}
	p.Wide = true
	return render(c, status, hosted.MyOrganizations(p, d))
}

func membershipRow(m model.Membership, sess *enduser.Session) hosted.MembershipRow {
	r := hosted.MembershipRow{
		OrgID: m.OrganizationID, OrgName: m.OrganizationName, Status: m.Status, Roles: roleNamesOf(m),
		Current:   m.OrganizationID == sess.OrganizationID,
		CanInvite: m.Status == model.StatusActive && slices.Contains(m.Permissions, "members:invite"),
	}
	if m.InviterEmail != nil {
		r.Inviter = *m.InviterEmail
	}
	if m.InviteExpiresAt != nil {
		r.ExpiresAt = hostedDate(*m.InviteExpiresAt)
	}
	if m.JoinedAt != nil {
		r.JoinedAt = hostedDate(*m.JoinedAt)
	}
	return r
}

func roleNamesOf(m model.Membership) []string {
	out := make([]string, len(m.Roles))
	for i, r := range m.Roles {
		out[i] = r.DisplayName
		if out[i] == "" {
			out[i] = r.Name
		}
	}
	return out
}

func hostedDate(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// createOrg creates an org with the user as its admin (when sign-up
// creates organizations) and moves the session into it.
func (h hostedOrgsHandler) createOrg(c echo.Context) error {
	name := c.FormValue("name")
	org, err := h.users.CreateOrganization(c.Request().Context(), h.auth.currentUser(c), name)
	if errs := apperr.FieldErrors(err); errs != nil {
		return h.renderMyOrgs(c, http.StatusUnprocessableEntity, name, errs["name"])
	}
	if err != nil {
		return err
	}
	if err := setFlash(c, views.FlashSuccess, "Created "+org.DisplayName+". You are its admin."); err != nil {
		return err
	}
	target, err := h.users.ReturnTo(c.Request().Context(), c.FormValue("return_to"))
	if err != nil {
		return err
	}
	if target == "" {
		target = hostedHome
	}
	return c.Redirect(http.StatusSeeOther, target)
}

func (h hostedOrgsHandler) confirmLeave(c echo.Context) error {
	impact, err := h.users.LeaveImpact(c.Request().Context(), h.auth.currentUser(c), c.Param("org"))
	if err != nil {
		return err
	}
	return h.renderLeave(c, impact, false)
}

func (h hostedOrgsHandler) renderLeave(c echo.Context, impact enduser.LeaveImpact, decline bool) error {
	m := impact.Membership
	title := "Leave " + m.OrganizationName
	if decline {
		title = "Decline the invitation to " + m.OrganizationName
	}
	p, err := h.auth.page(c, title)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, hosted.Leave(p, hosted.LeaveData{
		OrgID: m.OrganizationID, OrgName: m.OrganizationName, Roles: roleNamesOf(m), Decline: decline,
		DeletesAccount: impact.DeletesAccount, Only: impact.Only, Current: impact.CurrentOrganization,
		LastAdmin: impact.LastAdmin && !decline,
	}))
}

// leave removes the user from the org. The directory's refusal (the last
// admin) comes back as a message. The account goes only when the page said
// so (account=delete).
func (h hostedOrgsHandler) leave(c echo.Context) error {
	ctx, sess, orgID := c.Request().Context(), h.auth.currentUser(c), c.Param("org")
	impact, err := h.users.LeaveImpact(ctx, sess, orgID)
	if err != nil {
		return err
	}
	name := impact.Membership.OrganizationName
	deleted, err := h.users.Leave(ctx, sess, orgID, c.FormValue("account") == "delete")
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Reason == directory.ReasonLastAdmin {
		return h.flashTo(c, views.FlashError, "You cannot leave "+name+": you are its last admin. Someone else must be made an admin first, or the organization deleted.", hostedHome)
	}
	if refusal := precondition(err); refusal != "" {
		return h.flashTo(c, views.FlashError, "You cannot leave "+name+": "+refusal, hostedHome)
	}
	if err != nil {
		return err
	}
	return h.afterGoing(c, deleted, "You left "+name+".")
}

// accept accepts an invitation and moves the session into that org.
func (h hostedOrgsHandler) accept(c echo.Context) error {
	if h.invites == nil {
		return echo.ErrNotFound
	}
	ctx, sess, orgID := c.Request().Context(), h.auth.currentUser(c), c.Param("org")
	impact, err := h.users.DeclineImpact(ctx, sess, orgID)
	if err != nil {
		return err
	}
	name := impact.Membership.OrganizationName
	err = h.invites.AcceptForUser(ctx, sess.UserID, orgID)
	if refusal := precondition(err); refusal != "" {
		return h.flashTo(c, views.FlashError, "You cannot join "+name+": "+refusal, hostedHome)
	}
	if err != nil {
		return err
	}
	if err := h.users.SwitchOrganization(ctx, sess, orgID); err != nil {
		return err
	}
	return h.flashTo(c, views.FlashSuccess, "You joined "+name+".", hostedHome)
}

func (h hostedOrgsHandler) confirmDecline(c echo.Context) error {
	if h.invites == nil {
		return echo.ErrNotFound
	}
	impact, err := h.users.DeclineImpact(c.Request().Context(), h.auth.currentUser(c), c.Param("org"))
	if err != nil {
		return err
	}
	return h.renderLeave(c, impact, true)
}

func (h hostedOrgsHandler) decline(c echo.Context) error {
	if h.invites == nil {
		return echo.ErrNotFound
	}
	ctx, sess, orgID := c.Request().Context(), h.auth.currentUser(c), c.Param("org")
	impact, err := h.users.DeclineImpact(ctx, sess, orgID)
	if err != nil {
		return err
	}
	name := impact.Membership.OrganizationName
	err = h.invites.DeclineForUser(ctx, sess.UserID, orgID, directory.DeleteOrphanAsShown(c.FormValue("account") == "delete"))
	if refusal := precondition(err); refusal != "" {
		return h.flashTo(c, views.FlashError, refusal, hostedHome)
	}
	if err != nil {
		return err
	}
	gone, err := h.users.UserGone(ctx, sess.UserID)
	if err != nil {
		return err
	}
	return h.afterGoing(c, gone, "You declined the invitation to "+name+".")
}

// afterGoing ends the visit to "my organizations" after leaving an org or
// declining an invitation: when the account went with its last membership,
// the person is signed out and told so.
func (h hostedOrgsHandler) afterGoing(c echo.Context, accountDeleted bool, message string) error {
	if !accountDeleted {
		return h.flashTo(c, views.FlashSuccess, message, hostedHome)
	}
	h.auth.setCookie(c, "", -1)
	return h.flashTo(c, views.FlashInfo, message+" Your account was deleted with its last organization.", "/signin")
}

func (h hostedOrgsHandler) flashTo(c echo.Context, kind views.FlashKind, message, to string) error {
	if err := setFlash(c, kind, message); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// precondition returns the message of a service's refusal (failed
// precondition), to show as is, or "".
func precondition(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code == apperr.ErrFailedPrecondition {
		return ae.Message
	}
	return ""
}
