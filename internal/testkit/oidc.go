package testkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// OIDCUser is a person with an account at the test identity provider.
type OIDCUser struct {
	Email         string
	EmailVerified bool
	// Groups is sent as the "groups" claim, in the ID token and /userinfo.
	Groups []string
}

// OIDCPassword is every test user's password at the provider.
const OIDCPassword = "correct-horse-battery-staple"

// OIDCProvider is a real OpenID Connect provider running in the test
// process: zitadel/oidc's op package with its example storage and login
// page, so sign-in goes through a real login form, a real code + PKCE flow
// and really signed tokens. As with many providers, the email comes only
// from /userinfo; groups come in the ID token and /userinfo.
//
//	idp := testkit.NewOIDCProvider(t, testkit.OIDCUser{Email: "ann@acme.test", EmailVerified: true})
//	srv := testkit.NewServer(t, idp.Settings("ann@acme.test=owner")...)
type OIDCProvider struct {
	// Issuer is http://127.0.0.1:<port>: the same host as test servers, as
	// the issuer must match byte for byte (127.0.0.1 is not localhost).
	Issuer       string
	ClientID     string
	ClientSecret string

	t        testing.TB
	users    map[string]OIDCUser // by username (the email)
	accounts userStore
}

// NewOIDCProvider starts a provider with these users, stopped at cleanup.
// Its one client accepts redirects to /auth/oidc/callback on any 127.0.0.1
// port, so it can be made before the Roster server that uses it.
func NewOIDCProvider(t testing.TB, users ...OIDCUser) *OIDCProvider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: OIDC provider: listen: %v", err)
	}
	p := &OIDCProvider{
		Issuer:       "http://" + ln.Addr().String(),
		ClientID:     "roster-console",
		ClientSecret: "roster-console-secret",
		t:            t,
		users:        map[string]OIDCUser{},
	}
	us := p.addUsers("user", "Test", "User", users)
	client := storage.WebClient(p.ClientID, p.ClientSecret, "http://127.0.0.1/auth/oidc/callback")
	st := &providerStorage{
		Storage: storage.NewStorageWithClients(us, map[string]*storage.Client{p.ClientID: client}),
		client:  anyLocalPort{client},
		groups:  us.groups,
	}
	serveOIDC(t, ln, p.Issuer, st)
	return p
}

// SetEmail changes the address the provider gives for the account that
// signs in as username (the email it was made with), and whether it calls
// it verified. The account keeps its subject: a person who changed their
// address at the provider.
func (p *OIDCProvider) SetEmail(username, email string, verified bool) {
	p.t.Helper()
	p.accounts.mu.Lock()
	defer p.accounts.mu.Unlock()
	for _, u := range p.accounts.byID {
		if u.Username == username {
			u.Email, u.EmailVerified = email, verified
			return
		}
	}
	p.t.Fatalf("testkit: OIDC provider: no account %s", username)
}

// addUsers makes the provider's accounts, ids prefix-1, prefix-2, …
func (p *OIDCProvider) addUsers(prefix, firstName, lastName string, users []OIDCUser) userStore {
	us := userStore{mu: &sync.Mutex{}, byID: map[string]*storage.User{}, groups: map[string][]string{}}
	p.accounts = us
	for i, u := range users {
		id := fmt.Sprintf("%s-%d", prefix, i+1)
		us.byID[id] = &storage.User{
			ID: id, Username: u.Email, Password: OIDCPassword,
			FirstName: firstName, LastName: fmt.Sprintf("%s %d", lastName, i+1),
			Email: u.Email, EmailVerified: u.EmailVerified, PreferredLanguage: language.English,
		}
		us.groups[id] = u.Groups
		p.users[u.Email] = u
	}
	return us
}

// serveOIDC serves a provider on ln until the test ends.
func serveOIDC(t testing.TB, ln net.Listener, issuer string, st exampleop.Storage) {
	// nil logger: SetupServer would otherwise replace the process's slog default.
	handler := exampleop.SetupServer(issuer, st, nil, false)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("testkit: OIDC provider %s: %v", issuer, err)
		}
	})
}

// Settings returns the settings (environment variables) that connect a
// test server's console sign-in to this provider, with rules for
// ROSTER_ADMIN_ALLOWED (and, after a "claim:" prefix, ROSTER_ADMIN_CLAIM),
// e.g.
//
//	webtest.NewServer(t, webtest.WithEnvs(idp.Settings("ann@acme.test=owner", "claim:groups:roster-editors=editor")))
func (p *OIDCProvider) Settings(rules ...string) map[string]string {
	var allowed, claims []string
	for _, r := range rules {
		if c, ok := strings.CutPrefix(r, "claim:"); ok {
			claims = append(claims, c)
		} else {
			allowed = append(allowed, r)
		}
	}
	return map[string]string{
		"ROSTER_ADMIN_OIDC_ISSUER":        p.Issuer,
		"ROSTER_ADMIN_OIDC_CLIENT_ID":     p.ClientID,
		"ROSTER_ADMIN_OIDC_CLIENT_SECRET": p.ClientSecret,
		"ROSTER_ADMIN_ALLOWED":            strings.Join(allowed, ","),
		"ROSTER_ADMIN_CLAIM":              strings.Join(claims, ","),
	}
}

