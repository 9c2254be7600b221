package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"roster/internal/database"
	"roster/internal/importer"
	"roster/internal/pgcluster"
)

// importDatabase gives the test an empty database and points DATABASE_URL
// at it. This package's TestMain (serve_test.go) does not call testkit.Main,
// which testkit.NewDBURL needs, so the test runs a cluster of its own.
func importDatabase(t *testing.T) *sqlx.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "roster-import-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	if err := c.CreateDatabase(ctx, "roster"); err != nil {
		t.Fatal(err)
	}
	db, err := database.Open(ctx, c.URL("roster"), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := database.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", c.URL("roster"))
	t.Setenv("ROSTER_LOG_LEVEL", "error")
	return db
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type importRun struct {
	err            error
	stdout, stderr string
}

func runImportCommand(t *testing.T, args ...string) importRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := importCommand(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return importRun{err, stdout.String(), stderr.String()}
}

func TestImportCommand(t *testing.T) {
	if commands["import"] == nil {
		t.Fatal("import is not in the command table")
	}
	db := importDatabase(t)
	dir := t.TempDir()
	people := writeFile(t, dir, "people.csv", "user_external_id,email,given_name,org_external_id,org_display_name,roles,password_hash\n"+
		"u1,ann@acme.test,Ann,acme,Acme,admin,$2y$05$abcdefghijklmnopqrstuuHNbAKRhpaujgo33bRWs.NLUTJO3lOy2\n"+
		"u2,bob@acme.test,Bob,acme,Acme,member,\n")
	count := func(table string) int {
		var n int
		if err := db.Get(&n, "SELECT count(*) FROM "+table); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A dry run first, with its flag after the file: it reports and writes nothing.
	r := runImportCommand(t, "--shape", "one-to-one", "--format", "csv", people, "--dry-run")
	if r.err != nil {
		t.Fatalf("dry run: %v\n%s", r.err, r.stderr)
	}
	if !strings.Contains(r.stdout, "Dry run: nothing was written.") || !strings.Contains(r.stdout, "Would import 2 of 2 rows; 0 with errors.") {
		t.Errorf("dry run report:\n%s", r.stdout)
	}
	if n := count("users"); n != 0 {
		t.Fatalf("dry run created %d users", n)
	}

	r = runImportCommand(t, "--shape=one-to-one", "--format=csv", people)
	if r.err != nil {
		t.Fatalf("import: %v", r.err)
	}
	for _, want := range []string{"Imported 2 of 2 rows; 0 with errors.", "users", "2", "organizations"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "importing") {
		t.Errorf("no progress bar on stderr: %q", r.stderr)
	}
	if count("users") != 2 || count("memberships") != 2 || count("password_credentials") != 1 {
		t.Errorf("after import: %d users, %d memberships, %d passwords", count("users"), count("memberships"), count("password_credentials"))
	}
	var label string
	if err := db.Get(&label, `SELECT actor_label FROM audit_events WHERE action = 'import.completed'`); err != nil || label != cliActor().Label {
		t.Errorf("import.completed actor label %q (%v), want the operator's %q", label, err, cliActor().Label)
	}

	// Again, as JSON: nothing changes.
	r = runImportCommand(t, "--shape", "one-to-one", "--format", "csv", "--json", people)
	var rep importer.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); r.err != nil || err != nil {
		t.Fatalf("re-run: %v, %v:\n%s", r.err, err, r.stdout)
	}
	if rep.Users != (importer.Counts{Unchanged: 2}) || rep.Memberships != (importer.Counts{Unchanged: 2}) || !rep.Committed {
		t.Errorf("re-run report: %+v", rep)
	}

	// One-to-many CSV with a bad row: the good rows go in, the bad one is
	// reported by file and line, and the command fails.
	users := writeFile(t, dir, "users.csv", "external_id,email\nu1,ann@acme.test\nu3,cy@globex.test\n")
	orgs := writeFile(t, dir, "orgs.csv", "external_id,display_name,slug\nglobex,Globex,globex\n")
	members := writeFile(t, dir, "members.csv", "user_external_id,org_external_id,roles\nu1,globex,admin\nu3,globex,owner\n")
	r = runImportCommand(t, "--shape", "one-to-many", "--format", "csv", "--users", users, "--orgs", orgs, "--memberships", members)
	if r.err == nil || r.err.Error() != "1 of 5 rows have errors and were not imported" {
		t.Errorf("err = %v, want 1 bad row", r.err)
	}
	if !strings.Contains(r.stdout, `members.csv line 3: unknown role "owner"`) {
		t.Errorf("report:\n%s", r.stdout)
	}
	if count("memberships") != 3 || count("users") != 3 {
		t.Errorf("after one-to-many import: %d users, %d memberships", count("users"), count("memberships"))
	}

	// Mistakes on the command line are usage errors.
	for _, args := range [][]string{
		{"--format", "csv", people},
		{"--shape", "one-to-one", "--format", "xml", people},
		{"--shape", "one-to-one", "--format", "csv"},
		{"--shape", "one-to-many", "--format", "csv", people},
		{"--shape", "one-to-one", "--format", "csv", "--users", users, people},
	} {
		var usage *usageError
		if r := runImportCommand(t, args...); !errors.As(r.err, &usage) {
			t.Errorf("%q: err = %v, want a usage error", args, r.err)
		}
	}
}
