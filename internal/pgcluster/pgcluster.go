// Package pgcluster runs a private PostgreSQL cluster from the server
// binaries installed on the machine, so Roster works without a database
// server set up by hand. The cluster lives in <DataDir>/pgdata and listens
// only on a unix socket in <DataDir>/run, a directory closed to every OS user
// but the server's (and root). When that path is too long for a socket it
// listens on 127.0.0.1 instead, on a port picked at start.
//
// Nothing is trusted: every connection needs a password, and the passwords
// (random, one per role) are kept in <DataDir>/pgpass, readable only by the
// user running Roster. Roster works as AppUser, which owns its databases and
// is no superuser; SuperUser only creates databases and hands them over. A
// cluster made by an earlier Roster (trust authentication, everything owned
// by the superuser) is brought to this state at its next start.
//
// One process owns the server; others that Start on the same DataDir while it
// runs attach to it instead (that is how `roster migrate` works next to
// `roster serve`). An attached process does not stop the server, but when the
// owner stops, the attached processes lose their connections.
package pgcluster

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// Options configure Start.
type Options struct {
	// DataDir is Roster's data directory; the cluster lives in DataDir/pgdata.
	DataDir string
	// Fsync keeps PostgreSQL's crash safety. Tests turn it off for speed.
	Fsync bool
	// Log receives progress messages; nil discards them.
	Log *slog.Logger
}

// Cluster is a running PostgreSQL server, started or attached to by Start.
type Cluster struct {
	dataDir  string
	pgdata   string
	host     string // the socket directory, or 127.0.0.1
	port     int
	pid      int
	attached bool
	log      *slog.Logger

	cmd  *exec.Cmd     // nil when attached
	done chan struct{} // closed when cmd has exited
}

const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
	// A unix socket path must fit in sockaddr_un (108 bytes with the NUL).
	maxSocketPath = 107
	// socketPort names the socket; nothing else can listen in its directory.
	socketPort = 5432
)

// Start starts the cluster in opts.DataDir, creating it on first use, or
// attaches to the server another process already runs there.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.DataDir == "" {
		return nil, errors.New("pgcluster: no data directory given")
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// Serialise Starts on one DataDir (say `serve` and `migrate` launched
	// together on a fresh machine) so only one runs initdb and the server.
	unlock, err := lockDir(ctx, filepath.Join(dataDir, "pgcluster.lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()

	pgdata := filepath.Join(dataDir, "pgdata")
	if c, err := attach(ctx, dataDir, pgdata, log); c != nil || err != nil {
		return c, err
	}

	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if err := makeReachable(dataDir, cred); err != nil {
			return nil, err
		}
	}
	if err := ensureDir(pgdata, 0o700, cred); err != nil {
		return nil, err
	}
	socketDir := filepath.Join(dataDir, "run")
	if len(socketDir)+len(fmt.Sprintf("/.s.PGSQL.%d.lock", socketPort)) > maxSocketPath {
		// Rare (very deep DataDir); TCP, with the passwords, serves too.
		log.Warn("data directory path too long for a unix socket; PostgreSQL listens on 127.0.0.1 instead", "dir", dataDir)
		socketDir = ""
	} else if err := ensureDir(socketDir, 0o700, cred); err != nil {
		return nil, err
	} else {
		// No server runs here (attach found none), so a socket lock file is
		// a killed server's. PostgreSQL would refuse it while its pid lives
		// on, even as an unreaped zombie.
		lock := filepath.Join(socketDir, fmt.Sprintf(".s.PGSQL.%d.lock", socketPort))
		if err := os.Remove(lock); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("remove stale %s: %w", lock, err)
		}
	}

	if _, err := os.Stat(filepath.Join(pgdata, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := initdb(ctx, bin, pgdata, opts.Fsync, cred, log); err != nil {
			return nil, err
		}
	}
	if err := secure(ctx, bin, dataDir, pgdata, opts.Fsync, cred); err != nil {
		return nil, err
	}

	logPath := filepath.Join(dataDir, "postgres.log")
	// Keep the previous run's log: after a crash it is the one worth reading.
	// (Earlier Rosters let everyone read it.)
	if os.Rename(logPath, logPath+".1") == nil {
		_ = os.Chmod(logPath+".1", 0o600)
	}

	// The port is free when picked but someone may take it before the
	// server binds it; then try another.
	for attempt := 1; ; attempt++ {
		c, err := launch(ctx, bin, dataDir, pgdata, socketDir, logPath, opts.Fsync, cred, log)
		if err == nil {
			if err := c.checkExtensions(ctx); err != nil {
				_ = c.Stop()
				return nil, err
			}
			if err := c.handOver(ctx); err != nil {
				_ = c.Stop()
				return nil, err
			}
			return c, nil
		}
		if !errors.Is(err, errRetry) || attempt == 5 {
			return nil, err
		}
		log.Debug("retrying PostgreSQL start", "err", err)
	}
}

