package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"roster/internal/apiclients"
	"roster/internal/model"
	"roster/internal/testkit"
	"roster/web/webtest"
)

func tokenForm(id, secret string) []byte {
	return []byte(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}.Encode())
}

const formType = "application/x-www-form-urlencoded"

func TestTokenIssuedForGoodCredentials(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)

	if !strings.HasPrefix(c.Secret, apiclients.SecretPrefix) || len(c.Secret) < len(apiclients.SecretPrefix)+52 {
		t.Errorf("secret %q: want %s and 256 bits of base32", c.Secret, apiclients.SecretPrefix)
	}
	res := c.WithToken("").DoRaw("POST", "/oauth/token", formType, tokenForm(c.ID, c.Secret))
	wantStatus(t, res, http.StatusOK)
	if res.JSON["token_type"] != "Bearer" || res.JSON["expires_in"] != float64(3600) {
		t.Errorf("token answer %s", res.Raw)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}

	// The claims say who, for whom and for how long.
	tok := res.JSON["access_token"].(string)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", tok)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var cl map[string]any
	if err := json.Unmarshal(raw, &cl); err != nil {
		t.Fatalf("claims: %v", err)
	}
	iss := s.Deps.Config.PublicURL.String()
	if cl["iss"] != iss || cl["aud"] != iss+"/api/v1" || cl["sub"] != c.ID || cl["jti"] == "" ||
		cl["iat"] != float64(testkit.Epoch.Unix()) || cl["exp"] != float64(testkit.Epoch.Add(time.Hour).Unix()) {
		t.Errorf("claims %v", cl)
	}

	// HTTP Basic works as well as form fields.
	req := url.Values{"grant_type": {"client_credentials"}}.Encode()
	res = basicToken(t, s, c.ID, c.Secret, req)
	wantStatus(t, res, http.StatusOK)

	// The token opens the API.
	org := s.org(t, "Acme")
	res = c.Do("GET", "/organizations/"+org+"/domains", nil)
	wantStatus(t, res, http.StatusOK)

	// Issuing records when the client was last used.
	var used *time.Time
	if err := s.DB.Get(&used, `SELECT last_used_at FROM api_clients WHERE id = $1`, c.ID); err != nil || used == nil {
		t.Errorf("last_used_at %v, %v", used, err)
	}
}

// basicToken posts to /oauth/token with HTTP Basic credentials.
func basicToken(t *testing.T, s *apiServer, id, secret, form string) *webtest.APIResponse {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+"/oauth/token", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", formType)
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := &webtest.APIResponse{Status: resp.StatusCode, Header: resp.Header}
	out.Raw, _ = io.ReadAll(resp.Body)
	_ = json.Unmarshal(out.Raw, &out.JSON)
	return out
}

func TestTokenRefusesBadCredentialsAlike(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	revoked := webtest.NewAPIClient(t, s.Server)
	if _, err := s.tokens.Revoke(context.Background(), revoked.ID); err != nil {
		t.Fatal(err)
	}
	anon := c.WithToken("")

	cases := map[string][]byte{
		"wrong secret":          tokenForm(c.ID, c.Secret+"x"),
		"another client secret": tokenForm(c.ID, revoked.Secret),
		"unknown client":        tokenForm("cli_aaaaaaaaaaaaaaaaaaaaaaaaaa", c.Secret),
		"malformed client id":   tokenForm("nobody\x00", c.Secret),
		"revoked client":        tokenForm(revoked.ID, revoked.Secret),
		"no secret":             tokenForm(c.ID, ""),
		"no credentials":        []byte("grant_type=client_credentials"),
	}
	var first string
	for name, body := range cases {
		res := anon.DoRaw("POST", "/oauth/token", formType, body)
		if res.Status != http.StatusUnauthorized || errorCode(res) != "UNAUTHENTICATED" {
			t.Errorf("%s: %d %s, want 401 UNAUTHENTICATED", name, res.Status, res.Raw)
			continue
		}
		if first == "" {
			first = string(res.Raw)
		} else if string(res.Raw) != first {
			t.Errorf("%s: body %s differs from %s: it must not hint at what was wrong", name, res.Raw, first)
		}
	}

	// Malformed requests are 400 with the field to fix.
	bad := map[string]struct {
		contentType string
		body        string
		field       string
	}{
		"no grant type":    {formType, "client_id=" + c.ID + "&client_secret=" + c.Secret, "grant_type"},
		"other grant type": {formType, "grant_type=password&client_id=" + c.ID, "grant_type"},
		"JSON body":        {"application/json", `{"grant_type":"client_credentials"}`, "body"},
	}
	for name, tc := range bad {
		res := anon.DoRaw("POST", "/oauth/token", tc.contentType, []byte(tc.body))
		if res.Status != http.StatusBadRequest || strings.Join(violatedFields(res), ",") != tc.field {
			t.Errorf("%s: %d %s, want 400 on %s", name, res.Status, res.Raw, tc.field)
		}
	}
	// Basic and a secret in the body at once: two methods, refused.
	res := basicToken(t, s, c.ID, c.Secret, string(tokenForm(c.ID, c.Secret)))
	wantStatus(t, res, http.StatusBadRequest)
	// Wrong Basic secret: the same 401 as above.
	res = basicToken(t, s, c.ID, "rsk_wrong", "grant_type=client_credentials")
	wantStatus(t, res, http.StatusUnauthorized)
}

