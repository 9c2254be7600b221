package importer_test

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster/internal/apperr"
	"roster/internal/importer"
	"roster/internal/model"
)

func TestDryRunWritesNothingAndCountsExactly(t *testing.T) {
	f := newFixture(t)
	opts := importer.Options{Shape: importer.OneToOne, Format: importer.CSV, BatchSize: 2}
	// From an empty directory.
	dry := f.run(importer.Options{Shape: importer.OneToOne, Format: importer.CSV, DryRun: true, BatchSize: 2}, oneToOneCSV)
	if got := f.totals(); got != "users=0 orgs=0 memberships=0 roles=0 passwords=0 audit=0" {
		t.Fatalf("dry run wrote: %s", got)
	}
	real := f.run(opts, oneToOneCSV)
	sameReport(t, dry, real)

	// A mix of creations, updates and untouched objects.
	f.clock.Advance(time.Hour)
	mixed := oneToOneCSV +
		"u5,eve@acme.test,Eve,,,,acme,Acme Inc,,,,,\n" +
		"u6,fay@initech.test,Fay,,,,initech,Initech,admin,,,,\n"
	mixed = strings.Replace(mixed, "u4,di@globex.test,Di,", "u4,di@globex.test,Diana,", 1)
	mixed = strings.Replace(mixed, "u3,cy@globex.test,,,Cy Young,false,globex,Globex,,PENDING_INVITE", "u3,cy@globex.test,,,Cy Young,false,globex,Globex,admin,ACTIVE", 1)
	before, totals := f.snapshot(), f.totals()
	dry = f.run(importer.Options{Shape: importer.OneToOne, Format: importer.CSV, DryRun: true, BatchSize: 2}, mixed)
	if f.snapshot() != before || f.totals() != totals {
		t.Fatalf("dry run changed the directory:\n%s", f.snapshot())
	}
	if !dry.DryRun || dry.Committed {
		t.Errorf("dry_run=%v committed=%v, want true, false", dry.DryRun, dry.Committed)
	}
	wantCounts(t, "users (dry)", dry.Users, c(2, 1, 3))
	wantCounts(t, "organizations (dry)", dry.Organizations, c(1, 0, 2))
	wantCounts(t, "memberships (dry)", dry.Memberships, c(2, 1, 3))
	real = f.run(opts, mixed)
	sameReport(t, dry, real)
}

func sameReport(t *testing.T, dry, real *importer.Report) {
	t.Helper()
	if dry.Users != real.Users || dry.Organizations != real.Organizations || dry.Memberships != real.Memberships ||
		len(dry.Errors) != len(real.Errors) || len(dry.Warnings) != len(real.Warnings) || dry.Rows != real.Rows {
		t.Errorf("dry run reported %+v\nreal run reported %+v", *dry, *real)
	}
}

func TestObjectsCountOnceAcrossBatches(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	b.WriteString(oneToOneHeader)
	for i := range 7 {
		org := []string{"acme", "globex"}[i%2]
		fmt.Fprintf(&b, "u%d,user%d@example.com,,,,,%s,%s,admin,,,,\n", i, i, org, strings.ToUpper(org))
	}
	// u0 is in both orgs: one user, two memberships.
	b.WriteString("u0,user0@example.com,,,,,globex,GLOBEX,member,,,,\n")
	for _, size := range []int{1, 2, 3, 100} {
		rep := f.run(importer.Options{Shape: importer.OneToOne, Format: importer.CSV, BatchSize: size}, b.String())
		wantNoErrors(t, rep)
		users, orgs, members := c(0, 0, 7), c(0, 0, 2), c(0, 0, 8)
		if size == 1 {
			users, orgs, members = c(7, 0, 0), c(2, 0, 0), c(8, 0, 0)
		}
		name := ", batch size " + strconv.Itoa(size)
		wantCounts(t, "users"+name, rep.Users, users)
		wantCounts(t, "organizations"+name, rep.Organizations, orgs)
		wantCounts(t, "memberships"+name, rep.Memberships, members)
	}
	if got := f.totals(); !strings.HasPrefix(got, "users=7 orgs=2 memberships=8 ") {
		t.Errorf("directory holds %s", got)
	}
}

