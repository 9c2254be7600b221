package seed

import (
	"testing"
	"time"
)

func TestScratchGenSpeed(t *testing.T) {
	opts := Options{Users: 1000000, Orgs: 100000, Memberships: 2000000, BigOrg: 200000, Seed: 1, Now: time.Now()}
	g := newGenerator(opts, 0, 0, "role_aaaaaaaaaaaaaaaaaaaaaaaaaa", "role_bbbbbbbbbbbbbbbbbbbbbbbbbb")
	t0 := time.Now()
	g.plan()
	t.Logf("plan %v", time.Since(t0))
	var bytes int64
	for _, f := range []struct {
		n string
		w func(*rowWriter) error
	}{{"orgs", g.writeOrgs}, {"users", g.writeUsers}, {"memberships", g.writeMemberships}, {"roles", g.writeMembershipRoles}} {
		t0 = time.Now()
		w := newRowWriter(func(c []byte, n int64) error { bytes += int64(len(c)); _ = string(c); return nil })
		if err := f.w(w); err != nil {
			t.Fatal(err)
		}
		w.done()
		t.Logf("%s %v bytes so far %d", f.n, time.Since(t0), bytes)
	}
}
