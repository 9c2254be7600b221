package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/enduser"
	"roster/internal/ids"
	"roster/web/webtest"
)

// settingsForm is the settings form as the page first shows it (the
// defaults), for tests to change.
func settingsForm() url.Values {
	return url.Values{
		"app_name":             {"Roster"},
		"email_signin_enabled": {"on"}, "email_signin_mode": {"both"}, "email_token_lifetime_minutes": {"10"},
		"password_signin_enabled": {"on"}, "social_signin_enabled": {"on"}, "signup_enabled": {"on"},
		"max_organizations_per_user": {"0"}, "block_public_email_domains": {"on"}, "block_disposable_email_domains": {"on"},
		"invitation_expiry_days": {"15"}, "delete_users_without_memberships": {"on"},
		"user_session_idle_hours": {"168"}, "user_session_lifetime_days": {"30"},
		"admin_session_idle_minutes": {"120"}, "admin_session_lifetime_hours": {"12"},
		"allowed_redirect_urls": {""},
	}
}

func TestSettingsPage(t *testing.T) {
	srv := webtest.NewServer(t)
	owner := webtest.NewConsoleClient(t, srv, "owner@acme.test", adminauth.Owner)

	res := owner.Get("/settings")
	wantStatus(t, "settings", res, http.StatusOK)
	for _, want := range []string{`name="email_token_lifetime_minutes"`, `value="10"`, `value="15"`, `value="168"`} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("the settings page lacks %s", want)
		}
	}
	if !isChecked(res.Body, "mode-both") || !isChecked(res.Body, "check-signup_enabled") || isChecked(res.Body, "check-signup_creates_organization") {
		t.Error("the checkboxes do not show the defaults")
	}
	if !strings.Contains(owner.Get("/").Body, `data-testid="settings-link"`) {
		t.Error("owners have no link to the settings")
	}

	t.Run("an owner saves and the change takes effect", func(t *testing.T) {
		form := settingsForm()
		form.Del("password_signin_enabled")
		form.Del("signup_enabled")
		form.Set("email_signin_mode", "code")
		form.Set("invitation_expiry_days", "7")
		form.Set("app_name", "Acme Cloud")
		form.Set("allowed_redirect_urls", "https://app.acme.test\r\nhttp://localhost:3000/after\r\n")
		res := owner.PostForm("/settings", form)
		if res.Status != http.StatusSeeOther || res.Location != "/settings" {
			t.Fatalf("save = %d %q\n%.800s", res.Status, res.Location, res.Body)
		}
		page := owner.Get("/settings")
		if !strings.Contains(page.Body, `data-testid="flash"`) || !strings.Contains(page.Body, "Settings saved") {
			t.Error("no success flash after saving")
		}
		if !strings.Contains(page.Body, "https://app.acme.test\nhttp://localhost:3000/after") ||
			isChecked(page.Body, "check-password_signin_enabled") || !isChecked(page.Body, "mode-code") {
			t.Error("the page does not show the saved settings")
		}

		// What the sign-in page offers follows the settings (enduser.Methods
		// is the one place that decides it).
		st := srv.Store
		users := enduser.New(st, srv.Clock, directory.New(st, srv.Clock), nil, srv.URL)
		m, err := users.Methods(context.Background(), "someone@acme.test")
		if err != nil {
			t.Fatal(err)
		}
		if m.Password || m.SignUp || m.EmailLink || !m.EmailCode {
			t.Errorf("methods after saving: %+v", m)
		}
		es, _ := st.EnvironmentSettings(context.Background())
		if es.InvitationExpiry != 7*24*time.Hour || len(es.AllowedRedirectURLs) != 2 || es.AppName != "Acme Cloud" {
			t.Errorf("stored: %+v", es)
		}
		// The hosted sign-in page names the product as the owner set it.
		if body := webtest.NewVisitorClient(t, srv).Get("/signin").Body; !strings.Contains(body, "Acme Cloud") {
			t.Error("the sign-in page does not show the product name from the settings")
		}
		if n := countRows(t, srv, `SELECT count(*) FROM audit_events WHERE action = 'settings.updated'
			AND actor_label = 'owner@acme.test' AND changes->'email_signin_mode'->>'to' = 'code'`); n != 1 {
			t.Errorf("%d settings.updated events", n)
		}
	})

	t.Run("mistakes come back beside their fields, with what was typed", func(t *testing.T) {
		before := countRows(t, srv, `SELECT count(*) FROM audit_events WHERE action = 'settings.updated'`)
		form := settingsForm()
		form.Set("allowed_redirect_urls", "https://ok.acme.test\n/relative/path")
		form.Set("email_token_lifetime_minutes", "abc")
		form.Set("user_session_idle_hours", "2000")
		form.Set("user_session_lifetime_days", "30")
		form.Set("app_name", "   ")
		res := owner.PostForm("/settings", form)
		wantStatus(t, "bad save", res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, `data-testid="error-app_name"`) {
			t.Error("no error beside the empty product name")
		}
		for field, want := range map[string]string{
			"allowed_redirect_urls":        `"/relative/path" is not an absolute http or https URL`,
			"email_token_lifetime_minutes": "must be between 1 minute and 1 hour",
			"user_session_idle_hours":      "must not be longer than the session's lifetime",
		} {
			if !strings.Contains(res.Body, `data-testid="error-`+field+`">`+htmlEscape(want)) {
				t.Errorf("no error %q beside %s", want, field)
			}
		}
		if !strings.Contains(res.Body, "https://ok.acme.test\n/relative/path</textarea>") || !strings.Contains(res.Body, `value="abc"`) ||
			!strings.Contains(res.Body, `value="2000"`) || !strings.Contains(res.Body, `aria-invalid="true"`) {
			t.Error("the form did not keep what was typed")
		}
		if countRows(t, srv, `SELECT count(*) FROM audit_events WHERE action = 'settings.updated'`) != before {
			t.Error("a refused save was recorded")
		}
	})

	t.Run("turning every method off is refused", func(t *testing.T) {
		form := settingsForm()
		form.Del("email_signin_enabled")
		form.Del("password_signin_enabled")
		form.Del("social_signin_enabled")
		res := owner.PostForm("/settings", form)
		wantStatus(t, "no methods", res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, `data-testid="error-email_signin_enabled"`) {
			t.Error("no error beside the methods")
		}
	})

	t.Run("editors and viewers are refused", func(t *testing.T) {
		for _, role := range []adminauth.Role{adminauth.Editor, adminauth.Viewer} {
			cc := webtest.NewConsoleClient(t, srv, string(role)+"@acme.test", role)
			wantStatus(t, string(role)+" GET", cc.Get("/settings"), http.StatusForbidden)
			wantStatus(t, string(role)+" POST", cc.PostForm("/settings", settingsForm()), http.StatusForbidden)
			wantStatus(t, string(role)+" providers", cc.Get("/settings/social-providers"), http.StatusForbidden)
			wantStatus(t, string(role)+" add provider", cc.PostForm("/settings/social-providers", url.Values{
				"kind": {"GOOGLE"}, "client_id": {"x"}, "client_secret": {"y"},
			}), http.StatusForbidden)
			if strings.Contains(cc.Get("/").Body, `data-testid="settings-link"`) {
				t.Errorf("%s sees the settings link", role)
			}
		}
		if n := countRows(t, srv, `SELECT count(*) FROM social_providers`); n != 0 {
			t.Errorf("%d providers made by refused admins", n)
		}
	})
}

