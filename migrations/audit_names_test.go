package migrations_test

import (
	"context"
	"strings"
	"testing"

	"roster/internal/database"
	"roster/internal/testkit"
)

// TestAuditNamesBackfill rolls the schema back to before 00017, writes
// events as Roster wrote them then (ids only), migrates up, and wants each
// event named: from the tables for what still exists, from what the event
// itself recorded, or from another event about the same organization or
// user once they are gone.
func TestAuditNamesBackfill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testkit.NewDB(t)
	for {
		name, err := database.Down(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(name, "00017_") {
			break
		}
	}
	acme := insertID(t, db, `INSERT INTO organizations (display_name) VALUES ('Acme') RETURNING id`)
	bob := insertID(t, db, `INSERT INTO users (email) VALUES ('bob@acme.test') RETURNING id`)
	billing := insertID(t, db, `INSERT INTO roles (organization_id, name) VALUES ($1, 'billing') RETURNING id`, acme)
	const goneOrg, goneUser = "org_gonegonegonegonegonegonego", "usr_gonegonegonegonegonegonego"
	event := func(action, org, user, targetType, targetID, changes string) string {
		t.Helper()
		return insertID(t, db, `INSERT INTO audit_events (actor_type, actor_label, action, organization_id, user_id,
				target_type, target_id, changes)
			VALUES ('admin', 'ann@acme.test', $1, nullif($2, ''), nullif($3, ''), nullif($4, ''), nullif($5, ''), $6)
			RETURNING id`, action, org, user, targetType, targetID, changes)
	}
	ids := map[string]string{
		"live membership":    event("membership.created", acme, bob, "membership", "mem_1", `{"roles": ["member"]}`),
		"live role":          event("role.created", acme, "", "role", billing, `{"name": "billing"}`),
		"deleted role":       event("role.deleted", acme, "", "role", "role_gone", `{"name": "old_role"}`),
		"renamed org":        event("organization.updated", acme, "", "organization", acme, `{"display_name": {"from": "Old", "to": "Acme"}}`),
		"gone membership":    event("membership.removed", goneOrg, goneUser, "membership", "mem_2", `{}`),
		"gone user deleted":  event("user.deleted", "", goneUser, "user", goneUser, `{"email": "gone@gone.test"}`),
		"gone org deleted":   event("organization.deleted", goneOrg, "", "organization", goneOrg, `{"display_name": "Gone Inc"}`),
		"environment change": event("settings.updated", "", "", "environment_settings", "environment", `{}`),
	}
	if err := database.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}

	for what, want := range map[string][3]string{ // organization, user, target
		"live membership":    {"Acme", "bob@acme.test", ""},
		"live role":          {"Acme", "", "billing"},
		"deleted role":       {"Acme", "", "old_role"},
		"renamed org":        {"Acme", "", ""},
		"gone membership":    {"Gone Inc", "gone@gone.test", ""},
		"gone user deleted":  {"", "gone@gone.test", ""},
		"gone org deleted":   {"Gone Inc", "", ""},
		"environment change": {"", "", ""},
	} {
		var got [3]string
		err := db.QueryRowx(`SELECT coalesce(organization_name, ''), coalesce(user_label, ''), coalesce(target_label, '')
			FROM audit_events WHERE id = $1`, ids[what]).Scan(&got[0], &got[1], &got[2])
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: names %q, want %q", what, got, want)
		}
	}
}
