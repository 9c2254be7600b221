package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/store"
	"roster/views"
	"roster/views/components"
	"roster/views/pages/orgs"
)

// orgsHandler serves the console's organization pages: the list, creating
// one, and each organization's overview, tabs and confirmation steps. The
// tabs live in console_org_*.go; every rule is the directory's.
type orgsHandler struct {
	dir *directory.Service
}

// Routes registers the organization pages on the console group. Viewers
// may read every GET; the group refuses them every POST.
func (h orgsHandler) Routes(g *echo.Group) {
	g.GET("/organizations", h.list)
	g.GET("/organizations/new", h.newForm)
	g.POST("/organizations/new", h.create)
	g.GET("/organizations/:org", h.detail)
	g.POST("/organizations/:org", h.update)
	g.POST("/organizations/:org/metadata", h.updateMetadata)
	g.POST("/organizations/:org/settings", h.updateSettings)
	g.GET("/organizations/:org/delete", h.confirmDelete)
	g.POST("/organizations/:org/delete", h.delete)

	g.GET("/organizations/:org/members", h.members)
	g.GET("/organizations/:org/members/:user", h.member)
	g.POST("/organizations/:org/members/:user/roles", h.setMemberRoles)
	g.GET("/organizations/:org/members/:user/remove", h.confirmRemoveMember)
	g.POST("/organizations/:org/members/:user/remove", h.removeMember)

	g.GET("/organizations/:org/invitations", h.invitations)
	g.POST("/organizations/:org/invitations", h.invite)
	g.POST("/organizations/:org/invitations/:user/resend", h.resendInvitation)
	g.GET("/organizations/:org/invitations/:user/revoke", h.confirmRevokeInvitation)
	g.POST("/organizations/:org/invitations/:user/revoke", h.revokeInvitation)

	g.GET("/organizations/:org/domains", h.domains)
	g.POST("/organizations/:org/domains", h.addDomain)
	g.GET("/organizations/:org/domains/:domain/delete", h.confirmRemoveDomain)
	g.POST("/organizations/:org/domains/:domain/delete", h.removeDomain)

	g.GET("/organizations/:org/roles", h.roles)
	g.POST("/organizations/:org/roles", h.createRole)
	g.POST("/organizations/:org/roles/default", h.setDefaultRole)
	g.GET("/organizations/:org/roles/:role/delete", h.confirmDeleteRole)
	g.POST("/organizations/:org/roles/:role/delete", h.deleteRole)
}

// ---- the list ----

func (h orgsHandler) list(c echo.Context) error {
	d := orgs.ListData{Query: strings.TrimSpace(c.QueryParam("q")), Sort: c.QueryParam("sort")}
	sort := store.OrgSort(d.Sort)
	if sort != store.OrgsOldest && sort != store.OrgsByName {
		sort, d.Sort = store.OrgsNewest, string(store.OrgsNewest)
	}
	rows, info, err := h.dir.ConsoleListOrganizations(c.Request().Context(), d.Query, sort, orgPageRequest(c))
	if msg := apperr.FieldErrors(err)["q"]; msg != "" {
		d.QueryError = "Search " + msg
		return render(c, http.StatusUnprocessableEntity, orgs.List(newPage(c, "Organizations", views.NavOrganizations), d))
	}
	if err != nil {
		return err
	}
	for _, r := range rows {
		d.Rows = append(d.Rows, orgs.ListRow{
			ID: r.ID, Name: r.DisplayName, Slug: orgDeref(r.Slug), ExternalID: orgDeref(r.ExternalID),
			Members: r.MemberCount, CreatedAt: r.CreatedAt,
		})
	}
	d.Pages = orgPageLinks(c, info, orgs.CountLabel(info.TotalSize, d.Query != "", "organization", "organizations"))
	return render(c, http.StatusOK, orgs.List(newPage(c, "Organizations", views.NavOrganizations), d))
}

// ---- create ----

func (h orgsHandler) newForm(c echo.Context) error {
	return h.renderNew(c, http.StatusOK, orgs.OrgForm{})
}

func (h orgsHandler) renderNew(c echo.Context, status int, f orgs.OrgForm) error {
	adminRole := "admin"
	if r, err := h.dir.DefaultCreatorRole(c.Request().Context(), nil); err == nil {
		adminRole = r.Name
	}
	return render(c, status, orgs.New(newPage(c, "Create organization", views.NavOrganizations), f, adminRole))
}

