package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"roster/internal/adminauth"
	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/store"
	"roster/views"
	"roster/views/components"
	"roster/views/pages/users"
)

// usersHandler serves the console's user pages: the list, a user's page,
// the profile form, and ending sessions or the whole account.
type usersHandler struct {
	dir *directory.Service
}

// Routes registers the user pages. Pages that only hold a form or a
// confirmation need a writer; the group refuses viewers every POST anyway.
func (h usersHandler) Routes(g *echo.Group) {
	writer := requireRole(adminauth.Editor)
	g.GET("/users", h.list)
	g.GET("/users/:user", h.show)
	g.POST("/users/:user", h.update)
	g.GET("/users/:user/edit", h.edit, writer)
	g.GET("/users/:user/delete", h.confirmDelete, writer)
	g.POST("/users/:user/delete", h.delete)
	g.GET("/users/:user/sessions/revoke", h.confirmRevokeAll, writer)
	g.POST("/users/:user/sessions/revoke", h.revokeAll)
	g.POST("/users/:user/sessions/:session/revoke", h.revokeSession)
}

// userFilterFields are the list's filter fields, named alike in the service.
var userFilterFields = map[string]string{"q": "q", "verified": "verified", "membership": "membership", "org": "org"}

func (h usersHandler) list(c echo.Context) error {
	f := users.Filter{
		Query:      c.QueryParam("q"),
		Verified:   c.QueryParam("verified"),
		Membership: c.QueryParam("membership"),
		Org:        c.QueryParam("org"),
	}
	res, err := h.dir.ConsoleListUsers(c.Request().Context(), directory.ConsoleUserFilter{
		Query: f.Query, Verified: f.Verified, Membership: f.Membership, Org: f.Org,
	}, store.PageRequest{Token: c.QueryParam("page")})
	d := users.ListData{Filter: f, Window: directory.ConsoleScanWindow}
	if errs := fieldErrorsOf(err, userFilterFields); errs != nil {
		d.Errors = errs
		return render(c, http.StatusBadRequest, users.List(newPage(c, "Users", views.NavUsers), d))
	}
	if err != nil {
		return err
	}
	d.Users, d.Org, d.Counted, d.WindowEnded = res.Users, res.Org, res.Counted, res.WindowEnded
	d.Total = res.Page.TotalSize
	q := url.Values{}
	for k, v := range map[string]string{"q": f.Query, "verified": f.Verified, "membership": f.Membership, "org": f.Org} {
		if v != "" {
			q.Set(k, v)
		}
	}
	d.Pages = keysetPageLinks("/users", q, "page", res.Page)
	return render(c, http.StatusOK, users.List(newPage(c, "Users", views.NavUsers), d))
}

func (h usersHandler) show(c echo.Context) error {
	ctx := c.Request().Context()
	u, err := h.dir.User(ctx, c.Param("user"))
	if err != nil {
		return err
	}
	list, info, err := h.dir.ConsoleUserSessions(ctx, u.ID, store.PageRequest{Size: 20, Token: c.QueryParam("sessions_page")})
	if err != nil {
		return err
	}
	d := users.DetailData{User: u, Sessions: make([]users.SessionRow, len(list))}
	for i, s := range list {
		d.Sessions[i] = users.SessionRow{Session: s, Device: sessionDevice(s.UserAgent)}
	}
	d.SessionPages = keysetPageLinks(users.Path(u.ID, ""), nil, "sessions_page", info)
	return render(c, http.StatusOK, users.Detail(newPage(c, displayNameOf(u), views.NavUsers), d))
}

func (h usersHandler) edit(c echo.Context) error {
	u, err := h.dir.User(c.Request().Context(), c.Param("user"))
	if err != nil {
		return err
	}
	d := users.EditData{UserID: u.ID, Label: displayNameOf(u), Form: profileFormOf(u), EmailLocked: !adminFrom(c).IsOwner()}
	return render(c, http.StatusOK, users.Edit(newPage(c, "Edit "+u.Email, views.NavUsers), d))
}

// userFieldNames maps the directory's field names to the profile form's.
var userFieldNames = map[string]string{
	"email":                          "email",
	"external_id":                    "external_id",
	"user_profile.given_name":        "given_name",
	"user_profile.family_name":       "family_name",
	"user_profile.name":              "name",
	"user_profile.locale":            "locale",
	"user_profile.picture":           "picture",
	"user_profile.phone_number":      "phone_number",
	"user_profile.custom_attributes": "custom_attributes",
	"metadata":                       "metadata",
}

