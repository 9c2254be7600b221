package testkit

import (
	"context"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// DBLink is a test database reached through a TCP relay the test controls,
// to see what Roster does while PostgreSQL is away and after it is back,
// without stopping the cluster the other tests of the binary share:
//
//	link := testkit.NewDBLink(t)
//	srv := testkit.NewServer(t, testkit.WithDatabaseURL(link.URL))
//	link.Cut()     // as if the server shut down: connections end, new ones are refused
//	…              // requests meet a database that cannot be reached
//	link.Restore() // the same address accepts connections again
type DBLink struct {
	URL string // the database's URL through the relay

	t               testing.TB
	name            string // the database
	network, target string // how to reach the cluster: "unix" and its socket, or "tcp" and host:port
	addr            string // the relay's host:port

	mu    sync.Mutex
	ln    net.Listener // nil while cut
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewDBLink creates a new migrated database (as NewDBURL) and a relay to
// it on a port of its own. The relay closes at the end of the test.
func NewDBLink(t testing.TB) *DBLink {
	t.Helper()
	direct, err := url.Parse(NewDBURL(t))
	if err != nil {
		t.Fatalf("testkit: database URL: %v", err)
	}
	l := &DBLink{t: t, name: strings.TrimPrefix(direct.Path, "/"), network: "tcp", target: direct.Host, conns: map[net.Conn]struct{}{}}
	// The private cluster listens on a unix socket only (host=<dir> in the
	// query, as libpq spells it); the relay reaches it there and offers
	// Roster a TCP address instead.
	q := direct.Query()
	if dir := q.Get("host"); strings.HasPrefix(dir, "/") {
		port := q.Get("port")
		if port == "" {
			port = "5432"
		}
		l.network, l.target = "unix", filepath.Join(dir, ".s.PGSQL."+port)
		q.Del("host")
		q.Del("port")
		direct.RawQuery = q.Encode()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: relay: %v", err)
	}
	l.addr = ln.Addr().String()
	l.serve(ln)
	relayed := *direct
	relayed.Host = l.addr
	l.URL = relayed.String()
	// Registered after NewDBURL's drop, so it runs before it.
	t.Cleanup(func() {
		l.mu.Lock()
		if l.ln != nil {
			l.ln.Close()
			l.ln = nil
		}
		l.mu.Unlock()
		l.closeConns()
		l.wg.Wait()
	})
	return l
}

// Cut takes the database away as a server shutdown does: the relay stops
// accepting connections (they are refused), the database's server
// processes are terminated (their clients are told "terminating connection
// due to administrator command", SQLSTATE 57P01), and whatever the relay
// still carries is closed.
func (l *DBLink) Cut() {
	l.t.Helper()
	l.mu.Lock()
	if l.ln != nil {
		l.ln.Close()
		l.ln = nil
	}
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Waits up to 5 s for each process to be gone.
	if _, err := admin.ExecContext(ctx,
		`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
		l.name); err != nil {
		l.t.Fatalf("testkit: terminate the database's connections: %v", err)
	}
	l.closeConns()
	l.wg.Wait()
}

// Restore lets connections through again, on the same address.
func (l *DBLink) Restore() {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		l.t.Fatalf("testkit: relay: listen on %s again: %v", l.addr, err)
	}
	l.serveLocked(ln)
}

func (l *DBLink) serve(ln net.Listener) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.serveLocked(ln)
}

// serveLocked accepts on ln until it is closed; called with mu held.
func (l *DBLink) serveLocked(ln net.Listener) {
	l.ln = ln
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return // closed by Cut or cleanup
			}
			server, err := net.Dial(l.network, l.target)
			if err != nil {
				client.Close()
				continue
			}
			if !l.track(client, server) {
				client.Close()
				server.Close()
				continue
			}
			l.wg.Add(2)
			go l.pipe(client, server)
			go l.pipe(server, client)
		}
	}()
}

// track remembers a relayed pair, unless the relay was cut meanwhile.
func (l *DBLink) track(client, server net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln == nil {
		return false
	}
	l.conns[client], l.conns[server] = struct{}{}, struct{}{}
	return true
}

// pipe copies one direction; when either side ends, both are closed.
func (l *DBLink) pipe(dst, src net.Conn) {
	defer l.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	l.mu.Lock()
	delete(l.conns, dst)
	delete(l.conns, src)
	l.mu.Unlock()
}

func (l *DBLink) closeConns() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.Close()
	}
}
