package migrations_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"roster/internal/testkit"
)

// These tests hold the schema to the model's invariants with plain SQL, so
// they keep holding for any code path, including ones that skip the services.

func TestMain(m *testing.M) { testkit.Main(m) }

// execRolledBack runs one statement in a transaction it then rolls back, so cases
// sharing a database do not see each other's rows.
func execRolledBack(t *testing.T, db *sqlx.DB, query string) error {
	t.Helper()
	tx, err := db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, err = tx.Exec(query)
	return err
}

func insertID(t *testing.T, db *sqlx.DB, query string, args ...any) string {
	t.Helper()
	var id string
	if err := db.Get(&id, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return id
}

func TestSchemaInvariants(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t)
	orgA := insertID(t, db, `INSERT INTO organizations (display_name, slug) VALUES ('Acme', 'acme') RETURNING id`)
	orgB := insertID(t, db, `INSERT INTO organizations (display_name) VALUES ('Beta') RETURNING id`)
	user := insertID(t, db, `INSERT INTO users (email) VALUES ('ann@example.com') RETURNING id`)
	insertID(t, db, `INSERT INTO organization_domains (organization_id, domain, domain_type)
		VALUES ($1, 'acme.test', 'ORGANIZATION_DOMAIN') RETURNING id`, orgA)
	// Statements name the rows above by these placeholders.
	fill := strings.NewReplacer(":orgA", "'"+orgA+"'", ":orgB", "'"+orgB+"'", ":user", "'"+user+"'").Replace
	id26 := strings.Repeat("a", 26)
	label63 := strings.Repeat("a", 63)
	membership := func(status, columns, values string) string {
		return `INSERT INTO memberships (user_id, organization_id, provisioning_method, status` + columns + `)
			VALUES (:user, :orgB, 'direct_provision', '` + status + `'` + values + `)`
	}

	tests := []struct {
		name string
		sql  string
		// code is the SQLSTATE wanted, "" when the statement must succeed;
		// constraint, when set, is the constraint that must refuse it.
		code       string
		constraint string
	}{
		{"user email differing only in case", `INSERT INTO users (email) VALUES ('Ann@Example.COM')`, "23505", "users_email_key"},
		{"user email with other address", `INSERT INTO users (email) VALUES ('ann2@example.com')`, "", ""},

		{"membership with unknown status", membership("BANNED", ", joined_at", ", now()"), "23514", "memberships_status_check"},
		{"membership with lowercase status", membership("active", ", joined_at", ", now()"), "23514", "memberships_status_check"},
		{"membership ACTIVE with join time", membership("ACTIVE", ", joined_at", ", now()"), "", ""},
		{"membership ACTIVE without join time", membership("ACTIVE", "", ""), "23514", "memberships_check1"},
		{"membership PENDING_INVITE without expiry", membership("PENDING_INVITE", "", ""), "23514", "memberships_check"},
		{"membership INVITE_EXPIRED without expiry", membership("INVITE_EXPIRED", "", ""), "23514", "memberships_check"},
		{"membership PENDING_INVITE with expiry", membership("PENDING_INVITE", ", invite_expires_at", ", now() + interval '15 days'"), "", ""},
		{"membership INACTIVE without join time", membership("INACTIVE", "", ""), "", ""},
		{"second membership of a user in one org", `INSERT INTO memberships (user_id, organization_id, provisioning_method, status, joined_at)
			VALUES (:user, :orgA, 'direct_provision', 'ACTIVE', now()), (:user, :orgA, 'invitation', 'ACTIVE', now())`, "23505", "memberships_user_id_organization_id_key"},

		{"domain claimed by a second org", `INSERT INTO organization_domains (organization_id, domain, domain_type)
			VALUES (:orgB, 'acme.test', 'ALLOWED_EMAIL_DOMAIN')`, "23505", "organization_domains_domain"},
		{"domain in upper case", `INSERT INTO organization_domains (organization_id, domain, domain_type)
			VALUES (:orgB, 'ACME.test', 'ORGANIZATION_DOMAIN')`, "23514", "organization_domains_domain_check"},
		{"another domain for the second org", `INSERT INTO organization_domains (organization_id, domain, domain_type)
			VALUES (:orgB, 'beta.test', 'ORGANIZATION_DOMAIN')`, "", ""},

		{"slug with upper case", `INSERT INTO organizations (display_name, slug) VALUES ('X', 'Acme2')`, "23514", "organizations_slug_check"},
		{"slug starting with a hyphen", `INSERT INTO organizations (display_name, slug) VALUES ('X', '-acme')`, "23514", "organizations_slug_check"},
		{"slug ending with a hyphen", `INSERT INTO organizations (display_name, slug) VALUES ('X', 'acme-')`, "23514", "organizations_slug_check"},
		{"slug with an underscore", `INSERT INTO organizations (display_name, slug) VALUES ('X', 'ac_me')`, "23514", "organizations_slug_check"},
		{"slug with a dot", `INSERT INTO organizations (display_name, slug) VALUES ('X', 'acme.corp')`, "23514", "organizations_slug_check"},
		{"slug of 64 characters", `INSERT INTO organizations (display_name, slug) VALUES ('X', '` + label63 + `a')`, "23514", "organizations_slug_check"},
		{"empty slug", `INSERT INTO organizations (display_name, slug) VALUES ('X', '')`, "23514", "organizations_slug_check"},
		{"slug taken", `INSERT INTO organizations (display_name, slug) VALUES ('X', 'acme')`, "23505", "organizations_slug_key"},
		{"slug of 63 characters", `INSERT INTO organizations (display_name, slug) VALUES ('X', '` + label63 + `')`, "", ""},
		{"slug with inner hyphen and digits", `INSERT INTO organizations (display_name, slug) VALUES ('X', 'acme-2')`, "", ""},
		{"slug of one character", `INSERT INTO organizations (display_name, slug) VALUES ('X', 'a')`, "", ""},

		{"metadata key of 2 characters", `INSERT INTO organizations (display_name, metadata) VALUES ('X', '{"ab": "x"}')`, "23514", "organizations_metadata_check"},
		{"metadata key of 26 characters", `INSERT INTO organizations (display_name, metadata) VALUES ('X', '{"` + id26 + `": "x"}')`, "23514", "organizations_metadata_check"},
		{"metadata number value", `INSERT INTO organizations (display_name, metadata) VALUES ('X', '{"abc": 1}')`, "23514", "organizations_metadata_check"},
		{"metadata object value", `INSERT INTO organizations (display_name, metadata) VALUES ('X', '{"abc": {"d": "e"}}')`, "23514", "organizations_metadata_check"},
		{"metadata null value", `INSERT INTO organizations (display_name, metadata) VALUES ('X', '{"abc": null}')`, "23514", "organizations_metadata_check"},
		{"metadata value of 257 characters", `INSERT INTO organizations (display_name, metadata) VALUES ('X', jsonb_build_object('abc', repeat('v', 257)))`, "23514", "organizations_metadata_check"},
		{"metadata that is an array", `INSERT INTO organizations (display_name, metadata) VALUES ('X', '["abc"]')`, "23514", "organizations_metadata_check"},
		{"user metadata key of 2 characters", `INSERT INTO users (email, metadata) VALUES ('m@example.com', '{"ab": "x"}')`, "23514", "users_metadata_check"},
		{"membership metadata with a boolean", `INSERT INTO memberships (user_id, organization_id, provisioning_method, status, metadata)
			VALUES (:user, :orgB, 'direct_provision', 'INACTIVE', '{"abc": true}')`, "23514", "memberships_metadata_check"},
		{"metadata at the limits", `INSERT INTO organizations (display_name, metadata)
			VALUES ('X', jsonb_build_object('abc', repeat('v', 256), '` + id26[:25] + `', ''))`, "", ""},

		{"second environment_settings row", `INSERT INTO environment_settings DEFAULT VALUES`, "23505", "environment_settings_pkey"},
		{"environment_settings row with id false", `INSERT INTO environment_settings (id) VALUES (false)`, "23514", "environment_settings_id_check"},

		{"role extending itself", `UPDATE roles SET extends_role_id = id WHERE organization_id IS NULL AND name = 'member'`, "23514", "roles_check"},
		{"new role extending itself", `INSERT INTO roles (id, name, extends_role_id) VALUES ('role_` + id26 + `', 'selfish', 'role_` + id26 + `')`, "23514", "roles_check"},

		{"organization id with a user prefix", `INSERT INTO organizations (id, display_name) VALUES ('usr_` + id26 + `', 'X')`, "23514", "organizations_id_check"},
		{"organization id without a prefix", `INSERT INTO organizations (id, display_name) VALUES ('` + id26 + `', 'X')`, "23514", "organizations_id_check"},
		{"organization id too short", `INSERT INTO organizations (id, display_name) VALUES ('org_` + id26[:25] + `', 'X')`, "23514", "organizations_id_check"},
		{"organization id in upper case", `INSERT INTO organizations (id, display_name) VALUES ('org_` + strings.ToUpper(id26) + `', 'X')`, "23514", "organizations_id_check"},
		{"user id with an org prefix", `INSERT INTO users (id, email) VALUES ('org_` + id26 + `', 'x@example.com')`, "23514", "users_id_check"},
		{"organization id made by hand, rightly", `INSERT INTO organizations (id, display_name) VALUES ('org_` + id26 + `', 'X')`, "", ""},

		{"password hash in plain text", `INSERT INTO password_credentials (user_id, hash) VALUES (:user, 'hunter22')`, "23514", "password_credentials_hash_check"},
		{"password hash argon2i", `INSERT INTO password_credentials (user_id, hash) VALUES (:user, '$argon2i$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA')`, "23514", "password_credentials_hash_check"},
		{"password hash md5-crypt", `INSERT INTO password_credentials (user_id, hash) VALUES (:user, '$1$salt$hash')`, "23514", "password_credentials_hash_check"},
		{"password hash scrypt", `INSERT INTO password_credentials (user_id, hash) VALUES (:user, '$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA')`, "23514", "password_credentials_hash_check"},
		{"password hash argon2id", `INSERT INTO password_credentials (user_id, hash) VALUES (:user, '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA')`, "", ""},
		{"password hash bcrypt 2b", `INSERT INTO password_credentials (user_id, hash) VALUES (:user, '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234')`, "", ""},
		{"password hash bcrypt 2y", `INSERT INTO password_credentials (user_id, hash) VALUES (:user, '$2y$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234')`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := execRolledBack(t, db, fill(tt.sql))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var pqErr *pq.Error
			if !errors.As(err, &pqErr) {
				t.Fatalf("want SQLSTATE %s from %s, got %v", tt.code, tt.constraint, err)
			}
			if string(pqErr.Code) != tt.code || pqErr.Constraint != tt.constraint {
				t.Fatalf("want SQLSTATE %s from %s, got %s from %q: %v", tt.code, tt.constraint, pqErr.Code, pqErr.Constraint, pqErr)
			}
		})
	}
}

