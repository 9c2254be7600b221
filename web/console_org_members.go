package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/store"
	"roster/views"
	"roster/views/pages/orgs"
)

// The members tab of an organization, each member's page, and removal.

var orgMemberStatuses = []string{model.StatusActive, model.StatusPendingInvite, model.StatusInviteExpired, model.StatusInactive}

func (h orgsHandler) members(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := h.dir.Organization(ctx, c.Param("org"))
	if err != nil {
		return err
	}
	roles, err := h.dir.ListOrgRoles(ctx, o.ID)
	if err != nil {
		return err
	}
	d := orgs.MembersData{Org: orgRef(o), Query: strings.TrimSpace(c.QueryParam("q"))}
	var f store.MemberFilter
	f.Query = d.Query
	for _, s := range orgMemberStatuses {
		d.Statuses = append(d.Statuses, orgs.Option{Value: s, Label: orgStatusLabel(s)})
		if s == c.QueryParam("status") {
			f.Status, d.Status = s, s
		}
	}
	for _, r := range roles {
		d.Roles = append(d.Roles, orgs.Option{Value: r.Name, Label: orgRoleLabel(r)})
		if r.Name == c.QueryParam("role") {
			f.RoleID, d.Role = r.ID, r.Name
		}
	}
	title := "Members · " + o.DisplayName
	users, info, err := h.dir.ListMembers(ctx, o.ID, f, orgPageRequest(c))
	if msg := apperr.FieldErrors(err)["query"]; msg != "" {
		d.QueryError = "Search " + msg
		return render(c, http.StatusUnprocessableEntity, orgs.Members(newPage(c, title, views.NavOrganizations), d))
	}
	if err != nil {
		return err
	}
	for _, u := range users {
		m := orgMembershipOf(u, o.ID)
		d.Rows = append(d.Rows, orgs.MemberRow{
			UserID: u.ID, Email: u.Email, Name: orgDeref(u.Name), Status: m.Status,
			Roles: orgRoleNames(m.Roles), Joined: m.JoinedAt,
		})
	}
	label := ""
	if f.Query == "" {
		label = orgs.CountLabel(info.TotalSize, f.Status != "" || f.RoleID != "", "member", "members")
	}
	d.Pages = orgPageLinks(c, info, label)
	return render(c, http.StatusOK, orgs.Members(newPage(c, title, views.NavOrganizations), d))
}

func (h orgsHandler) member(c echo.Context) error {
	return h.renderMember(c, http.StatusOK, nil, "", "")
}

// renderMember shows one member; roles, when not nil, are the role names
// as ticked in a refused form.
func (h orgsHandler) renderMember(c echo.Context, status int, roles []string, rolesError, problem string) error {
	ctx := c.Request().Context()
	o, err := h.dir.Organization(ctx, c.Param("org"))
	if err != nil {
		return err
	}
	m, err := h.dir.Membership(ctx, o.ID, c.Param("user"))
	if err != nil {
		return err
	}
	u, err := h.dir.User(ctx, m.UserID)
	if err != nil {
		return err
	}
	all, err := h.dir.ListOrgRoles(ctx, o.ID)
	if err != nil {
		return err
	}
	if roles == nil {
		roles = orgRoleNames(m.Roles)
	}
	d := orgs.MemberData{
		Org: orgRef(o), UserID: u.ID, Email: u.Email, Name: orgDeref(u.Name), Status: m.Status,
		Joined: m.JoinedAt, Method: m.ProvisioningMethod, RolesError: rolesError, Problem: problem,
	}
	for _, r := range all {
		d.Roles = append(d.Roles, orgs.Option{Value: r.Name, Label: orgRoleLabel(r), Hint: r.Description, Checked: slices.Contains(roles, r.Name)})
	}
	return render(c, status, orgs.Member(newPage(c, u.Email+" · "+o.DisplayName, views.NavOrganizations), d))
}

func (h orgsHandler) setMemberRoles(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	// Not nil even when none is ticked: no role at all is refused, not "keep".
	roles := append([]string{}, form["role"]...)
	u, err := h.dir.UpdateMembership(c.Request().Context(), c.Param("org"), c.Param("user"), directory.MembershipInput{Roles: roles})
	var errs orgs.FormErrors
	var problem string
	if status, ok := orgFormFailure(err, &errs, &problem, "roles"); ok {
		return h.renderMember(c, status, roles, errs["roles"], problem)
	}
	if err != nil {
		return err
	}
	return orgRedirect(c, views.FlashSuccess, "Changed the roles of "+u.Email+" to "+strings.Join(roles, ", ")+".",
		"/organizations/"+c.Param("org")+"/members/"+u.ID)
}

