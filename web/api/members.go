package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/store"
)

type membersAPI struct {
	dir *directory.Service
}

func (h *membersAPI) Routes(g *echo.Group) {
	g.GET("/organizations/:org/users", h.list)
	g.GET("/organizations/:org/users\\:search", h.search)
	g.POST("/organizations/:org/users", h.create)
	g.GET("/organizations/:org/users/:user/roles", h.roles)
	g.GET("/organizations/:org/users/:user/permissions", h.permissions)

	g.POST("/memberships/organizations/:org/users/:user", h.createMembership)
	g.PATCH("/memberships/organizations/:org/users/:user", h.updateMembership)
	g.DELETE("/memberships/organizations/:org/users/:user", h.deleteMembership)
	g.POST("/memberships/organizations/:org/users\\:external/:external_id", h.createMembership)
	g.PATCH("/memberships/organizations/:org/users\\:external/:external_id", h.updateMembership)
	g.DELETE("/memberships/organizations/:org/users\\:external/:external_id", h.deleteMembership)

	g.PATCH("/invites/organizations/:org/users/:user/resend", h.resend)
}

// membershipBody is the writable part of a membership.
type membershipBody struct {
	Roles        []roleName     `json:"roles"`
	Metadata     model.Metadata `json:"metadata"`
	InviterEmail *string        `json:"inviter_email"`
}

type roleName struct {
	Name string `json:"name"`
}

func (b membershipBody) input() directory.MembershipInput {
	in := directory.MembershipInput{Metadata: b.Metadata, InviterEmail: b.InviterEmail}
	if b.Roles != nil {
		in.Roles = make([]string, len(b.Roles))
		for i, r := range b.Roles {
			in.Roles[i] = r.Name
		}
	}
	return in
}

// newMemberBody is a user object with the membership to create.
type newMemberBody struct {
	userBody
	Membership *membershipBody `json:"membership"`
}

func (h *membersAPI) list(c echo.Context) error {
	return h.page(c, store.MemberFilter{Status: c.QueryParam("membership_status"), RoleID: ""})
}

func (h *membersAPI) search(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("query"))
	if q == "" {
		return apperr.Invalid(apperr.Field("query", "is required: 3 to 100 characters of an email or name"))
	}
	return h.page(c, store.MemberFilter{Query: q})
}

func (h *membersAPI) page(c echo.Context, f store.MemberFilter) error {
	page, err := pageRequest(c)
	if err != nil {
		return err
	}
	if !validStatus(f.Status) {
		return apperr.Invalid(apperr.Field("membership_status", "must be ACTIVE, INACTIVE, PENDING_INVITE or INVITE_EXPIRED"))
	}
	users, info, err := h.dir.ListMembers(c.Request().Context(), c.Param("org"), f, page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pageJSON("users", toUsers(users), info))
}

func validStatus(s string) bool {
	switch s {
	case "", model.StatusActive, model.StatusInactive, model.StatusPendingInvite, model.StatusInviteExpired:
		return true
	}
	return false
}

func (h *membersAPI) create(c echo.Context) error {
	invite, err := boolQuery(c, "send_invitation_email", true)
	if err != nil {
		return err
	}
	var body newMemberBody
	if err := bind(c, &body); err != nil {
		return err
	}
	user, err := body.userBody.input()
	if err != nil {
		return err
	}
	var in directory.MembershipInput
	if body.Membership != nil {
		in = body.Membership.input()
	}
	in.SendInvitation = invite
	u, err := h.dir.AddMember(c.Request().Context(), c.Param("org"), user, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"user": toUser(u)})
}

// userID gives the user the path names, by id or by external id.
func (h *membersAPI) userID(c echo.Context) (string, error) {
	if ext := c.Param("external_id"); ext != "" {
		u, err := h.dir.UserByExternalID(c.Request().Context(), ext)
		return u.ID, err
	}
	return c.Param("user"), nil
}

func (h *membersAPI) createMembership(c echo.Context) error {
	invite, err := boolQuery(c, "send_invitation_email", false)
	if err != nil {
		return err
	}
	var body membershipBody
	if err := bind(c, &body); err != nil {
		return err
	}
	id, err := h.userID(c)
	if err != nil {
		return err
	}
	in := body.input()
	in.SendInvitation = invite
	u, err := h.dir.CreateMembership(c.Request().Context(), c.Param("org"), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"user": toUser(u)})
}

func (h *membersAPI) updateMembership(c echo.Context) error {
	var body membershipBody
	if err := bind(c, &body); err != nil {
		return err
	}
	id, err := h.userID(c)
	if err != nil {
		return err
	}
	u, err := h.dir.UpdateMembership(c.Request().Context(), c.Param("org"), id, body.input())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUser(u)})
}

func (h *membersAPI) deleteMembership(c echo.Context) error {
	var cascade *bool
	if c.QueryParam("cascade") != "" {
		b, err := boolQuery(c, "cascade", false)
		if err != nil {
			return err
		}
		cascade = &b
	}
	id, err := h.userID(c)
	if err != nil {
		return err
	}
	if err := h.dir.RemoveMembership(c.Request().Context(), c.Param("org"), id, cascade); err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}

func (h *membersAPI) resend(c echo.Context) error {
	u, err := h.dir.ResendInvite(c.Request().Context(), c.Param("org"), c.Param("user"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUser(u)})
}

func (h *membersAPI) roles(c echo.Context) error {
	m, err := h.dir.Membership(c.Request().Context(), c.Param("org"), c.Param("user"))
	if err != nil {
		return err
	}
	roles := []model.RoleRef(m.Roles)
	if roles == nil {
		roles = []model.RoleRef{}
	}
	return c.JSON(http.StatusOK, map[string]any{"roles": roles})
}

func (h *membersAPI) permissions(c echo.Context) error {
	m, err := h.dir.Membership(c.Request().Context(), c.Param("org"), c.Param("user"))
	if err != nil {
		return err
	}
	perms := make([]map[string]string, len(m.Permissions))
	for i, p := range m.Permissions {
		perms[i] = map[string]string{"name": p}
	}
	return c.JSON(http.StatusOK, map[string]any{"permissions": perms})
}