// errRetry marks a start failure that another attempt may not hit.
var errRetry = errors.New("transient start failure")

func launch(ctx context.Context, bin, dataDir, pgdata, socketDir, logPath string, fsync bool, cred *syscall.Credential, log *slog.Logger) (*Cluster, error) {
	// On the socket only, or else on 127.0.0.1 alone (and then on a port
	// picked now, which someone may take before the server binds it).
	host, port, listen := socketDir, socketPort, ""
	if socketDir == "" {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		host, port, listen = "127.0.0.1", p, "127.0.0.1"
	}
	// The log may quote rows (say, a duplicate email): for Roster's user only.
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL log: %w", err)
	}
	defer logFile.Close()                      // the child keeps its own copy
	logStart, _ := logFile.Seek(0, io.SeekEnd) // this attempt's lines start here

	args := []string{"-D", pgdata,
		"-c", "listen_addresses=" + listen,
		"-c", "port=" + strconv.Itoa(port),
		"-c", "unix_socket_directories=" + socketDir,
		"-c", "unix_socket_permissions=0700",
		"-c", "password_encryption=scram-sha-256",
		"-c", "max_connections=200",
		"-c", "shared_buffers=128MB",
	}
	if !fsync {
		// Tests: durability buys nothing, and these make writes far cheaper.
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Own process group: a Ctrl-C in the terminal reaches Roster, which
		// then stops the server in order, and Stop can kill the whole group.
		Setpgid: true,
		// If Roster dies without stopping the server, the kernel kills it.
		// (Strictly, when the forking OS thread dies; Go keeps its threads
		// unless a goroutine locked to one exits, which Roster never does.)
		Pdeathsig:  syscall.SIGKILL,
		Credential: cred,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	c := &Cluster{dataDir: dataDir, pgdata: pgdata, host: host, port: port, pid: cmd.Process.Pid, log: log, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(c.done)
	}()

	if err := c.waitReady(ctx, c.done); err != nil {
		_ = c.Stop()
		tail := logTail(logPath, logStart)
		if strings.Contains(tail, "Address already in use") {
			err = errRetry
		}
		return nil, fmt.Errorf("PostgreSQL did not start: %w\n--- %s (end) ---\n%s", err, logPath, tail)
	}
	log.Info("PostgreSQL started", "pgdata", pgdata, "host", host, "port", port, "pid", c.pid)
	return c, nil
}

