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

// On returns the directory working inside st, a transaction of the caller:
// its methods join that transaction instead of opening their own, so a
// caller can try several writes and keep or undo them together.
func (s *Service) On(st *store.Store) *Service {
	inTx := *s
	inTx.store = st
	return &inTx
}
