package web_test

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
	_ "github.com/lib/pq"

	"roster/internal/apperr"
	"roster/internal/testkit"
	"roster/static"
	"roster/web"
	"roster/web/webtest"
)

// get fetches url and returns the response with its body read.
func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	return do(t, http.MethodGet, url, nil, header...)
}

func do(t *testing.T, method, url string, body io.Reader, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// Our own transport: the default one asks for gzip and unpacks it
	// silently, which would hide what the server sent.
	client := &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestSecureHeaders(t *testing.T) {
	srv := webtest.NewServer(t)
	for _, path := range []string{"/", "/no/such/page", "/api/v1/nope"} {
		t.Run(path, func(t *testing.T) {
			res, _ := get(t, srv.URL+path)
			h := res.Header
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'",
				"img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP allows unsafe code: %q", csp)
			}
			want := map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "strict-origin-when-cross-origin",
				"X-Frame-Options":        "DENY",
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if h.Get("Strict-Transport-Security") != "" {
				t.Error("HSTS sent although the public URL is http")
			}
			if h.Get("X-Request-Id") == "" {
				t.Error("no X-Request-ID")
			}
		})
	}

	t.Run("HSTS when the public URL is https", func(t *testing.T) {
		srv := webtest.NewServer(t, webtest.WithEnv("ROSTER_PUBLIC_URL", "https://roster.example.com"))
		res, _ := get(t, srv.URL+"/")
		// A year, for Roster's host and every host under it.
		if got := res.Header.Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
			t.Errorf("Strict-Transport-Security = %q, want max-age=31536000; includeSubDomains", got)
		}
	})
}

func TestHealthAndReadiness(t *testing.T) {
	srv := webtest.NewServer(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		res, body := get(t, srv.URL+path)
		if res.StatusCode != http.StatusOK || body != "ok" {
			t.Errorf("GET %s = %d %q, want 200 ok", path, res.StatusCode, body)
		}
	}

	t.Run("readyz is 503 when the database is gone", func(t *testing.T) {
		closed, err := sqlx.Open("postgres", testkit.NewDBURL(t))
		if err != nil {
			t.Fatal(err)
		}
		closed.Close()
		srv := webtest.NewServer(t, webtest.WithDeps(func(d *web.Deps) { d.DB = closed }))
		res, _ := get(t, srv.URL+"/readyz")
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET /readyz = %d, want 503", res.StatusCode)
		}
		if res, _ := get(t, srv.URL+"/healthz"); res.StatusCode != http.StatusOK {
			t.Errorf("GET /healthz = %d, want 200 whatever the database does", res.StatusCode)
		}
	})
}