func TestNewID(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t)
	var ids []string
	if err := db.Select(&ids, `SELECT roster_new_id('org') FROM generate_series(1, 1000)`); err != nil {
		t.Fatal(err)
	}
	// 128 bits in base32 is 26 characters, the last holding 3 bits and 2 zero
	// bits, as the Go package internal/ids encodes them.
	valid := regexp.MustCompile(`^org_[a-z2-7]{25}[aeimquy4]$`)
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !valid.MatchString(id) {
			t.Fatalf("roster_new_id('org') = %q", id)
		}
		seen[id] = true
	}
	if len(ids) != 1000 || len(seen) != 1000 {
		t.Fatalf("%d calls gave %d distinct ids", len(ids), len(seen))
	}
}

func TestBuiltinRoles(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t)
	type role struct {
		ID          string  `db:"id"`
		Name        string  `db:"name"`
		Extends     *string `db:"extends"`
		Permissions string  `db:"permissions"`
	}
	var roles []role
	err := db.Select(&roles, `
		SELECT r.id, r.name, e.name AS extends,
		       coalesce((SELECT string_agg(p.name, ',' ORDER BY p.name)
		                 FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id
		                 WHERE rp.role_id = r.id), '') AS permissions
		FROM roles r LEFT JOIN roles e ON e.id = r.extends_role_id
		WHERE r.organization_id IS NULL ORDER BY r.name`)
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 2 || roles[0].Name != "admin" || roles[1].Name != "member" {
		t.Fatalf("environment roles: %+v", roles)
	}
	admin, member := roles[0], roles[1]
	if admin.Extends == nil || *admin.Extends != "member" || member.Extends != nil {
		t.Errorf("admin extends %v, member extends %v; want member and nothing", admin.Extends, member.Extends)
	}
	if want := "members:read,organization:read"; member.Permissions != want {
		t.Errorf("member's permissions = %s, want %s", member.Permissions, want)
	}
	for _, p := range []string{"members:invite", "members:remove", "members:update", "organization:update", "roles:manage"} {
		if !slices.Contains(strings.Split(admin.Permissions, ","), p) {
			t.Errorf("admin lacks %s: %s", p, admin.Permissions)
		}
	}

	var defaults struct {
		Creator string `db:"default_creator_role_id"`
		Member  string `db:"default_member_role_id"`
	}
	if err := db.Get(&defaults, `SELECT default_creator_role_id, default_member_role_id FROM environment_settings`); err != nil {
		t.Fatal(err)
	}
	if defaults.Creator != admin.ID || defaults.Member != member.ID {
		t.Errorf("environment defaults: creator %s, member %s; want admin %s, member %s", defaults.Creator, defaults.Member, admin.ID, member.ID)
	}
}