func TestBearerRefusalsAreAlike(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	org := s.org(t, "Acme")
	path := "/organizations/" + org + "/domains"
	wantStatus(t, c.Do("GET", path, nil), http.StatusOK)

	// A token signed with another instance's key.
	other := apiclients.New(s.st, s.Clock, apiclients.Options{
		SecretKey: []byte(strings.Repeat("k", 32)), Issuer: s.Deps.Config.PublicURL.String(),
	})
	foreign, err := other.IssueToken(context.Background(), c.ID, c.Secret)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(c.Token, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(claims), c.ID, "cli_aaaaaaaaaaaaaaaaaaaaaaaaaa", 1)
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))

	tokens := map[string]string{
		"no token":            "",
		"garbage":             "not-a-token",
		"tampered payload":    parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2],
		"tampered signature":  parts[0] + "." + parts[1] + "." + flipFirst(parts[2]),
		"alg none":            none + "." + parts[1] + ".",
		"other key":           foreign.AccessToken,
		"client secret as it": c.Secret,
	}
	var first string
	check := func(name string, res *webtest.APIResponse) {
		t.Helper()
		if res.Status != http.StatusUnauthorized || errorCode(res) != "UNAUTHENTICATED" {
			t.Errorf("%s: %d %s, want 401", name, res.Status, res.Raw)
			return
		}
		if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", name, got)
		}
		if first == "" {
			first = string(res.Raw)
		} else if string(res.Raw) != first {
			t.Errorf("%s: body %s differs from %s", name, res.Raw, first)
		}
	}
	for name, tok := range tokens {
		check(name, c.WithToken(tok).Do("GET", path, nil))
	}
	// The right token under another scheme.
	check("basic scheme", rawAuth(t, s, "/api/v1"+path, "Basic "+c.Token))
	check("bare token", rawAuth(t, s, "/api/v1"+path, c.Token))

	// Any API route, known or not, is closed without a token: no route
	// discovery, and other areas' routes are covered too.
	for _, p := range []string{"/organizations", "/sessions/ses_aaaaaaaaaaaaaaaaaaaaaaaaaa"} {
		check("anonymous "+p, c.WithToken("").Do("GET", p, nil))
	}
	// An undocumented path goes around the client, whose every answer is
	// checked against the OpenAPI document.
	check("anonymous unknown route", rawAuth(t, s, "/api/v1/no-such-route", ""))

	// Expired: the fake clock reaches exp.
	s.Clock.Advance(time.Hour - time.Second)
	wantStatus(t, c.Do("GET", path, nil), http.StatusOK)
	s.Clock.Advance(time.Second)
	check("expired", c.Do("GET", path, nil))

	// Revoked: a live token stops working at once.
	fresh := c.WithToken(c.FetchToken(c.ID, c.Secret))
	wantStatus(t, fresh.Do("GET", path, nil), http.StatusOK)
	if _, err := s.tokens.Revoke(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	check("revoked", fresh.Do("GET", path, nil))
}