func (h orgsHandler) confirmRemoveMember(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := h.dir.Organization(ctx, c.Param("org"))
	if err != nil {
		return err
	}
	impact, err := h.dir.MemberRemovalImpact(ctx, o.ID, c.Param("user"))
	if err != nil {
		return err
	}
	email := impact.User.Email
	base := "/organizations/" + o.ID + "/members/" + impact.User.ID
	d := orgs.ConfirmData{
		Org: orgRef(o), Tab: orgs.TabMembers,
		Title: "Remove " + email + " from " + o.DisplayName + "?",
		Consequences: []string{
			fmt.Sprintf("Their membership ends, with its roles (%s).", orgOrDefault(strings.Join(orgRoleNames(impact.Membership.Roles), ", "), "none")),
			"Their sessions in this organization end at once.",
		},
		Account: orgAccountFate(impact), DeletesAccount: impact.DeletesUser,
		Action: base + "/remove", Button: "Remove member", Cancel: base,
	}
	if impact.LastAdmin {
		d.Problem, d.Blocked, d.Cancel = email+" is the last admin of "+o.DisplayName+
			", and an organization keeps at least one while it exists. Make another member admin first, or delete the organization.", true, base
	}
	return render(c, http.StatusOK, orgs.Confirm(newPage(c, "Remove "+email, views.NavOrganizations), d))
}

// orgAccountFate says what becomes of the user's account when their
// membership ends, in words that cannot be misread.
func orgAccountFate(impact directory.RemovalImpact) string {
	switch {
	case impact.DeletesUser:
		return "Their user account is deleted too: this is their only organization, and this environment deletes users left without one. " +
			"Their sign-in methods and sessions go with it, and it cannot be undone."
	case impact.OtherOrganizations == 0:
		return "Their user account is not deleted: this is their only organization, but this environment keeps users without one. They can be invited again."
	}
	return fmt.Sprintf("Their user account is not deleted: they still belong to %s.", orgPlural(impact.OtherOrganizations, "other organization", "other organizations"))
}

// orgAccountShown reads the confirmation page's word on the account: the
// removal deletes it only when the page said so (orgs.ConfirmData).
func orgAccountShown(c echo.Context) *bool {
	return directory.DeleteOrphanAsShown(c.FormValue("account") == "delete")
}

// orgAccountGone says, after a removal, whether the user's account went.
func (h orgsHandler) orgAccountGone(c echo.Context, userID string) (bool, error) {
	_, err := h.dir.User(c.Request().Context(), userID)
	if errors.Is(err, apperr.ErrNotFound) {
		return true, nil
	}
	return false, err
}

func (h orgsHandler) removeMember(c echo.Context) error {
	ctx := c.Request().Context()
	orgID, userID := c.Param("org"), c.Param("user")
	impact, err := h.dir.MemberRemovalImpact(ctx, orgID, userID)
	if err != nil {
		return err
	}
	err = h.dir.RemoveMembership(ctx, orgID, userID, orgAccountShown(c))
	if errors.Is(err, apperr.ErrFailedPrecondition) {
		// The last admin: say why on the member's page, where the fix is.
		return orgRedirect(c, views.FlashError, "Not removed: "+orgErrorMessage(err)+".", "/organizations/"+orgID+"/members/"+userID)
	}
	if err != nil {
		return err
	}
	msg := "Removed " + impact.User.Email + " from " + impact.Membership.OrganizationName + "."
	if gone, err := h.orgAccountGone(c, userID); err != nil {
		return err
	} else if gone {
		msg += " Their user account was deleted, as they had no other organization."
	}
	return orgRedirect(c, views.FlashSuccess, msg, "/organizations/"+orgID+"/members")
}

// ---- helpers ----

// orgMembershipOf picks the user's membership in the org from all of theirs.
func orgMembershipOf(u model.User, orgID string) model.Membership {
	for _, m := range u.Memberships {
		if m.OrganizationID == orgID {
			return m
		}
	}
	return model.Membership{}
}

func orgRoleNames(roles model.RoleRefs) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.Name
	}
	return out
}

func orgRoleLabel(r model.Role) string {
	if r.DisplayName != "" && r.DisplayName != r.Name {
		return r.DisplayName + " (" + r.Name + ")"
	}
	return r.Name
}

// orgStatusLabel turns PENDING_INVITE into "Pending invite".
func orgStatusLabel(s string) string {
	l := strings.ToLower(strings.ReplaceAll(s, "_", " "))
	return strings.ToUpper(l[:1]) + l[1:]
}

func orgPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
