package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"roster/internal/adminauth"
	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/social"
	"roster/views"
	settingspages "roster/views/pages/settings"
)

// settingsHandler serves the owners' settings pages: the environment's
// sign-in, sign-up, invitation and session settings, and the social
// providers end users sign in with.
type settingsHandler struct {
	dir    *directory.Service
	social *social.Service
}

// Routes registers the pages. /settings is an owner-only area anyway
// (ownerOnlyAreas); requireRole says so where the routes are read.
func (h settingsHandler) Routes(g *echo.Group) {
	owner := requireRole(adminauth.Owner)
	g.GET("/settings", h.show, owner)
	g.POST("/settings", h.save, owner)
	g.GET("/settings/social-providers", h.providers, owner)
	g.GET("/settings/social-providers/new", h.newProvider, owner)
	g.POST("/settings/social-providers", h.createProvider, owner)
	g.GET("/settings/social-providers/:provider/edit", h.editProvider, owner)
	g.POST("/settings/social-providers/:provider/edit", h.updateProvider, owner)
	g.GET("/settings/social-providers/:provider/delete", h.confirmDeleteProvider, owner)
	g.POST("/settings/social-providers/:provider/delete", h.deleteProvider, owner)
}

func (h settingsHandler) show(c echo.Context) error {
	es, err := h.dir.Settings(c.Request().Context())
	if err != nil {
		return err
	}
	return h.page(c, http.StatusOK, settingsForm(es), nil, es.UpdatedAt)
}

func (h settingsHandler) save(c echo.Context) error {
	form := settingsFormOf(c)
	_, err := h.dir.UpdateSettings(c.Request().Context(), settingsInput(form))
	if errs := fieldErrorsOf(err, settingsFields); errs != nil {
		return h.page(c, http.StatusUnprocessableEntity, form, errs, time.Time{})
	}
	if err != nil {
		return err
	}
	return redirectWithFlash(c, "Settings saved. New sign-ins and sessions follow them from now on.", "/settings")
}

func (h settingsHandler) page(c echo.Context, status int, form settingspages.Form, errs map[string]string, updated time.Time) error {
	enabled, err := h.social.Enabled(c.Request().Context())
	if err != nil {
		return err
	}
	// Enabled is empty while social sign-in is off; the hint counts what
	// would be offered if it were on.
	ready := len(enabled)
	if !form.SocialSigninEnabled {
		if all, err := h.social.List(c.Request().Context()); err == nil {
			ready = 0
			for _, p := range all {
				if p.Enabled {
					ready++
				}
			}
		}
	}
	d := settingspages.Data{Form: form, Errors: errs, UpdatedAt: updated, EnabledProviders: ready}
	return render(c, status, settingspages.General(newPage(c, "Settings", views.NavNone), d))
}

// settingsFields maps the service's field names to the form's.
var settingsFields = map[string]string{
	"app_name":                   "app_name",
	"email_signin_enabled":       "email_signin_enabled",
	"email_signin_mode":          "email_signin_mode",
	"email_token_lifetime":       "email_token_lifetime_minutes",
	"max_organizations_per_user": "max_organizations_per_user",
	"invitation_expiry":          "invitation_expiry_days",
	"user_session_idle_timeout":  "user_session_idle_hours",
	"user_session_lifetime":      "user_session_lifetime_days",
	"admin_session_idle_timeout": "admin_session_idle_minutes",
	"admin_session_lifetime":     "admin_session_lifetime_hours",
	"allowed_redirect_urls":      "allowed_redirect_urls",
}

