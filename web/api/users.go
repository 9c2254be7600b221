package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
)

type usersAPI struct {
	dir *directory.Service
}

func (h *usersAPI) Routes(g *echo.Group) {
	g.GET("/users", h.list)
	g.GET("/users\\:search", h.search)
	g.GET("/users/:user", h.get)
	g.PATCH("/users/:user", h.update)
	g.DELETE("/users/:user", h.delete)
	g.GET("/users\\:external/:external_id", h.getExternal)
	g.PATCH("/users\\:external/:external_id", h.updateExternal)
	g.DELETE("/users\\:external/:external_id", h.deleteExternal)
}

// userBody is the writable part of a user object.
type userBody struct {
	Email       *string          `json:"email"`
	ExternalID  *string          `json:"external_id"`
	Metadata    model.Metadata   `json:"metadata"`
	UserProfile *userProfileBody `json:"user_profile"`
	// EmailVerified is read only to refuse it by name (readOnlyVerified).
	EmailVerified json.RawMessage `json:"email_verified"`
}

type userProfileBody struct {
	GivenName        *string          `json:"given_name"`
	FamilyName       *string          `json:"family_name"`
	Name             *string          `json:"name"`
	Locale           *string          `json:"locale"`
	Picture          *string          `json:"picture"`
	PhoneNumber      *string          `json:"phone_number"`
	CustomAttributes model.JSONObject `json:"custom_attributes"`
	EmailVerified    json.RawMessage  `json:"email_verified"`
}

// readOnlyVerified is why email_verified cannot be sent: with it, a caller
// could move an account to a mailbox nobody has proven, and sign-in links
// would go there as if its owner had.
const readOnlyVerified = "is read-only: an address counts as verified only once its owner signs in with a link or code sent to it"

func (b userBody) input() (directory.UserInput, error) {
	var v apperr.Violations
	if b.EmailVerified != nil {
		v.Add("email_verified", readOnlyVerified)
	}
	in := directory.UserInput{Email: b.Email, ExternalID: b.ExternalID, Metadata: b.Metadata}
	if p := b.UserProfile; p != nil {
		if p.EmailVerified != nil {
			v.Add("user_profile.email_verified", readOnlyVerified)
		}
		in.GivenName, in.FamilyName, in.Name = p.GivenName, p.FamilyName, p.Name
		in.Locale, in.Picture, in.PhoneNumber = p.Locale, p.Picture, p.PhoneNumber
		in.CustomAttributes = p.CustomAttributes
	}
	return in, v.Err()
}

func (h *usersAPI) list(c echo.Context) error {
	page, err := pageRequest(c)
	if err != nil {
		return err
	}
	users, info, err := h.dir.ListUsers(c.Request().Context(), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pageJSON("users", toUsers(users), info))
}

func (h *usersAPI) search(c echo.Context) error {
	page, err := pageRequest(c)
	if err != nil {
		return err
	}
	users, info, err := h.dir.SearchUsers(c.Request().Context(), c.QueryParam("query"), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pageJSON("users", toUsers(users), info))
}

func (h *usersAPI) get(c echo.Context) error {
	u, err := h.dir.User(c.Request().Context(), c.Param("user"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUser(u)})
}

func (h *usersAPI) update(c echo.Context) error {
	var body userBody
	if err := bind(c, &body); err != nil {
		return err
	}
	in, err := body.input()
	if err != nil {
		return err
	}
	u, err := h.dir.UpdateUser(c.Request().Context(), c.Param("user"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUser(u)})
}

func (h *usersAPI) delete(c echo.Context) error {
	if err := h.dir.DeleteUser(c.Request().Context(), c.Param("user")); err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}

// byExternalID resolves the external id path to the user's own id.
func (h *usersAPI) byExternalID(ctx context.Context, c echo.Context) (model.User, error) {
	return h.dir.UserByExternalID(ctx, c.Param("external_id"))
}

func (h *usersAPI) getExternal(c echo.Context) error {
	u, err := h.byExternalID(c.Request().Context(), c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUser(u)})
}

func (h *usersAPI) updateExternal(c echo.Context) error {
	var body userBody
	if err := bind(c, &body); err != nil {
		return err
	}
	in, err := body.input()
	if err != nil {
		return err
	}
	u, err := h.byExternalID(c.Request().Context(), c)
	if err != nil {
		return err
	}
	if u, err = h.dir.UpdateUser(c.Request().Context(), u.ID, in); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUser(u)})
}

func (h *usersAPI) deleteExternal(c echo.Context) error {
	u, err := h.byExternalID(c.Request().Context(), c)
	if err != nil {
		return err
	}
	if err := h.dir.DeleteUser(c.Request().Context(), u.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}