// isChecked reports whether the input with data-testid is checked.
func isChecked(body, testID string) bool {
	re := regexp.MustCompile(`<input[^>]*data-testid="` + regexp.QuoteMeta(testID) + `"[^>]*>`)
	return strings.Contains(" "+re.FindString(body), " checked")
}

func htmlEscape(s string) string {
	return strings.NewReplacer(`"`, "&#34;", "'", "&#39;", "<", "&lt;", ">", "&gt;", "&", "&amp;").Replace(s)
}

func TestSocialProviderPages(t *testing.T) {
	srv := webtest.NewServer(t)
	owner := webtest.NewConsoleClient(t, srv, "owner@acme.test", adminauth.Owner)

	res := owner.Get("/settings/social-providers")
	wantStatus(t, "empty list", res, http.StatusOK)
	if !strings.Contains(res.Body, `data-testid="empty-state"`) {
		t.Error("no empty state")
	}
	wantStatus(t, "new form", owner.Get("/settings/social-providers/new"), http.StatusOK)

	// A mistake keeps what was typed, but never puts the secret back.
	res = owner.PostForm("/settings/social-providers", url.Values{
		"kind": {"OIDC"}, "display_name": {"Acme ID"}, "issuer": {"http://id.acme.test"},
		"client_id": {"acme-client"}, "client_secret": {"typed-secret-value"}, "enabled": {"on"},
	})
	wantStatus(t, "bad provider", res, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Body, `data-testid="error-issuer"`) || !strings.Contains(res.Body, `value="acme-client"`) ||
		!strings.Contains(res.Body, `value="Acme ID"`) {
		t.Errorf("the form lost what was typed or the error:\n%.2000s", res.Body)
	}
	if strings.Contains(res.Body, "typed-secret-value") || !strings.Contains(res.Body, "Type the secret again") {
		t.Error("the secret came back into the page, or the page does not ask for it again")
	}

	res = owner.PostForm("/settings/social-providers", url.Values{
		"kind": {"GOOGLE"}, "client_id": {"123.apps.googleusercontent.test"}, "client_secret": {"google-secret-value"}, "enabled": {"on"},
	})
	if res.Status != http.StatusSeeOther || res.Location != "/settings/social-providers" {
		t.Fatalf("create = %d %q\n%.800s", res.Status, res.Location, res.Body)
	}
	var id string
	if err := srv.DB.Get(&id, `SELECT id FROM social_providers`); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM social_providers WHERE position('google-secret-value' in encode(client_secret_encrypted, 'escape')) > 0`); n != 0 {
		t.Error("the secret is stored in clear")
	}
	list := owner.Get("/settings/social-providers")
	if !strings.Contains(list.Body, "•••• set") || !strings.Contains(list.Body, srv.URL+"/signin/social/"+id+"/callback") ||
		strings.Contains(list.Body, "google-secret-value") || !strings.Contains(list.Body, "Added Google") {
		t.Errorf("the list does not show the provider as it should:\n%.3000s", list.Body)
	}

	edit := owner.Get("/settings/social-providers/" + id + "/edit")
	wantStatus(t, "edit", edit, http.StatusOK)
	if strings.Contains(edit.Body, "google-secret-value") || !strings.Contains(edit.Body, "•••• set") {
		t.Error("the edit form shows the secret, or not that one is set")
	}
	var sealed []byte
	_ = srv.DB.Get(&sealed, `SELECT client_secret_encrypted FROM social_providers`)
	res = owner.PostForm("/settings/social-providers/"+id+"/edit", url.Values{
		"kind": {"GOOGLE"}, "display_name": {"Google Workspace"}, "issuer": {"https://accounts.google.com"},
		"client_id": {"123.apps.googleusercontent.test"}, "client_secret": {""},
	})
	wantStatus(t, "update", res, http.StatusSeeOther)
	var after []byte
	var name string
	var enabled bool
	_ = srv.DB.QueryRow(`SELECT client_secret_encrypted, display_name, enabled FROM social_providers`).Scan(&after, &name, &enabled)
	if string(after) != string(sealed) || name != "Google Workspace" || enabled {
		t.Errorf("update: name %q enabled %v, secret kept %v", name, enabled, string(after) == string(sealed))
	}
	res = owner.PostForm("/settings/social-providers/"+id+"/edit", url.Values{"kind": {"GITHUB"}, "client_id": {"x"}})
	wantStatus(t, "GitHub", res, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Body, `data-testid="error-kind"`) {
		t.Error("no error beside the kind")
	}

	for _, path := range []string{"/settings/social-providers/conn_aaaaaaaaaaaaaaaaaaaaaaaaaa/edit", "/settings/social-providers/nope/delete"} {
		wantStatus(t, path, owner.Get(path), http.StatusNotFound)
	}
	wantStatus(t, "update unknown", owner.PostForm("/settings/social-providers/conn_aaaaaaaaaaaaaaaaaaaaaaaaaa/edit", url.Values{
		"kind": {"GOOGLE"}, "client_id": {"x"},
	}), http.StatusNotFound)
	wantStatus(t, "delete unknown", owner.PostForm("/settings/social-providers/conn_aaaaaaaaaaaaaaaaaaaaaaaaaa/delete", nil), http.StatusNotFound)

	confirm := owner.Get("/settings/social-providers/" + id + "/delete")
	wantStatus(t, "confirm delete", confirm, http.StatusOK)
	if !strings.Contains(confirm.Body, "Nobody loses their account") {
		t.Error("the confirmation does not say what removing does")
	}
	res = owner.PostForm("/settings/social-providers/"+id+"/delete", nil)
	if res.Status != http.StatusSeeOther || countRows(t, srv, `SELECT count(*) FROM social_providers`) != 0 {
		t.Errorf("delete = %d", res.Status)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM audit_events WHERE action LIKE 'social_provider.%' AND actor_label = 'owner@acme.test'`); n != 3 {
		t.Errorf("%d social_provider audit events, want created, updated, deleted", n)
	}
}