func (h usersHandler) update(c echo.Context) error {
	ctx := c.Request().Context()
	before, err := h.dir.User(ctx, c.Param("user"))
	if err != nil {
		return err
	}
	form := users.ProfileForm{
		Email: c.FormValue("email"), ExternalID: c.FormValue("external_id"),
		GivenName: c.FormValue("given_name"), FamilyName: c.FormValue("family_name"), Name: c.FormValue("name"),
		Locale: c.FormValue("locale"), PhoneNumber: c.FormValue("phone_number"), Picture: c.FormValue("picture"),
		Metadata: c.FormValue("metadata"), CustomAttributes: c.FormValue("custom_attributes"),
	}
	// Only owners may hand an account to another mailbox; the directory
	// refuses anyone else's change of address, even in a hand-made POST.
	locked := !adminFrom(c).IsOwner()
	in, errs := parseProfileForm(form)
	var after model.User
	if errs == nil {
		in.EmailLocked = locked
		after, err = h.dir.UpdateUser(ctx, before.ID, in)
		errs = fieldErrorsOf(err, userFieldNames)
		if errs == nil && err != nil {
			return err
		}
	}
	if errs != nil {
		d := users.EditData{UserID: before.ID, Label: displayNameOf(before), Form: form, Errors: errs, EmailLocked: locked}
		return render(c, http.StatusUnprocessableEntity, users.Edit(newPage(c, "Edit "+before.Email, views.NavUsers), d))
	}
	msg := "Saved the profile of " + after.Email + "."
	if !directory.SameAddress(before.Email, after.Email) {
		msg += " The email changed: the user is signed out everywhere, " + before.Email +
			" was told, and the new address is unverified until its owner signs in with it."
	}
	return redirectWithFlash(c, msg, users.Path(before.ID, ""))
}

