package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"roster/internal/database"
)

// The private cluster is private: other local users cannot reach it, nothing
// is trusted, and Roster works as a role that is no superuser. These tests
// are the attacks.

// withoutPassFile keeps lib/pq from finding a password anywhere but in a
// URL's own passfile parameter.
func withoutPassFile(t *testing.T) {
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
}

// wantAuthRefused fails unless connecting to rawURL is refused for want of
// the right password.
func wantAuthRefused(t *testing.T, rawURL string) {
	t.Helper()
	db, err := sql.Open("postgres", rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Ping()
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "28P01" { // invalid_password
		t.Errorf("connect to %s: got %v, want password authentication failed", rawURL, err)
	}
}

// withPassword replaces the passfile of a cluster URL with a password in the URL.
func withPassword(t *testing.T, rawURL, password string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("passfile")
	u.RawQuery = q.Encode()
	if password != "" {
		u.User = url.UserPassword(u.User.Username(), password)
	}
	return u.String()
}

// tcpListeners returns the TCP addresses process pid listens on.
func tcpListeners(t *testing.T, pid int) []string {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var found []string
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// sl local_address rem_address st ... inode (the tenth field)
			if len(f) >= 10 && f[3] == "0A" && inodes[f[9]] { // 0A: LISTEN
				found = append(found, f[1])
			}
		}
	}
	return found
}