// attach returns the cluster another process runs in pgdata, or nil when
// none runs there. It removes a postmaster.pid left by a crashed server.
// It connects where postmaster.pid says, with the passwords of the pass file.
func attach(ctx context.Context, dataDir, pgdata string, log *slog.Logger) (*Cluster, error) {
	pidFile := filepath.Join(pgdata, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// Lines: pid, data dir, start time, port, socket dir, listen address, ...
	lines := strings.Split(string(b), "\n")
	var pid, port int
	host := "127.0.0.1"
	if len(lines) >= 5 {
		pid, _ = strconv.Atoi(strings.TrimSpace(lines[0]))
		port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
		if dir := strings.TrimSpace(lines[4]); dir != "" {
			host = dir
		}
	}
	if pid <= 0 || !isServerFor(pid, pgdata) {
		// The server crashed or was killed; its pid may even belong to
		// another process by now, which would make PostgreSQL refuse to start.
		log.Info("removing stale postmaster.pid", "pid", pid)
		if err := os.Remove(pidFile); err != nil {
			return nil, fmt.Errorf("remove stale %s: %w", pidFile, err)
		}
		return nil, nil
	}
	// lib/pq would take an unreadable pass file for an empty password.
	if _, err := readPasswords(filepath.Join(dataDir, passFile)); err != nil {
		return nil, fmt.Errorf("a PostgreSQL server (pid %d) runs in %s, but its passwords cannot be read: %w", pid, pgdata, err)
	}
	c := &Cluster{dataDir: dataDir, pgdata: pgdata, host: host, port: port, pid: pid, attached: true, log: log}
	// The server may still be starting (or recovering); wait while it lives.
	gone := make(chan struct{})
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	go func() {
		for isServerFor(pid, pgdata) {
			select {
			case <-stopWatch:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		close(gone)
	}()
	if err := c.waitReady(ctx, gone); err != nil {
		return nil, fmt.Errorf("a PostgreSQL server (pid %d) runs in %s but does not accept connections at %s port %d: %w", pid, pgdata, host, port, err)
	}
	log.Info("attached to running PostgreSQL", "pgdata", pgdata, "host", host, "port", port, "pid", pid)
	return c, nil
}

// isServerFor reports whether pid is a live process working in pgdata: the
// postmaster runs with its data directory as working directory, however it
// was started.
func isServerFor(pid int, pgdata string) bool {
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		return false
	}
	want, err := filepath.EvalSymlinks(pgdata)
	return err == nil && cwd == want
}

// waitReady polls with a real connection until the server accepts it, the
// process dies (gone is closed) or readyTimeout passes. A refused password
// ends it at once: waiting will not fix that.
func (c *Cluster) waitReady(ctx context.Context, gone <-chan struct{}) error {
	db, err := sql.Open("postgres", c.URL("postgres")+"&connect_timeout=2")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		err := db.PingContext(ctx)
		if err == nil {
			return nil
		}
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code.Class() == "28" { // invalid_authorization_specification
			if c.attached {
				return err
			}
			return fmt.Errorf("%w (if %s no longer holds the cluster's passwords, remove it and start again: new ones are set)", err, filepath.Join(c.dataDir, passFile))
		}
		select {
		case <-gone:
			return errors.New("the server process exited")
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// checkExtensions fails early, with a hint, when the contrib extensions
// Roster's schema needs are not installed next to the server.
func (c *Cluster) checkExtensions(ctx context.Context) error {
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM pg_available_extensions WHERE name IN ('pg_trgm', 'pgcrypto')`).Scan(&n)
	if err != nil {
		return fmt.Errorf("check PostgreSQL extensions: %w", err)
	}
	if n != 2 {
		return errors.New("PostgreSQL extensions pg_trgm and pgcrypto are not installed: install postgresql-contrib (on Debian they come with postgresql-15)")
	}
	return nil
}

// URL returns a lib/pq URL for database dbname as AppUser, the role Roster
// works as. The password stays in the pass file the URL names.
func (c *Cluster) URL(dbname string) string { return c.url(AppUser, dbname) }

// AdminURL returns a lib/pq URL for database dbname as SuperUser, for the
// little that needs it: creating, handing over and dropping databases.
func (c *Cluster) AdminURL(dbname string) string { return c.url(SuperUser, dbname) }

func (c *Cluster) url(user, dbname string) string {
	q := url.Values{}
	q.Set("sslmode", "disable")
	q.Set("passfile", filepath.Join(c.dataDir, passFile))
	u := url.URL{Scheme: "postgres", User: url.User(user), Path: "/" + dbname}
	if strings.HasPrefix(c.host, "/") {
		// lib/pq takes a socket directory as the host parameter only.
		q.Set("host", c.host)
		q.Set("port", strconv.Itoa(c.port))
	} else {
		u.Host = net.JoinHostPort(c.host, strconv.Itoa(c.port))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Pid is the process id of the server (the postmaster), which also leads
// its process group when this process started it.
func (c *Cluster) Pid() int { return c.pid }

// Attached reports whether another process owns the server; Stop then does nothing.
func (c *Cluster) Attached() bool { return c.attached }

// CreateDatabase creates database name, owned by AppUser, unless it exists.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	db, err := sql.Open("postgres", c.AdminURL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" OWNER "+pq.QuoteIdentifier(AppUser))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // duplicate_database: another process won the race
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// Stop shuts the server down if this process started it: a fast shutdown
// (clients disconnected, everything written), then after stopTimeout a kill
// of its whole process group.
func (c *Cluster) Stop() error {
	if c.attached || c.cmd == nil {
		return nil
	}
	select {
	case <-c.done:
		return nil
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
		c.log.Info("PostgreSQL stopped", "pgdata", c.pgdata)
		return nil
	case <-time.After(stopTimeout):
	}
	_ = syscall.Kill(-c.pid, syscall.SIGKILL)
	<-c.done
	return fmt.Errorf("PostgreSQL (pid %d) did not stop within %s and was killed", c.pid, stopTimeout)
}

// initdb creates a new cluster in pgdata, which admits nobody until
// secure sets the roles' passwords and writes pg_hba.conf.
func initdb(ctx context.Context, bin, pgdata string, fsync bool, cred *syscall.Credential, log *slog.Logger) error {
	log.Info("creating PostgreSQL cluster", "pgdata", pgdata)
	args := []string{"-D", pgdata, "-U", SuperUser, "--auth=reject", "--encoding=UTF8",
		// C.UTF-8 sorts predictably everywhere and, unlike plain C, tells
		// pg_trgm which non-ASCII characters are letters.
		"--locale=C.UTF-8", "--no-instructions"}
	if !fsync {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		// Leave no half-made cluster (initdb may have been killed): the
		// next Start would take it as done, or initdb refuse the non-empty dir.
		_ = os.RemoveAll(pgdata)
		return fmt.Errorf("initdb failed: %w\n%s", err, bytes.TrimSpace(out))
	}
	return nil
}

// serverCredential returns who the server runs as: PostgreSQL refuses to
// run as root, so root runs it as the "postgres" user; anyone else as themselves.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root, but there is no \"postgres\" user to run PostgreSQL as: install PostgreSQL with `apt-get install -y postgresql`, run Roster as another user, or set DATABASE_URL")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// makeReachable lets the postgres user traverse down to dataDir. Roster
// owns dataDir, so it adds search permission there itself (not read: the
// listing stays private); a locked parent such as /root is the admin's call.
func makeReachable(dataDir string, cred *syscall.Credential) error {
	st, err := os.Stat(dataDir)
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o001 == 0 {
		if err := os.Chmod(dataDir, st.Mode().Perm()|0o001); err != nil {
			return fmt.Errorf("let PostgreSQL reach %s: %w", dataDir, err)
		}
	}
	for dir := filepath.Dir(dataDir); ; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		if err != nil {
			return err
		}
		sys := st.Sys().(*syscall.Stat_t)
		perm := st.Mode().Perm()
		ok := perm&0o001 != 0 ||
			(sys.Uid == cred.Uid && perm&0o100 != 0) ||
			(sys.Gid == cred.Gid && perm&0o010 != 0)
		if !ok {
			return fmt.Errorf("PostgreSQL runs as user postgres and cannot reach %s because %s is closed to other users: set ROSTER_DATA_DIR to a directory outside it, run `chmod o+x %s`, or set DATABASE_URL", dataDir, dir, dir)
		}
		if dir == "/" {
			return nil
		}
	}
}

// ensureDir creates dir if missing, sets perm (an existing dir may have
// other bits) and hands it to cred's user.
func ensureDir(dir string, perm os.FileMode, cred *syscall.Credential) error {
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	if err := os.Chmod(dir, perm); err != nil {
		return err
	}
	if cred == nil {
		return nil
	}
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("give %s to the postgres user: %w", dir, err)
	}
	return nil
}

// lockDir takes an exclusive flock on path, waiting for ctx.
func lockDir(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the last lines of the server log written after offset,
// for error messages.
func logTail(path string, offset int64) string {
	b, _ := os.ReadFile(path)
	b = b[min(offset, int64(len(b))):]
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
