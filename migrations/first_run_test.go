package migrations_test

import (
	"context"
	"testing"

	"roster/internal/database"
	"roster/internal/testkit"
)

// TestDeletingUsersWithoutOrgsIsOffUnlessChosen: migration 00018 turns the
// setting off in an environment that kept the old default, and leaves it
// alone where someone chose it (an audited settings change). New rows get
// the new default.
func TestDeletingUsersWithoutOrgsIsOffUnlessChosen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testkit.NewDB(t)
	setting := func() bool {
		t.Helper()
		var on bool
		if err := db.Get(&on, `SELECT delete_users_without_memberships FROM environment_settings`); err != nil {
			t.Fatal(err)
		}
		return on
	}
	if setting() {
		t.Fatal("a new environment deletes users left without an organization")
	}
	var def string
	if err := db.Get(&def, `SELECT column_default FROM information_schema.columns
		WHERE table_name = 'environment_settings' AND column_name = 'delete_users_without_memberships'`); err != nil || def != "false" {
		t.Errorf("column default %q, %v", def, err)
	}

	// Back before 00018, an environment as the old default left it.
	down := func() {
		t.Helper()
		for { // later migrations first
			v, err := database.Down(ctx, db)
			if err != nil {
				t.Fatalf("down: %s %v", v, err)
			}
			if v == "00018_first_run.sql" {
				break
			}
		}
		if _, err := db.Exec(`UPDATE environment_settings SET delete_users_without_memberships = true`); err != nil {
			t.Fatal(err)
		}
	}
	down()
	if err := database.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if setting() {
		t.Error("the old default was kept")
	}

	// Someone turned it on by hand: their choice stands.
	down()
	if _, err := db.Exec(`INSERT INTO audit_events (actor_type, actor_label, action, target_type, target_id, changes)
		VALUES ('admin', 'ann@example.com', 'settings.updated', 'environment_settings', 'environment',
		        '{"delete_users_without_memberships": {"from": false, "to": true}}')`); err != nil {
		t.Fatal(err)
	}
	if err := database.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if !setting() {
		t.Error("a chosen setting was changed")
	}
}
