package web

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"roster/internal/config"
	"roster/views"
)

// newFlashTestServer serves the real handler plus a route that sets a flash
// and redirects to the sign-in page, as a form handler will. It needs no
// database. Its POSTs say Sec-Fetch-Site: same-origin, as a browser
// submitting Roster's own form does, to pass the CSRF check.
func newFlashTestServer(t *testing.T, publicURL string) *httptest.Server {
	t.Helper()
	cfg, err := config.Load(func(name string) string {
		return map[string]string{"ROSTER_PUBLIC_URL": publicURL}[name]
	})
	if err != nil {
		t.Fatal(err)
	}
	e := New(Deps{Config: cfg, SecretKey: []byte(strings.Repeat("k", 32))})
	e.POST("/flash", func(c echo.Context) error {
		if err := setFlash(c, views.FlashSuccess, "Organization <b>created</b>."); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/login")
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

func TestFlashRoundTrip(t *testing.T) {
	srv := newFlashTestServer(t, "http://127.0.0.1:8080")
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}

	res, err := client.Do(sameOriginPost(t, srv.URL+"/flash"))
	if err != nil {
		t.Fatal(err)
	}
	page := readBody(t, res)
	if res.Request.URL.Path != "/login" {
		t.Fatalf("not redirected: %s", res.Request.URL)
	}
	if !strings.Contains(page, `data-testid="flash"`) || !strings.Contains(page, "Organization &lt;b&gt;created&lt;/b&gt;.") {
		t.Fatalf("the page after the redirect shows no (escaped) flash:\n%s", page)
	}

	res, err = client.Get(srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	if page := readBody(t, res); strings.Contains(page, `data-testid="flash"`) {
		t.Error("the flash shows a second time")
	}
	u, _ := url.Parse(srv.URL)
	for _, c := range jar.Cookies(u) {
		if c.Name == "roster_flash" {
			t.Errorf("the flash cookie was not deleted: %v", c)
		}
	}
}

func TestFlashCookie(t *testing.T) {
	for _, tt := range []struct {
		publicURL string
		secure    bool
		name      string
	}{
		{"http://127.0.0.1:8080", false, "roster_flash"},
		{"https://roster.example.com", true, "__Host-roster_flash"},
	} {
		srv := newFlashTestServer(t, tt.publicURL)
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Do(sameOriginPost(t, srv.URL+"/flash"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		var c *http.Cookie
		for _, rc := range res.Cookies() {
			if rc.Name == tt.name {
				c = rc
			}
		}
		if c == nil {
			t.Fatalf("%s: no %s cookie", tt.publicURL, tt.name)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != tt.secure || c.Path != "/" {
			t.Errorf("%s: cookie %+v; want HttpOnly, SameSite=Lax, Secure=%v, Path=/", tt.publicURL, c, tt.secure)
		}
		if strings.Contains(c.Value, "created") {
			t.Error("the flash cookie is not encrypted")
		}
	}
}

func TestFlashTamperedCookieIsIgnored(t *testing.T) {
	srv := newFlashTestServer(t, "http://127.0.0.1:8080")
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: "roster_flash", Value: "MTcwMDAwMDAwMHxnarbage"})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page := readBody(t, res)
	if res.StatusCode != http.StatusOK || strings.Contains(page, `data-testid="flash"`) {
		t.Errorf("status %d, flash shown: %v", res.StatusCode, strings.Contains(page, `data-testid="flash"`))
	}
}

func TestDeriveKeyGivesDistinctKeys(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	a, b := deriveKey(secret, "roster/flash/hash-key"), deriveKey(secret, "roster/flash/encryption-key")
	if len(a) != 32 || len(b) != 32 || string(a) == string(b) || string(a) == string(secret) {
		t.Error("derived keys must be 32 bytes, distinct, and not the secret")
	}
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sameOriginPost(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return req
}
