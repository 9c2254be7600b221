package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"roster/internal/database"
	"roster/internal/testkit"

	"roster/internal/model"
)

// runRoster runs the binary with Roster's settings from extraEnv only.
func runRoster(t *testing.T, extraEnv []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(rosterBin, args...)
	cmd.Env = env(extraEnv...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if _, isExit := err.(*exec.ExitError); err != nil && !isExit {
		t.Fatalf("roster %v: %v", args, err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// cli runs commands against one test database and fails the test on an
// unexpected exit status.
type cli struct {
	t   *testing.T
	env []string
}

func (c cli) ok(args ...string) string {
	c.t.Helper()
	out, errOut, code := runRoster(c.t, c.env, args...)
	if code != 0 {
		c.t.Fatalf("roster %s: exit %d\nstderr: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// fails runs a command that must fail with status 1 and returns its stderr.
func (c cli) fails(args ...string) string {
	c.t.Helper()
	out, errOut, code := runRoster(c.t, c.env, args...)
	if code != 1 {
		c.t.Fatalf("roster %s: exit %d, want 1\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return errOut
}

// okJSON runs a command with --format json; its stdout must be exactly one
// JSON value.
func (c cli) okJSON(v any, args ...string) {
	c.t.Helper()
	out := c.ok(append(args, "--format", "json")...)
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(v); err != nil {
		c.t.Fatalf("roster %s: stdout is not the JSON expected: %v\n%s", strings.Join(args, " "), err, out)
	}
	if dec.More() {
		c.t.Fatalf("roster %s: more than one JSON value on stdout:\n%s", strings.Join(args, " "), out)
	}
}

// orgJSON and userJSON read the fields the tests look at from the API's
// organization and user objects, which the CLI prints.
type orgJSON struct {
	ID          string  `json:"id"`
	DisplayName string  `json:"display_name"`
	Slug        *string `json:"slug"`
	ExternalID  *string `json:"external_id"`
}

type userJSON struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	UserProfile struct {
		Name *string `json:"name"`
	} `json:"user_profile"`
	Memberships []struct {
		OrganizationID     string          `json:"organization_id"`
		MembershipStatus   string          `json:"membership_status"`
		ProvisioningMethod string          `json:"provisioning_method"`
		Roles              []model.RoleRef `json:"roles"`
		Permissions        []string        `json:"permissions"`
		JoinTime           *string         `json:"join_time"`
	} `json:"memberships"`
}

type orgPage struct {
	Organizations []orgJSON `json:"organizations"`
	NextPageToken string    `json:"next_page_token"`
	PrevPageToken string    `json:"prev_page_token"`
	TotalSize     int       `json:"total_size"`
}

type userPage struct {
	Users         []userJSON `json:"users"`
	NextPageToken string     `json:"next_page_token"`
	PrevPageToken string     `json:"prev_page_token"`
	TotalSize     int        `json:"total_size"`
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

func TestCLIDirectory(t *testing.T) {
	t.Parallel()
	dbURL := testkit.NewDBURL(t)
	c := cli{t: t, env: []string{"DATABASE_URL=" + dbURL}}

	var acme orgJSON
	c.okJSON(&acme, "org", "create", "--name", "Acme Corp", "--slug", "acme", "--external-id", "ext-acme",
		"--admin-email", "alice@acme.test")
	if !strings.HasPrefix(acme.ID, "org_") || acme.DisplayName != "Acme Corp" || acme.Slug == nil || *acme.Slug != "acme" {
		t.Fatalf("org create printed %+v", acme)
	}
	out := c.ok("org", "create", "--name", "Beta")
	mustContain(t, "org create's table", out, "ID", "NAME", "Beta")

	// A refused org leaves no half-made admin behind, and the message is the
	// service's, without the driver's error under it.
	errOut := c.fails("org", "create", "--name", "Acme again", "--slug", "acme", "--admin-email", "stray@acme.test")
	mustContain(t, "stderr", errOut, "slug is already used by another organization")
	if strings.Contains(errOut, "pq:") {
		t.Errorf("stderr shows the driver's error: %s", errOut)
	}
	mustContain(t, "stderr", c.fails("user", "show", "stray@acme.test"), "user not found")

	var orgs orgPage
	c.okJSON(&orgs, "org", "list")
	if orgs.TotalSize != 2 || len(orgs.Organizations) != 2 || orgs.Organizations[0].ID != acme.ID {
		t.Errorf("org list: %+v", orgs)
	}
	c.okJSON(&orgs, "org", "list", "--external-id", "ext-acme")
	if len(orgs.Organizations) != 1 || orgs.Organizations[0].ID != acme.ID {
		t.Errorf("org list --external-id: %+v", orgs)
	}
	c.okJSON(&orgs, "org", "list", "--page-size", "1")
	if len(orgs.Organizations) != 1 || orgs.NextPageToken == "" {
		t.Fatalf("org list --page-size 1: %+v", orgs)
	}
	c.okJSON(&orgs, "org", "list", "--page-size", "1", "--page-token", orgs.NextPageToken)
	if len(orgs.Organizations) != 1 || orgs.Organizations[0].DisplayName != "Beta" {
		t.Errorf("second page: %+v", orgs)
	}
	mustContain(t, "org list's table", c.ok("org", "list"), acme.ID, "Acme Corp", "acme", "ext-acme", "Beta")
	// Beta's unset slug and external id are left out, as the API leaves them, not null.
	if out := c.ok("org", "list", "--format", "json"); strings.Contains(out, "null") {
		t.Errorf("org list --format json prints null:\n%s", out)
	}

	// The creator is the org's first member, as admin. Flags may follow the email.
	var alice userJSON
	c.okJSON(&alice, "user", "show", "alice@acme.test")
	if len(alice.Memberships) != 1 {
		t.Fatalf("alice's memberships: %+v", alice.Memberships)
	}
	m := alice.Memberships[0]
	if m.OrganizationID != acme.ID || m.MembershipStatus != "ACTIVE" || m.ProvisioningMethod != "org_creator" ||
		len(m.Roles) != 1 || m.Roles[0].Name != "admin" || m.JoinTime == nil {
		t.Errorf("alice's membership: %+v", m)
	}
	// admin extends member, so both roles' permissions are effective.
	for _, p := range []string{"members:remove", "members:read"} {
		if !slices.Contains(m.Permissions, p) {
			t.Errorf("alice lacks %s: %v", p, m.Permissions)
		}
	}

	var bob userJSON
	c.okJSON(&bob, "member", "add", "--org", acme.ID, "--email", "bob@acme.test")
	if len(bob.Memberships) != 1 || bob.Memberships[0].MembershipStatus != "ACTIVE" || bob.Memberships[0].Roles[0].Name != "member" {
		t.Errorf("bob after member add: %+v", bob.Memberships)
	}
	out = c.ok("member", "add", "--org", acme.ID, "--email", "carol@acme.test", "--role", "admin", "--role", "member", "--invite")
	mustContain(t, "member add --invite", out, "carol@acme.test", "PENDING_INVITE", "admin,member")
	mustContain(t, "stderr", c.fails("member", "add", "--org", acme.ID, "--email", "bob@acme.test"), "already a member")
	c.fails("member", "add", "--org", acme.ID, "--email", "dan@acme.test", "--role", "no_such_role")
	mustContain(t, "stderr", c.fails("member", "add", "--org", "org_nonexistent", "--email", "dan@acme.test"), "organization not found")

	if out := c.ok("user", "show", bob.ID, "--format", "json"); strings.Contains(out, "null") {
		t.Errorf("user show --format json prints null for bob's unset fields:\n%s", out)
	}
	out = c.ok("user", "show", bob.ID)
	mustContain(t, "user show", out, bob.ID, "bob@acme.test", acme.ID, "Acme Corp", "ACTIVE", "member")

	// The service's rule holds on the command line too.
	errOut = c.fails("member", "remove", "--org", acme.ID, "--email", "alice@acme.test")
	mustContain(t, "stderr", errOut, "last active admin")

	out = c.ok("member", "remove", "--org", acme.ID, "--user", bob.ID, "--keep-user")
	mustContain(t, "member remove", out, "removed "+bob.ID)
	mustContain(t, "user show", c.ok("user", "show", "bob@acme.test"), "No memberships.")

	// With --delete-user, a user left with no org goes too.
	if _, _, code := runRoster(t, c.env, "member", "remove", "--org", acme.ID, "--email", "carol@acme.test", "--keep-user", "--delete-user"); code != 2 {
		t.Errorf("--keep-user with --delete-user: exit %d, want 2", code)
	}
	out = c.ok("member", "remove", "--org", acme.ID, "--email", "carol@acme.test", "--delete-user")
	mustContain(t, "member remove", out, "removed carol@acme.test", "deleted user")
	c.fails("user", "show", "carol@acme.test")

	var users userPage
	c.okJSON(&users, "user", "list")
	if users.TotalSize != 2 || len(users.Users) != 2 || users.Users[0].Email != "alice@acme.test" {
		t.Errorf("user list: %+v", users)
	}
	c.okJSON(&users, "user", "list", "--query", "bob@")
	if len(users.Users) != 1 || users.Users[0].ID != bob.ID {
		t.Errorf("user list --query bob@: %+v", users)
	}
	mustContain(t, "stderr", c.fails("user", "list", "--query", "ab"), "query: must be 3 to 100 characters")
	mustContain(t, "user list's table", c.ok("user", "list"), "EMAIL", "alice@acme.test", "bob@acme.test")
	c.fails("user", "show", "--external-id", "nobody")

	// Every change above is in the audit log as the operator's.
	ctx := context.Background()
	db, err := database.Open(ctx, dbURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var actions []string
	if err := db.Select(&actions, `SELECT DISTINCT action FROM audit_events ORDER BY action`); err != nil {
		t.Fatal(err)
	}
	want := []string{"membership.created", "membership.removed", "organization.created", "user.created", "user.deleted"}
	for _, a := range want {
		if !slices.Contains(actions, a) {
			t.Errorf("audit log lacks %s: %v", a, actions)
		}
	}
	var others int
	if err := db.Get(&others, `SELECT count(*) FROM audit_events WHERE actor_type <> 'admin' OR actor_label NOT LIKE 'cli:_%'`); err != nil {
		t.Fatal(err)
	}
	if others != 0 {
		t.Errorf("%d audit events are not the command line's", others)
	}
}

func TestCLIUsage(t *testing.T) {
	t.Parallel()
	// A case that wrongly got as far as the database fails fast here.
	noDB := []string{"DATABASE_URL=postgres://127.0.0.1:1/none"}
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"org"}, 2, "", "Usage: roster org <action>"},
		{[]string{"org", "frob"}, 2, "", `unknown action "frob"`},
		{[]string{"org", "create"}, 2, "", "--name is required"},
		{[]string{"org", "create", "--name", "x", "--format", "xml"}, 2, "", "want table or json"},
		{[]string{"org", "list", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"org", "list", "--page-size", "many"}, 2, "", "invalid value"},
		{[]string{"user", "show"}, 2, "", "name the user"},
		{[]string{"user", "show", "a@b.test", "--external-id", "x"}, 2, "", "not two of them"},
		{[]string{"user", "show", "a@b.test", "b@b.test"}, 2, "", "want one user"},
		{[]string{"member", "add", "--org", "org_x"}, 2, "", "--org and --email are required"},
		{[]string{"member", "add", "--org", "o", "--email", "e", "--role", " "}, 2, "", "a role needs a name"},
		{[]string{"member", "remove", "--org", "org_x"}, 2, "", "--user or --email"},
		{[]string{"member", "remove", "--org", "o", "--user", "u", "--email", "e"}, 2, "", "--user or --email"},
		{[]string{"org", "create", "--help"}, 0, "Usage: roster org create", ""},
		{[]string{"org", "list", "-h"}, 0, "--page-token", ""},
		{[]string{"user", "--help"}, 0, "show", ""},
		{[]string{"user", "show", "--help"}, 0, "--external-id", ""},
		{[]string{"help", "member"}, 0, "remove", ""},
		{[]string{"member", "remove", "--help"}, 0, "--keep-user", ""},
		{[]string{"--help"}, 0, "member", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			t.Parallel()
			out, errOut, code := runRoster(t, noDB, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			mustContain(t, "stdout", out, tt.inStdout)
			mustContain(t, "stderr", errOut, tt.inStderr)
		})
	}
}

// TestCLIPrivateCluster runs the commands on the private cluster: alone,
// where each starts and stops it, and beside a running server, where they
// attach to the server's.
func TestCLIPrivateCluster(t *testing.T) {
	t.Parallel()
	dataDir, err := os.MkdirTemp("", "roster-cli-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	c := cli{t: t, env: []string{"ROSTER_DATA_DIR=" + dataDir}}

	// A command does not change the schema behind the operator's back.
	mustContain(t, "stderr", c.fails("org", "list"), "run `roster migrate` first")
	c.ok("migrate")
	var solo orgJSON
	c.okJSON(&solo, "org", "create", "--name", "Solo", "--admin-email", "op@solo.test")
	if left := processesUsing(dataDir); len(left) > 0 {
		t.Fatalf("processes left after org create: %v", left)
	}

	s := startServe(t, dataDir)
	var orgs orgPage
	c.okJSON(&orgs, "org", "list")
	if len(orgs.Organizations) != 1 || orgs.Organizations[0].ID != solo.ID {
		t.Errorf("org list beside the server: %+v", orgs)
	}
	c.ok("member", "add", "--org", solo.ID, "--email", "second@solo.test", "--invite")
	if resp, err := http.Get(s.base + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("server unhealthy after the commands: %v %v", resp, err)
	}
	s.stop(t)
	if left := processesUsing(dataDir); len(left) > 0 {
		t.Fatalf("processes left after serve exited: %v", left)
	}

	// Seeding (COPY, dropping and rebuilding indexes) needs no superuser.
	mustContain(t, "seed's summary", c.ok("seed", "--users", "30", "--orgs", "4", "--yes"), "seed: ")
	c.okJSON(&orgs, "org", "list")
	if len(orgs.Organizations) != 5 {
		t.Errorf("org list after the seed: %d organizations, want 5", len(orgs.Organizations))
	}
}
