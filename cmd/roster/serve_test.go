package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roster/internal/database"
	"roster/internal/pgcluster"
	"roster/internal/testkit"
)

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is this process's environment without Roster's settings, plus extra.
func env(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ROSTER_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// server is a running `roster serve`.
type server struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	base           string // http://127.0.0.1:port
	done           chan struct{}
}

func startServe(t *testing.T, dataDir string, extraEnv ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}, base: "http://" + addr, done: make(chan struct{})}
	s.cmd = exec.Command(rosterBin, "serve")
	s.cmd.Env = env(append([]string{"ROSTER_DATA_DIR=" + dataDir, "ROSTER_ADDR=" + addr}, extraEnv...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.cmd.Process.Kill() // a no-op once it has exited
		<-s.done
	})

	// Poll /readyz until the deadline; the first start includes initdb.
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		resp, err := client.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-s.done:
			t.Fatalf("roster serve exited early (%v)\nstderr:\n%s", s.cmd.ProcessState, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not 200 in time (last error %v)\nstderr:\n%s", err, s.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if want := "Roster is running at " + s.base; !strings.Contains(s.stdout.String(), want) {
		t.Errorf("stdout %q does not say %q", s.stdout, want)
	}
	return s
}

// stop sends SIGTERM and expects a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("roster serve still running 30s after SIGTERM\nstderr:\n%s", s.stderr)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\nstderr:\n%s", code, s.stderr)
	}
}

// processesUsing lists processes whose command line mentions dir or that
// work inside it (PostgreSQL backends retitle themselves but keep the
// data directory as working directory).
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

// storedSecretKey reads the instance key through the running server's
// cluster, attaching to it as `roster migrate` would.
func storedSecretKey(t *testing.T, dataDir string) []byte {
	t.Helper()
	ctx := context.Background()
	c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if !c.Attached() {
		t.Fatal("started a second cluster instead of attaching to the server's")
	}
	db, err := database.Open(ctx, c.URL("roster"), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var key []byte
	if err := db.Get(&key, `SELECT value FROM instance_secrets WHERE name = 'secret_key'`); err != nil {
		t.Fatal(err)
	}
	// Everyone in the database, serve's pool included, works as the role
	// that owns it and is no superuser.
	var sessions []struct {
		Role  string `db:"usename"`
		Super bool   `db:"rolsuper"`
	}
	err = db.Select(&sessions, `
		SELECT usename, rolsuper FROM pg_stat_activity JOIN pg_roles ON rolname = usename
		WHERE datname = 'roster' AND pid <> pg_backend_pid()`)
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) == 0 {
		t.Error("roster serve has no connection to its database")
	}
	for _, s := range sessions {
		if s.Role != pgcluster.AppUser || s.Super {
			t.Errorf("a session in database roster works as %s (superuser %v), want %s", s.Role, s.Super, pgcluster.AppUser)
		}
	}
	return key
}

func TestServeOwnCluster(t *testing.T) {
	t.Parallel()
	dataDir, err := os.MkdirTemp("", "roster-serve-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })

	s := startServe(t, dataDir)
	resp, err := http.Get(s.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET / = %d, want 200", resp.StatusCode)
	}
	// A person opening the printed setup link and clicking its button lands
	// in the console as its first owner.
	var link string
	for _, line := range strings.Split(s.stdout.String(), "\n") {
		if strings.HasPrefix(line, s.base+"/login/link/") {
			link = line
		}
	}
	if link == "" {
		t.Fatalf("serve printed no setup link:\n%s", s.stdout)
	}
	b := testkit.NewBrowser(t)
	b.Run(chromedp.Navigate(link), chromedp.Click(chromedp.CSS(`[data-testid="use-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav"]`)))
	if title := strings.TrimSpace(testkit.Result(b, chromedp.Text(chromedp.CSS(`[data-testid="page-title"]`)))); title != "Roster" {
		t.Errorf("console home title = %q, want Roster", title)
	}
	if p := b.Problems(); len(p) > 0 {
		t.Errorf("the home page has problems in the browser: %v", p)
	}
	b.Screenshot("serve-home.png")
	key := storedSecretKey(t, dataDir)

	// An admin command next to the running server attaches to its cluster.
	var out, errOut bytes.Buffer
	status := exec.Command(rosterBin, "migrate", "status")
	status.Env = env("ROSTER_DATA_DIR=" + dataDir)
	status.Stdout, status.Stderr = &out, &errOut
	if err := status.Run(); err != nil {
		t.Fatalf("roster migrate status: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "applied") || strings.Contains(out.String(), "pending") {
		t.Errorf("roster migrate status printed:\n%s", out.String())
	}
	if resp, err := http.Get(s.base + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("server unhealthy after migrate status: %v %v", resp, err)
	}

	s.stop(t)
	if left := processesUsing(dataDir); len(left) > 0 {
		t.Fatalf("processes left after serve exited: %v", left)
	}

	// A second run reuses the cluster and its data.
	s = startServe(t, dataDir)
	if again := storedSecretKey(t, dataDir); !bytes.Equal(again, key) {
		t.Error("the instance secret key changed between runs")
	}
	s.stop(t)
	if left := processesUsing(dataDir); len(left) > 0 {
		t.Fatalf("processes left after the second run: %v", left)
	}
}

func TestServeAfterKill(t *testing.T) {
	t.Parallel()
	dataDir, err := os.MkdirTemp("", "roster-kill-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })

	s := startServe(t, dataDir)
	s.cmd.Process.Kill()
	<-s.done
	// The kernel kills PostgreSQL with its parent (Pdeathsig); its
	// backends notice and exit on their own.
	deadline := time.Now().Add(10 * time.Second)
	for len(processesUsing(dataDir)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("processes left 10s after roster was killed: %v", processesUsing(dataDir))
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The next start recovers the cluster despite the stale postmaster.pid.
	s = startServe(t, dataDir)
	s.stop(t)
	if left := processesUsing(dataDir); len(left) > 0 {
		t.Fatalf("processes left after serve exited: %v", left)
	}
}

func TestServeBadSetting(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(rosterBin, "serve")
	cmd.Env = env("ROSTER_ADDR=nonsense")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() == 0 {
		t.Fatalf("want a failing exit, got %v", err)
	}
	if !strings.Contains(errOut.String(), "ROSTER_ADDR") {
		t.Errorf("stderr does not name the setting: %q", errOut.String())
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(rosterBin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "roster ") {
		t.Errorf("roster version: %q, %v", out, err)
	}
	out, err = exec.Command(rosterBin, "--help").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"serve", "migrate", "version"} {
		if !strings.Contains(string(out), name) {
			t.Errorf("roster --help does not list %s:\n%s", name, out)
		}
	}
}
