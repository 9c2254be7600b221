package pgcluster

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/lib/pq"
)

// Who connects to the cluster. Roster works as AppUser, which owns its
// databases and nothing else; SuperUser (the one initdb creates) only makes
// databases and hands them over.
const (
	SuperUser = "roster"
	AppUser   = "roster_app"
)

// passFile is the name, in the data directory, of the file that keeps both
// roles' passwords, in libpq's .pgpass format: lib/pq reads it through the
// passfile parameter of Roster's URLs, and psql through PGPASSFILE.
const passFile = "pgpass"

// hbaConf is the whole of pg_hba.conf. Nothing is trusted: the socket
// directory is closed to other OS users, and every connection, on the socket
// or on 127.0.0.1 (used only when the socket path is too long), must still
// prove it knows a password from the pass file. Anything unlisted is refused.
const hbaConf = `# Written by Roster (internal/pgcluster) at each start; changes are lost.
# Passwords are in the pgpass file of Roster's data directory.
local all all              scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
`

// passwords are the roles' passwords as kept in the pass file.
type passwords struct {
	super, app string
}

// loadPasswords reads the pass file in dataDir. created is true when it had
// to make new passwords (no file yet, or one missing a role), which the
// server does not know until setRoles tells it.
func loadPasswords(dataDir string) (pw passwords, created bool, err error) {
	path := filepath.Join(dataDir, passFile)
	pw, err = readPasswords(path)
	if err == nil {
		// lib/pq, like libpq, ignores a pass file others can read.
		if st, err := os.Stat(path); err == nil && st.Mode().Perm() != 0o600 {
			if err := os.Chmod(path, 0o600); err != nil {
				return pw, false, err
			}
		}
		return pw, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, errIncomplete) {
		return pw, false, err
	}
	if pw.super, err = newPassword(); err != nil {
		return pw, false, err
	}
	if pw.app, err = newPassword(); err != nil {
		return pw, false, err
	}
	text := "# Passwords of the roles of Roster's private PostgreSQL cluster (.pgpass format).\n" +
		"*:*:*:" + SuperUser + ":" + pw.super + "\n" +
		"*:*:*:" + AppUser + ":" + pw.app + "\n"
	if err := writeFileAtomic(path, []byte(text), 0o600, nil); err != nil {
		return pw, false, fmt.Errorf("write the database passwords: %w", err)
	}
	return pw, true, nil
}

var errIncomplete = errors.New("pass file lacks a role")

func readPasswords(path string) (passwords, error) {
	f, err := os.Open(path)
	if err != nil {
		return passwords{}, err
	}
	defer f.Close()
	var pw passwords
	s := bufio.NewScanner(f)
	for s.Scan() {
		// Our passwords need no escaping: host:port:database:user:password.
		fields := strings.Split(s.Text(), ":")
		if len(fields) != 5 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch fields[3] {
		case SuperUser:
			pw.super = fields[4]
		case AppUser:
			pw.app = fields[4]
		}
	}
	if err := s.Err(); err != nil {
		return pw, err
	}
	if pw.super == "" || pw.app == "" {
		return pw, errIncomplete
	}
	return pw, nil
}

// newPassword returns 256 random bits in a form that needs no quoting in a
// pass file or a URL.
func newPassword() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// scramVerifier returns what PostgreSQL stores for password under
// scram-sha-256 (RFC 5802 and 7677). Sending this instead of the password
// keeps the password itself out of the server, its logs and its errors.
func scramVerifier(password string) (string, error) {
	const iterations = 4096 // PostgreSQL's default
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	// Our passwords are ASCII letters, digits, - and _: SASLprep leaves them be.
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	storedKey := sha256.Sum256(mac(salted, "Client Key"))
	serverKey := mac(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(storedKey[:]), b64(serverKey)), nil
}

// secure makes the stopped cluster in pgdata private before it starts:
// pg_hba.conf as hbaConf, and SuperUser and AppUser with the passwords of
// the pass file. A cluster from an earlier Roster, which trusted every local
// connection and had no AppUser, gets there at its first start with this code.
func secure(ctx context.Context, bin, dataDir, pgdata string, fsync bool, cred *syscall.Credential) error {
	pw, created, err := loadPasswords(dataDir)
	if err != nil {
		return err
	}
	hbaPath := filepath.Join(pgdata, "pg_hba.conf")
	current, err := os.ReadFile(hbaPath)
	if err != nil {
		return fmt.Errorf("read pg_hba.conf: %w", err)
	}
	if !created && string(current) == hbaConf {
		return nil // done at an earlier start
	}
	// The roles first: a crash before the new pg_hba.conf is written leaves
	// a cluster that the next start secures again.
	if err := setRoles(ctx, bin, pgdata, pw, fsync, cred); err != nil {
		return err
	}
	if err := writeFileAtomic(hbaPath, []byte(hbaConf), 0o600, cred); err != nil {
		return fmt.Errorf("write pg_hba.conf: %w", err)
	}
	return nil
}