// flipFirst changes the first character of s.
func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// rawAuth GETs path with the given Authorization header.
func rawAuth(t *testing.T, s *apiServer, path, authorization string) *webtest.APIResponse {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	req.Header.Set("Authorization", authorization)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := &webtest.APIResponse{Status: resp.StatusCode, Header: resp.Header}
	out.Raw, _ = io.ReadAll(resp.Body)
	_ = json.Unmarshal(out.Raw, &out.JSON)
	return out
}

func TestAPIClientIsTheAuditActor(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	c := webtest.NewAPIClient(t, s.Server)
	org := s.org(t, "Acme")
	res := c.Do("POST", "/organizations/"+org+"/domains", map[string]string{"domain": "acme.com", "domain_type": "ORGANIZATION_DOMAIN"})
	wantStatus(t, res, http.StatusCreated)

	var ev model.AuditEvent
	if err := s.DB.Get(&ev, `SELECT * FROM audit_events WHERE action = 'domain.created'`); err != nil {
		t.Fatal(err)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	if ev.ActorType != "api_client" || str(ev.ActorID) != c.ID || str(ev.ActorLabel) != t.Name() ||
		str(ev.IP) != "127.0.0.1" || !strings.HasPrefix(str(ev.UserAgent), "Go-http-client") ||
		str(ev.RequestID) == "" || str(ev.RequestID) != res.Header.Get("X-Request-Id") || str(ev.OrganizationID) != org {
		t.Errorf("audit event %+v (request id header %q)", ev, res.Header.Get("X-Request-Id"))
	}
}

func TestAPIClientService(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	ctx := context.Background()
	svc := s.tokens

	if _, _, err := svc.Create(ctx, "  "); err == nil {
		t.Error("blank name accepted")
	}
	if _, _, err := svc.Create(ctx, strings.Repeat("x", 101)); err == nil {
		t.Error("101-character name accepted")
	}
	a, secretA, err := svc.Create(ctx, " ci ")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "ci" || a.SecretHint != secretA[len(secretA)-4:] {
		t.Errorf("client %+v", a)
	}
	// Only the hash is stored.
	var stored []byte
	if err := s.DB.Get(&stored, `SELECT secret_hash FROM api_clients WHERE id = $1`, a.ID); err != nil || len(stored) != 32 ||
		strings.Contains(string(stored), secretA) {
		t.Errorf("stored %x, %v", stored, err)
	}
	s.Clock.Advance(time.Second) // lists are oldest first
	b, _, err := svc.Create(ctx, "backup")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, a.ID, secretA); err != nil {
		t.Errorf("good secret refused: %v", err)
	}
	if _, err := svc.Authenticate(ctx, b.ID, secretA); err == nil {
		t.Error("a's secret opened b")
	}

	r1, err := svc.Revoke(ctx, a.ID)
	if err != nil || !r1.Revoked() {
		t.Fatalf("revoke: %+v %v", r1, err)
	}
	s.Clock.Advance(time.Minute)
	r2, err := svc.Revoke(ctx, a.ID) // twice: no error, first time kept
	if err != nil || !r2.RevokedAt.Equal(*r1.RevokedAt) {
		t.Errorf("second revoke: %+v %v", r2, err)
	}
	if _, err := svc.Revoke(ctx, "cli_aaaaaaaaaaaaaaaaaaaaaaaaaa"); err == nil {
		t.Error("revoking an unknown client succeeded")
	}
	if _, err := svc.Authenticate(ctx, a.ID, secretA); err == nil {
		t.Error("revoked client authenticated")
	}
	list, err := svc.List(ctx)
	if err != nil || len(list) != 2 || list[0].ID != a.ID || !list[0].Revoked() || list[1].Revoked() {
		t.Errorf("list %+v %v", list, err)
	}
	var events int
	_ = s.DB.Get(&events, `SELECT count(*) FROM audit_events WHERE action IN ('api_client.created', 'api_client.revoked')`)
	if events != 3 {
		t.Errorf("%d audit events, want 2 created + 1 revoked", events)
	}
}
