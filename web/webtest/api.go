package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"roster/internal/apiclients"
	"roster/internal/store"
)

// APIClient calls a test server's management API as a real API client would:
// it holds a client created in the server's database and a bearer token got
// over HTTP from /oauth/token.
type APIClient struct {
	t      testing.TB
	srv    *Server
	http   *http.Client
	ID     string // the client id (cli_…)
	Secret string // the client secret, shown once at creation
	Token  string // the bearer token sent with every request; "" sends none
}

// APIResponse is one answer of the API.
type APIResponse struct {
	Status int
	Header http.Header
	// JSON is the body decoded when it is a JSON object, else nil.
	JSON map[string]any
	Raw  []byte
}

// NewAPIClient creates an API client named after the test directly through
// the apiclients service on srv's database, then trades its credentials for a
// token at srv's /oauth/token.
func NewAPIClient(t testing.TB, srv *Server) *APIClient {
	t.Helper()
	svc := apiclients.New(store.New(srv.DB), srv.Clock, apiclients.Options{SecretKey: srv.Deps.SecretKey})
	name := t.Name()
	if len(name) > 100 {
		name = name[:100]
	}
	client, secret, err := svc.Create(context.Background(), name)
	if err != nil {
		t.Fatalf("webtest: create API client: %v", err)
	}
	c := &APIClient{t: t, srv: srv, http: &http.Client{Timeout: 30 * time.Second}, ID: client.ID, Secret: secret}
	c.Token = c.FetchToken(client.ID, secret)
	return c
}

// FetchToken asks /oauth/token for a token with these credentials (form
// fields) and fails the test unless it gets one.
func (c *APIClient) FetchToken(clientID, secret string) string {
	c.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
	res := c.send(http.MethodPost, "/oauth/token", "application/x-www-form-urlencoded", []byte(form.Encode()), false)
	tok, _ := res.JSON["access_token"].(string)
	if res.Status != http.StatusOK || tok == "" {
		c.t.Fatalf("webtest: POST /oauth/token: %d %s", res.Status, res.Raw)
	}
	return tok
}

// WithToken returns a copy of the client that sends token instead ("" sends
// no Authorization header), for tests of what the API refuses.
func (c *APIClient) WithToken(token string) *APIClient {
	cp := *c
	cp.Token = token
	return &cp
}

// Do sends body (nil for none) as JSON and returns the answer. A path that
// does not start with /api/ or /oauth/ is taken as relative to /api/v1, so
// Do("GET", "/organizations", nil) calls /api/v1/organizations.
func (c *APIClient) Do(method, path string, body any) *APIResponse {
	c.t.Helper()
	var raw []byte
	contentType := ""
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			c.t.Fatalf("webtest: encode request body: %v", err)
		}
		contentType = "application/json"
	}
	return c.send(method, path, contentType, raw, true)
}

// DoRaw sends body as is with the given Content-Type ("" for none), for
// tests of malformed input.
func (c *APIClient) DoRaw(method, path, contentType string, body []byte) *APIResponse {
	c.t.Helper()
	return c.send(method, path, contentType, body, true)
}

func (c *APIClient) send(method, path, contentType string, body []byte, withToken bool) *APIResponse {
	c.t.Helper()
	if !strings.HasPrefix(path, "/api/") && !strings.HasPrefix(path, "/oauth/") {
		path = "/api/v1" + path
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body) // NewRequest then sets GetBody, so inspect can reread it
	}
	req, err := http.NewRequest(method, c.srv.URL+path, r)
	if err != nil {
		c.t.Fatalf("webtest: %s %s: %v", method, path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if withToken && c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("webtest: %s %s: %v", method, path, err)
	}
	return inspect(c.t, req, resp)
}

// inspect is the one place every API response of every test passes through.
// It reads and closes the body and decodes it.
func inspect(t testing.TB, req *http.Request, resp *http.Response) *APIResponse {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("webtest: %s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	res := &APIResponse{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			res.JSON = m
		}
	}

	// Every answer a test sees must match the OpenAPI document, so the
	// document stays true without tests of its own for each endpoint.
	ValidateAPIResponse(t, req, res.Status, res.Header, res.Raw)

	return res
}
