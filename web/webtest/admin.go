package webtest

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"roster/internal/adminauth"
	"roster/internal/store"
	"roster/internal/testkit"
	"roster/web"
)

// Signing in to the console in tests, without an identity provider.
//
// Browser tests:
//
//	srv := webtest.NewServer(t)
//	b := testkit.NewBrowser(t)
//	webtest.SignInAdmin(t, srv, b, "ann@acme.test", adminauth.Editor)
//	b.Run(chromedp.Navigate(srv.URL + "/organizations"))
//
// HTTP tests (forms get their CSRF token added):
//
//	cc := webtest.NewConsoleClient(t, srv, "vic@acme.test", adminauth.Viewer)
//	res := cc.PostForm("/organizations", url.Values{"display_name": {"Acme"}})
//	// res.Status == 403: viewers are read-only
//
// The session is a real one, made by the same service the sign-in uses, so
// the role rules, idle timeouts and ending sessions all apply.

// AdminSession is a console session made directly in the database.
type AdminSession struct {
	ID     string
	Email  string
	Role   adminauth.Role
	Token  string       // the secret the cookie carries
	Cookie *http.Cookie // the roster_admin cookie, as the server would set it
}

// NewAdminSession starts a console session for email with role on srv.
func NewAdminSession(t testing.TB, srv *Server, email string, role adminauth.Role) AdminSession {
	t.Helper()
	svc := adminauth.New(store.New(srv.DB), srv.Clock)
	sess, token, err := svc.Start(context.Background(), adminauth.Identity{
		Email: email, Role: role, Issuer: "testkit", Subject: email,
	}, "")
	if err != nil {
		t.Fatalf("webtest: start admin session: %v", err)
	}
	cookie, err := web.AdminSessionCookie(srv.Deps, token)
	if err != nil {
		t.Fatalf("webtest: admin session cookie: %v", err)
	}
	return AdminSession{ID: sess.ID, Email: sess.Email, Role: sess.Role, Token: token, Cookie: cookie}
}

// SignInAdmin signs the browser in to srv's console as email with role, by
// making the session in the database and giving the browser its cookie.
// The browser can then open any console page.
func SignInAdmin(t testing.TB, srv *Server, b *testkit.Browser, email string, role adminauth.Role) AdminSession {
	t.Helper()
	s := NewAdminSession(t, srv, email, role)
	b.Run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		httpOnly, secure := true, s.Cookie.Secure
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{
			Name: s.Cookie.Name, Value: s.Cookie.Value, URL: srv.URL + "/", Path: "/",
			HTTPOnly: &httpOnly, Secure: &secure, SameSite: network.CookieSameSiteLax,
		})
		return err
	}))
	return s
}

// ConsoleClient is an HTTP client signed in to a test server's console. It
// keeps cookies, does not follow redirects (tests check them), and adds the
// CSRF token to the forms it posts.
type ConsoleClient struct {
	t       testing.TB
	srv     *Server
	base    string // where requests go: srv.URL, or its public URL
	HTTP    *http.Client
	Session AdminSession // zero for a client made with NewVisitorClient
}

// PageResponse is one answer to a console request.
type PageResponse struct {
	Status   int
	Header   http.Header
	Body     string
	Location string // the redirect target, if any
}

// NewConsoleClient returns a client signed in as email with role.
func NewConsoleClient(t testing.TB, srv *Server, email string, role adminauth.Role) *ConsoleClient {
	t.Helper()
	c := NewVisitorClient(t, srv)
	c.Session = NewAdminSession(t, srv, email, role)
	u, _ := url.Parse(c.base)
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{c.Session.Cookie})
	return c
}

// NewVisitorClient returns a client that is not signed in, with an empty
// cookie jar.
func NewVisitorClient(t testing.TB, srv *Server) *ConsoleClient {
	jar, _ := cookiejar.New(nil)
	return &ConsoleClient{t: t, srv: srv, base: srv.URL, HTTP: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// NewPublicVisitorClient returns a client that is not signed in and
// addresses srv by its public URL (ROSTER_PUBLIC_URL, say
// https://roster.example.com), as a browser behind a TLS-terminating proxy
// does: the Host header names the public host, the cookie jar keeps and
// sends Secure cookies, and every request is delivered to srv.
func NewPublicVisitorClient(t testing.TB, srv *Server) *ConsoleClient {
	c := NewVisitorClient(t, srv)
	public := srv.Deps.Config.PublicURL
	c.base = public.Scheme + "://" + public.Host
	c.HTTP.Transport = toServer{addr: strings.TrimPrefix(srv.URL, "http://")}
	return c
}

// toServer delivers requests for any URL to the test server at addr.
type toServer struct{ addr string }

func (s toServer) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host = "http", s.addr
	return http.DefaultTransport.RoundTrip(r)
}

// Get fetches path (or an absolute URL).
func (c *ConsoleClient) Get(path string) *PageResponse {
	c.t.Helper()
	return c.Do(http.MethodGet, path, nil)
}

// PostForm posts form to path with the CSRF token of this client's cookie
// added as csrf_token (fetching "/login" first if no token was issued yet).
func (c *ConsoleClient) PostForm(path string, form url.Values) *PageResponse {
	c.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf_token", c.CSRFToken())
	return c.Do(http.MethodPost, path, f)
}

// Do sends form (nil for none) as is, without adding a CSRF token: for
// tests of what the server refuses.
func (c *ConsoleClient) Do(method, path string, form url.Values) *PageResponse {
	c.t.Helper()
	target := path
	if strings.HasPrefix(path, "/") {
		target = c.base + path
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		c.t.Fatalf("webtest: %s %s: %v", method, path, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("webtest: %s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("webtest: %s %s: read body: %v", method, path, err)
	}
	return &PageResponse{Status: res.StatusCode, Header: res.Header, Body: string(b), Location: res.Header.Get("Location")}
}

// CSRFToken returns the client's CSRF token (the roster_csrf cookie, which
// the server sets on any page; __Host-roster_csrf over https), getting one
// first if needed.
func (c *ConsoleClient) CSRFToken() string {
	c.t.Helper()
	if v := c.csrfCookie(); v != "" {
		return v
	}
	c.Get("/login")
	v := c.csrfCookie()
	if v == "" {
		c.t.Fatal("webtest: the server set no roster_csrf cookie")
	}
	return v
}

func (c *ConsoleClient) csrfCookie() string {
	if v := c.Cookie("roster_csrf"); v != "" {
		return v
	}
	return c.Cookie("__Host-roster_csrf")
}

// Cookie returns the value of the named cookie the client holds for the
// server, or "".
func (c *ConsoleClient) Cookie(name string) string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}