func TestUnknownRoute(t *testing.T) {
	srv := webtest.NewServer(t)

	t.Run("a page gets the HTML error page", func(t *testing.T) {
		res, body := get(t, srv.URL+"/no/such/page")
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("status = %d, want 404", res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type = %q", ct)
		}
		for _, want := range []string{`data-testid="error-page"`, "Page not found", res.Header.Get("X-Request-Id")} {
			if !strings.Contains(body, want) {
				t.Errorf("error page lacks %q", want)
			}
		}
	})

	// (Under /api/v1 an unknown route without a token is a 401 like any
	// other: the API tells strangers nothing about its routes.)
	for _, path := range []string{"/api/nope", "/oauth/nope"} {
		t.Run(path+" gets the JSON error", func(t *testing.T) {
			res, body := get(t, srv.URL+path)
			if res.StatusCode != http.StatusNotFound {
				t.Fatalf("status = %d, want 404", res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			want := `{"code":404,"message":"There is nothing at this address. Check the link, or start again from the console home.","details":[{"error_code":"NOT_FOUND","field_violations":[]}]}`
			if strings.TrimSpace(body) != want {
				t.Errorf("body =\n%s\nwant\n%s", body, want)
			}
		})
	}
}

func TestPanicIsA500WithoutDetails(t *testing.T) {
	const secret = "db password is hunter2"
	boom := func(echo.Context) error { panic(secret) }
	srv := webtest.NewServer(t, webtest.WithRoutes(func(e *echo.Echo) {
		e.GET("/boom", boom)
		e.GET("/api/v1/boom", boom)
	}))

	res, body := get(t, srv.URL+"/boom")
	if res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", res.StatusCode)
	}
	if !strings.Contains(body, `data-testid="error-page"`) || !strings.Contains(body, "Something went wrong") {
		t.Error("no error page")
	}
	for _, leak := range []string{secret, "goroutine", ".go:", "panic"} {
		if strings.Contains(body, leak) {
			t.Errorf("the page shows %q", leak)
		}
	}
	if res.Header.Get("Content-Security-Policy") == "" {
		t.Error("the 500 page has no CSP")
	}

	res, body = get(t, srv.URL+"/api/v1/boom")
	var apiErr web.APIError
	if err := json.Unmarshal([]byte(body), &apiErr); err != nil || res.StatusCode != 500 || apiErr.Code != 500 {
		t.Fatalf("API 500 = %d %s (%v)", res.StatusCode, body, err)
	}
	if strings.Contains(body, secret) {
		t.Error("the JSON shows the panic")
	}

	logs := srv.Logs()
	if !strings.Contains(logs, secret) || !strings.Contains(logs, "goroutine") {
		t.Errorf("the panic and its stack are not logged:\n%s", logs)
	}
	if n := strings.Count(logs, secret); n != 2 {
		t.Errorf("the panic is logged %d times for 2 requests", n)
	}
}

func TestTypedErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		status  int
		code    string
		message string
	}{
		{"not found", apperr.NotFound("organization not found"), 404, "NOT_FOUND", "organization not found"},
		{"conflict", apperr.Conflict("slug is taken"), 409, "ALREADY_EXISTS", "slug is taken"},
		{"forbidden", apperr.Forbidden("admins only"), 403, "PERMISSION_DENIED", "admins only"},
		{"unauthenticated", apperr.Unauthenticated("bad client secret"), 401, "UNAUTHENTICATED", "bad client secret"},
		{"failed precondition", apperr.FailedPrecondition("the invitation is already accepted"), 400, "FAILED_PRECONDITION", "the invitation is already accepted"},
		{"invalid", apperr.Invalid(apperr.Field("email", "must be a valid email")), 400, "INVALID_ARGUMENT", "email: must be a valid email"},
		{"bare code", fmt.Errorf("org_1: %w", apperr.ErrNotFound), 404, "NOT_FOUND", "There is nothing at this address. Check the link, or start again from the console home."},
		{"echo HTTP error", echo.NewHTTPError(http.StatusBadRequest, "bad form"), 400, "INVALID_ARGUMENT", "bad form"},
		{"unknown", errors.New("pq: connection refused to 10.0.0.5"), 500, "INTERNAL", "An unexpected error occurred on our side. It has been logged; please try again."},
	}
	srv := webtest.NewServer(t, webtest.WithRoutes(func(e *echo.Echo) {
		fail := func(c echo.Context) error {
			i, _ := strconv.Atoi(c.Param("i"))
			return tests[i].err
		}
		e.GET("/api/v1/fail/:i", fail)
		e.GET("/fail/:i", fail)
	}))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(t, fmt.Sprintf("%s/api/v1/fail/%d", srv.URL, i))
			if res.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.status)
			}
			var got web.APIError
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if got.Code != tt.status || got.Message != tt.message || len(got.Details) != 1 || got.Details[0].ErrorCode != tt.code {
				t.Errorf("body = %s", body)
			}
			if tt.name == "invalid" {
				if v := got.Details[0].FieldViolations; len(v) != 1 || v[0].Field != "email" || v[0].Description != "must be a valid email" {
					t.Errorf("field_violations = %+v", v)
				}
			}

			res, body = get(t, fmt.Sprintf("%s/fail/%d", srv.URL, i))
			if res.StatusCode != tt.status || !strings.Contains(body, `data-testid="error-page"`) {
				t.Errorf("HTML: status %d, error page %v", res.StatusCode, strings.Contains(body, "error-page"))
			}
			if tt.status == 500 && strings.Contains(body, "10.0.0.5") {
				t.Error("the page shows the internal error")
			}
		})
	}
	if !strings.Contains(srv.Logs(), "10.0.0.5") {
		t.Error("the unknown error is not logged")
	}
}

