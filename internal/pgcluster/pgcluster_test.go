package pgcluster

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

// tempDataDir is made with os.MkdirTemp rather than t.TempDir: Start hands
// parts of it to the postgres user, which t.TempDir's cleanup does not expect.
func tempDataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if pids := processesUsing(dir); len(pids) > 0 {
			t.Errorf("processes still use %s: %v", dir, pids)
		}
		os.RemoveAll(dir)
	})
	return dir
}

func start(t *testing.T, dir string) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	return c
}

// open connects as Roster does, as AppUser to its database "roster".
func open(t *testing.T, c *Cluster) *sql.DB {
	t.Helper()
	if err := c.CreateDatabase(context.Background(), "roster"); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", c.URL("roster"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec1(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// processesUsing lists the processes whose command line mentions dir or
// that work inside it (PostgreSQL backends retitle themselves, but keep
// the data directory as working directory).
func processesUsing(dir string) []string {
	entries, _ := os.ReadDir("/proc")
	var found []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		cwd, _ := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if strings.Contains(string(b), dir) || strings.HasPrefix(cwd, dir) {
			found = append(found, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return found
}

func TestStartStopRestartKeepsData(t *testing.T) {
	dir := tempDataDir(t)
	c := start(t, dir)
	if c.Attached() {
		t.Fatal("first Start attached")
	}
	db := open(t, c)
	exec1(t, db, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('hello')`)
	var trgm int
	if err := db.QueryRow(`SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'`).Scan(&trgm); err != nil || trgm != 1 {
		t.Fatalf("pg_trgm not available: %v", err)
	}
	db.Close()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if pids := processesUsing(dir); len(pids) > 0 {
		t.Fatalf("processes left after Stop: %v", pids)
	}

	c = start(t, dir)
	var v string
	if err := open(t, c).QueryRow(`SELECT v FROM kept`).Scan(&v); err != nil || v != "hello" {
		t.Fatalf("after restart: %q, %v", v, err)
	}
	if err := c.CreateDatabase(context.Background(), "roster"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(context.Background(), "roster"); err != nil {
		t.Fatalf("second CreateDatabase: %v", err)
	}
}

func TestStalePidFile(t *testing.T) {
	dir := tempDataDir(t)
	c := start(t, dir)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}

	// A process that has exited, as after a crash...
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	// ...and a live process that is not the server, as after a reboot
	// handed the old pid to something else.
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()

	for _, pid := range []int{dead.Process.Pid, sleeper.Process.Pid} {
		pidFile := filepath.Join(dir, "pgdata", "postmaster.pid")
		fake := strconv.Itoa(pid) + "\n" + filepath.Join(dir, "pgdata") + "\n1700000000\n5999\n\n127.0.0.1\n0 0\nready   \n"
		if err := os.WriteFile(pidFile, []byte(fake), 0o600); err != nil {
			t.Fatal(err)
		}
		c := start(t, dir)
		if c.Attached() {
			t.Fatalf("pid %d: attached to a stale pid file", pid)
		}
		if err := open(t, c).Ping(); err != nil {
			t.Fatal(err)
		}
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAttach(t *testing.T) {
	dir := tempDataDir(t)
	// Two Starts at once on a fresh directory: one creates and starts the
	// cluster, the other waits for it and attaches.
	var wg sync.WaitGroup
	clusters := make([]*Cluster, 2)
	for i := range clusters {
		wg.Go(func() { clusters[i] = start(t, dir) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	owner, other := clusters[0], clusters[1]
	if owner.Attached() {
		owner, other = other, owner
	}
	if owner.Attached() || !other.Attached() {
		t.Fatalf("want one owner and one attached, got attached=%v,%v", owner.Attached(), other.Attached())
	}
	if other.URL("x") != owner.URL("x") || other.Pid() != owner.Pid() {
		t.Fatalf("attached to %s pid %d, server is %s pid %d", other.URL("x"), other.Pid(), owner.URL("x"), owner.Pid())
	}
	exec1(t, open(t, other), `CREATE TABLE t (id int)`)

	if err := other.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := open(t, owner).Ping(); err != nil {
		t.Fatalf("server gone after the attached Stop: %v", err)
	}
	if err := owner.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestFindBinDir(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"9.6", "15", "10"} {
		bin := filepath.Join(root, v, "bin")
		os.MkdirAll(bin, 0o755)
		for _, name := range []string{"postgres", "initdb"} {
			os.WriteFile(filepath.Join(bin, name), nil, 0o755)
		}
	}
	os.MkdirAll(filepath.Join(root, "16", "bin"), 0o755) // client only: no server
	old := debianRoot
	debianRoot = root
	defer func() { debianRoot = old }()
	t.Setenv("PATH", "")

	got, err := FindBinDir()
	if want := filepath.Join(root, "15", "bin"); err != nil || got != want {
		t.Fatalf("FindBinDir() = %q, %v; want %q", got, err, want)
	}

	debianRoot = filepath.Join(root, "missing")
	if _, err := FindBinDir(); err != ErrNoBinaries || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want ErrNoBinaries on one line, got %v", err)
	}
}
