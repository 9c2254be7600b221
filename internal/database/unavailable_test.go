package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/lib/pq"
)

func TestUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"connection refused", fmt.Errorf("store: user: %w", refused), true},
		{"broken pipe", fmt.Errorf("x: %w", syscall.EPIPE), true},
		{"no such host", &net.DNSError{Err: "no such host", Name: "db.internal", IsNotFound: true}, true},
		{"bad connection", fmt.Errorf("x: %w", driver.ErrBadConn), true},
		{"deadline while waiting for a connection", fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{"admin shutdown", &pq.Error{Code: "57P01"}, true},
		{"crash shutdown", &pq.Error{Code: "57P02"}, true},
		{"starting up", &pq.Error{Code: "57P03"}, true},
		{"too many connections", &pq.Error{Code: "53300"}, true},
		{"connection failure (class 08)", &pq.Error{Code: "08006"}, true},
		{"unique violation", &pq.Error{Code: "23505"}, false},
		{"query canceled", &pq.Error{Code: "57014"}, false},
		{"syntax error", fmt.Errorf("x: %w", &pq.Error{Code: "42601"}), false},
		{"the client went away", context.Canceled, false},
		{"a file that is not there", &os.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}, false},
		{"anything else", errors.New("boom"), false},
	} {
		if got := Unavailable(tt.err); got != tt.want {
			t.Errorf("%s: Unavailable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestWithConnectTimeout(t *testing.T) {
	t.Setenv("PGCONNECT_TIMEOUT", "")
	for _, tt := range []struct{ in, want string }{
		{"postgres://roster@127.0.0.1:5432/roster?sslmode=disable", "postgres://roster@127.0.0.1:5432/roster?connect_timeout=5&sslmode=disable"},
		{"postgresql://u:p%40ss@db/roster", "postgresql://u:p%40ss@db/roster?connect_timeout=5"},
		{"postgres://db/roster?connect_timeout=30", "postgres://db/roster?connect_timeout=30"},
		{"host=db dbname=roster", "host=db dbname=roster connect_timeout=5"},
		{"host=db connect_timeout=2", "host=db connect_timeout=2"},
	} {
		if got := withConnectTimeout(tt.in); got != tt.want {
			t.Errorf("withConnectTimeout(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	t.Setenv("PGCONNECT_TIMEOUT", "9")
	if got := withConnectTimeout("host=db"); got != "host=db" {
		t.Errorf("with PGCONNECT_TIMEOUT set: %q", got)
	}
}
