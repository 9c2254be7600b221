package enduser

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Limit is a fixed-window rate limit on one kind of attempt, counted per
// client address and per email address. The counters live in PostgreSQL
// (rate_limits), so every replica shares them.
type Limit struct {
	Name     string // part of the counter's key
	PerIP    int    // attempts one address may make per window; 0: not counted
	PerEmail int    // attempts at one email address per window; 0: not counted
	Window   time.Duration
}

// The limits of hosted sign-in. Per-email limits are low because each
// attempt there may send a mail or test a secret of that person; per-IP
// limits leave room for an office behind one address.
var (
	// LimitIdentify counts the identity step (the email typed first).
	LimitIdentify = Limit{Name: "identify", PerIP: 120, PerEmail: 30, Window: 15 * time.Minute}
	// LimitSignInStart counts every mail sign-in sends (links and codes,
	// sign-up confirmations, resets).
	LimitSignInStart = Limit{Name: "signin", PerIP: 60, PerEmail: 10, Window: 15 * time.Minute}
	// LimitCodeCheck counts guesses of email codes (each code also takes
	// only 5 guesses).
	LimitCodeCheck = Limit{Name: "code", PerIP: 60, PerEmail: 20, Window: 15 * time.Minute}
	// LimitPassword counts password sign-in attempts.
	LimitPassword = Limit{Name: "password", PerIP: 60, PerEmail: 10, Window: 15 * time.Minute}
	// LimitInviteSend counts invitations sent: per inviter address and per
	// invited email, so nobody can flood an inbox through Roster.
	LimitInviteSend = Limit{Name: "invite", PerIP: 300, PerEmail: 5, Window: time.Hour}
)

// RateLimitError says a limit was reached: try again after RetryAfter.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("too many attempts; try again in %s", e.RetryAfter.Round(time.Second))
}

// Minutes is the wait in whole minutes (at least one), for people.
func (e *RateLimitError) Minutes() int {
	return max(int((e.RetryAfter+time.Minute-1)/time.Minute), 1)
}

// Allow counts one attempt of kind l from ip at email (either may be "")
// and returns a *RateLimitError once either count is over its limit. Both
// counters move whether or not the attempt is allowed, so hammering on does
// not reopen the window. The answer is the same for known and unknown
// addresses.
func (s *Service) Allow(ctx context.Context, l Limit, ip, email string) error {
	now := s.clock.Now()
	start := now.Truncate(l.Window)
	over := false
	check := func(key string, limit int) error {
		if limit <= 0 || key == "" {
			return nil
		}
		n, err := s.store.HitRateLimit(ctx, truncate(l.Name+":"+key, 400), start)
		if err != nil {
			return err
		}
		if n == 1 && strings.HasPrefix(key, "ip:") {
			// A new window: a good moment to forget windows long gone.
			if err := s.store.PurgeRateLimits(ctx, now.Add(-24*time.Hour)); err != nil {
				return err
			}
		}
		over = over || n > limit
		return nil
	}
	if ip != "" {
		if err := check("ip:"+ip, l.PerIP); err != nil {
			return err
		}
	}
	if email = strings.ToLower(strings.TrimSpace(email)); email != "" {
		if err := check("email:"+email, l.PerEmail); err != nil {
			return err
		}
	}
	if over {
		return &RateLimitError{RetryAfter: start.Add(l.Window).Sub(now)}
	}
	return nil
}