var (
	shownCallback = regexp.MustCompile(`data-testid="provider-callback">([^<]*)<`)
	hiddenID      = regexp.MustCompile(`<input type="hidden" name="id" value="([^"]*)"`)
)

// A provider wants its redirect URI before it hands out the client id and
// secret, so the add form shows the URI before saving, and the provider
// saved from that form has exactly that URI.
func TestSocialProviderRedirectURIBeforeSaving(t *testing.T) {
	srv := webtest.NewServer(t)
	owner := webtest.NewConsoleClient(t, srv, "owner@acme.test", adminauth.Owner)
	shown := func(what string, res *webtest.PageResponse) (callback, id string) {
		t.Helper()
		c, i := shownCallback.FindStringSubmatch(res.Body), hiddenID.FindStringSubmatch(res.Body)
		if c == nil || i == nil {
			t.Fatalf("%s: no redirect URI or no id in the form\n%.3000s", what, res.Body)
		}
		return c[1], i[1]
	}
	providers := func() int { return countRows(t, srv, `SELECT count(*) FROM social_providers`) }
	form := func(id, issuer string) url.Values {
		return url.Values{"id": {id}, "kind": {"OIDC"}, "display_name": {"Acme ID"}, "issuer": {issuer},
			"client_id": {"acme-client"}, "client_secret": {"acme-secret"}, "enabled": {"on"}}
	}

	res := owner.Get("/settings/social-providers/new")
	wantStatus(t, "new form", res, http.StatusOK)
	callback, id := shown("new form", res)
	if !ids.Valid(id, ids.Connection) || callback != srv.URL+"/signin/social/"+id+"/callback" {
		t.Fatalf("the form shows %q for the id %q", callback, id)
	}
	if _, other := shown("another new form", owner.Get("/settings/social-providers/new")); other == id {
		t.Error("two add forms show the same id")
	}

	// A mistake keeps the id, and with it the URI already registered.
	res = owner.PostForm("/settings/social-providers", form(id, "ftp://id.acme.test"))
	wantStatus(t, "bad issuer", res, http.StatusUnprocessableEntity)
	if again, sameID := shown("the form with a mistake", res); again != callback || sameID != id {
		t.Errorf("after a mistake the form shows %q (%s), before %q", again, sameID, callback)
	}

	res = owner.PostForm("/settings/social-providers", form(id, "https://id.acme.test"))
	if res.Status != http.StatusSeeOther || res.Location != "/settings/social-providers" {
		t.Fatalf("create = %d %q\n%.800s", res.Status, res.Location, res.Body)
	}
	var saved string
	if err := srv.DB.Get(&saved, `SELECT id FROM social_providers`); err != nil || saved != id {
		t.Fatalf("saved as %q (%v), the form showed %q", saved, err, id)
	}
	if list := owner.Get("/settings/social-providers"); !strings.Contains(list.Body, ">"+callback+"<") {
		t.Errorf("the list does not show the URI the form showed, %s", callback)
	}
	edit := owner.Get("/settings/social-providers/" + id + "/edit")
	if m := shownCallback.FindStringSubmatch(edit.Body); m == nil || m[1] != callback {
		t.Errorf("the edit form shows %v, the add form showed %q", m, callback)
	}
	if hiddenID.MatchString(edit.Body) {
		t.Error("the edit form sends an id: only the add form may")
	}

	// The same form sent twice (a double click) adds one provider.
	res = owner.PostForm("/settings/social-providers", form(id, "https://id.acme.test"))
	if res.Status != http.StatusSeeOther || res.Location != "/settings/social-providers" || providers() != 1 {
		t.Fatalf("sent twice: %d %q, %d providers\n%.800s", res.Status, res.Location, providers(), res.Body)
	}
	if list := owner.Get("/settings/social-providers"); !strings.Contains(list.Body, "This provider was added already.") {
		t.Error("the list does not say the provider was added already")
	}

	// An id Roster did not make is refused beside the URI; the form comes
	// back with a fresh one.
	for _, bad := range []string{"conn_AAAAAAAAAAAAAAAAAAAAAAAAAA", "org_aaaaaaaaaaaaaaaaaaaaaaaaaa", "conn_short", "conn_aaaaaaaaaaaaaaaaaaaaaaaaa1",
		"../../../admin", "conn_aaaaaaaaaaaaaaaaaaaaaaaaaa/x"} {
		res = owner.PostForm("/settings/social-providers", form(bad, "https://id.acme.test"))
		wantStatus(t, "id "+bad, res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, `data-testid="error-id"`) {
			t.Errorf("id %q: no error beside the redirect URI", bad)
		}
		if fresh, freshID := shown("id "+bad, res); !ids.Valid(freshID, ids.Connection) || fresh != srv.URL+"/signin/social/"+freshID+"/callback" {
			t.Errorf("id %q: the form came back with %q (%s)", bad, fresh, freshID)
		}
	}
	if n := providers(); n != 1 {
		t.Errorf("%d providers after refused ids", n)
	}
}

