package main

import (
	"context"
	"strings"
	"testing"

	"roster/internal/database"
	"roster/internal/store"
	"roster/internal/testkit"
)

// TestCLIUserEmailChange: `roster user update --email` is an ownership
// change like any other: the user's sessions end, the old address is told,
// the new one is unverified, and the audit log names both and the operator.
func TestCLIUserEmailChange(t *testing.T) {
	t.Parallel()
	dbURL := testkit.NewDBURL(t)
	c := cli{t: t, env: []string{"DATABASE_URL=" + dbURL}}
	var acme orgJSON
	c.okJSON(&acme, "org", "create", "--name", "Acme", "--admin-email", "alice@acme.test")
	c.ok("member", "add", "--org", acme.ID, "--email", "bob@acme.test")
	var alice userJSON
	c.okJSON(&alice, "user", "show", "alice@acme.test")

	db, err := database.Open(context.Background(), dbURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := db.Get(&n, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	if _, err := db.Exec(`UPDATE users SET email_verified = true WHERE id = $1`, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO sessions (token_hash, user_id, idle_expires_at, absolute_expires_at)
		VALUES ('\x01', $1, now() + interval '1 hour', now() + interval '1 day')`, alice.ID); err != nil {
		t.Fatal(err)
	}

	// Nothing to change, or an address someone else has: refused.
	mustContain(t, "stderr", c.fails("user", "update", alice.ID, "--email", "bob@acme.test"), "already used by another user")
	_, errOut, code := runRoster(t, c.env, "user", "update", alice.ID)
	if code != 2 || !strings.Contains(errOut, "give a field to change") {
		t.Errorf("update without a field: exit %d, %s", code, errOut)
	}

	// The same address in other letter case: only the spelling.
	_, errOut, code = runRoster(t, c.env, "user", "update", alice.ID, "--email", "Alice@Acme.test")
	if code != 0 || strings.Contains(errOut, "email changed") {
		t.Errorf("case change: exit %d, %s", code, errOut)
	}
	if count(`SELECT count(*) FROM sessions WHERE user_id = $1 AND status = 'ACTIVE'`, alice.ID) != 1 ||
		count(`SELECT count(*) FROM users WHERE id = $1 AND email = 'Alice@Acme.test' AND email_verified`, alice.ID) != 1 {
		t.Error("a case change ended the session or the verification")
	}

	// Another address.
	out, errOut, code := runRoster(t, c.env, "user", "update", "alice@acme.test", "--email", "alice@newco.test", "--given-name", "Alice")
	if code != 0 {
		t.Fatalf("update: exit %d\n%s", code, errOut)
	}
	mustContain(t, "stdout", out, "alice@newco.test (verified: false)")
	mustContain(t, "stderr", errOut, "every session of the user ended", "Alice@Acme.test was mailed a notice")
	if n := count(`SELECT count(*) FROM sessions WHERE user_id = $1 AND status = 'ACTIVE'`, alice.ID); n != 0 {
		t.Errorf("%d sessions outlived the change", n)
	}
	// The CLI sealed the notice with the key kept in the database.
	key, err := database.SecretKey(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	notices := 0
	for _, m := range testkit.Outbox(t, store.New(db).WithMailKey(key), "alice@acme.test") {
		if m.Kind == "email_changed" && strings.Contains(m.Text, "a***@newco.test") {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("%d notices to the old address", notices)
	}
	if n := count(`SELECT count(*) FROM audit_events WHERE action = 'user.email_changed' AND user_id = $1
		AND changes->'email'->>'from' = 'Alice@Acme.test' AND changes->'email'->>'to' = 'alice@newco.test'
		AND actor_label LIKE 'cli:_%'`, alice.ID); n != 1 {
		t.Error("no user.email_changed event naming both addresses and the operator")
	}
}
