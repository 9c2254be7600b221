package mail

import (
	"context"

	"roster/internal/store"
)

// Mailbox reads the outbox for the console's dev mailbox: every mail, sent
// or not, newest first.
type Mailbox struct {
	store *store.Store
	// Sending says whether a worker sends mail (ROSTER_SMTP_URL is set).
	// Without one, the mailbox is the only place mail can be read.
	Sending bool
}

// NewMailbox returns the mailbox of st's outbox.
func NewMailbox(st *store.Store, sending bool) *Mailbox {
	return &Mailbox{store: st, Sending: sending}
}

// List returns one page of the outbox, newest first.
func (b *Mailbox) List(ctx context.Context, page store.PageRequest) ([]store.OutboxEmail, store.PageInfo, error) {
	return b.store.ListOutboxEmails(ctx, page)
}

// Get returns one mail, or a not-found error.
func (b *Mailbox) Get(ctx context.Context, id string) (store.OutboxEmail, error) {
	return b.store.OutboxEmail(ctx, id)
}