// settingsForm shows saved settings in the form's units.
func settingsForm(es model.EnvironmentSettings) settingspages.Form {
	in := func(d, unit time.Duration) string { return strconv.FormatInt(int64(d/unit), 10) }
	return settingspages.Form{
		AppName:                       es.AppName,
		EmailSigninEnabled:            es.EmailSigninEnabled,
		EmailSigninMode:               es.EmailSigninMode,
		EmailTokenLifetimeMinutes:     in(es.EmailTokenLifetime, time.Minute),
		PasswordSigninEnabled:         es.PasswordSigninEnabled,
		SocialSigninEnabled:           es.SocialSigninEnabled,
		SignupEnabled:                 es.SignupEnabled,
		SignupCreatesOrganization:     es.SignupCreatesOrganization,
		MaxOrganizationsPerUser:       strconv.Itoa(es.MaxOrganizationsPerUser),
		BlockPublicEmailDomains:       es.BlockPublicEmailDomains,
		BlockDisposableEmailDomains:   es.BlockDisposableEmailDomains,
		InvitationExpiryDays:          in(es.InvitationExpiry, 24*time.Hour),
		DeleteUsersWithoutMemberships: es.DeleteUsersWithoutMemberships,
		UserSessionIdleHours:          in(es.UserSessionIdleTimeout, time.Hour),
		UserSessionLifetimeDays:       in(es.UserSessionLifetime, 24*time.Hour),
		AdminSessionIdleMinutes:       in(es.AdminSessionIdleTimeout, time.Minute),
		AdminSessionLifetimeHours:     in(es.AdminSessionLifetime, time.Hour),
		AllowedRedirectURLs:           strings.Join(es.AllowedRedirectURLs, "\n"),
	}
}

func settingsFormOf(c echo.Context) settingspages.Form {
	on := func(name string) bool { return c.FormValue(name) == "on" }
	return settingspages.Form{
		AppName:                       c.FormValue("app_name"),
		EmailSigninEnabled:            on("email_signin_enabled"),
		EmailSigninMode:               c.FormValue("email_signin_mode"),
		EmailTokenLifetimeMinutes:     strings.TrimSpace(c.FormValue("email_token_lifetime_minutes")),
		PasswordSigninEnabled:         on("password_signin_enabled"),
		SocialSigninEnabled:           on("social_signin_enabled"),
		SignupEnabled:                 on("signup_enabled"),
		SignupCreatesOrganization:     on("signup_creates_organization"),
		MaxOrganizationsPerUser:       strings.TrimSpace(c.FormValue("max_organizations_per_user")),
		BlockPublicEmailDomains:       on("block_public_email_domains"),
		BlockDisposableEmailDomains:   on("block_disposable_email_domains"),
		InvitationExpiryDays:          strings.TrimSpace(c.FormValue("invitation_expiry_days")),
		DeleteUsersWithoutMemberships: on("delete_users_without_memberships"),
		UserSessionIdleHours:          strings.TrimSpace(c.FormValue("user_session_idle_hours")),
		UserSessionLifetimeDays:       strings.TrimSpace(c.FormValue("user_session_lifetime_days")),
		AdminSessionIdleMinutes:       strings.TrimSpace(c.FormValue("admin_session_idle_minutes")),
		AdminSessionLifetimeHours:     strings.TrimSpace(c.FormValue("admin_session_lifetime_hours")),
		AllowedRedirectURLs:           c.FormValue("allowed_redirect_urls"),
	}
}

