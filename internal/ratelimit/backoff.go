package ratelimit

import (
	"context"
	"strings"
	"time"
)

// Backoff slows guesses of one secret (a password) at one account from one
// network: after Free wrong guesses each further one makes the next wait,
// First at first and twice as long each time, up to Max. A right guess, or
// Forget without a wrong one, starts over. Other networks are untouched,
// so the owner signs in from theirs whatever an attacker does elsewhere.
type Backoff struct {
	Free       int
	First, Max time.Duration
	Forget     time.Duration
}

// wait is how long the nth wrong guess in a row makes the next one wait.
func (b Backoff) wait(n int) time.Duration {
	if n <= b.Free {
		return 0
	}
	d := b.First
	for i := b.Free + 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// PasswordWait refuses, with an *Error, a password attempt at email from ip
// while that pair is waiting out its back-off. It counts nothing: a refused
// attempt does not test the password.
func (r *Limiter) PasswordWait(ctx context.Context, email, ip string) error {
	if emailKey(email) == "" {
		return nil
	}
	until, err := r.store.PasswordLock(ctx, emailKey(email), network(ip))
	if err != nil || until == nil {
		return err
	}
	if now := r.clock.Now(); until.After(now) {
		return &Error{RetryAfter: until.Sub(now), Reason: "password"}
	}
	return nil
}

// PasswordFailed records a wrong password at email from ip and starts the
// pair's wait once its free guesses are spent.
func (r *Limiter) PasswordFailed(ctx context.Context, email, ip string) error {
	b, now := PasswordBackoff, r.clock.Now()
	key, net := emailKey(email), network(ip)
	if key == "" {
		return nil
	}
	n, err := r.store.RecordPasswordFailure(ctx, key, net, now, now.Add(-b.Forget))
	if err != nil {
		return err
	}
	if n == 1 {
		// A new run: a good moment to forget runs long over.
		if err := r.store.PurgePasswordFailures(ctx, now.Add(-b.Forget)); err != nil {
			return err
		}
	}
	if d := b.wait(n); d > 0 {
		return r.store.LockPasswordPair(ctx, key, net, now.Add(d))
	}
	return nil
}

// PasswordSucceeded forgets the wrong guesses at email from ip.
func (r *Limiter) PasswordSucceeded(ctx context.Context, email, ip string) error {
	return r.store.ClearPasswordPair(ctx, emailKey(email), network(ip))
}

// PasswordChanged forgets every wrong guess at email: they were guesses at
// a password that no longer exists.
func (r *Limiter) PasswordChanged(ctx context.Context, email string) error {
	return r.store.ClearPasswordFailures(ctx, emailKey(email))
}

// network is Network cut to what the table keeps; an attempt with no
// known address (a direct call) counts as one unknown network.
func network(ip string) string {
	if ip == "" {
		return "unknown"
	}
	return truncate(Network(ip), 64)
}

func emailKey(email string) string {
	return truncate(strings.ToLower(strings.TrimSpace(email)), 320)
}