func (h orgsHandler) create(c echo.Context) error {
	f := orgForm(c)
	f.AdminEmail = strings.TrimSpace(c.FormValue("admin_email"))
	o, err := h.dir.CreateOrganizationInvitingAdmin(c.Request().Context(), orgInput(f), f.AdminEmail, adminFrom(c).Email)
	if status, ok := orgFormFailure(err, &f.Errors, &f.Problem, orgProfileFields("admin_email")...); ok {
		return h.renderNew(c, status, f)
	}
	if err != nil {
		return err
	}
	msg := "Created " + o.DisplayName + "."
	if f.AdminEmail != "" {
		msg += " Invited " + f.AdminEmail + " as its first admin."
	}
	return orgRedirect(c, views.FlashSuccess, msg, "/organizations/"+o.ID)
}

// orgForm reads the profile fields the create and edit forms share.
func orgForm(c echo.Context) orgs.OrgForm {
	return orgs.OrgForm{
		DisplayName: c.FormValue("display_name"),
		Slug:        strings.TrimSpace(c.FormValue("slug")),
		ExternalID:  strings.TrimSpace(c.FormValue("external_id")),
	}
}

// orgProfileFields are the fields of the profile form, and more.
func orgProfileFields(more ...string) []string {
	return append([]string{"display_name", "slug", "external_id"}, more...)
}

func orgInput(f orgs.OrgForm) directory.OrganizationInput {
	return directory.OrganizationInput{DisplayName: &f.DisplayName, Slug: &f.Slug, ExternalID: &f.ExternalID}
}

// ---- overview: details, profile, metadata, settings ----

func (h orgsHandler) detail(c echo.Context) error {
	return h.renderDetail(c, http.StatusOK, nil, nil, nil)
}

// renderDetail shows the overview. A form given (after a failed post) is
// shown as typed; the others show what is stored.
func (h orgsHandler) renderDetail(c echo.Context, status int, edit *orgs.OrgForm, meta *orgs.MetadataForm, settings *orgs.SettingsForm) error {
	ctx := c.Request().Context()
	o, err := h.dir.Organization(ctx, c.Param("org"))
	if err != nil {
		return err
	}
	counts, err := h.dir.OrganizationCounts(ctx, o.ID)
	if err != nil {
		return err
	}
	def, err := h.dir.OrgDefaultMemberRole(ctx, o.ID)
	if err != nil && !errors.Is(err, apperr.ErrFailedPrecondition) {
		return err
	}
	d := orgs.DetailData{
		Org: orgRef(o), Slug: orgDeref(o.Slug), ExternalID: orgDeref(o.ExternalID),
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, DefaultRole: orgOrDefault(def.Name, "no role"),
		Counts: orgs.Counts{Members: counts.Members, Active: counts.Active, Pending: counts.Pending,
			Domains: counts.Domains, Roles: counts.Roles},
	}
	if edit != nil {
		d.Edit = *edit
	} else {
		d.Edit = orgs.OrgForm{DisplayName: o.DisplayName, Slug: orgDeref(o.Slug), ExternalID: orgDeref(o.ExternalID)}
	}
	if meta != nil {
		d.Metadata = *meta
	} else {
		d.Metadata = orgMetadataForm(o.Metadata)
	}
	if settings != nil {
		d.Settings = *settings
	} else {
		d.Settings = orgs.SettingsForm{MaxAllowedUsers: strconv.Itoa(o.MaxAllowedUsers)}
		for _, name := range directory.KnownFeatures {
			on, _ := o.Settings[name].(bool)
			d.Settings.Features = append(d.Settings.Features, orgs.FeatureOption(name, on))
		}
	}
	return render(c, status, orgs.Detail(newPage(c, o.DisplayName, views.NavOrganizations), d))
}

func (h orgsHandler) update(c echo.Context) error {
	f := orgForm(c)
	o, err := h.dir.UpdateOrganization(c.Request().Context(), c.Param("org"), orgInput(f))
	if status, ok := orgFormFailure(err, &f.Errors, &f.Problem, orgProfileFields()...); ok {
		return h.renderDetail(c, status, &f, nil, nil)
	}
	if err != nil {
		return err
	}
	return orgRedirect(c, views.FlashSuccess, "Saved the profile of "+o.DisplayName+".", "/organizations/"+o.ID)
}

// orgEmptyMetadataRows is how many blank rows the metadata form offers for new
// entries; more can be added after saving.
const orgEmptyMetadataRows = 3