// settingsInput reads the form's numbers in their units. Text that is not
// a whole number becomes -1, which the service refuses with the field's
// allowed range, so the rule and its message live in one place.
func settingsInput(f settingspages.Form) directory.SettingsInput {
	whole := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return -1
		}
		return n
	}
	dur := func(s string, unit time.Duration) time.Duration { return time.Duration(whole(s)) * unit }
	return directory.SettingsInput{
		AppName:                       f.AppName,
		EmailSigninEnabled:            f.EmailSigninEnabled,
		EmailSigninMode:               f.EmailSigninMode,
		EmailTokenLifetime:            dur(f.EmailTokenLifetimeMinutes, time.Minute),
		PasswordSigninEnabled:         f.PasswordSigninEnabled,
		SocialSigninEnabled:           f.SocialSigninEnabled,
		SignupEnabled:                 f.SignupEnabled,
		SignupCreatesOrganization:     f.SignupCreatesOrganization,
		MaxOrganizationsPerUser:       whole(f.MaxOrganizationsPerUser),
		InvitationExpiry:              dur(f.InvitationExpiryDays, 24*time.Hour),
		DeleteUsersWithoutMemberships: f.DeleteUsersWithoutMemberships,
		BlockPublicEmailDomains:       f.BlockPublicEmailDomains,
		BlockDisposableEmailDomains:   f.BlockDisposableEmailDomains,
		UserSessionIdleTimeout:        dur(f.UserSessionIdleHours, time.Hour),
		UserSessionLifetime:           dur(f.UserSessionLifetimeDays, 24*time.Hour),
		AdminSessionIdleTimeout:       dur(f.AdminSessionIdleMinutes, time.Minute),
		AdminSessionLifetime:          dur(f.AdminSessionLifetimeHours, time.Hour),
		AllowedRedirectURLs:           strings.Split(f.AllowedRedirectURLs, "\n"),
	}
}

// Social providers.

func (h settingsHandler) providers(c echo.Context) error {
	ctx := c.Request().Context()
	list, err := h.social.List(ctx)
	if err != nil {
		return err
	}
	es, err := h.dir.Settings(ctx)
	if err != nil {
		return err
	}
	d := settingspages.ProvidersData{SocialEnabled: es.SocialSigninEnabled, Providers: make([]settingspages.Provider, len(list))}
	for i, p := range list {
		d.Providers[i] = h.providerView(p)
	}
	return render(c, http.StatusOK, settingspages.Providers(newPage(c, "Social providers", views.NavNone), d))
}

// newProvider shows the add form. The provider's id is made now, so the
// form can show the redirect URI to register at the provider, which wants
// it before it gives out the client id and secret the form asks for.
func (h settingsHandler) newProvider(c echo.Context) error {
	form := settingspages.ProviderForm{ID: h.social.NewProviderID(), Kind: social.KindGoogle, Enabled: true,
		TrustEmailVerified: social.TrustsEmailByDefault(social.KindGoogle)}
	return h.providerForm(c, http.StatusOK, social.Provider{}, form, nil, false)
}

func (h settingsHandler) createProvider(c echo.Context) error {
	in := providerInputOf(c)
	in.ID = c.FormValue("id")
	p, err := h.social.Create(c.Request().Context(), in)
	if errors.Is(err, apperr.ErrConflict) {
		// The same form sent twice (a double click): the first one added it.
		return redirectWithFlash(c, "This provider was added already.", "/settings/social-providers")
	}
	if errs := fieldErrorsOf(err, providerFields); errs != nil {
		form := providerFormOf(in)
		if errs["id"] != "" {
			// A tampered id: the form comes back with a new one, whose
			// redirect URI is the one to register.
			form.ID = h.social.NewProviderID()
		}
		return h.providerForm(c, http.StatusUnprocessableEntity, social.Provider{}, form, errs, in.ClientSecret != "")
	}
	if err != nil {
		return err
	}
	return redirectWithFlash(c, "Added "+p.DisplayName+". Register its redirect URI, shown below, with the provider.", "/settings/social-providers")
}

func (h settingsHandler) editProvider(c echo.Context) error {
	p, err := h.social.Get(c.Request().Context(), c.Param("provider"))
	if err != nil {
		return err
	}
	form := settingspages.ProviderForm{Kind: p.Kind, DisplayName: p.DisplayName, Issuer: p.Issuer, ClientID: p.ClientID,
		Enabled: p.Enabled, TrustEmailVerified: p.TrustEmailVerified}
	return h.providerForm(c, http.StatusOK, p, form, nil, false)
}