// parseProfileForm reads the form into the directory's input. Every field
// is sent, so an emptied one is cleared. Only the shape of the two text
// areas is checked here; the directory checks the values.
func parseProfileForm(f users.ProfileForm) (directory.UserInput, users.FormErrors) {
	errs := users.FormErrors{}
	in := directory.UserInput{
		Email: &f.Email, ExternalID: &f.ExternalID, GivenName: &f.GivenName, FamilyName: &f.FamilyName,
		Name: &f.Name, Locale: &f.Locale, PhoneNumber: &f.PhoneNumber, Picture: &f.Picture,
		Metadata: model.Metadata{}, CustomAttributes: model.JSONObject{},
	}
	for i, line := range strings.Split(f.Metadata, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			errs["metadata"] = "line " + strconv.Itoa(i+1) + " needs a key, an equals sign and a value: plan = gold"
			break
		}
		in.Metadata[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if s := strings.TrimSpace(f.CustomAttributes); s != "" {
		if err := json.Unmarshal([]byte(s), &in.CustomAttributes); err != nil || in.CustomAttributes == nil {
			errs["custom_attributes"] = "must be a JSON object, like {\"department\": \"Sales\"}"
		}
	}
	if len(errs) > 0 {
		return in, errs
	}
	return in, nil
}

func (h usersHandler) confirmDelete(c echo.Context) error {
	impact, err := h.dir.UserDeletionImpact(c.Request().Context(), c.Param("user"))
	if err != nil {
		return err
	}
	d := users.DeleteData{User: impact.User, LiveSessions: impact.LiveSessions}
	return render(c, http.StatusOK, users.Delete(newPage(c, "Delete "+impact.User.Email, views.NavUsers), d))
}

func (h usersHandler) delete(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("user")
	err := h.dir.DeleteUser(ctx, id)
	if errors.Is(err, apperr.ErrFailedPrecondition) {
		// The directory refused (the last admin of an organization with
		// other members): show why on the confirmation page.
		impact, ierr := h.dir.UserDeletionImpact(ctx, id)
		if ierr != nil {
			return ierr
		}
		d := users.DeleteData{User: impact.User, LiveSessions: impact.LiveSessions, Refusal: errorMessage(err)}
		return render(c, http.StatusConflict, users.Delete(newPage(c, "Delete "+impact.User.Email, views.NavUsers), d))
	}
	if err != nil {
		return err
	}
	return redirectWithFlash(c, "Deleted the user. Their sessions ended and their identities and memberships are gone.", "/users")
}

func (h usersHandler) confirmRevokeAll(c echo.Context) error {
	impact, err := h.dir.UserDeletionImpact(c.Request().Context(), c.Param("user"))
	if err != nil {
		return err
	}
	d := users.RevokeAllData{User: impact.User, LiveSessions: impact.LiveSessions}
	return render(c, http.StatusOK, users.RevokeAll(newPage(c, "Revoke sessions", views.NavUsers), d))
}

func (h usersHandler) revokeAll(c echo.Context) error {
	id := c.Param("user")
	n, err := h.dir.RevokeUserSessions(c.Request().Context(), id)
	if err != nil {
		return err
	}
	msg := "Revoked " + strconv.Itoa(int(n)) + " sessions. The user is signed out everywhere."
	switch n {
	case 0:
		msg = "No session was live; nothing changed."
	case 1:
		msg = "Revoked 1 session. The user is signed out everywhere."
	}
	return redirectWithFlash(c, msg, users.Path(id, "")+"#sessions-title")
}

func (h usersHandler) revokeSession(c echo.Context) error {
	id := c.Param("user")
	s, err := h.dir.RevokeUserSession(c.Request().Context(), id, c.Param("session"))
	if err != nil {
		return err
	}
	msg := "Revoked the session. The user is signed out on that device."
	if s.Status != directory.SessionRevoked {
		msg = "That session had already ended."
	}
	return redirectWithFlash(c, msg, users.Path(id, "")+"#sessions-title")
}

// profileFormOf fills the profile form with what is saved.
func profileFormOf(u model.User) users.ProfileForm {
	return users.ProfileForm{
		Email: u.Email, ExternalID: strOrEmpty(u.ExternalID), GivenName: strOrEmpty(u.GivenName),
		FamilyName: strOrEmpty(u.FamilyName), Name: strOrEmpty(u.Name), Locale: strOrEmpty(u.Locale),
		PhoneNumber: strOrEmpty(u.PhoneNumber), Picture: strOrEmpty(u.Picture),
		Metadata: users.MetadataText(u.Metadata), CustomAttributes: users.JSONText(u.CustomAttributes),
	}
}

func displayNameOf(u model.User) string {
	if n := strings.TrimSpace(strOrEmpty(u.Name)); n != "" {
		return n
	}
	return u.Email
}

// sessionDevice names a session's browser and system: "Chrome on Linux".
func sessionDevice(ua *string) string {
	browser, os := directory.ParseUserAgent(strOrEmpty(ua))
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "" || os != "":
		return browser + os
	case strOrEmpty(ua) == "":
		return "—"
	}
	return truncateText(strOrEmpty(ua), 40)
}

// ---- helpers the user, role and API client pages share ----

// fieldErrorsOf turns a service's field violations into the messages a form
// shows beside its fields. fields maps the service's field names to the
// form's; "metadata.plan" counts as "metadata". Violations of fields the
// form does not show are joined under "", to show above it. It is nil when
// err has no violations.
func fieldErrorsOf(err error, fields map[string]string) map[string]string {
	byField := apperr.FieldErrors(err)
	if byField == nil {
		return nil
	}
	names := make([]string, 0, len(byField))
	for f := range byField {
		names = append(names, f)
	}
	sort.Strings(names) // the same message every time when several fold into one
	out := map[string]string{}
	var rest []string
	for _, f := range names {
		to, ok := fields[f]
		if !ok {
			base, _, _ := strings.Cut(f, ".")
			to, ok = fields[base]
		}
		switch {
		case !ok:
			rest = append(rest, f+" "+byField[f])
		case out[to] == "":
			out[to] = byField[f]
		}
	}
	if len(rest) > 0 {
		out[""] = strings.Join(rest, "; ")
	}
	return out
}

// keysetPageLinks builds the previous and next links of a keyset page:
// path with query and param set to the page's tokens.
func keysetPageLinks(path string, query url.Values, param string, info store.PageInfo) components.PageLinks {
	link := func(token string) string {
		if token == "" {
			return ""
		}
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set(param, token)
		return path + "?" + q.Encode()
	}
	return components.PageLinks{Prev: link(info.PrevToken), Next: link(info.NextToken)}
}

// errorMessage is the message of a service error, safe to show.
func errorMessage(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "the change was refused"
}

func strOrEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