// orgMetadataForm shows stored metadata sorted by key, then the blank rows.
func orgMetadataForm(m model.Metadata) orgs.MetadataForm {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var f orgs.MetadataForm
	for _, k := range keys {
		f.Rows = append(f.Rows, orgs.MetadataRow{Key: k, Value: m[k]})
	}
	return orgWithBlankRows(f)
}

func orgWithBlankRows(f orgs.MetadataForm) orgs.MetadataForm {
	for range orgEmptyMetadataRows {
		f.Rows = append(f.Rows, orgs.MetadataRow{})
	}
	return f
}

func (h orgsHandler) updateMetadata(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	f, m := orgParseMetadataRows(form)
	// The service's checks too, so every row's problem shows at once.
	if err := directory.CheckOrganizationMetadata(m); err != nil {
		orgAttachMetadataErrors(&f, err)
	}
	if !orgHasRowErrors(f) && f.Problem == "" {
		_, err = h.dir.UpdateOrganization(c.Request().Context(), c.Param("org"), directory.OrganizationInput{Metadata: m})
		if orgInputError(err) {
			orgAttachMetadataErrors(&f, err)
		} else if err != nil {
			return err
		}
	}
	if orgHasRowErrors(f) || f.Problem != "" {
		f = orgWithBlankRows(f)
		return h.renderDetail(c, http.StatusUnprocessableEntity, nil, &f, nil)
	}
	return orgRedirect(c, views.FlashSuccess, "Saved the metadata.", "/organizations/"+c.Param("org"))
}

// orgParseMetadataRows pairs the form's key and value inputs into rows and a
// map. A row with both boxes empty is dropped (that is how one removes an
// entry); a value without a key, or a key twice, is marked on its row.
func orgParseMetadataRows(form url.Values) (orgs.MetadataForm, model.Metadata) {
	keys, values := form["key"], form["value"]
	var f orgs.MetadataForm
	m := model.Metadata{}
	for i := range max(len(keys), len(values)) {
		var r orgs.MetadataRow
		if i < len(keys) {
			r.Key = strings.TrimSpace(keys[i])
		}
		if i < len(values) {
			r.Value = values[i]
		}
		switch _, dup := m[r.Key]; {
		case r.Key == "" && strings.TrimSpace(r.Value) == "":
			continue
		case r.Key == "":
			r.Error = "Give this value a key, or empty the value to drop the row."
		case dup:
			r.Error = "This key is used twice; each key holds one value."
		default:
			m[r.Key] = r.Value
		}
		f.Rows = append(f.Rows, r)
	}
	return f, m
}

// orgAttachMetadataErrors puts the service's "metadata.<key>" messages on the
// rows of those keys, and anything else at the top of the form.
func orgAttachMetadataErrors(f *orgs.MetadataForm, err error) {
	for field, msg := range apperr.FieldErrors(err) {
		key, ok := strings.CutPrefix(field, "metadata.")
		placed := false
		for i := range f.Rows {
			if ok && f.Rows[i].Key == key {
				f.Rows[i].Error, placed = orgSentence(msg), true
			}
		}
		if !placed {
			f.Problem = "Metadata " + msg
		}
	}
	if f.Problem == "" && !orgHasRowErrors(*f) {
		f.Problem = orgErrorMessage(err)
	}
}

func orgHasRowErrors(f orgs.MetadataForm) bool {
	for _, r := range f.Rows {
		if r.Error != "" {
			return true
		}
	}
	return false
}

func (h orgsHandler) updateSettings(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	on := map[string]bool{}
	for _, name := range form["feature"] {
		on[name] = true
	}
	f := orgs.SettingsForm{MaxAllowedUsers: strings.TrimSpace(form.Get("max_allowed_users")), Errors: orgs.FormErrors{}}
	in := directory.OrganizationSettings{Features: map[string]bool{}}
	for _, name := range directory.KnownFeatures {
		in.Features[name] = on[name]
		f.Features = append(f.Features, orgs.FeatureOption(name, on[name]))
	}
	if n, err := strconv.Atoi(f.MaxAllowedUsers); err == nil {
		in.MaxAllowedUsers = &n
	} else {
		f.Errors["max_allowed_users"] = "must be a whole number: 0 for no limit"
		return h.renderDetail(c, http.StatusUnprocessableEntity, nil, nil, &f)
	}
	o, err := h.dir.UpdateOrganizationSettings(c.Request().Context(), c.Param("org"), in)
	var problem string
	if status, ok := orgFormFailure(err, &f.Errors, &problem, "max_allowed_users"); ok {
		if problem != "" {
			f.Errors["features"] = problem
		}
		return h.renderDetail(c, status, nil, nil, &f)
	}
	if err != nil {
		return err
	}
	return orgRedirect(c, views.FlashSuccess, "Saved the settings of "+o.DisplayName+".", "/organizations/"+o.ID)
}

