package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"roster/internal/adminauth"
	"roster/internal/audit"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// auditEvent is one row for auditInsert; empty fields are NULL.
type auditEvent struct {
	at                        time.Time
	actorType, actorID, label string
	action, org, user         string
	orgName, userLabel        string // the names the event keeps
	changes                   string // JSON; "{}" when empty
}

// auditInsert writes events straight into the log and returns their ids in
// the order given.
func auditInsert(t *testing.T, srv *webtest.Server, events ...auditEvent) []string {
	t.Helper()
	ids := make([]string, len(events))
	for i, ev := range events {
		if ev.changes == "" {
			ev.changes = "{}"
		}
		if ev.actorType == "" {
			ev.actorType = "admin"
		}
		err := srv.DB.Get(&ids[i], `INSERT INTO audit_events (occurred_at, actor_type, actor_id, actor_label, action,
				organization_id, user_id, target_type, target_id, changes, ip, user_agent, request_id,
				organization_name, user_label)
			VALUES ($1, $2, nullif($3, ''), nullif($4, ''), $5, nullif($6, ''), nullif($7, ''), 'thing', 'thing_1', $8,
				'203.0.113.9', 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0', 'req-`+fmt.Sprint(i)+`',
				nullif($9, ''), nullif($10, ''))
			RETURNING id`,
			ev.at, ev.actorType, ev.actorID, ev.label, ev.action, ev.org, ev.user, ev.changes, ev.orgName, ev.userLabel)
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// auditIDs fetches path and returns the ids of the entries listed, in order.
func auditIDs(t *testing.T, cc *webtest.ConsoleClient, path string) []string {
	t.Helper()
	res := cc.Get(path)
	wantStatus(t, "GET "+path, res, http.StatusOK)
	var ids []string
	for _, n := range auditFind(auditParse(t, res.Body), "audit-entry") {
		ids = append(ids, auditAttr(n, "data-event-id"))
	}
	return ids
}

func TestAuditLogFilters(t *testing.T) {
	srv := webtest.NewServer(t)
	cc := webtest.NewConsoleClient(t, srv, "vic@acme.test", adminauth.Viewer)
	homeExec(t, srv, `DELETE FROM audit_events`) // the console sign-in's own event
	at := func(day, hour int) time.Time { return time.Date(2026, time.January, day, hour, 0, 0, 0, time.UTC) }
	const orgA, orgB = "org_aaaaaaaaaaaaaaaaaaaaaaaaaa", "org_bbbbbbbbbbbbbbbbbbbbbbbbbb"
	const userA, userB = "usr_aaaaaaaaaaaaaaaaaaaaaaaaaa", "usr_bbbbbbbbbbbbbbbbbbbbbbbbbb"
	ids := auditInsert(t, srv,
		auditEvent{at: at(1, 9), actorID: "ses_ann", label: "ann@acme.test", action: "organization.created", org: orgA},
		auditEvent{at: at(2, 9), actorID: "ses_ann", label: "ann@acme.test", action: "membership.created", org: orgA, user: userA},
		auditEvent{at: at(3, 9), actorType: "api_client", actorID: "cli_billing", label: "Billing sync", action: "membership.removed", org: orgA, user: userB},
		auditEvent{at: at(4, 9), actorID: "ses_bob", label: "bob@acme.test", action: "user.updated", user: userA},
		auditEvent{at: at(5, 9), actorType: "system", label: "Roster", action: "organization.created", org: orgB},
		auditEvent{at: at(5, 23), actorType: "api_client", actorID: "cli_billing", label: "Billing sync", action: "membership.created", org: orgB, user: userB},
		auditEvent{at: at(6, 0), actorID: "ses_ann", label: "ANN@acme.test", action: "role.created", org: orgB},
	)
	newest := slices.Clone(ids)
	slices.Reverse(newest)

	for _, tt := range []struct {
		query string
		want  []int // indexes into ids, newest first
	}{
		{"", []int{6, 5, 4, 3, 2, 1, 0}},
		{"actor=ann", []int{6, 1, 0}},              // part of a label, any case
		{"actor=+Billing+", []int{5, 2}},           // trimmed
		{"actor=ses_bob", []int{3}},                // an id
		{"org=" + orgA, []int{2, 1, 0}},            // org
		{"user=" + userB, []int{5, 2}},             // user
		{"action=membership.created", []int{5, 1}}, // one action
		{"action=membership.", []int{5, 2, 1}},     // a family
		{"action=organization.", []int{4, 0}},
		{"from=2026-01-03&to=2026-01-05", []int{5, 4, 3, 2}}, // whole days, both included
		{"from=2026-01-06", []int{6}},
		{"to=2026-01-01", []int{0}},
		{"org=" + orgB + "&action=membership.&actor=billing", []int{5}},
		{"user=usr_nobody", nil},
	} {
		var want []string
		for _, i := range tt.want {
			want = append(want, ids[i])
		}
		if got := auditIDs(t, cc, "/audit?"+tt.query); !slices.Equal(got, want) {
			t.Errorf("?%s: got %v, want %v", tt.query, got, want)
		}
	}
	if got := auditIDs(t, cc, "/audit"); !slices.Equal(got, newest) {
		t.Errorf("unfiltered: %v, want newest first %v", got, newest)
	}

	// The form shows the filter in use, and the actions the log holds.
	res := cc.Get("/audit?actor=ann&action=membership.&from=2026-01-02")
	doc := auditParse(t, res.Body)
	if !strings.Contains(res.Body, `value="ann"`) || !strings.Contains(res.Body, `value="2026-01-02"`) {
		t.Error("the filter form lost what was typed")
	}
	var options, selected []string
	for n := range auditOne(t, doc, "field-action").Descendants() {
		if n.Data == "option" {
			options = append(options, auditAttr(n, "value"))
			for _, a := range n.Attr {
				if a.Key == "selected" {
					selected = append(selected, auditAttr(n, "value"))
				}
			}
		}
	}
	wantOptions := []string{"", "membership.", "membership.created", "membership.removed",
		"organization.", "organization.created", "role.", "role.created", "user.", "user.updated"}
	if !slices.Equal(options, wantOptions) {
		t.Errorf("action options = %v, want %v", options, wantOptions)
	}
	if !slices.Equal(selected, []string{"membership."}) {
		t.Errorf("selected actions = %v", selected)
	}
	auditOne(t, doc, "audit-filter-clear")

	// Nothing matches: say so, and offer to clear the filters.
	res = cc.Get("/audit?org=org_nothing")
	if got := auditText(auditOne(t, auditParse(t, res.Body), "audit-empty")); !strings.Contains(got, "No entries match") {
		t.Errorf("empty filtered log says %q", got)
	}
}

func TestAuditLogBadFilters(t *testing.T) {
	srv := webtest.NewServer(t)
	auditInsert(t, srv, auditEvent{at: testkit.Epoch, label: "ann@acme.test", action: "organization.created"})
	cc := webtest.NewConsoleClient(t, srv, "owner@acme.test", adminauth.Owner)

	for _, tt := range []struct{ query, field, message, kept string }{
		{"from=yesterday", "from", "YYYY-MM-DD", `value="yesterday"`},
		{"to=2026-02-30", "to", "YYYY-MM-DD", `value="2026-02-30"`},
		{"from=2026-01-10&to=2026-01-09", "to", "before the from date", `value="2026-01-09"`},
		{"action=" + url.QueryEscape("DROP TABLE"), "action", "must be an action", `value="DROP TABLE"`},
	} {
		res := cc.Get("/audit?" + tt.query)
		wantStatus(t, tt.query, res, http.StatusBadRequest)
		doc := auditParse(t, res.Body)
		if got := auditText(auditOne(t, doc, "error-"+tt.field)); !strings.Contains(got, tt.message) {
			t.Errorf("?%s: error beside %s = %q", tt.query, tt.field, got)
		}
		if !strings.Contains(res.Body, `aria-describedby="audit-`+tt.field+`-error"`) {
			t.Errorf("?%s: the %s input does not point at its error", tt.query, tt.field)
		}
		if !strings.Contains(res.Body, tt.kept) {
			t.Errorf("?%s: the typed value is gone", tt.query)
		}
		if n := len(auditFind(doc, "audit-entry")); n != 0 {
			t.Errorf("?%s: %d entries listed under a bad filter", tt.query, n)
		}
	}

	// A damaged page token: a message and a way back, not a broken page.
	res := cc.Get("/audit?page=garbage")
	wantStatus(t, "bad token", res, http.StatusBadRequest)
	if !strings.Contains(res.Body, "Start again from the newest entries") {
		t.Error("a bad page token is not explained")
	}
}

func TestAuditLogPages(t *testing.T) {
	srv := webtest.NewServer(t)
	// 120 events, in pairs sharing a time: pages must split ties by id.
	var events []auditEvent
	for i := range 120 {
		action := "user.updated"
		if i%6 == 0 {
			action = "organization.updated" // filtered out below
		}
		events = append(events, auditEvent{at: testkit.Epoch.Add(-time.Duration(i/2) * time.Minute), label: "ann@acme.test", action: action})
	}
	auditInsert(t, srv, events...)
	var want []string // newest first, as the log orders them
	if err := srv.DB.Select(&want, `SELECT id FROM audit_events WHERE action = 'user.updated' ORDER BY occurred_at DESC, id DESC`); err != nil {
		t.Fatal(err)
	}
	cc := webtest.NewConsoleClient(t, srv, "vic@acme.test", adminauth.Viewer)

	// Forward through every page, with the filter kept in the links.
	path := "/audit?action=user.updated"
	var got []string
	var pages []string
	for path != "" {
		res := cc.Get(path)
		wantStatus(t, path, res, http.StatusOK)
		doc := auditParse(t, res.Body)
		for _, n := range auditFind(doc, "audit-entry") {
			got = append(got, auditAttr(n, "data-event-id"))
		}
		pages = append(pages, path)
		path = ""
		for n := range auditOne(t, doc, "pagination").Descendants() {
			if auditAttr(n, "rel") == "next" {
				path = auditAttr(n, "href")
				if !strings.Contains(path, "action=user.updated") {
					t.Fatalf("the next link %q drops the filter", path)
				}
			}
		}
		if len(pages) > 5 {
			t.Fatal("paging does not end")
		}
	}
	if len(pages) != 2 || !slices.Equal(got, want) {
		t.Fatalf("%d pages listing %d entries; want 2 pages and the %d entries in order", len(pages), len(got), len(want))
	}

	// Back from the last page gives the first again.
	doc := auditParse(t, cc.Get(pages[1]).Body)
	var prev string
	for n := range auditOne(t, doc, "pagination").Descendants() {
		if auditAttr(n, "rel") == "prev" {
			prev = auditAttr(n, "href")
		}
	}
	if back := auditIDs(t, cc, prev); !slices.Equal(back, want[:50]) {
		t.Errorf("previous page from page 2 = %d entries, not page 1", len(back))
	}
}

// TestAuditEntryShowsChangesSafely makes real events through the directory
// with markup in every field a person controls, and checks both pages show
// it as text.
func TestAuditEntryShowsChangesSafely(t *testing.T) {
	srv := webtest.NewServer(t)
	dir := directory.New(srv.Store, srv.Clock)
	ctx := audit.WithActor(context.Background(), model.Actor{
		Type: "api_client", ID: "cli_x", Label: `<b>Evil</b> client`,
		IP: "198.51.100.7", UserAgent: `curl/8.0 <img src=x onerror=alert(1)>`, RequestID: "req-42",
	})
	name := "Acme"
	org, err := dir.CreateOrganization(ctx, directory.OrganizationInput{DisplayName: &name})
	if err != nil {
		t.Fatal(err)
	}
	srv.Clock.Advance(time.Minute)
	evil := `<script>alert("owned")</script>`
	if _, err := dir.UpdateOrganization(ctx, org.ID, directory.OrganizationInput{DisplayName: &evil}); err != nil {
		t.Fatal(err)
	}
	cc := webtest.NewConsoleClient(t, srv, "vic@acme.test", adminauth.Viewer)

	res := cc.Get("/audit?org=" + org.ID)
	wantStatus(t, "audit log", res, http.StatusOK)
	for _, raw := range []string{"<script>alert", "<b>Evil", "<img src=x"} {
		if strings.Contains(res.Body, raw) {
			t.Errorf("the list has %q unescaped", raw)
		}
	}
	doc := auditParse(t, res.Body)
	entries := auditFind(doc, "audit-entry")
	if len(entries) != 2 || auditAttr(entries[0], "data-action") != "organization.updated" {
		t.Fatalf("entries: %d, first %q", len(entries), auditAttr(entries[0], "data-action"))
	}
	updated := entries[0]
	if got := auditText(auditOne(t, updated, "change-from")); got != "Acme" {
		t.Errorf("from = %q", got)
	}
	if got := auditText(auditOne(t, updated, "change-to")); got != evil {
		t.Errorf("to = %q, want the markup as text", got)
	}
	if got := auditText(auditOne(t, updated, "audit-actor")); got != "API client <b>Evil</b> client" {
		t.Errorf("actor = %q", got)
	}
	// The row opens onto where the change came from.
	for id, want := range map[string]string{
		"audit-ip": "198.51.100.7", "audit-user-agent": `curl curl/8.0 <img src=x onerror=alert(1)>`, "audit-request-id": "req-42",
	} {
		if got := auditText(auditOne(t, updated, id)); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if got := auditText(auditOne(t, updated, "audit-sentence")); got != `API client <b>Evil</b> client renamed the organization Acme to `+evil {
		t.Errorf("sentence = %q", got)
	}
	// The org links to its page and to its own history.
	orgLine := auditOne(t, updated, "audit-org")
	var hrefs []string
	for n := range orgLine.Descendants() {
		if n.Data == "a" {
			hrefs = append(hrefs, auditAttr(n, "href"))
		}
	}
	if want := []string{"/organizations/" + org.ID, "/audit?org=" + org.ID}; !slices.Equal(hrefs, want) {
		t.Errorf("org links = %v, want %v", hrefs, want)
	}

	// The entry in full.
	id := auditAttr(updated, "data-event-id")
	res = cc.Get("/audit/" + id)
	wantStatus(t, "entry", res, http.StatusOK)
	for _, raw := range []string{"<script>alert", "<b>Evil", "<img src=x"} {
		if strings.Contains(res.Body, raw) {
			t.Errorf("the entry page has %q unescaped", raw)
		}
	}
	doc = auditParse(t, res.Body)
	if got := auditText(auditOne(t, doc, "page-title")); got != `API client <b>Evil</b> client renamed the organization Acme to `+evil {
		t.Errorf("h1 = %q", got)
	}
	if got := auditText(auditOne(t, doc, "audit-action")); got != "organization.updated" {
		t.Errorf("action = %q", got)
	}
	if got := auditText(auditOne(t, doc, "audit-user-agent")); got != `curl curl/8.0 <img src=x onerror=alert(1)>` {
		t.Errorf("user agent = %q", got)
	}
	if got := auditText(auditOne(t, doc, "audit-request-id")); got != "req-42" {
		t.Errorf("request id = %q", got)
	}
	if got := auditText(auditOne(t, doc, "audit-raw")); !strings.Contains(got, `"to": "\u003cscript\u003e`) && !strings.Contains(got, `"to": "<script>`) {
		t.Errorf("raw changes = %q", got)
	}
}

func TestAuditEntryNotFoundAndSignIn(t *testing.T) {
	srv := webtest.NewServer(t)
	cc := webtest.NewConsoleClient(t, srv, "vic@acme.test", adminauth.Viewer)
	for _, path := range []string{"/audit/evt_aaaaaaaaaaaaaaaaaaaaaaaaaa", "/audit/not-an-id"} {
		wantStatus(t, path, cc.Get(path), http.StatusNotFound)
	}
	// An empty log says what will appear there.
	homeExec(t, srv, `DELETE FROM audit_events`) // the console sign-in's own event
	doc := auditParse(t, cc.Get("/audit").Body)
	if got := auditText(auditOne(t, doc, "audit-empty")); !strings.Contains(got, "Nothing has changed yet") {
		t.Errorf("empty log says %q", got)
	}
	// Strangers are sent to sign in, and back to the filtered log after.
	res := webtest.NewVisitorClient(t, srv).Get("/audit?org=org_x")
	if want := "/login?return_to=" + url.QueryEscape("/audit?org=org_x"); res.Status != http.StatusSeeOther || res.Location != want {
		t.Errorf("visitor: %d %q, want 303 %q", res.Status, res.Location, want)
	}
}

// TestAuditNamesOutliveTheirObjects makes real changes through the
// directory, deletes the user and the organization they concern, and wants
// the log to still say who and what by name.
func TestAuditNamesOutliveTheirObjects(t *testing.T) {
	srv := webtest.NewServer(t)
	dir := directory.New(srv.Store, srv.Clock)
	dana := audit.WithActor(context.Background(), model.Actor{Type: "admin", ID: "ses_dana", Label: "dana@saasco.example"})
	step := func(err error) {
		t.Helper()
		srv.Clock.Advance(time.Second)
		if err != nil {
			t.Fatal(err)
		}
	}
	// This environment deletes users left without an organization, so the
	// log must name people who are gone.
	srv.DB.MustExec(`UPDATE environment_settings SET delete_users_without_memberships = true`)
	globexName, initechName := "Globex", "Initech"
	globex, err := dir.CreateOrganization(dana, directory.OrganizationInput{DisplayName: &globexName})
	step(err)
	initech, err := dir.CreateOrganization(dana, directory.OrganizationInput{DisplayName: &initechName})
	step(err)
	carolEmail, frankEmail, erinEmail := "carol@globex.example", "frank@globex.example", "erin@initech.example"
	carol, err := dir.AddMember(dana, globex.ID, directory.UserInput{Email: &carolEmail}, directory.MembershipInput{SendInvitation: true})
	step(err)
	_, err = dir.AddMember(dana, globex.ID, directory.UserInput{Email: &frankEmail}, directory.MembershipInput{})
	step(err)
	erin, err := dir.AddMember(dana, initech.ID, directory.UserInput{Email: &erinEmail}, directory.MembershipInput{})
	step(err)
	_, err = dir.CreateOrgRole(dana, globex.ID, directory.RoleInput{Name: "billing"})
	step(err)
	step(dir.DeleteOrgRole(dana, globex.ID, "billing", ""))
	step(dir.RemoveMembership(dana, globex.ID, carol.ID, nil)) // carol has no org left: she goes too
	step(dir.DeleteUser(dana, erin.ID))
	step(dir.DeleteOrganization(dana, globex.ID))
	if n := countRows(t, srv, `SELECT count(*) FROM users WHERE email IN ($1, $2, $3)`, carolEmail, frankEmail, erinEmail); n != 0 {
		t.Fatalf("%d of the users are still there", n)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM organizations WHERE id = $1`, globex.ID); n != 0 {
		t.Fatal("Globex is still there")
	}

	cc := webtest.NewConsoleClient(t, srv, "vic@acme.test", adminauth.Viewer)
	var got []string
	for _, n := range auditFind(auditParse(t, cc.Get("/audit?actor=dana").Body), "audit-sentence") {
		got = append(got, auditText(n))
	}
	want := []string{
		"dana@saasco.example deleted the organization Globex",
		"dana@saasco.example deleted the user erin@initech.example",
		"dana@saasco.example deleted the user carol@globex.example, who was left in no organization",
		"dana@saasco.example removed carol@globex.example from Globex",
		"dana@saasco.example deleted the role billing in Globex",
		"dana@saasco.example created the role billing in Globex",
		"dana@saasco.example added erin@initech.example to Initech as member",
		"dana@saasco.example created the user erin@initech.example",
		"dana@saasco.example added frank@globex.example to Globex as member",
		"dana@saasco.example created the user frank@globex.example",
		"dana@saasco.example invited carol@globex.example to Globex as member",
		"dana@saasco.example created the user carol@globex.example",
		"dana@saasco.example created the organization Initech",
		"dana@saasco.example created the organization Globex",
	}
	// Events of one transaction share its time, so their order is the ids'.
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("sentences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The org's own history, and an entry's details, name them too.
	doc := auditParse(t, cc.Get("/audit?org="+globex.ID+"&action=membership.removed").Body)
	if got := auditText(auditOne(t, doc, "audit-org")); !strings.HasPrefix(got, "Globex "+globex.ID) {
		t.Errorf("organization = %q", got)
	}
	if got := auditText(auditOne(t, doc, "audit-user")); !strings.HasPrefix(got, carolEmail+" "+carol.ID) {
		t.Errorf("user = %q", got)
	}
}

// auditCSV fetches an export and returns its rows, header first.
func auditCSV(t *testing.T, cc *webtest.ConsoleClient, path string) (*webtest.PageResponse, [][]string) {
	t.Helper()
	res := cc.Get(path)
	wantStatus(t, "GET "+path, res, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
	if err != nil {
		t.Fatalf("%s: not CSV: %v", path, err)
	}
	if want := []string{"time", "actor", "action", "sentence", "organization", "subject", "ip", "request_id"}; len(rows) == 0 || !slices.Equal(rows[0], want) {
		t.Fatalf("%s: header %v, want %v", path, rows[:min(1, len(rows))], want)
	}
	return res, rows
}

func TestAuditExportCSV(t *testing.T) {
	srv := webtest.NewServer(t)
	cc := webtest.NewConsoleClient(t, srv, "vic@acme.test", adminauth.Viewer) // viewers read the log, so they may export it
	homeExec(t, srv, `DELETE FROM audit_events`)
	at := func(day int) time.Time { return time.Date(2026, time.January, day, 9, 0, 5, 0, time.UTC) }
	const orgA, orgB = "org_aaaaaaaaaaaaaaaaaaaaaaaaaa", "org_bbbbbbbbbbbbbbbbbbbbbbbbbb"
	acme := "Acme, \"the\" company\nInc."
	auditInsert(t, srv,
		auditEvent{at: at(1), actorID: "ses_ann", label: "ann@acme.test", action: "organization.created", org: orgA, orgName: acme},
		auditEvent{at: at(2), actorType: "api_client", actorID: "cli_x", label: `=HYPERLINK("http://evil.test","x")`,
			action: "membership.created", org: orgA, orgName: acme, user: "usr_1", userLabel: "+1@acme.test",
			changes: `{"status": "ACTIVE", "roles": ["member"]}`},
		auditEvent{at: at(3), actorID: "ses_x", label: "@SUM(A1)", action: "membership.removed", org: orgA, orgName: acme,
			user: "usr_2", userLabel: "-2@acme.test"},
		auditEvent{at: at(4), actorID: "ses_ann", label: "ann@acme.test", action: "organization.created", org: orgB, orgName: "Beta"},
	)

	res, rows := auditCSV(t, cc, "/audit.csv?org="+orgA)
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="roster-audit-20260115-090000.csv"` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	want := [][]string{
		{"2026-01-03T09:00:05Z", "'@SUM(A1)", "membership.removed", "'@SUM(A1) removed -2@acme.test from " + acme, acme, "'-2@acme.test", "203.0.113.9", "req-2"},
		{"2026-01-02T09:00:05Z", "'" + `=HYPERLINK("http://evil.test","x")`, "membership.created",
			`API client =HYPERLINK("http://evil.test","x") added +1@acme.test to ` + acme + " as member", acme, "'+1@acme.test", "203.0.113.9", "req-1"},
		{"2026-01-01T09:00:05Z", "ann@acme.test", "organization.created", "ann@acme.test created the organization " + acme, acme, "thing_1", "203.0.113.9", "req-0"},
	}
	if len(rows) != len(want)+1 {
		t.Fatalf("%d rows, want %d: %q", len(rows)-1, len(want), rows)
	}
	for i, w := range want {
		if !slices.Equal(rows[i+1], w) {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, rows[i+1], w)
		}
	}
	// The quotes and the line break in the name are quoted as CSV quotes them.
	if !strings.Contains(res.Body, `"Acme, ""the"" company`+"\nInc.\"") {
		t.Errorf("the name is not quoted in the file:\n%s", res.Body)
	}

	// Other filters hold too; nothing matching is a header alone.
	if _, rows := auditCSV(t, cc, "/audit.csv?action=organization.&from=2026-01-02"); len(rows) != 2 || rows[1][4] != "Beta" {
		t.Errorf("filtered export: %q", rows)
	}
	if _, rows := auditCSV(t, cc, "/audit.csv?actor=nobody"); len(rows) != 1 {
		t.Errorf("export of nothing: %q", rows)
	}
	// The list links to the export of what it shows.
	doc := auditParse(t, cc.Get("/audit?org="+orgA+"&page=").Body)
	if got := auditAttr(auditOne(t, doc, "audit-export"), "href"); got != "/audit.csv?org="+orgA {
		t.Errorf("export link = %q", got)
	}

	// A bad filter gets the form and its error, not a file.
	bad := cc.Get("/audit.csv?from=yesterday")
	wantStatus(t, "bad filter", bad, http.StatusBadRequest)
	if got := auditText(auditOne(t, auditParse(t, bad.Body), "error-from")); !strings.Contains(got, "YYYY-MM-DD") {
		t.Errorf("error = %q", got)
	}
	// Strangers get no file.
	if res := webtest.NewVisitorClient(t, srv).Get("/audit.csv"); res.Status != http.StatusSeeOther {
		t.Errorf("visitor: %d", res.Status)
	}
}

// TestAuditExportStreamsEveryBatch exports more events than one read
// holds, with times shared by pairs, and wants each once, in log order.
func TestAuditExportStreamsEveryBatch(t *testing.T) {
	srv := webtest.NewServer(t)
	cc := webtest.NewConsoleClient(t, srv, "vic@acme.test", adminauth.Viewer)
	homeExec(t, srv, `INSERT INTO audit_events (occurred_at, actor_type, actor_label, action, request_id)
		SELECT timestamptz '2026-01-10 00:00:00+00' - (n / 2) * interval '1 second', 'admin', 'ann@acme.test',
		       CASE WHEN n % 10 = 0 THEN 'organization.updated' ELSE 'user.updated' END, 'r' || n
		FROM generate_series(1, 1234) AS n`)
	var want []string
	if err := srv.DB.Select(&want, `SELECT request_id FROM audit_events WHERE action = 'user.updated' ORDER BY occurred_at DESC, id DESC`); err != nil {
		t.Fatal(err)
	}
	_, rows := auditCSV(t, cc, "/audit.csv?action=user.updated")
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[7])
	}
	if len(want) < 1000 || !slices.Equal(got, want) {
		t.Errorf("exported %d events, want the %d in log order", len(got), len(want))
	}
}
