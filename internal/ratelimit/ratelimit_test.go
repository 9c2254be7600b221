package ratelimit

import (
	"testing"
	"time"
)

func TestBackoffDoublesAfterTheFreeGuesses(t *testing.T) {
	b := Backoff{Free: 5, First: 30 * time.Second, Max: time.Hour}
	want := map[int]time.Duration{
		1: 0, 5: 0, // free
		6: 30 * time.Second, 7: time.Minute, 8: 2 * time.Minute, 9: 4 * time.Minute,
		12: 32 * time.Minute, 13: time.Hour, 40: time.Hour, // capped
	}
	for n, d := range want {
		if got := b.wait(n); got != d {
			t.Errorf("wait after %d wrong = %v, want %v", n, got, d)
		}
	}
}

func TestNetwork(t *testing.T) {
	for ip, want := range map[string]string{
		"203.0.113.7":          "203.0.113.0/24",
		"203.0.113.250":        "203.0.113.0/24",
		"198.51.100.1":         "198.51.100.0/24",
		"::ffff:203.0.113.7":   "203.0.113.0/24",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"not an address":       "not an address",
	} {
		if got := Network(ip); got != want {
			t.Errorf("Network(%q) = %q, want %q", ip, got, want)
		}
	}
}

func TestEveryLimitIsSane(t *testing.T) {
	for _, l := range []Limit{Identify, SignInMail, CodeCheck, Password, InviteMail, MemberInvites, OrgInvites} {
		if l.Name == "" || l.Window <= 0 || l.PerIP+l.PerKey+l.PerPair == 0 {
			t.Errorf("limit %+v counts nothing", l)
		}
		if l.PerPair > 0 && l.PerKey > 0 && l.PerPair >= l.PerKey {
			t.Errorf("limit %s: one network may spend the whole per-key budget", l.Name)
		}
	}
	if Password.PerKey != 0 || Password.PerPair != 0 {
		t.Error("password attempts are counted per account: anyone could lock the owner out")
	}
}
