// Package ratelimit holds every limit Roster puts on attempts (limits.go is
// the one table) and counts them in PostgreSQL, so all replicas share the
// counters.
//
// A Limit is a fixed window counted three ways, each optional: per client
// address, per key (an email address, an org), and per key from one
// network. The pair count lets a limit stop one attacker early without
// spending the whole per-key budget, which the rightful owner, on another
// network, still has.
//
// Password guesses are slowed separately, by exponential back-off per
// account and network (backoff.go), so that nobody else's wrong passwords
// can lock a person out.
package ratelimit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"roster/internal/clock"
	"roster/internal/store"
)

// Limit is a fixed-window limit on one kind of attempt.
type Limit struct {
	Name    string // part of every counter's key
	PerIP   int    // attempts one client address may make per window; 0: not counted
	PerKey  int    // attempts at one key (an email address) per window; 0: not counted
	PerPair int    // attempts at one key from one network per window; 0: not counted
	Window  time.Duration
}

// Error says a limit was reached: try again after RetryAfter.
type Error struct {
	RetryAfter time.Duration
	// Reason is the sentence a person reads; empty for the default.
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("too many attempts; try again in %s", e.RetryAfter.Round(time.Second))
}

// Minutes is the wait in whole minutes (at least one), for people.
func (e *Error) Minutes() int {
	return max(int((e.RetryAfter+time.Minute-1)/time.Minute), 1)
}

// Seconds is the wait in whole seconds (at least one), for Retry-After.
func (e *Error) Seconds() int {
	return max(int((e.RetryAfter+time.Second-1)/time.Second), 1)
}

// Limiter counts attempts in the database.
type Limiter struct {
	store *store.Store
	clock clock.Clock
}

// New returns a limiter counting in st, reading the time from clk.
func New(st *store.Store, clk clock.Clock) *Limiter {
	return &Limiter{store: st, clock: clk}
}

// Allow counts one attempt of kind l from ip at key (either may be "") and
// returns an *Error once any count is over its limit. The counters move
// whether or not the attempt is allowed, so hammering on does not reopen
// the window; only the key's own count is spared by an attempt its
// network's share already refused. The answer is the same for known and
// unknown keys.
func (r *Limiter) Allow(ctx context.Context, l Limit, ip, key string) error {
	now := r.clock.Now()
	start := now.Truncate(l.Window)
	key = strings.ToLower(strings.TrimSpace(key))
	over := false
	count := func(counter string, limit int) error {
		if limit <= 0 {
			return nil
		}
		n, err := r.store.HitRateLimit(ctx, truncate(l.Name+":"+counter, 400), start)
		if err != nil {
			return err
		}
		if n == 1 && strings.HasPrefix(counter, "ip:") {
			// A new window: a good moment to forget windows long gone.
			if err := r.store.PurgeRateLimits(ctx, now.Add(-24*time.Hour)); err != nil {
				return err
			}
		}
		over = over || n > limit
		return nil
	}
	if ip != "" {
		if err := count("ip:"+ip, l.PerIP); err != nil {
			return err
		}
	}
	if key != "" {
		if ip != "" {
			if err := count("pair:"+Network(ip)+":"+key, l.PerPair); err != nil {
				return err
			}
		}
		// A network past its share is refused before it touches the key's
		// budget, which stays for everyone else (the owner among them).
		if !over {
			if err := count("key:"+key, l.PerKey); err != nil {
				return err
			}
		}
	}
	if over {
		return &Error{RetryAfter: start.Add(l.Window).Sub(now)}
	}
	return nil
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