// setRoles gives SuperUser and AppUser their passwords, creating AppUser if
// needed. It runs the server in single-user mode: no connection is possible
// while it works, whatever pg_hba.conf says.
func setRoles(ctx context.Context, bin, pgdata string, pw passwords, fsync bool, cred *syscall.Credential) error {
	superVerifier, err := scramVerifier(pw.super)
	if err != nil {
		return err
	}
	appVerifier, err := scramVerifier(pw.app)
	if err != nil {
		return err
	}
	// Single-user mode runs each line as a statement.
	script := strings.Join([]string{
		"ALTER ROLE " + pq.QuoteIdentifier(SuperUser) + " PASSWORD " + pq.QuoteLiteral(superVerifier) + ";",
		"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = " + pq.QuoteLiteral(AppUser) + ") THEN CREATE ROLE " + pq.QuoteIdentifier(AppUser) + "; END IF; END $$;",
		"ALTER ROLE " + pq.QuoteIdentifier(AppUser) + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD " + pq.QuoteLiteral(appVerifier) + ";",
	}, "\n") + "\n"
	// exit_on_error: a failed statement ends the session with a non-zero status.
	args := []string{"--single", "-D", pgdata, "-c", "exit_on_error=on"}
	if !fsync {
		args = append(args, "-c", "fsync=off")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "postgres"), append(args, "postgres")...)
	cmd.Stdin = strings.NewReader(script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("set the database roles' passwords: %w\n%s", err, bytes.TrimSpace(out))
	}
	return nil
}

// handOver gives every database SuperUser owns, other than the system's, to
// AppUser with everything in it. Databases made by an earlier Roster belong
// to SuperUser; this runs at every start and finds nothing once they are moved.
func (c *Cluster) handOver(ctx context.Context) error {
	admin, err := sql.Open("postgres", c.AdminURL("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close()
	rows, err := admin.QueryContext(ctx, `
		SELECT datname FROM pg_database
		WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = $1)
		  AND datname <> 'postgres' AND NOT datistemplate AND datallowconn`, SuperUser)
	if err != nil {
		return fmt.Errorf("list databases to hand over: %w", err)
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		names = append(names, name)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, name := range names {
		c.log.Info("handing database over to its own role", "database", name, "role", AppUser)
		if err := c.handOverDatabase(ctx, name); err != nil {
			return fmt.Errorf("hand database %s over to %s: %w", name, AppUser, err)
		}
	}
	return nil
}

// ownedBySuperUser lists, as ALTER statements, the objects of the current
// database that SuperUser owns, outside the system schemas and extensions
// (whose objects follow the extension). Indexes, TOAST tables, a table's
// row type and array types, and sequences owned by a column follow their
// table or type. The bootstrap superuser owns the whole system catalog, so
// REASSIGN OWNED cannot be used.
const ownedBySuperUser = `
WITH su AS (SELECT oid FROM pg_roles WHERE rolname = $1::text),
ns AS (
	SELECT oid, nspname, nspowner FROM pg_namespace
	WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
),
member AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
SELECT format('ALTER SCHEMA %I OWNER TO %I', nspname, $2::text) FROM ns
WHERE nspowner = (SELECT oid FROM su)
  AND NOT EXISTS (SELECT FROM member WHERE classid = 'pg_namespace'::regclass AND objid = ns.oid)
UNION ALL
SELECT format('ALTER %s %s OWNER TO %I',
	CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
		WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
	c.oid::regclass, $2::text)
FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
WHERE c.relowner = (SELECT oid FROM su) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  AND NOT EXISTS (SELECT FROM member WHERE classid = 'pg_class'::regclass AND objid = c.oid)
  AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend d
	WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, $2::text)
FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
WHERE p.proowner = (SELECT oid FROM su)
  AND NOT EXISTS (SELECT FROM member WHERE classid = 'pg_proc'::regclass AND objid = p.oid)
UNION ALL
SELECT format('ALTER %s %s OWNER TO %I', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype, $2::text)
FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
WHERE t.typowner = (SELECT oid FROM su) AND t.typtype IN ('b', 'c', 'd', 'e', 'r')
  AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
  AND NOT EXISTS (SELECT FROM pg_type e WHERE e.typarray = t.oid)
  AND NOT EXISTS (SELECT FROM member WHERE classid = 'pg_type'::regclass AND objid = t.oid)
`

func (c *Cluster) handOverDatabase(ctx context.Context, name string) error {
	db, err := sql.Open("postgres", c.AdminURL(name))
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, ownedBySuperUser, SuperUser, AppUser)
	if err != nil {
		return err
	}
	var statements []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		statements = append(statements, s)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	// The database last: until the transaction commits it still says the
	// work is to be done.
	statements = append(statements, "ALTER DATABASE "+pq.QuoteIdentifier(name)+" OWNER TO "+pq.QuoteIdentifier(AppUser))
	for _, s := range statements {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return tx.Commit()
}

// writeFileAtomic replaces path with data: readers see the old file or the
// new one, never a part. With cred the file is given to that user.
func writeFileAtomic(path string, data []byte, perm os.FileMode, cred *syscall.Credential) error {
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm) // an old tmp left by a crash may have other bits
	}
	if err == nil && cred != nil {
		err = f.Chown(int(cred.Uid), int(cred.Gid))
	}
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