func TestBodyLimit(t *testing.T) {
	srv := webtest.NewServer(t)
	res, body := do(t, http.MethodPost, srv.URL+"/api/v1/organizations", strings.NewReader(strings.Repeat("x", 2<<20)),
		"Content-Type", "application/json")
	// Too large is bad input like any other: a 400 naming the body.
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"field":"body"`) {
		t.Fatalf("status = %d, want 400 with a violation on body: %s", res.StatusCode, body)
	}
}

func TestStaticFiles(t *testing.T) {
	srv := webtest.NewServer(t)
	url := static.URL("app.css")
	if !strings.HasPrefix(url, "/static/app.") || !strings.HasSuffix(url, ".css") || len(url) != len("/static/app.12345678.css") {
		t.Fatalf("static.URL(app.css) = %q", url)
	}

	res, body := get(t, srv.URL+url)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", url, res.StatusCode)
	}
	if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control = %q", got)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q", ct)
	}
	if !strings.Contains(body, "--primary") {
		t.Error("that is not app.css")
	}

	etag := res.Header.Get("ETag")
	if res, _ := get(t, srv.URL+url, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", res.StatusCode)
	}
	for _, bad := range []string{"/static/app.00000000.css", "/static/app.css", "/static/css/app.css", "/static/..%2fembed.go"} {
		if res, _ := get(t, srv.URL+bad); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", bad, res.StatusCode)
		}
	}
	for _, name := range []string{"app.js", "favicon.svg"} {
		if res, _ := get(t, srv.URL+static.URL(name)); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", static.URL(name), res.StatusCode)
		}
	}
}

func TestGzip(t *testing.T) {
	srv := webtest.NewServer(t)
	res, body := get(t, srv.URL+"/_styleguide", "Accept-Encoding", "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q", res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	html, err := io.ReadAll(zr)
	if err != nil || !strings.Contains(string(html), "Style guide") {
		t.Errorf("unpacked body is not the page (%v)", err)
	}

	if res, _ := get(t, srv.URL+"/_styleguide"); res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent to a client that did not ask for it")
	}
}

func TestRequestIDAndLog(t *testing.T) {
	srv := webtest.NewServer(t, webtest.WithRoutes(func(e *echo.Echo) {
		e.GET("/welcome/:org/:token", func(c echo.Context) error { return c.String(http.StatusOK, "welcome") })
	}))

	res, _ := get(t, srv.URL+"/?token=s3cr3t", "X-Request-ID", "from-the-proxy.42")
	if got := res.Header.Get("X-Request-Id"); got != "from-the-proxy.42" {
		t.Errorf("a well-formed incoming request id was replaced by %q", got)
	}
	res, _ = get(t, srv.URL+"/", "X-Request-ID", "bad id\" injected=1")
	if got := res.Header.Get("X-Request-Id"); got == "" || strings.ContainsAny(got, "\" =") {
		t.Errorf("a malformed incoming request id was kept: %q", got)
	}

	get(t, srv.URL+"/welcome/org_1/tok3n-v4lue")

	logs := srv.Logs()
	for _, want := range []string{"method=GET", "path=/", "status=200", "duration=", "request_id=from-the-proxy.42",
		"path=/welcome/org_1/REDACTED"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "s3cr3t") {
		t.Error("the query string is logged")
	}
	if strings.Contains(logs, "tok3n-v4lue") {
		t.Error("a secret path parameter is logged")
	}
}
