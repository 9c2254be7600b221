package pages_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"

	"roster/internal/apperr"
	"roster/static"
	"roster/views"
	"roster/views/pages"
)

// parse renders c and parses the HTML the way a browser would.
func parse(t *testing.T, c templ.Component) *html.Node {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// all returns every element below n for which match is true, in document order.
func all(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func byTestID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { v, _ := attr(n, "data-testid"); return v == id }
}

// one finds exactly one element by data-testid.
func one(t *testing.T, doc *html.Node, id string) *html.Node {
	t.Helper()
	found := all(doc, byTestID(id))
	if len(found) != 1 {
		t.Fatalf("want 1 element with data-testid=%q, found %d", id, len(found))
	}
	return found[0]
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func byTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

func TestHome(t *testing.T) {
	// An owner sees every nav item (API clients are owner-only).
	owner := &views.Admin{Email: "owner@example.com", Role: "owner", Writer: true, Owner: true}
	doc := parse(t, pages.Home(views.Page{Nav: views.NavHome, RequestID: "req-1", Admin: owner}, pages.HomeData{}))

	if got := text(all(doc, byTag("title"))[0]); got != "Roster" {
		t.Errorf("title = %q", got)
	}
	if got := text(one(t, doc, "page-title")); got != "Roster" {
		t.Errorf("h1 = %q", got)
	}
	one(t, doc, "empty-state")

	nav := one(t, doc, "nav")
	links := all(nav, byTag("a"))
	var paths []string
	for _, a := range links {
		href, _ := attr(a, "href")
		paths = append(paths, href)
		current, ok := attr(a, "aria-current")
		isHome := href == "/"
		if ok != isHome || (ok && current != "page") {
			t.Errorf("%s: aria-current=%q (set %v)", href, current, ok)
		}
	}
	if got := strings.Join(paths, " "); got != "/ /organizations /users /roles /api-clients /audit" {
		t.Errorf("nav paths = %s", got)
	}

	if region := one(t, doc, "flash-region"); len(all(region, byTestID("flash"))) != 0 {
		t.Error("a flash shows although there is none")
	}
	if v, _ := attr(one(t, doc, "flash-region"), "role"); v != "status" {
		t.Errorf("flash region role = %q", v)
	}
}

func TestLayoutHead(t *testing.T) {
	doc := parse(t, pages.Home(views.Page{}, pages.HomeData{}))
	htmlEl := all(doc, byTag("html"))[0]
	if lang, _ := attr(htmlEl, "lang"); lang != "en" {
		t.Errorf("lang = %q", lang)
	}
	var stylesheet, script string
	for _, l := range all(doc, byTag("link")) {
		if rel, _ := attr(l, "rel"); rel == "stylesheet" {
			stylesheet, _ = attr(l, "href")
		}
	}
	for _, s := range all(doc, byTag("script")) {
		src, ok := attr(s, "src")
		if !ok {
			t.Error("inline <script>: the CSP blocks it")
		}
		if _, deferred := attr(s, "defer"); !deferred {
			t.Errorf("script %s is not deferred", src)
		}
		script = src
	}
	if stylesheet != static.URL("app.css") || script != static.URL("app.js") {
		t.Errorf("assets: css %q, js %q", stylesheet, script)
	}
	skip := all(doc, func(n *html.Node) bool { c, _ := attr(n, "class"); return c == "skip-link" })
	if len(skip) != 1 {
		t.Fatal("no skip link")
	}
	if href, _ := attr(skip[0], "href"); href != "#main" || len(all(doc, func(n *html.Node) bool { id, _ := attr(n, "id"); return id == "main" && n.Data == "main" })) != 1 {
		t.Error("the skip link does not lead to <main id=main>")
	}
}

func TestTitleAndFlash(t *testing.T) {
	doc := parse(t, pages.Styleguide(views.Page{
		Title: "Style guide",
		Flash: views.Flash{Kind: views.FlashError, Message: "Could not save."},
	}))
	if got := text(all(doc, byTag("title"))[0]); got != "Style guide · Roster" {
		t.Errorf("title = %q", got)
	}
	flashes := all(one(t, doc, "flash-region"), byTestID("flash"))
	if len(flashes) != 1 || !strings.Contains(text(flashes[0]), "Could not save.") {
		t.Fatalf("flash region holds %d flashes", len(flashes))
	}
	if kind, _ := attr(flashes[0], "data-kind"); kind != "error" {
		t.Errorf("flash kind = %q", kind)
	}
	for _, a := range all(one(t, doc, "nav"), byTag("a")) {
		if _, ok := attr(a, "aria-current"); ok {
			t.Error("the style guide highlights a nav item")
		}
	}
}

func TestStyleguideFieldInError(t *testing.T) {
	doc := parse(t, pages.Styleguide(views.Page{Title: "Style guide"}))
	field := one(t, doc, "field-slug")
	inputs := all(field, byTag("input"))
	if len(inputs) != 1 {
		t.Fatalf("%d inputs in the slug field", len(inputs))
	}
	in := inputs[0]
	if v, _ := attr(in, "aria-invalid"); v != "true" {
		t.Errorf("aria-invalid = %q", v)
	}
	described, _ := attr(in, "aria-describedby")
	if !strings.Contains(described, "slug-error") || !strings.Contains(described, "slug-hint") {
		t.Errorf("aria-describedby = %q", described)
	}
	msg := one(t, doc, "error-slug")
	if id, _ := attr(msg, "id"); id != "slug-error" || !strings.Contains(text(msg), "lowercase DNS label") {
		t.Errorf("error message: id %q, text %q", id, text(msg))
	}
	labels := all(field, byTag("label"))
	if len(labels) != 1 {
		t.Fatal("no label")
	}
	if f, _ := attr(labels[0], "for"); f != "slug" {
		t.Errorf("label for = %q", f)
	}

	// The valid field is not marked.
	for _, in := range all(one(t, doc, "field-display_name"), byTag("input")) {
		if _, ok := attr(in, "aria-invalid"); ok {
			t.Error("a valid field is aria-invalid")
		}
	}

	badges := all(one(t, doc, "sg-badges"), byTestID("status-badge"))
	want := map[string]string{"ACTIVE": "Active", "PENDING_INVITE": "Pending invite", "INVITE_EXPIRED": "Invite expired"}
	for _, b := range badges {
		status, _ := attr(b, "data-status")
		if label, ok := want[status]; ok && text(b) != label {
			t.Errorf("badge %s reads %q, want %q", status, text(b), label)
		}
		delete(want, status)
	}
	if len(want) != 0 {
		t.Errorf("missing badges: %v", want)
	}
	if rows := all(one(t, doc, "members-table"), byTag("tr")); len(rows) < 2 {
		t.Error("the sample table is empty")
	}
}

// TestNoInlineStyleOrScript guards the CSP: style-src and script-src 'self'
// drop inline styles, <style> blocks, inline scripts and on* handlers.
func TestNoInlineStyleOrScript(t *testing.T) {
	for name, c := range map[string]templ.Component{
		"home":       pages.Home(views.Page{}, pages.HomeData{}),
		"styleguide": pages.Styleguide(views.Page{Flash: views.Flash{Kind: views.FlashInfo, Message: "x"}}),
		"error":      pages.Error(views.Page{}, pages.ErrorDetails{Status: 400, Title: "Bad", Message: "m", Violations: []apperr.FieldViolation{apperr.Field("email", "is required")}}),
	} {
		doc := parse(t, c)
		if n := len(all(doc, byTag("style"))); n != 0 {
			t.Errorf("%s: %d <style> blocks", name, n)
		}
		for _, el := range all(doc, func(*html.Node) bool { return true }) {
			for _, a := range el.Attr {
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s: <%s %s=%q>", name, el.Data, a.Key, a.Val)
				}
			}
		}
	}
}

func TestErrorPage(t *testing.T) {
	doc := parse(t, pages.Error(views.Page{Title: "Bad request", RequestID: "abc123"}, pages.ErrorDetails{
		Status: 400, Title: "Bad request", Message: "Check the fields.",
		Violations: []apperr.FieldViolation{apperr.Field("email", "must be a valid email")},
	}))
	if got := text(one(t, doc, "error-status")); got != "Error 400" {
		t.Errorf("status = %q", got)
	}
	if got := text(one(t, doc, "page-title")); got != "Bad request" {
		t.Errorf("title = %q", got)
	}
	if got := text(one(t, doc, "error-message")); got != "Check the fields." {
		t.Errorf("message = %q", got)
	}
	if got := text(one(t, doc, "request-id")); got != "abc123" {
		t.Errorf("request id = %q", got)
	}
	if got := text(one(t, doc, "error-violations")); got != "email must be a valid email" {
		t.Errorf("violations = %q", got)
	}
}