type memberCounts struct {
	Total   int `db:"total"`
	Active  int `db:"active"`
	Pending int `db:"pending"`
}

// checkCounts compares an org's trigger-kept counts with want and with a
// count of its memberships made now.
func checkCounts(t *testing.T, db *sqlx.DB, step, orgID string, want memberCounts) {
	t.Helper()
	var kept, counted memberCounts
	err := db.Get(&kept, `
		SELECT coalesce(max(total), 0) AS total, coalesce(max(active), 0) AS active, coalesce(max(pending), 0) AS pending
		FROM organization_member_counts WHERE organization_id = $1`, orgID)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Get(&counted, `
		SELECT count(*) AS total, count(*) FILTER (WHERE status = 'ACTIVE') AS active,
		       count(*) FILTER (WHERE status = 'PENDING_INVITE') AS pending
		FROM memberships WHERE organization_id = $1`, orgID)
	if err != nil {
		t.Fatal(err)
	}
	if kept != want || counted != want {
		t.Errorf("after %s: kept counts %+v, counted %+v, want %+v", step, kept, counted, want)
	}
}

func TestMemberCountTriggers(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t)
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := db.Exec(query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	orgA := insertID(t, db, `INSERT INTO organizations (display_name) VALUES ('A') RETURNING id`)
	orgB := insertID(t, db, `INSERT INTO organizations (display_name) VALUES ('B') RETURNING id`)
	orgC := insertID(t, db, `INSERT INTO organizations (display_name) VALUES ('C') RETURNING id`)
	var u []string
	if err := db.Select(&u, `INSERT INTO users (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 4) g RETURNING id`); err != nil {
		t.Fatal(err)
	}
	const into = `INSERT INTO memberships (user_id, organization_id, provisioning_method, status, joined_at, invite_expires_at) `
	const insert = into + `VALUES `

	exec(insert+`($1, $2, 'org_creator', 'ACTIVE', now(), NULL)`, u[0], orgA)
	checkCounts(t, db, "one active member", orgA, memberCounts{1, 1, 0})
	exec(insert+`($1, $2, 'invitation', 'PENDING_INVITE', NULL, now() + interval '1 day')`, u[1], orgA)
	checkCounts(t, db, "an invitation", orgA, memberCounts{2, 1, 1})
	exec(insert+`($1, $2, 'direct_provision', 'INACTIVE', NULL, NULL), ($1, $3, 'direct_provision', 'ACTIVE', now(), NULL),
		($4, $3, 'invitation', 'INVITE_EXPIRED', NULL, now())`, u[2], orgA, orgB, u[3])
	checkCounts(t, db, "a multi-row insert, org A", orgA, memberCounts{3, 1, 1})
	checkCounts(t, db, "a multi-row insert, org B", orgB, memberCounts{2, 1, 0})

	exec(`UPDATE memberships SET status = 'ACTIVE', joined_at = now() WHERE user_id = $1 AND organization_id = $2`, u[1], orgA)
	checkCounts(t, db, "accepting the invitation", orgA, memberCounts{3, 2, 0})
	exec(`UPDATE memberships SET status = 'INACTIVE' WHERE user_id = $1 AND organization_id = $2`, u[0], orgA)
	checkCounts(t, db, "deactivating", orgA, memberCounts{3, 1, 0})
	exec(`UPDATE memberships SET metadata = '{"team": "red"}'`)
	checkCounts(t, db, "an update of every row that changes no status", orgA, memberCounts{3, 1, 0})
	checkCounts(t, db, "an update of every row that changes no status", orgB, memberCounts{2, 1, 0})
	exec(`UPDATE memberships SET status = 'PENDING_INVITE', invite_expires_at = now() + interval '1 day'
		WHERE user_id = $1 AND organization_id = $2`, u[3], orgB)
	checkCounts(t, db, "re-inviting an expired invitation", orgB, memberCounts{2, 1, 1})
	exec(`UPDATE memberships SET organization_id = $1 WHERE user_id = $2 AND organization_id = $3`, orgB, u[1], orgA)
	checkCounts(t, db, "moving a membership, from org A", orgA, memberCounts{2, 0, 0})
	checkCounts(t, db, "moving a membership, to org B", orgB, memberCounts{3, 2, 1})

	exec(`DELETE FROM memberships WHERE user_id = $1 AND organization_id = $2`, u[2], orgA)
	checkCounts(t, db, "removing a member", orgA, memberCounts{1, 0, 0})
	exec(`DELETE FROM users WHERE id = $1`, u[1])
	checkCounts(t, db, "deleting a user", orgB, memberCounts{2, 1, 1})

	// 1,000 users and their memberships, each in one statement.
	exec(`INSERT INTO users (email) SELECT 'bulk' || g || '@example.com' FROM generate_series(1, 1000) g`)
	exec(into+`
		SELECT id, $1, 'direct_provision',
		       CASE WHEN n % 3 = 0 THEN 'PENDING_INVITE' WHEN n % 3 = 1 THEN 'ACTIVE' ELSE 'INACTIVE' END,
		       CASE WHEN n % 3 = 1 THEN now() END,
		       CASE WHEN n % 3 = 0 THEN now() + interval '1 day' END
		FROM (SELECT id, row_number() OVER (ORDER BY email) AS n FROM users WHERE email LIKE 'bulk%') AS b`, orgC)
	checkCounts(t, db, "inserting 1,000 memberships at once", orgC, memberCounts{1000, 334, 333})
	exec(`UPDATE memberships SET status = 'INVITE_EXPIRED' WHERE organization_id = $1 AND status = 'PENDING_INVITE'`, orgC)
	checkCounts(t, db, "expiring 333 invitations at once", orgC, memberCounts{1000, 334, 0})
	exec(`DELETE FROM memberships WHERE organization_id = $1 AND status <> 'ACTIVE'`, orgC)
	checkCounts(t, db, "deleting 666 memberships at once", orgC, memberCounts{334, 334, 0})

	// Deleting an org cascades to its memberships; their trigger must neither
	// fail on the missing org nor leave a row behind.
	exec(`DELETE FROM organizations WHERE id = $1`, orgC)
	var left int
	if err := db.Get(&left, `SELECT count(*) FROM organization_member_counts WHERE organization_id = $1`, orgC); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("deleted org still has a counts row")
	}
	checkCounts(t, db, "deleting another org", orgB, memberCounts{2, 1, 1})
	exec(`DELETE FROM organizations WHERE id IN ($1, $2)`, orgA, orgB)
	if err := db.Get(&left, `SELECT count(*) FROM organization_member_counts`); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d counts rows left after every org was deleted", left)
	}
}
