package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/internal/adminauth"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// TestConsoleInBrowser opens the console pages in headless Chromium, checks
// what a person would see, and saves screenshots for a human look
// (testdata/screenshots/ at the repository root).
func TestConsoleInBrowser(t *testing.T) {
	srv := webtest.NewServer(t)
	b := testkit.NewBrowser(t)
	webtest.SignInAdmin(t, srv, b, "owner@example.com", adminauth.Owner)

	// noProblems fails on CSP violations and JavaScript errors of the page.
	noProblems := func(page string) {
		t.Helper()
		if p := b.Problems(); len(p) != 0 {
			t.Errorf("%s: %s", page, strings.Join(p, "; "))
		}
	}
	textOf := func(testID string) string {
		t.Helper()
		return strings.TrimSpace(testkit.Result(b, chromedp.Text(chromedp.CSS(`[data-testid="`+testID+`"]`))))
	}

	// Home.
	b.Run(chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav"]`)))
	if title := testkit.Result(b, chromedp.Title()); title != "Roster" {
		t.Errorf("title = %q", title)
	}
	if got := textOf("page-title"); got != "Roster" {
		t.Errorf("h1 = %q", got)
	}
	current := testkit.Result(b, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid="nav"] a[aria-current="page"]')].map(a => a.textContent.trim())`))
	if strings.Join(current, ",") != "Home" {
		t.Errorf("current nav items = %v", current)
	}
	navLabels := testkit.Result(b, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid="nav"] a')].map(a => a.textContent.trim())`))
	if got := strings.Join(navLabels, ","); got != "Home,Organizations,Users,Roles,API clients,Audit log" {
		t.Errorf("nav = %s", got)
	}
	// The stylesheet applied: the body font is ours, not the browser's serif.
	if font := testkit.Result(b, chromedp.Evaluate[string](`getComputedStyle(document.body).fontFamily`)); !strings.Contains(font, "system-ui") {
		t.Errorf("body font = %q: app.css did not load", font)
	}
	noProblems("home")
	b.Screenshot("home")

	// Style guide.
	b.Run(chromedp.Navigate(srv.URL+"/_styleguide"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="members-table"]`)))
	if got := textOf("page-title"); got != "Style guide" {
		t.Errorf("h1 = %q", got)
	}
	if got := textOf("error-slug"); !strings.Contains(got, "lowercase DNS label") {
		t.Errorf("slug error = %q", got)
	}
	// The invalid input is outlined in the danger colour, the valid one is not.
	outline := `getComputedStyle(document.getElementById(%q)).outlineStyle`
	if got := testkit.Result(b, chromedp.Evaluate[string](sprintf(outline, "slug"))); got != "solid" {
		t.Errorf("invalid input outline = %q", got)
	}
	if got := testkit.Result(b, chromedp.Evaluate[string](sprintf(outline, "display_name"))); got == "solid" {
		t.Error("a valid input is outlined")
	}
	noProblems("style guide")
	b.Screenshot("styleguide")

	// Dark mode, through prefers-color-scheme.
	b.ColorScheme("dark")
	b.Run(chromedp.Reload())
	bg := testkit.Result(b, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
	if bg == "rgb(245, 246, 248)" {
		t.Errorf("dark mode did not change the background (%s)", bg)
	}
	b.Screenshot("styleguide-dark")
	b.Run(chromedp.Navigate(srv.URL + "/"))
	b.Screenshot("home-dark")
	b.ColorScheme("")

	// A 360 px phone: nothing may widen the page; wide tables scroll inside
	// their wrapper.
	b.Mobile()
	for _, page := range []struct{ path, shot string }{
		{"/_styleguide", "styleguide-mobile"},
		{"/", "home-mobile"},
		{"/no/such/page", "error-mobile"},
	} {
		b.Run(chromedp.Navigate(srv.URL + page.path))
		width := testkit.Result(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if width > testkit.MobileWidth {
			t.Errorf("%s: the page is %d px wide at %d px", page.path, width, testkit.MobileWidth)
		}
		if visible := testkit.Result(b, chromedp.Evaluate[bool](
			`[...document.querySelectorAll('[data-testid="nav"] a')].every(a => a.getBoundingClientRect().right <= innerWidth)`)); !visible {
			t.Errorf("%s: a nav link is off screen", page.path)
		}
		noProblems(page.path)
		b.Screenshot(page.shot)
	}
}

func sprintf(format, arg string) string { return strings.Replace(format, "%q", `"`+arg+`"`, 1) }
