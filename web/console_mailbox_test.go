package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/store"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// queueMail writes a mail to srv's outbox at the server's current time and
// returns its id.
func queueMail(t *testing.T, srv *webtest.Server, e store.Email) string {
	t.Helper()
	if e.Kind == "" {
		e.Kind = "test"
	}
	if err := srv.Store.QueueEmail(context.Background(), e, srv.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	return webtest.OutboxTo(t, srv, e.To)[0].ID
}

// inviteByMail invites email to a new org named orgName through the
// directory, which queues the invitation mail.
func inviteByMail(t *testing.T, srv *webtest.Server, orgName, email string) {
	t.Helper()
	dir := directory.New(srv.Store, srv.Clock)
	dir.BaseURL = srv.URL
	ctx := context.Background()
	org, err := dir.CreateOrganization(ctx, directory.OrganizationInput{DisplayName: &orgName})
	if err != nil {
		t.Fatal(err)
	}
	inviter := "owner@acme.test"
	if _, err := dir.AddMember(ctx, org.ID, directory.UserInput{Email: &email},
		directory.MembershipInput{SendInvitation: true, InviterEmail: &inviter}); err != nil {
		t.Fatal(err)
	}
}

func TestMailboxPages(t *testing.T) {
	srv := webtest.NewServer(t)
	cc := webtest.NewConsoleClient(t, srv, "owner@acme.test", adminauth.Owner)

	// Empty: say what fills it.
	res := cc.Get("/dev/mailbox")
	if res.Status != http.StatusOK || !strings.Contains(res.Body, `data-testid="empty-state"`) {
		t.Fatalf("empty mailbox: %d\n%s", res.Status, res.Body)
	}

	first := queueMail(t, srv, store.Email{To: "ann@acme.test", ToName: "Ann", Subject: "First & oldest", Text: "Open https://roster.test/a?x=1&y=2 now.\n", HTML: "<p>First</p>"})
	srv.Clock.Advance(time.Minute)
	second := queueMail(t, srv, store.Email{To: "bob@acme.test", Subject: "Second", Text: "Plain only.\n"})

	res = cc.Get("/dev/mailbox")
	if res.Status != http.StatusOK {
		t.Fatalf("mailbox: %d", res.Status)
	}
	for _, want := range []string{`data-testid="mailbox-not-sending"`, "Not for production: mail is not being sent", "First &amp; oldest", "Ann &lt;ann@acme.test&gt;", "Not sent: no mail server is set"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("mailbox lacks %q", want)
		}
	}
	if strings.Index(res.Body, `data-mail-id="`+second+`"`) > strings.Index(res.Body, `data-mail-id="`+first+`"`) {
		t.Error("the mailbox is not newest first")
	}

	// One mail: its text with the link clickable, and the link listed.
	res = cc.Get("/dev/mailbox/" + first)
	if res.Status != http.StatusOK {
		t.Fatalf("mail page: %d", res.Status)
	}
	for _, want := range []string{
		`<a class="mailbox-link" href="https://roster.test/a?x=1&amp;y=2" data-testid="mail-link">`,
		`Open <a href="https://roster.test/a?x=1&amp;y=2">https://roster.test/a?x=1&amp;y=2</a> now.`,
		`href="/dev/mailbox/` + first + `/html"`,
	} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("mail page lacks %s\n%s", want, res.Body)
		}
	}
	if res := cc.Get("/dev/mailbox/" + second); strings.Contains(res.Body, "mail-html-link") {
		t.Error("a text-only mail offers an HTML version")
	}

	// The HTML part, alone, under a policy of its own.
	res = cc.Get("/dev/mailbox/" + first + "/html")
	if res.Status != http.StatusOK || res.Body != "<p>First</p>" {
		t.Fatalf("HTML part: %d %q", res.Status, res.Body)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "style-src 'unsafe-inline'", "sandbox", "form-action 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("HTML part CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "script-src") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("HTML part: CSP %q, Content-Type %q", csp, res.Header.Get("Content-Type"))
	}

	// Unknown mails and missing HTML parts are the 404 page.
	for _, path := range []string{"/dev/mailbox/eml_aaaaaaaaaaaaaaaaaaaaaaaaaa", "/dev/mailbox/nope/html", "/dev/mailbox/" + second + "/html"} {
		if res := cc.Get(path); res.Status != http.StatusNotFound || !strings.Contains(res.Body, "<html") {
			t.Errorf("%s: %d, want the 404 page", path, res.Status)
		}
	}
	if res := cc.Get("/dev/mailbox?page=garbage"); res.Status != http.StatusBadRequest {
		t.Errorf("a bad page token: %d, want 400", res.Status)
	}
}

func TestMailboxIsForOwners(t *testing.T) {
	srv := webtest.NewServer(t)
	id := queueMail(t, srv, store.Email{To: "ann@acme.test", Subject: "Secret link", Text: "x", HTML: "<p>x</p>"})
	for _, role := range []adminauth.Role{adminauth.Editor, adminauth.Viewer} {
		cc := webtest.NewConsoleClient(t, srv, string(role)+"@acme.test", role)
		for _, path := range []string{"/dev/mailbox", "/dev/mailbox/" + id, "/dev/mailbox/" + id + "/html"} {
			if res := cc.Get(path); res.Status != http.StatusForbidden {
				t.Errorf("%s %s: %d, want 403", role, path, res.Status)
			}
		}
	}
	visitor := webtest.NewVisitorClient(t, srv)
	if res := visitor.Get("/dev/mailbox/" + id); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
		t.Errorf("a visitor: %d to %q, want sign-in", res.Status, res.Location)
	}
}

