package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/store"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// While PostgreSQL cannot be reached, pages and the API say so with a 503
// and Retry-After, not a 500; once it is back they serve again, without
// restarting Roster.
func TestDatabaseAwayIs503ThenRecovers(t *testing.T) {
	link := testkit.NewDBLink(t)
	srv := webtest.NewServer(t, webtest.WithDatabaseURL(link.URL))
	dir := directory.New(store.New(srv.DB), srv.Clock)
	dir.BaseURL = srv.Deps.Config.PublicURL.String()
	k := signinKit{t: t, srv: srv, dir: dir}
	k.org("Acme", "ann@acme.test")

	admin := webtest.NewConsoleClient(t, srv, "ed@acme.test", adminauth.Editor)
	user := webtest.NewVisitorClient(t, srv)
	k.signIn(user, "ann@acme.test")
	visitor := webtest.NewVisitorClient(t, srv)
	api := webtest.NewAPIClient(t, srv)

	type answer struct {
		status     int
		retryAfter string
		body       string
	}
	page := func(res *webtest.PageResponse) answer {
		return answer{res.Status, res.Header.Get("Retry-After"), res.Body}
	}
	probe := func(path string) answer {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return answer{status: res.StatusCode}
	}
	requests := []struct {
		what string
		do   func() answer
		api  bool
	}{
		{"console home", func() answer { return page(admin.Get("/")) }, false},
		{"console form", func() answer {
			return page(admin.PostForm("/organizations/new", url.Values{"display_name": {"While away"}}))
		}, false},
		{"hosted sign-in page", func() answer { return page(visitor.Get("/signin")) }, false},
		{"hosted page of a signed-in person", func() answer { return page(user.Get("/my-organizations")) }, false},
		{"API list", func() answer {
			res := api.Do(http.MethodGet, "/organizations", nil)
			return answer{res.Status, res.Header.Get("Retry-After"), string(res.Raw)}
		}, true},
		{"API token", func() answer {
			form := url.Values{"grant_type": {"client_credentials"}, "client_id": {api.ID}, "client_secret": {api.Secret}}
			res := api.DoRaw(http.MethodPost, "/oauth/token", "application/x-www-form-urlencoded", []byte(form.Encode()))
			return answer{res.Status, res.Header.Get("Retry-After"), string(res.Raw)}
		}, true},
	}

	link.Cut()
	for round := range 2 { // the pool's broken connections are gone after the first
		for _, r := range requests {
			a := r.do()
			if a.status != http.StatusServiceUnavailable || a.retryAfter != "5" {
				t.Fatalf("round %d, %s while the database is away: %d, Retry-After %q; want 503, 5\n%.600s",
					round+1, r.what, a.status, a.retryAfter, a.body)
			}
			if r.api {
				if !strings.Contains(a.body, `"code":503`) || !strings.Contains(a.body, `"error_code":"UNAVAILABLE"`) {
					t.Errorf("%s: body %s", r.what, a.body)
				}
			} else if !strings.Contains(a.body, "temporarily unavailable") || !strings.Contains(a.body, `data-testid="error-page"`) {
				t.Errorf("%s: the page does not say the service is temporarily unavailable:\n%.1500s", r.what, a.body)
			}
		}
	}
	if a := probe("/readyz"); a.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the database is away = %d, want 503", a.status)
	}
	if a := probe("/healthz"); a.status != http.StatusOK {
		t.Errorf("/healthz while the database is away = %d, want 200: the process is fine", a.status)
	}
	if strings.Contains(srv.Logs(), "status=500") {
		t.Errorf("a request answered 500 while the database was away:\n%s", srv.Logs())
	}

	link.Restore()
	want := map[string]int{"console form": http.StatusSeeOther}
	for _, r := range requests {
		a := r.do()
		w, ok := want[r.what]
		if !ok {
			w = http.StatusOK
		}
		if a.status != w || a.retryAfter != "" {
			t.Errorf("%s after the database is back: %d (Retry-After %q), want %d\n%.600s", r.what, a.status, a.retryAfter, w, a.body)
		}
	}
	if a := probe("/readyz"); a.status != http.StatusOK {
		t.Errorf("/readyz after the database is back = %d", a.status)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM organizations WHERE display_name = 'While away'`); n != 1 {
		t.Errorf("%d organizations from the form posted while away and again after; want only the one after", n)
	}
}
