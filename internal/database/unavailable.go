package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
)

// Unavailable reports whether err means PostgreSQL cannot be reached right
// now, as opposed to something wrong with a query: a refused, reset or
// dropped connection, a connection attempt that timed out, a server that is
// shutting down, starting up or out of connection slots. Such failures pass
// by themselves: database/sql drops broken connections and dials new ones
// once the server answers again, so callers should say "try again shortly"
// rather than report an error.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
			return true
		case "53300": // too_many_connections
			return true
		}
		return pqErr.Code.Class() == "08" // connection_exception
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	return errors.Is(err, driver.ErrBadConn) ||
		errors.As(err, &opErr) || errors.As(err, &dnsErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		// The server went away mid-answer.
		errors.Is(err, io.ErrUnexpectedEOF) ||
		// The pool waited for a connection, or a dial, past the deadline.
		errors.Is(err, context.DeadlineExceeded)
}