// The owner's switch "Trust this provider's verified emails to link
// existing accounts": its defaults, what the pages show, and its audit.
func TestSocialProviderTrustSetting(t *testing.T) {
	srv := webtest.NewServer(t)
	owner := webtest.NewConsoleClient(t, srv, "owner@acme.test", adminauth.Owner)

	form := owner.Get("/settings/social-providers/new")
	wantStatus(t, "new form", form, http.StatusOK)
	if !isChecked(form.Body, "check-trust_email_verified") || !strings.Contains(form.Body, "Trust this provider&#39;s verified emails to link existing accounts") {
		t.Error("the new form (Google first) does not offer the trust, ticked")
	}
	if !strings.Contains(form.Body, "data-trust-follows-kind") || !strings.Contains(form.Body, `value="OIDC" data-trust-default="false"`) ||
		!strings.Contains(form.Body, `value="GOOGLE" selected data-trust-default="true"`) {
		t.Errorf("the new form does not say each kind's default:\n%.3000s", form.Body)
	}

	res := owner.PostForm("/settings/social-providers", url.Values{
		"kind": {"OIDC"}, "display_name": {"Acme ID"}, "issuer": {"https://id.acme.test"},
		"client_id": {"acme"}, "client_secret": {"acme-secret"}, "enabled": {"on"},
	})
	wantStatus(t, "create", res, http.StatusSeeOther)
	var id string
	var trusted bool
	if err := srv.DB.QueryRow(`SELECT id, trust_email_verified FROM social_providers`).Scan(&id, &trusted); err != nil || trusted {
		t.Fatalf("created provider trusts verified emails: %v (%v)", trusted, err)
	}
	list := owner.Get("/settings/social-providers")
	wantHas(t, "list", list.Body, `data-testid="provider-trust" data-trusted="false"`, "Code to the address first")

	edit := func(trust bool) {
		t.Helper()
		f := url.Values{"kind": {"OIDC"}, "display_name": {"Acme ID"}, "issuer": {"https://id.acme.test"}, "client_id": {"acme"}, "enabled": {"on"}}
		if trust {
			f.Set("trust_email_verified", "on")
		}
		wantStatus(t, "edit", owner.PostForm("/settings/social-providers/"+id+"/edit", f), http.StatusSeeOther)
	}
	edit(true)
	if err := srv.DB.Get(&trusted, `SELECT trust_email_verified FROM social_providers`); err != nil || !trusted {
		t.Fatalf("after ticking: %v (%v)", trusted, err)
	}
	editForm := owner.Get("/settings/social-providers/" + id + "/edit")
	if !isChecked(editForm.Body, "check-trust_email_verified") || strings.Contains(editForm.Body, "data-trust-follows-kind") {
		t.Error("the edit form does not show the saved trust as it is")
	}
	wantHas(t, "list", owner.Get("/settings/social-providers").Body, `data-testid="provider-trust" data-trusted="true"`, "Linked by verified email")
	edit(false)
	if err := srv.DB.Get(&trusted, `SELECT trust_email_verified FROM social_providers`); err != nil || trusted {
		t.Fatalf("after unticking: %v (%v)", trusted, err)
	}
	if isChecked(owner.Get("/settings/social-providers/"+id+"/edit").Body, "check-trust_email_verified") {
		t.Error("the edit form shows an untrusted provider ticked")
	}
	if n := countRows(t, srv, `SELECT count(*) FROM audit_events WHERE action = 'social_provider.updated' AND target_id = $1
		AND actor_label = 'owner@acme.test' AND changes ? 'trust_email_verified'`, id); n != 2 {
		t.Errorf("%d audited changes of the trust, want 2", n)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM audit_events WHERE action = 'social_provider.created' AND target_id = $1
		AND changes->>'trust_email_verified' = 'false'`, id); n != 1 {
		t.Errorf("%d created events with the trust", n)
	}

	// A form sent back with a mistake shows what the owner chose, and does
	// not follow the kind any more.
	res = owner.PostForm("/settings/social-providers", url.Values{
		"kind": {"GOOGLE"}, "client_id": {""}, "client_secret": {"x"}, "enabled": {"on"},
	})
	wantStatus(t, "mistake", res, http.StatusUnprocessableEntity)
	if isChecked(res.Body, "check-trust_email_verified") || strings.Contains(res.Body, "data-trust-follows-kind") {
		t.Error("the form with a mistake does not show the unticked trust as sent")
	}

	// Only owners may change it.
	editor := webtest.NewConsoleClient(t, srv, "editor@acme.test", adminauth.Editor)
	wantStatus(t, "editor", editor.PostForm("/settings/social-providers/"+id+"/edit", url.Values{
		"kind": {"OIDC"}, "display_name": {"Acme ID"}, "issuer": {"https://id.acme.test"}, "client_id": {"acme"},
		"enabled": {"on"}, "trust_email_verified": {"on"},
	}), http.StatusForbidden)
	if err := srv.DB.Get(&trusted, `SELECT trust_email_verified FROM social_providers`); err != nil || trusted {
		t.Errorf("an editor changed the trust: %v (%v)", trusted, err)
	}
}
