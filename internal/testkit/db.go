package testkit

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"roster/internal/database"
	"roster/internal/pgcluster"
)

const templateDB = "roster_template"

// keep leaves databases and the cluster's files behind for a look afterwards.
var keep = os.Getenv("ROSTER_TEST_KEEP") == "1"

// The cluster of this test binary, started by the first NewDB. mu also
// serialises clones: PostgreSQL refuses two at once from one template.
var (
	mu         sync.Mutex
	mainCalled bool
	startErr   error
	dataDir    string
	cluster    *pgcluster.Cluster
	admin      *sql.DB  // the superuser on database "postgres", to create and drop databases
	reaperPipe *os.File // see startReaper
	reaper     *exec.Cmd
	dbSeq      int
)

// Main runs the package's tests, then stops the cluster (if a test started
// one) and removes its files. Call it from TestMain.
func Main(m *testing.M) {
	mainCalled = true
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, "testkit:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// NewDB returns a pool on a new database with every migration applied,
// closed at the end of the test.
func NewDB(t testing.TB) *sqlx.DB {
	t.Helper()
	url := NewDBURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := database.Open(ctx, url, 5)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after NewDBURL's cleanup, so it runs before the drop.
	t.Cleanup(func() { db.Close() })
	return db
}

// NewDBURL creates a new migrated database and returns its URL. The database
// is dropped at the end of the test if it passed, else kept and its URL logged.
func NewDBURL(t testing.TB) string {
	t.Helper()
	name, err := cloneTemplate(t.Name())
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	url := cluster.URL(name)
	t.Cleanup(func() {
		if keep || t.Failed() {
			t.Logf("testkit: kept database %s", url)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends connections a test (or its subprocess) left open.
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("testkit: drop database %s: %v", name, err)
		}
	})
	return url
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

func cloneTemplate(testName string) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if err := startOnce(); err != nil {
		return "", err
	}
	dbSeq++
	// The test's name helps whoever looks at a kept database; names are
	// limited to 63 bytes.
	slug := unsafeChars.ReplaceAllString(strings.ToLower(testName), "_")
	name := fmt.Sprintf("t%d_%s", dbSeq, slug)
	if len(name) > 63 {
		name = name[:63]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Owned, like everything copied from the template, by the role tests
	// connect as: the one Roster works as, which is no superuser.
	_, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" OWNER "+pq.QuoteIdentifier(pgcluster.AppUser)+" TEMPLATE "+templateDB+" STRATEGY FILE_COPY")
	if err != nil {
		return "", fmt.Errorf("clone %s: %w", templateDB, err)
	}
	return name, nil
}

// startOnce starts the cluster and migrates the template on first use, so
// test runs that need no database pay nothing. Called with mu held.
func startOnce() error {
	if cluster != nil || startErr != nil {
		return startErr
	}
	if !mainCalled {
		return fmt.Errorf("call testkit.Main(m) from TestMain in this package, so the database cluster is stopped after the tests")
	}
	startErr = start()
	return startErr
}

func start() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "roster-test-")
	if err != nil {
		return err
	}
	c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dir, Fsync: false})
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	dataDir, cluster = dir, c
	if !keep {
		if err := startReaper(); err != nil {
			return err
		}
	}
	if err := c.CreateDatabase(ctx, templateDB); err != nil {
		return err
	}
	tmpl, err := database.Open(ctx, c.URL(templateDB), 2)
	if err != nil {
		return err
	}
	err = database.Migrate(ctx, tmpl)
	tmpl.Close()
	if err != nil {
		return fmt.Errorf("migrate %s: %w", templateDB, err)
	}
	admin, err = sql.Open("postgres", c.AdminURL("postgres"))
	if err != nil {
		return err
	}
	// A clone fails while anyone is connected to the template; this way
	// nobody can be.
	_, err = admin.ExecContext(ctx, "ALTER DATABASE "+templateDB+" ALLOW_CONNECTIONS false")
	return err
}

// startReaper starts a tiny shell that outlives this test binary if it dies
// without reaching the end of Main (a panicking test, a -timeout, Ctrl-C):
// it sees its stdin close, kills what is left of the cluster (Pdeathsig
// should already have) and removes the files. A normal end writes "clean"
// first, and the shell leaves everything alone.
func startReaper() error {
	const script = `read -r state
[ "$state" = clean ] && exit 0
kill -KILL -- "-$2" 2>/dev/null
i=0
while kill -0 "$2" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
rm -rf "$1"`
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.Command("/bin/sh", "-c", script, "testkit-reaper", dataDir, strconv.Itoa(cluster.Pid()))
	cmd.Stdin = r
	// Its own process group, so a Ctrl-C meant for the tests does not stop it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("start cleanup watcher: %w", err)
	}
	reaper, reaperPipe = cmd, w
	return nil
}

// shutdown stops the cluster and removes its files unless asked to keep them.
func shutdown() error {
	mu.Lock()
	defer mu.Unlock()
	if cluster == nil {
		if dataDir != "" && !keep {
			os.RemoveAll(dataDir)
		}
		return nil
	}
	if admin != nil {
		admin.Close()
	}
	err := cluster.Stop()
	if keep {
		fmt.Fprintf(os.Stderr, "testkit: ROSTER_TEST_KEEP=1: kept the PostgreSQL cluster in %s/pgdata\n", dataDir)
		return err
	}
	if rmErr := os.RemoveAll(dataDir); err == nil {
		err = rmErr
	}
	if reaper != nil {
		fmt.Fprintln(reaperPipe, "clean")
		reaperPipe.Close()
		_ = reaper.Wait()
	}
	return err
}