func TestMailboxPaging(t *testing.T) {
	srv := webtest.NewServer(t)
	cc := webtest.NewConsoleClient(t, srv, "owner@acme.test", adminauth.Owner)
	for i := range 55 {
		queueMail(t, srv, store.Email{To: "u" + strconv.Itoa(i) + "@acme.test", Subject: "Mail " + strconv.Itoa(i), Text: "x"})
		srv.Clock.Advance(time.Second)
	}
	res := cc.Get("/dev/mailbox")
	if n := strings.Count(res.Body, `data-testid="mailbox-row"`); n != 50 || !strings.Contains(res.Body, ">Mail 54<") || strings.Contains(res.Body, ">Mail 4<") {
		t.Fatalf("first page: %d rows", n)
	}
	next := between(res.Body, `rel="next" href="`, `"`)
	if next == "" {
		t.Fatal("no next link")
	}
	res = cc.Get(strings.ReplaceAll(next, "&amp;", "&"))
	if n := strings.Count(res.Body, `data-testid="mailbox-row"`); n != 5 || !strings.Contains(res.Body, ">Mail 0<") {
		t.Errorf("second page: %d rows", n)
	}
	if prev := between(res.Body, `rel="prev" href="`, `"`); prev == "" {
		t.Error("no previous link on the second page")
	} else if res := cc.Get(strings.ReplaceAll(prev, "&amp;", "&")); !strings.Contains(res.Body, ">Mail 54<") {
		t.Error("previous page is not the first")
	}
}

func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return v
}

func TestMailboxInBrowser(t *testing.T) {
	srv := webtest.NewServer(t)
	b := testkit.NewBrowser(t)
	k := browserKit{t, b}
	webtest.SignInAdmin(t, srv, b, "owner@acme.test", adminauth.Owner)
	queueMail(t, srv, store.Email{To: "old@acme.test", Subject: "An older mail", Text: "Nothing to click.\n"})
	srv.Clock.Advance(time.Hour)
	inviteByMail(t, srv, "Acme Rockets", "ann@acme.test")

	b.Run(chromedp.Navigate(srv.URL + "/dev/mailbox"))
	k.waitFor("mailbox-table")
	k.noProblems("mailbox")
	if got := k.text("page-title"); got != "Dev mailbox" {
		t.Errorf("title %q", got)
	}
	if !strings.Contains(k.text("mailbox-not-sending"), "Not for production") {
		t.Error("no not-for-production warning")
	}
	b.Screenshot("mailbox")

	// The newest mail is the invitation; open it and follow its link.
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="mail-open"]`)))
	k.waitFor("mail-text")
	k.noProblems("mail page")
	if got := k.text("page-title"); got != "You are invited to join Acme Rockets" {
		t.Errorf("mail title %q", got)
	}
	link := k.attr("mail-link", "href")
	if !strings.HasPrefix(link, srv.URL+"/invitations/") {
		t.Fatalf("invitation link %q", link)
	}
	b.Screenshot("mailbox-mail")
	b.Mobile()
	b.Screenshot("mailbox-mail-mobile")
	b.Run(chromedp.Navigate(srv.URL + "/dev/mailbox"))
	k.waitFor("mailbox-table")
	b.Screenshot("mailbox-mobile")
	b.Desktop()

	// The HTML version renders with its own styles, and its button is a
	// working link to the same address.
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="mail-open"]`)))
	k.waitFor("mail-html-link")
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="mail-html-link"]`)))
	b.Run(chromedp.WaitVisible(chromedp.CSS(`a`)))
	b.Screenshot("mailbox-html")
	if href := testkit.Result(b, chromedp.Evaluate[string](`document.querySelector("a").href`)); href != link {
		t.Errorf("HTML button goes to %q, want %q", href, link)
	}
	b.Run(chromedp.Click(chromedp.CSS(`a`)))
	waitForPath(t, b, "/invitations/")

	// Back on the text page, the link is clickable too.
	b.Run(chromedp.Navigate(srv.URL + "/dev/mailbox"))
	k.waitFor("mailbox-table")
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="mail-open"]`)))
	k.waitFor("mail-link")
	b.Run(chromedp.Click(chromedp.CSS(`[data-testid="mail-link"]`)))
	waitForPath(t, b, "/invitations/")
}

// waitForPath waits until the tab has navigated to a path starting with
// prefix. Evaluating while the old page goes away can fail, so failures
// only mean "not yet".
func waitForPath(t *testing.T, b *testkit.Browser, prefix string) {
	t.Helper()
	path := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(b.Context(), time.Second)
		p, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
		cancel()
		if err == nil {
			if path = p; strings.HasPrefix(p, prefix) {
				return
			}
		}
	}
	t.Errorf("the tab is at %q, want %s…", path, prefix)
}
