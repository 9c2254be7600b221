package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"roster/internal/adminauth"
	"roster/web/webtest"
)

var (
	secretInPage   = regexp.MustCompile(`data-testid="client-secret"|rsk_[a-z2-7]{52}`)
	secretValue    = regexp.MustCompile(`rsk_[a-z2-7]{52}`)
	clientIDInPage = regexp.MustCompile(`id="client-id" type="text" readonly value="(cli_[a-z2-7]{26})"`)
)

// tokenStatus asks /oauth/token for a token with the credentials and
// returns the status.
func tokenStatus(t *testing.T, srv *webtest.Server, id, secret string) int {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	res, err := http.PostForm(srv.URL+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestAPIClientPages(t *testing.T) {
	k := newPeopleKit(t)
	oc := webtest.NewConsoleClient(t, k.srv, "owner@acme.test", adminauth.Owner)

	res := oc.Get("/api-clients")
	wantStatus(t, "empty", res, http.StatusOK)
	mustShow(t, "empty", res.Body, `data-testid="empty-state"`, "No API clients yet", `data-testid="create-client-form"`)

	res = oc.PostForm("/api-clients", url.Values{"name": {"   "}})
	wantStatus(t, "no name", res, http.StatusUnprocessableEntity)
	mustShow(t, "no name", res.Body, `data-testid="error-name"`, "is required")
	res = oc.PostForm("/api-clients", url.Values{"name": {strings.Repeat("n", 101)}})
	wantStatus(t, "long name", res, http.StatusUnprocessableEntity)
	mustShow(t, "long name", res.Body, "at most 100 characters", `value="`+strings.Repeat("n", 101)+`"`)

	// Created: the POST answers with the secret itself, once, uncached.
	res = oc.PostForm("/api-clients", url.Values{"name": {"Billing service"}})
	wantStatus(t, "create", res, http.StatusCreated)
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	mustShow(t, "created", res.Body, "Copy the secret now: you won't see it again.", `data-copy="#client-secret"`, `data-replace-url="/api-clients"`)
	secret := secretValue.FindString(res.Body)
	m := clientIDInPage.FindStringSubmatch(res.Body)
	if secret == "" || m == nil {
		t.Fatalf("no client id or secret in the page:\n%s", res.Body)
	}
	id := m[1]
	if n := countRows(t, k.srv, `SELECT count(*) FROM api_clients WHERE id = $1 AND created_by = 'owner@acme.test'`, id); n != 1 {
		t.Errorf("%d clients %s made by the owner", n, id)
	}
	if n := countRows(t, k.srv, `SELECT count(*) FROM api_clients WHERE position($1 in row(api_clients.*)::text) > 0`, secret); n != 0 {
		t.Error("the secret is stored in clear")
	}

	// The list names the client and never shows its secret.
	res = oc.Get("/api-clients")
	mustShow(t, "list", res.Body, `data-client-id="`+id+`"`, "Billing service", "…"+secret[len(secret)-4:], `data-status="ACTIVE"`)
	if secretInPage.MatchString(res.Body) {
		t.Error("the list shows the secret")
	}
	if status := tokenStatus(t, k.srv, id, secret); status != http.StatusOK {
		t.Fatalf("token with the new secret: %d", status)
	}

	// Revoke: a confirmation page, then the client's secret stops working.
	res = oc.Get("/api-clients/" + id + "/revoke")
	wantStatus(t, "confirm", res, http.StatusOK)
	mustShow(t, "confirm", res.Body, "Revoke Billing service?", `data-testid="confirm-revoke"`)
	res = oc.PostForm("/api-clients/"+id+"/revoke", nil)
	wantStatus(t, "revoke", res, http.StatusSeeOther)
	res = oc.Get(res.Location)
	mustShow(t, "revoked", res.Body, "Revoked Billing service.", `data-status="REVOKED"`)
	mustNotShow(t, "revoked", res.Body, `data-testid="revoke-client"`)
	if status := tokenStatus(t, k.srv, id, secret); status != http.StatusUnauthorized {
		t.Errorf("token after revoking: %d, want 401", status)
	}

	wantStatus(t, "unknown", oc.Get("/api-clients/cli_aaaaaaaaaaaaaaaaaaaaaaaaaa/revoke"), http.StatusNotFound)
	wantStatus(t, "unknown POST", oc.PostForm("/api-clients/cli_aaaaaaaaaaaaaaaaaaaaaaaaaa/revoke", nil), http.StatusNotFound)
	wantStatus(t, "nonsense id", oc.PostForm("/api-clients/nonsense/revoke", nil), http.StatusNotFound)
}

func TestAPIClientsAreOwnersOnly(t *testing.T) {
	k := newPeopleKit(t)
	oc := webtest.NewConsoleClient(t, k.srv, "owner@acme.test", adminauth.Owner)
	mustShow(t, "owner nav", oc.Get("/users").Body, `data-testid="nav-api-clients"`)

	for _, role := range []adminauth.Role{adminauth.Editor, adminauth.Viewer} {
		cc := webtest.NewConsoleClient(t, k.srv, string(role)+"@acme.test", role)
		mustNotShow(t, string(role)+" nav", cc.Get("/users").Body, `data-testid="nav-api-clients"`, `href="/api-clients"`)
		wantStatus(t, string(role)+" list", cc.Get("/api-clients"), http.StatusForbidden)
		mustNotShow(t, string(role)+" 403 page", cc.Get("/api-clients").Body, `href="/api-clients"`)
		wantStatus(t, string(role)+" create", cc.PostForm("/api-clients", url.Values{"name": {"Sneaky"}}), http.StatusForbidden)
		wantStatus(t, string(role)+" confirm", cc.Get("/api-clients/cli_aaaaaaaaaaaaaaaaaaaaaaaaaa/revoke"), http.StatusForbidden)
	}
	if n := countRows(t, k.srv, `SELECT count(*) FROM api_clients`); n != 0 {
		t.Errorf("%d clients made by non-owners", n)
	}
}
