// Package directory holds the rules of Roster's model: organizations, users,
// memberships, roles, permissions, domains and sessions, and how they change
// together. The API, the console and the CLI all call this package; none of
// them repeats a rule. Each write runs in one transaction and records an
// audit event in it.
package directory

import (
	"roster/internal/clock"
	"roster/internal/store"
)

// Service is the directory. It is safe for concurrent use.
type Service struct {
	store *store.Store
	clock clock.Clock
	// BaseURL is Roster's public address; links in mail start with it.
	BaseURL string
}

// New returns the directory on st.
func New(st *store.Store, clk clock.Clock) *Service {
	return &Service{store: st, clock: clk}
}

// In returns the directory working inside the transaction tx: its writes
// join tx (store.InTx nests), so a caller's other steps and the directory's
// rules commit together or not at all.
func (s *Service) In(tx *store.Store) *Service {
	c := *s
	c.store = tx
	return &c
}