// otherUser is an OS user that is neither Roster's nor the server's.
func otherUser(t *testing.T) *syscall.Credential {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// runAs runs a program as cred's user with nothing of this process's
// environment, and returns what it printed.
func runAs(t *testing.T, cred *syscall.Credential, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = "/"
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "PGCONNECT_TIMEOUT=5"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func psqlPath(t *testing.T) string {
	t.Helper()
	bin, err := FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(bin, "psql")
}

// TestPrivateCluster attacks one cluster in the ways its subtests name.
func TestPrivateCluster(t *testing.T) {
	withoutPassFile(t)
	dir := tempDataDir(t)
	c := start(t, dir)
	t.Run("listens on a private socket only", func(t *testing.T) { listensOnPrivateSocketOnly(t, dir, c) })
	t.Run("the pass file is private", func(t *testing.T) { passFileIsPrivate(t, dir, c) })
	t.Run("nothing is trusted", func(t *testing.T) { nothingIsTrusted(t, dir, c) })
	t.Run("other users cannot connect", func(t *testing.T) { otherUsersCannotConnect(t, dir, c) })
	t.Run("roster is no superuser", func(t *testing.T) { rosterIsNoSuperuser(t, dir, c) })
}

// No TCP listener, and a socket directory only the server's user can enter.
func listensOnPrivateSocketOnly(t *testing.T, dir string, c *Cluster) {
	if l := tcpListeners(t, c.Pid()); len(l) > 0 {
		t.Errorf("the server listens on TCP: %v", l)
	}
	runDir := filepath.Join(dir, "run")
	st, err := os.Stat(runDir)
	if err != nil {
		t.Fatal(err)
	}
	serverUID := uint32(os.Geteuid())
	if cred, _ := serverCredential(); cred != nil {
		serverUID = cred.Uid
	}
	if st.Mode().Perm() != 0o700 || st.Sys().(*syscall.Stat_t).Uid != serverUID {
		t.Errorf("socket directory: mode %v owner %d, want 0700 owned by the server's user %d", st.Mode().Perm(), st.Sys().(*syscall.Stat_t).Uid, serverUID)
	}
	if _, err := os.Stat(filepath.Join(runDir, ".s.PGSQL.5432")); err != nil {
		t.Errorf("no socket in %s: %v", runDir, err)
	}
	if err := open(t, c).Ping(); err != nil {
		t.Fatal(err)
	}
}

// The passwords: long, random, one per role, readable by Roster's user only.
func passFileIsPrivate(t *testing.T, dir string, _ *Cluster) {
	path := filepath.Join(dir, "pgpass")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || st.Sys().(*syscall.Stat_t).Uid != uint32(os.Geteuid()) {
		t.Errorf("pass file: mode %v owner %d, want 0600 owned by %d", st.Mode().Perm(), st.Sys().(*syscall.Stat_t).Uid, os.Geteuid())
	}
	pw, err := readPasswords(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pw.super, pw.app} {
		if len(p) < 43 { // 256 bits in base64
			t.Errorf("password %d characters long, want ≥ 43", len(p))
		}
	}
	if pw.super == pw.app {
		t.Error("both roles have the same password")
	}
}

// Without the password, or with a wrong one, no role gets in.
func nothingIsTrusted(t *testing.T, _ string, c *Cluster) {
	for _, u := range []string{c.URL("postgres"), c.AdminURL("postgres")} {
		wantAuthRefused(t, withPassword(t, u, ""))
		wantAuthRefused(t, withPassword(t, u, "guess"))
	}
}

// Another local user reaches neither the socket nor the passwords.
func otherUsersCannotConnect(t *testing.T, dir string, c *Cluster) {
	if os.Geteuid() != 0 {
		// Only root can act as another user. What stops one is the socket
		// directory's mode, which "listens on a private socket only" checks.
		t.Log("not root: cannot act as another user")
		return
	}
	nobody := otherUser(t)
	passFile := filepath.Join(dir, "pgpass")
	if out, err := runAs(t, nobody, nil, "/bin/cat", passFile); err == nil {
		t.Errorf("nobody read the pass file:\n%s", out)
	}
	// Even pointed at the pass file, psql can neither read it nor reach the socket.
	for _, role := range []string{AppUser, SuperUser} {
		out, err := runAs(t, nobody, []string{"PGPASSFILE=" + passFile}, psqlPath(t),
			"-w", "-X", "-h", filepath.Join(dir, "run"), "-U", role, "-d", "postgres", "-c", "SELECT 1")
		if err == nil || !strings.Contains(out, "Permission denied") {
			t.Errorf("psql as nobody, role %s: err %v, want permission denied on the socket\n%s", role, err, out)
		}
	}
	if err := open(t, c).Ping(); err != nil {
		t.Fatal(err)
	}
}

// Roster works as a role that is no superuser and owns its database.
func rosterIsNoSuperuser(t *testing.T, _ string, c *Cluster) {
	db := open(t, c)
	var role, owner string
	var super, createRole, createDB bool
	err := db.QueryRow(`
		SELECT current_user, rolsuper, rolcreaterole, rolcreatedb,
		       (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database())
		FROM pg_roles WHERE rolname = current_user`).Scan(&role, &super, &createRole, &createDB, &owner)
	if err != nil {
		t.Fatal(err)
	}
	if role != AppUser || super || createRole || createDB {
		t.Errorf("connected as %s (superuser %v, createrole %v, createdb %v), want %s with none of these", role, super, createRole, createDB, AppUser)
	}
	if owner != AppUser {
		t.Errorf("database roster is owned by %s, want %s", owner, AppUser)
	}
	// What only a superuser may do is refused.
	for _, q := range []string{
		`CREATE ROLE intruder LOGIN SUPERUSER`,
		`ALTER SYSTEM SET listen_addresses = '*'`,
		`COPY (SELECT 1) TO PROGRAM 'true'`,
	} {
		if _, err := db.Exec(q); err == nil {
			t.Errorf("%s: accepted", q)
		}
	}
	// Its own database it may shape, extensions included.
	exec1(t, db, `CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE TABLE own (v text); CREATE INDEX ON own USING gin (v gin_trgm_ops)`)
}

// TestTCPWhenSocketPathTooLong: too deep a data directory for a socket
// path makes the server listen on 127.0.0.1, still behind the passwords.
func TestTCPWhenSocketPathTooLong(t *testing.T) {
	withoutPassFile(t)
	base := tempDataDir(t)
	dir := filepath.Join(base, strings.Repeat("d", max(1, maxSocketPath-len(base))))
	if err := os.Chmod(base, 0o711); err != nil { // for a server run as postgres
		t.Fatal(err)
	}
	c := start(t, dir)

	l := tcpListeners(t, c.Pid())
	if len(l) != 1 || !strings.HasPrefix(l[0], "0100007F:") { // 127.0.0.1, little-endian hex
		t.Errorf("TCP listeners %v, want one on 127.0.0.1", l)
	}
	if err := open(t, c).Ping(); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{c.URL("postgres"), c.AdminURL("postgres")} {
		wantAuthRefused(t, withPassword(t, u, ""))
	}
	if os.Geteuid() == 0 {
		out, err := runAs(t, otherUser(t), nil, psqlPath(t),
			"-w", "-X", "-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", SuperUser, "-d", "postgres", "-c", "SELECT 1")
		if err == nil || !strings.Contains(out, "no password supplied") {
			t.Errorf("psql as nobody over TCP: err %v, want no password supplied\n%s", err, out)
		}
	}
}

// oldCluster makes, in dir, a cluster as Roster made them before it was
// private: pg_hba.conf trusting every local connection, no passwords, the
// server on 127.0.0.1, and the database "roster" migrated and filled by the
// superuser, who owns everything in it. It returns the instance key stored
// in it.
func oldCluster(t *testing.T, dir string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bin, err := FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	cred, err := serverCredential()
	if err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		if err := makeReachable(dir, cred); err != nil {
			t.Fatal(err)
		}
	}
	pgdata, runDir := filepath.Join(dir, "pgdata"), filepath.Join(dir, "run")
	for _, d := range []string{pgdata, runDir} {
		if err := ensureDir(d, 0o700, cred); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
	}
	run("initdb", "-D", pgdata, "-U", SuperUser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions", "--no-sync")
	// What initdb --auth=trust wrote, and a listen setting in the config
	// files that the command line must override.
	if out, err := os.ReadFile(filepath.Join(pgdata, "pg_hba.conf")); err != nil || !strings.Contains(string(out), "127.0.0.1/32            trust") {
		t.Fatalf("initdb wrote no trusting pg_hba.conf: %v\n%s", err, out)
	}
	autoConf := filepath.Join(pgdata, "postgresql.auto.conf")
	f, err := os.OpenFile(autoConf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "listen_addresses = '*'")
	f.Close()

	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	run("pg_ctl", "start", "-w", "-D", pgdata, "-l", filepath.Join(pgdata, "old.log"),
		"-o", fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=off", port, runDir))
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			run("pg_ctl", "stop", "-w", "-m", "fast", "-D", pgdata)
		}
	}
	t.Cleanup(stop)

	superURL := func(db string) string {
		return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", SuperUser, port, db)
	}
	admin, err := sql.Open("postgres", superURL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	exec1(t, admin, `CREATE DATABASE roster`)
	admin.Close()
	db, err := database.Open(ctx, superURL("roster"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := database.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	key, err := database.SecretKey(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// A little of everything the handover must move.
	exec1(t, db.DB, `
		CREATE TABLE kept (id serial PRIMARY KEY, v text);
		INSERT INTO kept (v) VALUES ('old');
		CREATE SEQUENCE standalone;
		CREATE VIEW kept_view AS SELECT v FROM kept;
		CREATE TYPE mood AS ENUM ('ok', 'not ok');
		CREATE DOMAIN short_text AS text CHECK (length(VALUE) < 10);
		CREATE FUNCTION shout(s text) RETURNS text LANGUAGE sql AS 'SELECT upper(s)';
		CREATE SCHEMA extra;
		CREATE TABLE extra.more (id int GENERATED ALWAYS AS IDENTITY, m mood, s short_text)`)
	db.Close()
	stop()
	// Its log, which anyone could read.
	if err := os.WriteFile(filepath.Join(dir, "postgres.log"), []byte("LOG: old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return key
}

func TestUpgradeFromTrustingCluster(t *testing.T) {
	withoutPassFile(t)
	dir := tempDataDir(t)
	key := oldCluster(t, dir)
	oldHBA, err := os.ReadFile(filepath.Join(dir, "pgdata", "pg_hba.conf"))
	if err != nil {
		t.Fatal(err)
	}

	c := start(t, dir)
	hba, err := os.ReadFile(filepath.Join(dir, "pgdata", "pg_hba.conf"))
	if err != nil || string(hba) != hbaConf || string(oldHBA) == hbaConf {
		t.Fatalf("pg_hba.conf after the upgrade (%v):\n%s", err, hba)
	}
	if l := tcpListeners(t, c.Pid()); len(l) > 0 {
		t.Errorf("the upgraded server listens on TCP: %v", l)
	}
	for _, name := range []string{"postgres.log", "postgres.log.1", "pgpass"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
		} else if st.Mode().Perm() != 0o600 {
			t.Errorf("%s after the upgrade: mode %v, want 0600", name, st.Mode().Perm())
		}
	}
	// The superuser that was trusted needs its password now.
	wantAuthRefused(t, withPassword(t, c.AdminURL("roster"), ""))

	ctx := context.Background()
	db, err := database.Open(ctx, c.URL("roster"), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var owner string
	if err := db.Get(&owner, `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'roster'`); err != nil || owner != AppUser {
		t.Fatalf("database owned by %q (%v), want %s", owner, err, AppUser)
	}
	// Everything outside the system schemas and extensions is AppUser's.
	var notOwned []string
	err = db.Select(&notOwned, `
		WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'),
		app AS (SELECT oid FROM pg_roles WHERE rolname = $1),
		member AS (SELECT objid FROM pg_depend WHERE deptype = 'e')
		SELECT 'schema ' || nspname FROM pg_namespace WHERE oid IN (SELECT oid FROM ns)
			AND nspowner NOT IN (SELECT oid FROM app) AND nspowner <> 'pg_database_owner'::regrole
		UNION ALL SELECT 'relation ' || oid::regclass FROM pg_class WHERE relnamespace IN (SELECT oid FROM ns)
			AND relowner NOT IN (SELECT oid FROM app) AND oid NOT IN (SELECT objid FROM member)
		UNION ALL SELECT 'routine ' || oid::regprocedure FROM pg_proc WHERE pronamespace IN (SELECT oid FROM ns)
			AND proowner NOT IN (SELECT oid FROM app) AND oid NOT IN (SELECT objid FROM member)
		UNION ALL SELECT 'type ' || oid::regtype FROM pg_type WHERE typnamespace IN (SELECT oid FROM ns)
			AND typowner NOT IN (SELECT oid FROM app) AND oid NOT IN (SELECT objid FROM member)
			AND oid NOT IN (SELECT typarray FROM pg_type WHERE oid IN (SELECT objid FROM member))`, AppUser)
	if err != nil {
		t.Fatal(err)
	}
	if len(notOwned) > 0 {
		t.Errorf("still owned by another role: %v", notOwned)
	}

	// And AppUser can use and change all of it.
	got, err := database.SecretKey(ctx, db)
	if err != nil || string(got) != string(key) {
		t.Errorf("instance key after the upgrade: %x, %v; want %x", got, err, key)
	}
	exec1(t, db.DB, `
		INSERT INTO kept (v) SELECT shout(v) FROM kept_view;
		SELECT nextval('standalone');
		INSERT INTO extra.more (m, s) VALUES ('ok', 'short');
		ALTER TABLE kept ADD COLUMN w text;
		ALTER TYPE mood ADD VALUE 'fine'`)
	if _, err := database.Down(ctx, db); err != nil {
		t.Fatalf("roll back the latest migration as %s: %v", AppUser, err)
	}
	if err := database.Migrate(ctx, db); err != nil {
		t.Fatalf("migrate as %s: %v", AppUser, err)
	}

	// A second start finds nothing left to do and the same passwords.
	db.Close()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	c = start(t, dir)
	if err := open(t, c).Ping(); err != nil {
		t.Fatal(err)
	}
}

// TestLostPassFile: a pass file that no longer matches the cluster stops the
// start at once with a hint; removing it, as the hint says, sets new passwords.
func TestLostPassFile(t *testing.T) {
	dir := tempDataDir(t)
	c := start(t, dir)
	exec1(t, open(t, c), `CREATE TABLE kept (v text)`)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "pgpass")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadPasswords(dir); err != nil { // other passwords than the server's
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := Start(ctx, Options{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), path) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("start with a wrong pass file: %v, want an error naming %s at once", err, path)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	c = start(t, dir)
	if _, err := open(t, c).Exec(`SELECT FROM kept`); err != nil {
		t.Fatal(err)
	}
}
