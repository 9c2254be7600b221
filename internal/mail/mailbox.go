package mail

import (
	"context"

	"roster/internal/store"
)

// Mailbox reads the outbox for the console's dev mailbox: every mail, sent
// or not, newest first. It exists only while no mail server is set, when
// it is the only place mail can be read.
type Mailbox struct {
	store *store.Store
}

// NewMailbox returns the mailbox of st's outbox; st must carry the mail key
// (store.WithMailKey) to open the bodies.
func NewMailbox(st *store.Store) *Mailbox {
	return &Mailbox{store: st}
}

// List returns one page of the outbox, newest first.
func (b *Mailbox) List(ctx context.Context, page store.PageRequest) ([]store.OutboxEmail, store.PageInfo, error) {
	return b.store.ListOutboxEmails(ctx, page)
}

// Get returns one mail, or a not-found error.
func (b *Mailbox) Get(ctx context.Context, id string) (store.OutboxEmail, error) {
	return b.store.OutboxEmail(ctx, id)
}
