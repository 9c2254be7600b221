package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/ratelimit"
	"roster/views"
	"roster/views/pages/orgs"
)

// The invitations tab of an organization: open invitations with resend and
// revoke, and the form that invites one person.

func (h orgsHandler) invitations(c echo.Context) error {
	return h.renderInvitations(c, http.StatusOK, orgs.InviteForm{})
}

func (h orgsHandler) renderInvitations(c echo.Context, status int, f orgs.InviteForm) error {
	ctx := c.Request().Context()
	o, err := h.dir.Organization(ctx, c.Param("org"))
	if err != nil {
		return err
	}
	rows, info, err := h.dir.ListInvitations(ctx, o.ID, orgPageRequest(c))
	if err != nil {
		return err
	}
	roles, err := h.dir.ListOrgRoles(ctx, o.ID)
	if err != nil {
		return err
	}
	def, err := h.dir.OrgDefaultMemberRole(ctx, o.ID)
	if err != nil && !errors.Is(err, apperr.ErrFailedPrecondition) {
		return err
	}
	ticked := make([]string, len(f.Roles))
	for i, r := range f.Roles {
		ticked[i] = r.Value
	}
	f.Roles = nil
	for _, r := range roles {
		f.Roles = append(f.Roles, orgs.Option{Value: r.Name, Label: orgRoleLabel(r), Hint: r.Description, Checked: slices.Contains(ticked, r.Name)})
	}
	d := orgs.InvitationsData{Org: orgRef(o), Invite: f, DefaultRole: orgOrDefault(def.Name, "none set")}
	for _, r := range rows {
		d.Rows = append(d.Rows, orgs.InvitationRow{
			UserID: r.UserID, Email: r.Email, Status: r.Status, Roles: orgRoleNames(r.Roles),
			InvitedAt: r.InviteCreatedAt, ExpiresAt: r.InviteExpiresAt, ResentCount: r.ResentCount,
			Inviter: orgDeref(r.InviterEmail),
		})
	}
	d.Pages = orgPageLinks(c, info, "")
	return render(c, status, orgs.Invitations(newPage(c, "Invitations · "+o.DisplayName, views.NavOrganizations), d))
}

func (h orgsHandler) invite(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	f := orgs.InviteForm{Email: strings.TrimSpace(form.Get("email"))}
	for _, r := range form["role"] {
		f.Roles = append(f.Roles, orgs.Option{Value: r, Checked: true})
	}
	u, err := h.dir.AddMember(c.Request().Context(), c.Param("org"),
		directory.UserInput{Email: &f.Email},
		directory.MembershipInput{Roles: form["role"], InvitedBy: adminFrom(c).Email, SendInvitation: true})
	if status, ok := orgFormFailure(err, &f.Errors, &f.Problem, "email", "roles"); ok {
		return h.renderInvitations(c, status, f)
	}
	if err != nil {
		return err
	}
	return orgRedirect(c, views.FlashSuccess, "Invited "+u.Email+". They are listed here until they accept.",
		"/organizations/"+c.Param("org")+"/invitations")
}

func (h orgsHandler) resendInvitation(c echo.Context) error {
	back := "/organizations/" + c.Param("org") + "/invitations"
	u, err := h.dir.ResendInvite(c.Request().Context(), c.Param("org"), c.Param("user"))
	if errors.Is(err, apperr.ErrFailedPrecondition) {
		return orgRedirect(c, views.FlashError, orgErrorMessage(err)+".", back)
	}
	if why := apperr.FieldErrors(err)["email"]; why != "" {
		return orgRedirect(c, views.FlashError, "The invitation was not sent: the address "+why+".", back)
	}
	if limited := new(ratelimit.Error); errors.As(err, &limited) {
		return orgRedirect(c, views.FlashError, "This address has had too many invitations lately. Try again in "+
			minutes(limited.Minutes())+".", back)
	}
	if err != nil {
		return err
	}
	return orgRedirect(c, views.FlashSuccess, "Sent the invitation to "+u.Email+" again.", back)
}

func (h orgsHandler) confirmRevokeInvitation(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := h.dir.Organization(ctx, c.Param("org"))
	if err != nil {
		return err
	}
	impact, err := h.dir.MemberRemovalImpact(ctx, o.ID, c.Param("user"))
	if err != nil {
		return err
	}
	back := "/organizations/" + o.ID + "/invitations"
	d := orgs.ConfirmData{
		Org: orgRef(o), Tab: orgs.TabInvitations,
		Title: "Revoke the invitation of " + impact.User.Email + "?",
		Consequences: []string{
			"The link in their invitation email stops working, and they are no longer listed as invited.",
		},
		Account: orgAccountFate(impact), DeletesAccount: impact.DeletesUser,
		Action: back + "/" + impact.User.ID + "/revoke", Button: "Revoke invitation", Cancel: back,
	}
	if impact.Membership.Status != model.StatusPendingInvite && impact.Membership.Status != model.StatusInviteExpired {
		d.Problem, d.Blocked = impact.User.Email+" has already accepted; remove them as a member instead.", true
	}
	return render(c, http.StatusOK, orgs.Confirm(newPage(c, "Revoke invitation", views.NavOrganizations), d))
}

func (h orgsHandler) revokeInvitation(c echo.Context) error {
	ctx := c.Request().Context()
	orgID, userID := c.Param("org"), c.Param("user")
	back := "/organizations/" + orgID + "/invitations"
	impact, err := h.dir.MemberRemovalImpact(ctx, orgID, userID)
	if err != nil {
		return err
	}
	err = h.dir.RevokeInvitation(ctx, orgID, userID, orgAccountShown(c))
	if errors.Is(err, apperr.ErrFailedPrecondition) {
		return orgRedirect(c, views.FlashError, orgErrorMessage(err)+".", back)
	}
	if err != nil {
		return err
	}
	msg := "Revoked the invitation of " + impact.User.Email + "."
	if gone, err := h.orgAccountGone(c, userID); err != nil {
		return err
	} else if gone {
		msg += " Their user account was deleted, as they had no other organization."
	}
	return orgRedirect(c, views.FlashSuccess, msg, back)
}