func TestEmailOfAnotherUserIsRefused(t *testing.T) {
	f := newFixture(t)
	if _, err := f.db.Exec(`INSERT INTO users (email, external_id) VALUES ('ann@acme.test', 'legacy-1'), ('bob@acme.test', NULL)`); err != nil {
		t.Fatal(err)
	}
	rep := f.run(importer.Options{Shape: importer.OneToMany, Format: importer.JSONL}, jsonl(t,
		map[string]any{"type": "user", "external_id": "new-1", "email": "ANN@acme.test"},
		map[string]any{"type": "user", "external_id": "legacy-1", "email": "bob@acme.test"},
	))
	if len(rep.Errors) != 2 ||
		rep.Errors[0].Message != `email ANN@acme.test belongs to a user with another external id ("legacy-1")` ||
		!strings.HasPrefix(rep.Errors[1].Message, "email bob@acme.test belongs to another user (usr_") {
		t.Errorf("errors = %+v", rep.Errors)
	}
	wantCounts(t, "users", rep.Users, c(0, 0, 0))
}

// TestImportDoesNotChangeAnEmail: a row that would move an existing user
// to another address (say a file whose email column slipped) is refused,
// and the user keeps their address, verification, sessions and links; no
// mail goes out. The same address in other letter case is fine.
func TestImportDoesNotChangeAnEmail(t *testing.T) {
	f := newFixture(t)
	var ann, bob string
	if err := f.db.Get(&ann, `INSERT INTO users (email, email_verified, external_id) VALUES ('ann@acme.test', true, 'u1') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Get(&bob, `INSERT INTO users (email, email_verified, external_id) VALUES ('bob@acme.test', true, 'u2') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	if _, err := f.db.Exec(`INSERT INTO sessions (token_hash, user_id, idle_expires_at, absolute_expires_at)
		VALUES ('\x01', $1, $2, $2)`, ann, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`INSERT INTO one_time_tokens (purpose, token_hash, email, user_id, created_at, expires_at)
		VALUES ('password_reset', '\x02', 'ann@acme.test', $1, $2, $3)`, ann, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []importer.Options{
		{Shape: importer.OneToMany, Format: importer.JSONL, DryRun: true},
		{Shape: importer.OneToMany, Format: importer.JSONL},
	} {
		rep := f.run(opts, jsonl(t,
			map[string]any{"type": "user", "external_id": "u1", "email": "mallory@evil.test", "email_verified": true},
			map[string]any{"type": "user", "external_id": "u2", "email": "BOB@acme.test", "given_name": "Bob"},
		))
		wantErrors(t, rep.Errors, []importer.RowError{{Line: 1, Message: `user "u1" has the email ann@acme.test; ` +
			"an import does not change a user's email to another address: change it with the API (PATCH /api/v1/users/" + ann +
			"), in the console or with roster user update, which tell the old address"}})
		wantCounts(t, "users", rep.Users, c(0, 1, 0))
	}
	if n := f.count(`SELECT count(*) FROM users WHERE id = $1 AND email = 'ann@acme.test' AND email_verified`, ann); n != 1 {
		t.Error("the refused row changed the user")
	}
	if n := f.count(`SELECT count(*) FROM sessions WHERE user_id = $1 AND status = 'ACTIVE'`, ann); n != 1 {
		t.Error("the refused row ended the session")
	}
	if n := f.count(`SELECT count(*) FROM one_time_tokens WHERE user_id = $1 AND revoked_at IS NULL`, ann); n != 1 {
		t.Error("the refused row revoked the reset link")
	}
	if n := f.count(`SELECT count(*) FROM email_outbox`); n != 0 {
		t.Errorf("%d mails queued", n)
	}
	if n := f.count(`SELECT count(*) FROM users WHERE id = $1 AND email = 'BOB@acme.test' AND email_verified AND given_name = 'Bob'`, bob); n != 1 {
		t.Error("the case-only row did not keep Bob verified with the new spelling")
	}
}

func TestMemberLimitIsKept(t *testing.T) {
	f := newFixture(t)
	if _, err := f.db.Exec(`INSERT INTO organizations (display_name, external_id, max_allowed_users) VALUES ('Acme', 'acme', 2)`); err != nil {
		t.Fatal(err)
	}
	input := oneToOneHeader + "u1,a@acme.test,,,,,acme,Acme,admin,,,,\nu2,b@acme.test,,,,,acme,Acme,,PENDING_INVITE,,,\nu3,c@acme.test,,,,,acme,Acme,,,,,\n"
	rep := f.run(importer.Options{Shape: importer.OneToOne, Format: importer.CSV}, input)
	wantErrors(t, rep.Errors, []importer.RowError{{Line: 4, Message: `organization "acme" has reached its limit of 2 users`}})
	wantCounts(t, "memberships", rep.Memberships, c(2, 0, 0))
	wantCounts(t, "users", rep.Users, c(2, 0, 0))
}

func TestDatabaseRefusalSkipsOnlyThatRow(t *testing.T) {
	f := newFixture(t)
	// Stands for anything only the database catches (a value taken by a
	// parallel writer, say): the batch fails, and is retried row by row.
	if _, err := f.db.Exec(`ALTER TABLE users ADD CONSTRAINT test_no_eve CHECK (email <> 'eve@acme.test')`); err != nil {
		t.Fatal(err)
	}
	input := oneToOneCSV + "u5,eve@acme.test,Eve,,,,acme,Acme Inc,,,,,\n"
	for _, strict := range []bool{false, true} {
		rep := f.run(importer.Options{Shape: importer.OneToOne, Format: importer.CSV, Strict: strict}, input)
		if len(rep.Errors) != 1 || rep.Errors[0].Line != 6 || rep.Errors[0].Message == "" {
			t.Fatalf("strict=%v: errors = %+v, want one on line 6", strict, rep.Errors)
		}
		if strict {
			wantCounts(t, "users (strict)", rep.Users, c(0, 0, 4))
			continue
		}
		wantCounts(t, "users", rep.Users, c(4, 0, 0))
		if got := f.snapshot(); got != oneToOneWant {
			t.Errorf("directory:\n%s\nwant:\n%s", got, oneToOneWant)
		}
	}
}

func TestAuditTrail(t *testing.T) {
	f := newFixture(t)
	wantNoErrors(t, f.run(importer.Options{Shape: importer.OneToOne, Format: importer.CSV}, oneToOneCSV))
	var rows []struct {
		Action string `db:"action"`
		N      int    `db:"n"`
	}
	if err := f.db.Select(&rows, `SELECT action, count(*) AS n FROM audit_events
		WHERE actor_type = 'admin' AND actor_label = 'tester@example.com' GROUP BY action ORDER BY action`); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rows); got != "[{import.completed 1} {import.membership_created 4} {import.organization_created 2} {import.user_created 4}]" {
		t.Errorf("audit events: %s", got)
	}
	var changes model.JSONObject
	if err := f.db.Get(&changes, `SELECT changes FROM audit_events WHERE action = 'import.completed'`); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(changes["users"]) != "map[created:4 unchanged:0 updated:0]" || changes["rows"] != float64(4) {
		t.Errorf("import.completed changes: %v", changes)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE changes::text LIKE '%$2y$%' OR changes::text LIKE '%argon2id%'`); n != 0 {
		t.Errorf("%d audit events hold a password hash", n)
	}
	// Each event keeps the names of what it touched, for the log to read.
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action LIKE 'import.%'
		AND (organization_id IS NOT NULL AND organization_name IS NULL OR user_id IS NOT NULL AND user_label IS NULL)`); n != 0 {
		t.Errorf("%d import events without the names of their organization or user", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_events e JOIN users u ON u.id = e.user_id
		WHERE e.action = 'import.membership_created' AND e.user_label = u.email`); n != 4 {
		t.Errorf("%d membership events name their user by email, want 4", n)
	}
}

func TestInputsThatCannotBeRead(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		opts   importer.Options
		inputs []importer.Input
		want   string
	}{
		{"shape", importer.Options{Shape: "many-to-many", Format: importer.CSV}, []importer.Input{{Reader: strings.NewReader("")}}, "shape: must be one-to-one or one-to-many"},
		{"empty csv", importer.Options{Shape: importer.OneToOne, Format: importer.CSV}, []importer.Input{{Reader: strings.NewReader("")}}, "file: the input is empty; the first line must name the columns"},
		{"missing column", importer.Options{Shape: importer.OneToOne, Format: importer.CSV}, []importer.Input{{Name: "in.csv", Reader: strings.NewReader("user_external_id,email\n")}},
			"file: in.csv has no org_external_id column; it must have user_external_id, email, org_external_id, org_display_name"},
		{"unknown column", importer.Options{Shape: importer.OneToMany, Format: importer.CSV}, []importer.Input{{Kind: importer.Organizations, Reader: strings.NewReader("external_id,display_name,owner\n")}},
			`file: the input has an unknown column "owner"; the columns are external_id, display_name, slug, metadata`},
		{"plaintext", importer.Options{Shape: importer.OneToMany, Format: importer.CSV}, []importer.Input{{Kind: importer.Users, Reader: strings.NewReader("external_id,email,password\n")}},
			"file: the input has a password column: plaintext passwords are not imported; give password_hash (bcrypt or argon2id)"},
		{"kinds", importer.Options{Shape: importer.OneToMany, Format: importer.CSV}, []importer.Input{{Reader: strings.NewReader("")}},
			"file: one-to-many CSV takes at most one file each of users, organizations and memberships"},
	} {
		_, err := f.imp.Run(f.ctx, tc.opts, tc.inputs...)
		var e *apperr.Error
		if !errors.As(err, &e) || e.Code != apperr.ErrInvalid || e.Message != tc.want {
			t.Errorf("%s: err = %v, want INVALID_ARGUMENT %q", tc.name, err, tc.want)
		}
	}
}

func TestCSVDetails(t *testing.T) {
	f := newFixture(t)
	// A BOM, columns in another order and case, quoted commas and newlines,
	// a short row and a bad quote.
	input := "\uFEFFOrg_External_ID,org_display_name,Email,user_external_id,roles\n" +
		"acme,\"Acme, Inc.\",ann@acme.test,u1,\" admin ; member \"\n" +
		"acme,\"Acme, Inc.\",bob@acme.test\n" +
		"acme,\"Acme, Inc.\",cy@acme.test,u3,\"mem\"ber\n" +
		"acme,\"Acme, Inc.\",di@acme.test,u4,\n"
	rep := f.run(importer.Options{Shape: importer.OneToOne, Format: importer.CSV}, input)
	wantErrors(t, rep.Errors, []importer.RowError{
		{Line: 3, Message: "has 3 fields, but the header names 5 columns"},
		{Line: 4, Message: `is not valid CSV: extraneous or missing " in quoted-field`},
	})
	wantCounts(t, "users", rep.Users, c(2, 0, 0))
	if snap := f.snapshot(); !strings.Contains(snap, `org acme "Acme, Inc."`) || !strings.Contains(snap, "membership u1@acme ACTIVE direct_provision roles=admin,member") {
		t.Errorf("directory:\n%s", snap)
	}
}

// BenchmarkImportRate measures a large one-to-one import: 100,000 rows, or
// ROSTER_IMPORT_ROWS. It reports the first run, a re-run and a dry run.
//
//	go test -run '^$' -bench BenchmarkImportRate -benchtime 1x ./internal/importer
func BenchmarkImportRate(t *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("ROSTER_IMPORT_ROWS")); err == nil && v > 0 {
		n = v
	}
	f := newFixture(t)
	var b strings.Builder
	b.WriteString(oneToOneHeader)
	for i := range n {
		role := "member"
		if i%10 == 0 {
			role = "admin"
		}
		hash := ""
		if i%2 == 0 {
			hash = bcryptHash
		}
		fmt.Fprintf(&b, "u%d,user%d@example.com,Given%d,Family%d,,true,org%d,Org number %d,%s,,%s,\"{\"\"plan\"\":\"\"p%d\"\"}\",\n",
			i, i, i, i, i/10, i/10, role, hash, i%5)
	}
	input := b.String()
	for _, pass := range []string{"first run", "re-run", "dry run"} {
		opts := importer.Options{Shape: importer.OneToOne, Format: importer.CSV, DryRun: pass == "dry run"}
		start := time.Now()
		rep := f.run(opts, input)
		d := time.Since(start)
		wantNoErrors(t, rep)
		t.Logf("%s: %d rows in %v, %.0f rows/s; users %+v orgs %+v memberships %+v",
			pass, n, d.Round(time.Millisecond), float64(n)/d.Seconds(), rep.Users, rep.Organizations, rep.Memberships)
		t.ReportMetric(float64(n)/d.Seconds(), strings.ReplaceAll(pass, " ", "_")+"_rows/s")
	}
}