// LoginInBrowser fills in and submits the provider's login form, which the
// browser must be showing (after clicking "Sign in with your identity
// provider"). The browser then follows the redirects back to Roster.
func (p *OIDCProvider) LoginInBrowser(b *Browser, email string) {
	p.t.Helper()
	b.Run(
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), email),
		chromedp.SendKeys(chromedp.ID("password"), OIDCPassword),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
	)
}

// Login signs email in at the provider over plain HTTP, as a browser would
// after Roster sent it to authorizeURL (the Location of /auth/oidc/start).
// It returns where the provider then sends the browser: Roster's callback
// URL with code and state, not yet opened, so a test can open it with the
// client holding Roster's cookies, or tamper with it first.
func (p *OIDCProvider) Login(authorizeURL, email string) string {
	p.t.Helper()
	// The provider keeps no cookies of its own; a plain client will do.
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	loginURL := p.follow(client, authorizeURL)
	u, err := url.Parse(loginURL)
	if err != nil {
		p.t.Fatalf("testkit: OIDC provider: login page URL %q: %v", loginURL, err)
	}
	page := p.fetch(client, http.MethodGet, loginURL, nil)
	id := loginFormID.FindStringSubmatch(page)
	if id == nil {
		p.t.Fatalf("testkit: OIDC provider: no login form at %s:\n%s", loginURL, page)
	}
	form := url.Values{"id": {id[1]}, "username": {email}, "password": {OIDCPassword}}
	res := p.do(client, http.MethodPost, u.Scheme+"://"+u.Host+"/login/username", form)
	next := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound || next == "" {
		p.t.Fatalf("testkit: OIDC provider: login as %s: %d (is the user defined?)", email, res.StatusCode)
	}
	return p.follow(client, resolve(loginURL, next))
}

var loginFormID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// follow requests target and the provider's redirects after it until one
// leads off the provider, and returns that URL.
func (p *OIDCProvider) follow(client *http.Client, target string) string {
	p.t.Helper()
	for range 10 {
		if !strings.HasPrefix(target, p.Issuer+"/") {
			return target
		}
		res := p.do(client, http.MethodGet, target, nil)
		loc := res.Header.Get("Location")
		if loc == "" {
			if res.StatusCode == http.StatusOK {
				return target // a page of the provider: the login form
			}
			p.t.Fatalf("testkit: OIDC provider: GET %s: %d", target, res.StatusCode)
		}
		target = resolve(target, loc)
	}
	p.t.Fatalf("testkit: OIDC provider: too many redirects")
	return ""
}

func (p *OIDCProvider) fetch(client *http.Client, method, target string, form url.Values) string {
	p.t.Helper()
	res := p.do(client, method, target, form)
	if res.StatusCode != http.StatusOK {
		p.t.Fatalf("testkit: OIDC provider: %s %s: %d", method, target, res.StatusCode)
	}
	return res.body
}

type providerResponse struct {
	*http.Response
	body string
}

func (p *OIDCProvider) do(client *http.Client, method, target string, form url.Values) providerResponse {
	p.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		p.t.Fatalf("testkit: OIDC provider: %v", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := client.Do(req)
	if err != nil {
		p.t.Fatalf("testkit: OIDC provider: %s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return providerResponse{res, string(b)}
}

func resolve(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := b.Parse(ref)
	if err != nil {
		return ref
	}
	return r.String()
}

// userStore holds the test users for the example storage. It hands out
// copies, so SetEmail may change an account while the provider serves.
type userStore struct {
	mu     *sync.Mutex
	byID   map[string]*storage.User
	groups map[string][]string
}

func (u userStore) GetUserByID(id string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	return copyUser(u.byID[id])
}

func (u userStore) GetUserByUsername(name string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, user := range u.byID {
		if user.Username == name {
			return copyUser(user)
		}
	}
	return nil
}

func copyUser(u *storage.User) *storage.User {
	if u == nil {
		return nil
	}
	c := *u
	return &c
}

func (userStore) ExampleClientID() string { return storage.ServiceUserID }

// providerStorage is the example storage with a groups claim and a client
// that accepts Roster's callback on any local port.
type providerStorage struct {
	*storage.Storage
	client anyLocalPort
	groups map[string][]string
}

func (s *providerStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	if id != s.client.GetID() {
		return nil, errors.New("client not found")
	}
	return s.client, nil
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *providerStorage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	s.addGroups(ui, req.GetSubject())
	return nil
}

// SetUserinfoFromToken fills the /userinfo answer.
func (s *providerStorage) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, ui, tokenID, subject, origin); err != nil {
		return err
	}
	s.addGroups(ui, ui.Subject)
	return nil
}

func (s *providerStorage) addGroups(ui *oidc.UserInfo, subject string) {
	if g := s.groups[subject]; len(g) > 0 {
		ui.AppendClaims("groups", g)
	}
}

// anyLocalPort lets the client redirect to Roster's callback on whatever
// port the test server got.
type anyLocalPort struct{ *storage.Client }

func (anyLocalPort) RedirectURIGlobs() []string {
	return []string{"http://127.0.0.1:*/auth/oidc/callback"}
}

func (anyLocalPort) PostLogoutRedirectURIGlobs() []string { return nil }