func (h settingsHandler) updateProvider(c echo.Context) error {
	ctx := c.Request().Context()
	in := providerInputOf(c)
	p, err := h.social.Update(ctx, c.Param("provider"), in)
	if errs := fieldErrorsOf(err, providerFields); errs != nil {
		saved, getErr := h.social.Get(ctx, c.Param("provider"))
		if getErr != nil {
			return getErr
		}
		return h.providerForm(c, http.StatusUnprocessableEntity, saved, providerFormOf(in), errs, in.ClientSecret != "")
	}
	if err != nil {
		return err
	}
	return redirectWithFlash(c, "Saved "+p.DisplayName+".", "/settings/social-providers")
}

func (h settingsHandler) confirmDeleteProvider(c echo.Context) error {
	p, err := h.social.Get(c.Request().Context(), c.Param("provider"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, settingspages.DeleteProvider(newPage(c, "Remove "+p.DisplayName, views.NavNone), h.providerView(p)))
}

func (h settingsHandler) deleteProvider(c echo.Context) error {
	p, err := h.social.Delete(c.Request().Context(), c.Param("provider"))
	if err != nil {
		return err
	}
	return redirectWithFlash(c, "Removed "+p.DisplayName+". Its button is gone from the sign-in page.", "/settings/social-providers")
}

func (h settingsHandler) providerForm(c echo.Context, status int, saved social.Provider, form settingspages.ProviderForm, errs map[string]string, secretTyped bool) error {
	d := settingspages.ProviderFormData{Form: form, Errors: errs, SecretTyped: secretTyped}
	if saved.ID != "" {
		d.Provider = h.providerView(saved)
		d.CallbackURL = d.Provider.CallbackURL
	} else {
		d.CallbackURL = h.social.CallbackURL(form.ID)
	}
	// Only a fresh "add" form follows the kind: one sent back with mistakes
	// shows what the owner chose.
	d.TrustFollowsKind = saved.ID == "" && errs == nil
	for _, k := range social.Kinds {
		d.Kinds = append(d.Kinds, settingspages.KindOption{Value: k, Label: social.KindName(k), TrustDefault: social.TrustsEmailByDefault(k)})
	}
	title := "Add a social provider"
	if saved.ID != "" {
		title = "Edit " + saved.DisplayName
	}
	return render(c, status, settingspages.ProviderFormPage(newPage(c, title, views.NavNone), d))
}

// providerFields are the provider form's fields, named as the service names them.
var providerFields = map[string]string{
	"id": "id", "kind": "kind", "display_name": "display_name", "issuer": "issuer", "client_id": "client_id", "client_secret": "client_secret",
}

// providerInputOf reads the form. The trust checkbox is always on the
// form, so its absence means off, never "as before".
func providerInputOf(c echo.Context) social.ProviderInput {
	trust := c.FormValue("trust_email_verified") == "on"
	return social.ProviderInput{
		Kind: c.FormValue("kind"), DisplayName: c.FormValue("display_name"), Issuer: c.FormValue("issuer"),
		ClientID: c.FormValue("client_id"), ClientSecret: c.FormValue("client_secret"), Enabled: c.FormValue("enabled") == "on",
		TrustEmailVerified: &trust,
	}
}

func providerFormOf(in social.ProviderInput) settingspages.ProviderForm {
	return settingspages.ProviderForm{ID: in.ID, Kind: in.Kind, DisplayName: in.DisplayName, Issuer: in.Issuer, ClientID: in.ClientID,
		Enabled: in.Enabled, TrustEmailVerified: in.TrustEmailVerified != nil && *in.TrustEmailVerified}
}

func (h settingsHandler) providerView(p social.Provider) settingspages.Provider {
	return settingspages.Provider{
		ID: p.ID, Kind: p.Kind, KindName: social.KindName(p.Kind), DisplayName: p.DisplayName, Issuer: p.Issuer,
		ClientID: p.ClientID, SecretSet: p.SecretSet, Enabled: p.Enabled, CallbackURL: h.social.CallbackURL(p.ID),
		TrustEmailVerified: p.TrustEmailVerified,
	}
}
