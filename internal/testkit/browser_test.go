package testkit

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserReportsProblems checks that Problems sees what the CSP blocks
// and what throws, so browser tests can rely on it to guard the CSP.
func TestBrowserReportsProblems(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/bad":
			w.Write([]byte(`<!doctype html><title>bad</title><p style="color:red">x</p><script>document.title = "ran"</script>`))
		case "/throws.js":
			w.Header().Set("Content-Type", "text/javascript")
			w.Write([]byte(`undefinedFunction()`))
		case "/throws":
			w.Write([]byte(`<!doctype html><title>throws</title><script src="/throws.js"></script>`))
		default:
			w.Write([]byte(`<!doctype html><meta name="viewport" content="width=device-width"><title>fine</title><p>fine</p>`))
		}
	}))
	defer srv.Close()
	t.Setenv("ROSTER_SCREENSHOTS", t.TempDir())

	b := NewBrowser(t)
	b.Run(chromedp.Navigate(srv.URL + "/"))
	if p := b.Problems(); len(p) != 0 {
		t.Errorf("a clean page has problems: %v", p)
	}

	b.Run(chromedp.Navigate(srv.URL + "/bad"))
	p := strings.Join(b.Problems(), "\n")
	if !strings.Contains(p, "script-src") || !strings.Contains(p, "style-src") {
		t.Errorf("problems = %q, want a script-src and a style-src violation", p)
	}
	if title := Result(b, chromedp.Title()); title != "bad" {
		t.Errorf("the inline script ran (title %q)", title)
	}

	b.Run(chromedp.Navigate(srv.URL + "/throws"))
	if p := strings.Join(b.Problems(), "\n"); !strings.Contains(p, "undefinedFunction") {
		t.Errorf("problems = %q, want the uncaught error", p)
	}

	b.Run(chromedp.Navigate(srv.URL + "/")) // has a meta viewport, as Roster's pages do
	b.Mobile()
	if w := Result(b, chromedp.Evaluate[int](`innerWidth`)); w != MobileWidth {
		t.Errorf("mobile innerWidth = %d", w)
	}
	b.Desktop()
	if w := Result(b, chromedp.Evaluate[int](`innerWidth`)); w != DesktopWidth {
		t.Errorf("desktop innerWidth = %d", w)
	}

	path := b.Screenshot("probe")
	if filepath.Dir(path) != os.Getenv("ROSTER_SCREENSHOTS") {
		t.Errorf("screenshot at %s, not in ROSTER_SCREENSHOTS", path)
	}
	if png, err := os.ReadFile(path); err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Errorf("screenshot is not a PNG (%v)", err)
	}
}

func TestFailedName(t *testing.T) {
	if got := failedName("TestConsole/invite a member#01"); got != "TestConsole-invite-a-member-01-failed" {
		t.Errorf("failedName = %q", got)
	}
}