// ---- delete ----

func (h orgsHandler) confirmDelete(c echo.Context) error {
	return h.renderDelete(c, http.StatusOK, "", "")
}

func (h orgsHandler) renderDelete(c echo.Context, status int, typed, problem string) error {
	ctx := c.Request().Context()
	o, err := h.dir.Organization(ctx, c.Param("org"))
	if err != nil {
		return err
	}
	members, users, err := h.dir.OrgDeletionImpact(ctx, o.ID)
	if err != nil {
		return err
	}
	d := orgs.DeleteData{Org: orgRef(o), Members: members, UsersDeleted: users, Typed: typed, Error: problem}
	return render(c, status, orgs.Delete(newPage(c, "Delete "+o.DisplayName, views.NavOrganizations), d))
}

func (h orgsHandler) delete(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := h.dir.Organization(ctx, c.Param("org"))
	if err != nil {
		return err
	}
	typed := c.FormValue("confirm_name")
	if strings.TrimSpace(typed) != o.DisplayName {
		return h.renderDelete(c, http.StatusUnprocessableEntity, typed, "does not match the name; type "+o.DisplayName+" exactly to delete it")
	}
	if err := h.dir.DeleteOrganization(ctx, o.ID); err != nil {
		return err
	}
	return orgRedirect(c, views.FlashSuccess, "Deleted "+o.DisplayName+".", "/organizations")
}

// ---- shared helpers of the organization pages ----

func orgRef(o model.Organization) orgs.Org { return orgs.Org{ID: o.ID, Name: o.DisplayName} }

// orgPageRequest reads the page token of a console list ("page").
func orgPageRequest(c echo.Context) store.PageRequest {
	return store.PageRequest{Token: c.QueryParam("page")}
}

// orgPageLinks makes the previous/next links of a list: the same URL with the
// other page token, so search and filters carry over.
func orgPageLinks(c echo.Context, info store.PageInfo, label string) components.PageLinks {
	link := func(token string) string {
		if token == "" {
			return ""
		}
		q := c.Request().URL.Query()
		q.Set("page", token)
		return c.Request().URL.Path + "?" + q.Encode()
	}
	return components.PageLinks{Prev: link(info.PrevToken), Next: link(info.NextToken), Label: label}
}

// orgFormFailure sorts a service error for a form that is shown again:
// bad input goes beside the fields named in shown, and anything else the
// service refused (other fields, a taken value, the wrong state) at the
// top. ok is false for errors the error page shows instead.
func orgFormFailure(err error, fields *orgs.FormErrors, problem *string, shown ...string) (status int, ok bool) {
	if !orgInputError(err) {
		return 0, false
	}
	f, _ := classify(err)
	status = f.status
	if errors.Is(err, apperr.ErrInvalid) {
		status = http.StatusUnprocessableEntity
	}
	*fields = orgs.FormErrors{}
	for field, msg := range apperr.FieldErrors(err) {
		if slices.Contains(shown, field) {
			(*fields)[field] = msg
		} else {
			*problem = orgErrorMessage(apperr.Invalid(apperr.Field(field, msg)))
		}
	}
	if len(*fields) == 0 && *problem == "" {
		*problem = orgErrorMessage(err)
	}
	return status, true
}

// orgInputError: the request was understood but refused as asked (bad
// input, a taken value, the wrong state), so the form is shown again.
func orgInputError(err error) bool {
	return errors.Is(err, apperr.ErrInvalid) || errors.Is(err, apperr.ErrConflict) ||
		errors.Is(err, apperr.ErrFailedPrecondition)
}

// orgSentence makes a field's message ("must be …") a sentence of its own.
func orgSentence(msg string) string {
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

// orgErrorMessage is the message of a service error, with a capital letter.
func orgErrorMessage(err error) string {
	f, _ := classify(err)
	msg := f.message
	if msg == "" {
		return "Something went wrong."
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

func orgRedirect(c echo.Context, kind views.FlashKind, message, to string) error {
	if err := setFlash(c, kind, message); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

func orgDeref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func orgOrDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
