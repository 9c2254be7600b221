package seed

import (
	"strings"
	"testing"
	"time"
)

// The lists go into COPY text unescaped and into JSON unquoted.
func TestListsNeedNoEscaping(t *testing.T) {
	lists := [][]string{givenNames, familyNames, emailDomains, orgFirstWords, orgSecondWords,
		orgSuffixes, locales, departments, teams, plans, regions, signInProviders, ssoProviders}
	for _, list := range lists {
		for _, s := range list {
			if strings.ContainsAny(s, "\t\n\r\\\"") {
				t.Errorf("%q holds a character COPY or JSON would need escaped", s)
			}
		}
	}
	if len(givenNames) > 256 || len(familyNames) > 256 || len(emailDomains) > 256 {
		t.Error("userPlan keeps list positions in a uint8")
	}
	for i, e := range append(append([]string{}, givenEmail...), familyEmail...) {
		if e == "" || strings.Trim(e, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Errorf("email form %d is %q; want lowercase ASCII letters", i, e)
		}
	}
}

func TestAppendTimestamp(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2024, 2, 29, 23, 59, 59, 999999000, time.UTC),
		time.Date(2026, 1, 5, 3, 4, 5, 6000, time.UTC),
	} {
		got := string(appendTimestamp(nil, tm.UnixMicro()))
		want := tm.Format("2006-01-02 15:04:05.000000") + "+00"
		if got != want {
			t.Errorf("appendTimestamp(%v) = %q, want %q", tm, got, want)
		}
	}
}

func TestIDsMatchTheSchemaFormat(t *testing.T) {
	id := [16]byte{0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xff}
	got := formatID("usr", &id)
	if len(got) != len("usr_")+26 || strings.Trim(got[4:], "abcdefghijklmnopqrstuvwxyz234567") != "" {
		t.Errorf("formatID = %q; want usr_ and 26 base32 characters", got)
	}
}

// Members are distinct within each org, however the picker's weights and
// reshuffles fall, and the counts come out exact.
func TestPickMembers(t *testing.T) {
	opts := Options{Users: 50, Orgs: 40, Memberships: 900, BigOrg: 50, Seed: 3, Now: time.Now()}
	if err := opts.Validate(); err != nil {
		t.Fatal(err)
	}
	g := newGenerator(opts, 0, 0, "a", "m")
	g.plan()
	if len(g.members) != opts.Memberships {
		t.Fatalf("%d members, want %d", len(g.members), opts.Memberships)
	}
	for oi := range g.orgs {
		members := g.members[g.memberStart[oi]:g.memberStart[oi+1]]
		if int32(len(members)) != g.orgs[oi].size {
			t.Errorf("org %d: %d members, planned %d", oi, len(members), g.orgs[oi].size)
		}
		seen := map[int32]bool{}
		for j, u := range members {
			if seen[u] {
				t.Errorf("org %d has user %d twice", oi, u)
			}
			seen[u] = true
			if g.users[u].created < g.users[members[0]].created {
				t.Errorf("org %d: member %d signed up before the creator", oi, j)
			}
		}
		if len(members) > 0 && g.orgs[oi].created < g.users[members[0]].created {
			t.Errorf("org %d made before its creator signed up", oi)
		}
	}
	if g.orgs[0].size != int32(opts.BigOrg) {
		t.Errorf("big org planned with %d members, want %d", g.orgs[0].size, opts.BigOrg)
	}
}
