package webtest

import (
	"testing"

	"roster/internal/mail"
	"roster/internal/store"
	"roster/internal/testkit"
)

// Running and reading the outbox of a test server.

// DeliverMail sends every mail of srv's outbox that is due on srv's clock
// to sm, as the production worker would, and returns what it did.
func DeliverMail(t testing.TB, srv *Server, sm *testkit.SMTPServer) mail.Result {
	t.Helper()
	return testkit.RunMailWorker(t, testkit.NewMailWorker(t, srv.Store, sm, srv.Clock))
}

// OutboxTo returns the mails queued for address, newest first, whatever
// their status: for tests that read a mail without sending it.
func OutboxTo(t testing.TB, srv *Server, address string) []store.OutboxEmail {
	t.Helper()
	return testkit.Outbox(t, srv.Store, address)
}
