package web_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roster/internal/adminauth"
	"roster/internal/audit"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// TestHomeAndAuditInBrowser walks the home page from an empty directory to
// a lived-in one, then the audit log: filtering it, opening an entry, and
// both pages on a phone.
func TestHomeAndAuditInBrowser(t *testing.T) {
	srv := webtest.NewServer(t)
	b := testkit.NewBrowser(t)
	k := browserKit{t, b}
	webtest.SignInAdmin(t, srv, b, "owner@acme.test", adminauth.Owner)

	// An empty directory: the first steps.
	b.Run(chromedp.Navigate(srv.URL + "/"))
	k.waitFor("getting-started")
	if got := k.text("page-title"); got != "Roster" {
		t.Errorf("h1 = %q", got)
	}
	k.noProblems("home, empty")
	b.Screenshot("home-empty")

	// Fill it: users and sign-ins over the last month, then real changes
	// made through the directory by an editor and an API client.
	homeFixture(t, srv)
	dir := directory.New(srv.Store, srv.Clock)
	dir.BaseURL = srv.URL
	editor := audit.WithActor(context.Background(), model.Actor{
		Type: "admin", ID: "ses_editor", Label: "ed@acme.test", IP: "203.0.113.5",
		UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15", RequestID: "req-7",
	})
	client := audit.WithActor(context.Background(), model.Actor{Type: "api_client", ID: "cli_sync", Label: "Billing sync", IP: "198.51.100.20", UserAgent: "Go-http-client/2.0"})
	name := "Globex"
	org, err := dir.CreateOrganization(editor, directory.OrganizationInput{DisplayName: &name})
	if err != nil {
		t.Fatal(err)
	}
	for i, email := range []string{"hank@globex.test", "marge@globex.test", "bart@globex.test"} {
		srv.Clock.Advance(time.Minute)
		ctx := editor
		if i > 0 {
			ctx = client
		}
		e := email
		if _, err := dir.AddMember(ctx, org.ID, directory.UserInput{Email: &e}, directory.MembershipInput{SendInvitation: i == 1}); err != nil {
			t.Fatal(err)
		}
	}
	srv.Clock.Advance(time.Minute)
	renamed := `Globex <Corp>`
	if _, err := dir.UpdateOrganization(editor, org.ID, directory.OrganizationInput{DisplayName: &renamed}); err != nil {
		t.Fatal(err)
	}

	b.Run(chromedp.Navigate(srv.URL + "/"))
	k.waitFor("totals")
	for id, want := range map[string]string{"stat-organizations": "3", "stat-users": "8", "stat-pending-invitations": "3"} {
		if got := k.attr(id, "data-value"); got != want {
			t.Errorf("%s = %s, want %s", id, got, want)
		}
	}
	k.waitFor("chart-sign-ins")
	// The bars are drawn: one per day with sign-ins.
	if n := testkit.Result(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="chart-sign-ins"] rect').length`)); n != 2 {
		t.Errorf("%d sign-in bars, want 2", n)
	}
	k.noProblems("home")
	b.Screenshot("home-dashboard")

	// To the audit log from the home page.
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="audit-link"]`)))
	k.waitFor("audit-list")
	if got := k.path(); got != "/audit" {
		t.Errorf("at %q", got)
	}
	if got := k.attr("audit-entry", "data-action"); got != "organization.updated" {
		t.Errorf("newest entry = %q", got)
	}
	k.noProblems("audit log")
	b.Screenshot("audit")

	// Filter: the API client's membership changes.
	b.Run(
		chromedp.SendKeys(chromedp.CSS(`#audit-actor`), "billing"),
		chromedp.SetValue(chromedp.CSS(`#audit-action`), "membership."),
		chromedp.Click(chromedp.CSS(`[data-testid="audit-filter-submit"]`)),
	)
	k.waitFor("audit-filter-clear")
	if got := k.path(); !strings.Contains(got, "actor=billing") || !strings.Contains(got, "action=membership.") {
		t.Errorf("filtered at %q", got)
	}
	actions := testkit.Result(b, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid="audit-entry"]')].map(e => e.dataset.action)`))
	if len(actions) == 0 {
		t.Fatal("the filter left nothing")
	}
	for _, a := range actions {
		if !strings.HasPrefix(a, "membership.") {
			t.Errorf("filtered list holds %q", a)
		}
	}
	// The org keeps the name it had then.
	if got := k.text("audit-sentence"); got != "API client Billing sync added bart@globex.test to Globex as member" {
		t.Errorf("sentence = %q", got)
	}
	k.noProblems("audit log, filtered")
	b.Screenshot("audit-filtered")

	// One entry in full, from its row's details.
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="audit-entry-summary"]`)))
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="audit-entry-link"]`)))
	k.waitFor("audit-detail")
	if got := k.text("audit-ip"); got != "198.51.100.20" {
		t.Errorf("ip = %q", got)
	}
	k.noProblems("audit entry")
	b.Screenshot("audit-entry")

	// The org's history, from the link on an entry.
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="back-to-audit"]`)))
	k.waitFor("audit-list")
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="audit-entry-summary"]`)))
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="audit-filter-org"]`)))
	k.waitFor("audit-filter-clear")
	if got := k.path(); got != "/audit?org="+org.ID {
		t.Errorf("org history at %q", got)
	}

	// A 360 px phone: nothing widens the page.
	b.Mobile()
	for _, page := range []struct{ path, wait, shot string }{
		{"/", "totals", "home-dashboard-mobile"},
		{"/audit", "audit-list", "audit-mobile"},
	} {
		b.Run(chromedp.Navigate(srv.URL + page.path))
		k.waitFor(page.wait)
		if width := testkit.Result(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); width > testkit.MobileWidth {
			t.Errorf("%s: the page is %d px wide at %d px", page.path, width, testkit.MobileWidth)
		}
		k.noProblems(page.path + " on a phone")
		b.Screenshot(page.shot)
	}
}

// TestAuditRowExpandsInBrowser opens a row of the log on a desktop and on a
// phone: the row is one line until opened, then shows what changed and
// where from, and on the phone nothing is wider than the screen.
func TestAuditRowExpandsInBrowser(t *testing.T) {
	srv := webtest.NewServer(t)
	b := testkit.NewBrowser(t)
	k := browserKit{t, b}
	webtest.SignInAdmin(t, srv, b, "vic@acme.test", adminauth.Viewer)

	dir := directory.New(srv.Store, srv.Clock)
	ann := audit.WithActor(context.Background(), model.Actor{
		Type: "admin", ID: "ses_ann", Label: "ann@acme.test", IP: "2001:db8:85a3::8a2e:370:7334",
		UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
		RequestID: "qYtWbJxSmEfKcLhNrPaVuDgZiToXeBnR",
	})
	name := "Acme Corporation International"
	org, err := dir.CreateOrganization(ann, directory.OrganizationInput{DisplayName: &name})
	if err != nil {
		t.Fatal(err)
	}
	email := "robert.tables.the.third@subsidiary.acme-corporation.example"
	bob, err := dir.AddMember(ann, org.ID, directory.UserInput{Email: &email}, directory.MembershipInput{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Clock.Advance(5 * time.Second)
	note := strings.Repeat("no-spaces-in-this-note/", 10)
	if _, err := dir.UpdateMembership(ann, org.ID, bob.ID, directory.MembershipInput{
		Roles: []string{"admin"}, Metadata: model.Metadata{"note": note},
	}); err != nil {
		t.Fatal(err)
	}

	first := `[data-testid="audit-entry"]:first-child `
	open := func() {
		t.Helper()
		b.Run(chromedp.Navigate(srv.URL + "/audit"))
		k.waitFor("audit-list")
		if opened := testkit.Result(b, chromedp.Evaluate[bool](`document.querySelector('[data-testid="audit-entry-details"]').open`)); opened {
			t.Error("a row is open before anyone opened it")
		}
		b.Run(
			chromedp.Click(chromedp.CSS(first+`[data-testid="audit-entry-summary"]`)),
			chromedp.WaitVisible(chromedp.CSS(first+`[data-testid="audit-facts"]`)),
		)
	}
	in := func(testID string) string {
		t.Helper()
		return strings.Join(strings.Fields(testkit.Result(b, chromedp.Text(chromedp.CSS(first+`[data-testid="`+testID+`"]`)))), " ")
	}

	open()
	for testID, want := range map[string]string{
		"audit-when":       "2026-01-15 09:00:05 UTC",
		"audit-sentence":   "ann@acme.test changed the role of " + email + " in " + name + " from member to admin, and their membership's metadata",
		"audit-ip":         "2001:db8:85a3::8a2e:370:7334",
		"audit-request-id": "qYtWbJxSmEfKcLhNrPaVuDgZiToXeBnR",
	} {
		if got := in(testID); got != want {
			t.Errorf("%s = %q, want %q", testID, got, want)
		}
	}
	if got := in("audit-user-agent"); !strings.HasPrefix(got, "Safari on iOS Mozilla/5.0 (iPhone;") {
		t.Errorf("user agent = %q", got)
	}
	changes := testkit.Result(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="audit-entry"]:first-child [data-testid="audit-changes"] li')].map(li => li.innerText.replace(/\s+/g, " ").trim())`))
	if want := []string{"metadata {} → {\"note\":\"" + note + "\"}", "roles member → admin"}; !slices.Equal(changes, want) {
		t.Errorf("changes = %q, want %q", changes, want)
	}
	k.noProblems("audit row, open")
	b.Screenshot("audit-row-expanded")

	// A phone: the open row wraps inside the screen.
	b.Run(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile))
	open()
	if w := testkit.Result(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > phoneWidth {
		t.Errorf("the page is %d px wide on a %d px phone", w, phoneWidth)
	}
	wide := testkit.Result(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('main *')]
		.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.left < 0 || r.right > innerWidth); })
		.map(e => e.tagName.toLowerCase() + "." + e.className + " (" + Math.round(e.getBoundingClientRect().right) + " px)")`))
	if len(wide) > 0 {
		t.Errorf("wider than the %d px screen: %s", phoneWidth, strings.Join(wide, ", "))
	}
	// The row's line has room for each of its parts: none spills out of its
	// box, and no box overlaps another.
	overlaps := testkit.Result(b, chromedp.Evaluate[[]string](`(() => {
		const parts = [...document.querySelectorAll('[data-testid="audit-entry"]:first-child [data-testid="audit-entry-summary"] > *')];
		const out = parts.filter((e) => e.scrollWidth > e.clientWidth).map((e) => e.className + " spills over");
		parts.forEach((a, i) => parts.slice(i + 1).forEach((b) => {
			const r = a.getBoundingClientRect(), s = b.getBoundingClientRect();
			if (r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom) out.push(a.className + " / " + b.className);
		}));
		return out;
	})()`))
	if len(overlaps) > 0 {
		t.Errorf("overlapping on a phone: %s", strings.Join(overlaps, ", "))
	}
	if got := in("audit-sentence"); !strings.HasPrefix(got, "ann@acme.test changed the role of") {
		t.Errorf("sentence on a phone = %q", got)
	}
	k.noProblems("audit row, open on a phone")
	b.Screenshot("audit-row-expanded-phone")
}
