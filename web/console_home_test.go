package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"roster/internal/adminauth"
	"roster/web/webtest"
)

// Helpers for reading console pages, shared by the home and audit tests.

// auditParse parses a page the way a browser would.
func auditParse(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// auditFind returns the elements under n whose data-testid is id.
func auditFind(n *html.Node, id string) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && auditAttr(d, "data-testid") == id {
			out = append(out, d)
		}
	}
	return out
}

// auditOne returns the one element with data-testid id.
func auditOne(t *testing.T, n *html.Node, id string) *html.Node {
	t.Helper()
	found := auditFind(n, id)
	if len(found) != 1 {
		t.Fatalf("%d elements with data-testid=%q, want 1", len(found), id)
	}
	return found[0]
}

func auditAttr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// auditText is the element's text with runs of white space made one space.
func auditText(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// homeExec runs SQL on the test server's database.
func homeExec(t *testing.T, srv *webtest.Server, query string, args ...any) {
	t.Helper()
	if _, err := srv.DB.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// homeFixture fills the directory with a known shape around the server's
// clock (testkit.Epoch, 2026-01-15 09:00 UTC): the chart covers Dec 17 to
// Jan 15. It returns the ids of the two orgs.
func homeFixture(t *testing.T, srv *webtest.Server) (acme, beta string) {
	t.Helper()
	day := func(offset int, clock string) time.Time {
		d, _ := time.Parse("2006-01-02 15:04", "2026-01-15 "+clock)
		return d.AddDate(0, 0, offset)
	}
	if err := srv.DB.Get(&acme, `INSERT INTO organizations (display_name) VALUES ('Acme') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := srv.DB.Get(&beta, `INSERT INTO organizations (display_name) VALUES ('Beta') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	// Five users: two today, one yesterday, one on the chart's first day,
	// and one the day before it (counted as a user, not on the chart).
	users := map[string]time.Time{
		"ann@acme.test": day(0, "08:00"),
		"bob@acme.test": day(0, "00:00"),
		"cy@acme.test":  day(-1, "23:59"),
		"dee@beta.test": day(-29, "00:00"),
		"old@beta.test": day(-30, "23:59"),
	}
	ids := map[string]string{}
	for email, at := range users {
		var id string
		if err := srv.DB.Get(&id, `INSERT INTO users (email, created_at) VALUES ($1, $2) RETURNING id`, email, at); err != nil {
			t.Fatal(err)
		}
		ids[email] = id
	}
	// Three active memberships, two pending invitations, one inactive.
	for _, m := range []struct{ user, org, status string }{
		{"ann@acme.test", acme, "ACTIVE"},
		{"bob@acme.test", acme, "ACTIVE"},
		{"ann@acme.test", beta, "ACTIVE"},
		{"cy@acme.test", acme, "PENDING_INVITE"},
		{"dee@beta.test", beta, "PENDING_INVITE"},
		{"old@beta.test", beta, "INACTIVE"},
	} {
		homeExec(t, srv, `INSERT INTO memberships (user_id, organization_id, status, provisioning_method, joined_at, invite_expires_at)
			VALUES ($1, $2, $3, 'direct_provision', now(), now() + interval '15 days')`, ids[m.user], m.org, m.status)
	}
	// Sign-ins: three today, one on the chart's first day, one before it.
	for i, s := range []struct {
		user string
		at   time.Time
	}{
		{"ann@acme.test", day(0, "08:30")},
		{"ann@acme.test", day(0, "08:45")},
		{"bob@acme.test", day(0, "00:00")},
		{"dee@beta.test", day(-29, "12:00")},
		{"old@beta.test", day(-30, "23:59")},
	} {
		homeExec(t, srv, `INSERT INTO sessions (token_hash, user_id, created_at, last_active_at, idle_expires_at, absolute_expires_at)
			VALUES ($1, $2, $3, $3, $3::timestamptz + interval '1 day', $3::timestamptz + interval '30 days')`,
			[]byte{byte(i)}, ids[s.user], s.at)
	}
	return acme, beta
}

func TestHomeShowsTotalsAndActivity(t *testing.T) {
	srv := webtest.NewServer(t)
	homeFixture(t, srv)
	cc := webtest.NewConsoleClient(t, srv, "vic@acme.test", adminauth.Viewer) // viewers read it too

	res := cc.Get("/")
	wantStatus(t, "GET /", res, http.StatusOK)
	doc := auditParse(t, res.Body)
	if got := auditText(auditOne(t, doc, "page-title")); got != "Roster" {
		t.Errorf("h1 = %q", got)
	}
	auditOne(t, doc, "nav")
	if len(auditFind(doc, "getting-started")) != 0 {
		t.Error("the getting-started state shows on a directory with data")
	}
	for id, want := range map[string]string{
		"stat-organizations":       "2",
		"stat-users":               "5",
		"stat-active-members":      "3",
		"stat-pending-invitations": "2",
	} {
		stat := auditOne(t, doc, id)
		if got := auditAttr(stat, "data-value"); got != want {
			t.Errorf("%s = %s, want %s", id, got, want)
		}
		if auditAttr(stat, "data-estimated") != "false" {
			t.Errorf("%s is marked estimated on a tiny directory", id)
		}
	}

	// Each chart has 30 days, Dec 17 to Jan 15, with the counts of its day.
	for chart, want := range map[string]map[string]string{
		"chart-sign-ins-table":  {"2025-12-17": "1", "2026-01-14": "0", "2026-01-15": "3"},
		"chart-new-users-table": {"2025-12-17": "1", "2026-01-14": "1", "2026-01-15": "2"},
	} {
		activeDays := map[string]int{"chart-sign-ins-table": 2, "chart-new-users-table": 3}[chart]
		rows := auditFind(auditOne(t, doc, chart), "chart-row")
		if len(rows) != 30 {
			t.Fatalf("%s: %d days, want 30", chart, len(rows))
		}
		if first, last := auditAttr(rows[0], "data-day"), auditAttr(rows[29], "data-day"); first != "2025-12-17" || last != "2026-01-15" {
			t.Errorf("%s: days %s to %s, want 2025-12-17 to 2026-01-15", chart, first, last)
		}
		active := 0
		for _, r := range rows {
			if v, ok := want[auditAttr(r, "data-day")]; ok && auditAttr(r, "data-value") != v {
				t.Errorf("%s: %s = %s, want %s", chart, auditAttr(r, "data-day"), auditAttr(r, "data-value"), v)
			}
			if auditAttr(r, "data-value") != "0" {
				active++
			}
		}
		if active != activeDays {
			t.Errorf("%s: %d days with activity, want %d", chart, active, activeDays)
		}
	}
	if got := auditText(auditOne(t, doc, "chart-sign-ins-total")); got != "4 in 30 days" {
		t.Errorf("sign-ins total = %q", got)
	}
	// The drawing says what it shows to those who cannot see it.
	svg := auditOne(t, doc, "chart-new-users")
	var label string
	for d := range svg.Descendants() {
		if d.Type == html.ElementNode && d.Data == "svg" {
			label = auditAttr(d, "aria-label")
		}
	}
	if want := "New users per day from Dec 17 to Jan 15: 4 in total, most on Jan 15 (2)."; label != want {
		t.Errorf("chart label = %q, want %q", label, want)
	}

	// The window follows the server's clock: a week later, today's users
	// are still on the chart and the first day's have left it. (A new
	// console session: the first one has timed out by then.)
	srv.Clock.Advance(7 * 24 * time.Hour)
	cc = webtest.NewConsoleClient(t, srv, "vic@acme.test", adminauth.Viewer)
	doc = auditParse(t, cc.Get("/").Body)
	rows := auditFind(auditOne(t, doc, "chart-new-users-table"), "chart-row")
	if got := auditAttr(rows[29], "data-day"); got != "2026-01-22" {
		t.Errorf("a week later the chart ends on %s", got)
	}
	if got := auditAttr(rows[22], "data-value"); got != "2" {
		t.Errorf("a week later Jan 15 shows %s new users, want 2", got)
	}
	for _, r := range rows {
		if auditAttr(r, "data-day") == "2025-12-17" {
			t.Error("a week later Dec 17 is still on the chart")
		}
	}
}

func TestHomeEmptyStates(t *testing.T) {
	srv := webtest.NewServer(t)
	cc := webtest.NewConsoleClient(t, srv, "owner@acme.test", adminauth.Owner)

	// Nothing at all: the first steps, no numbers.
	doc := auditParse(t, cc.Get("/").Body)
	auditOne(t, doc, "getting-started")
	if len(auditFind(doc, "totals")) != 0 || len(auditFind(doc, "activity")) != 0 {
		t.Error("an empty directory shows totals or charts")
	}
	if got := auditText(auditOne(t, doc, "empty-state")); !strings.Contains(got, "Create an organization") {
		t.Errorf("the empty state says %q", got)
	}

	// Users but no organization: say to create one.
	homeExec(t, srv, `INSERT INTO users (email) VALUES ('ann@acme.test')`)
	doc = auditParse(t, cc.Get("/").Body)
	if got := auditText(auditOne(t, doc, "no-organizations")); !strings.Contains(got, "Create an organization") {
		t.Errorf("no-organizations says %q", got)
	}

	// An organization but no users: say to invite people.
	homeExec(t, srv, `DELETE FROM users`)
	homeExec(t, srv, `INSERT INTO organizations (display_name) VALUES ('Acme')`)
	doc = auditParse(t, cc.Get("/").Body)
	if got := auditText(auditOne(t, doc, "no-users")); !strings.Contains(got, "invite") {
		t.Errorf("no-users says %q", got)
	}
	auditOne(t, doc, "chart-sign-ins")
}

// TestHomeEstimatesLargeTables: past the exact-count cap the page shows the
// planner's estimate, marked as such, instead of counting every row.
func TestHomeEstimatesLargeTables(t *testing.T) {
	srv := webtest.NewServer(t)
	homeExec(t, srv, `INSERT INTO users (email, created_at)
		SELECT 'u' || i || '@example.com', '2025-01-01'::timestamptz FROM generate_series(1, 10050) AS i`)
	homeExec(t, srv, `ANALYZE users`)
	cc := webtest.NewConsoleClient(t, srv, "owner@acme.test", adminauth.Owner)
	doc := auditParse(t, cc.Get("/").Body)
	stat := auditOne(t, doc, "stat-users")
	if auditAttr(stat, "data-estimated") != "true" {
		t.Error("users over the cap are not marked estimated")
	}
	if n, _ := strconv.Atoi(auditAttr(stat, "data-value")); n < 10001 || n > 10100 {
		t.Errorf("users = %d, want an estimate near 10,050", n)
	}
	if got := auditText(stat); !strings.Contains(got, "≈") || !strings.Contains(got, "10,0") {
		t.Errorf("the stat reads %q", got)
	}
}
