package static

import (
	"regexp"
	"strings"
	"testing"
)

func TestURLAndLookup(t *testing.T) {
	for _, name := range []string{"app.css", "app.js", "favicon.svg"} {
		url := URL(name)
		base, ext, _ := strings.Cut(name, ".")
		if !regexp.MustCompile(`^/static/` + base + `\.[0-9a-f]{8}\.` + ext + `$`).MatchString(url) {
			t.Errorf("URL(%q) = %q", name, url)
		}
		a, ok := Lookup(strings.TrimPrefix(url, Prefix))
		if !ok || a.Name != name || len(a.Body) == 0 {
			t.Errorf("Lookup(%q) = %+v, %v", url, a, ok)
		}
	}
	if a, _ := Lookup(strings.TrimPrefix(URL("app.css"), Prefix)); !strings.HasPrefix(a.ContentType, "text/css") {
		t.Errorf("app.css Content-Type = %q", a.ContentType)
	}
	if _, ok := Lookup("app.css"); ok {
		t.Error("an unhashed name must not be found")
	}
}

func TestURLOfAMissingAssetPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("URL of a missing asset did not panic")
		}
	}()
	URL("nope.css")
}
