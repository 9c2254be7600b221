package importer_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"roster/internal/importer"
	"roster/internal/passwords"
)

const oneToOneHeader = "user_external_id,email,given_name,family_name,name,email_verified,org_external_id,org_display_name,roles,membership_status,password_hash,user_metadata,membership_metadata\n"

// oneToOneCSV: two orgs, Acme with two admins' worth of roles and Globex
// with no admin at all, one pending invitation, both kinds of hash.
var oneToOneCSV = oneToOneHeader +
	`u1,ann@acme.test,Ann,Lee,,true,acme,Acme Inc,admin,,` + bcryptHash + `,"{""plan"":""pro""}","{""team"":""ops""}"` + "\n" +
	`u2,bob@acme.test,Bob,,,,acme,Acme Inc,member;admin,ACTIVE,"` + argonHash + `",,` + "\n" +
	"u3,cy@globex.test,,,Cy Young,false,globex,Globex,,PENDING_INVITE,,,\n" +
	"u4,di@globex.test,Di,,,,globex,Globex,member,,,,\n"

// jsonl encodes one object per line.
func jsonl(t *testing.T, objs ...map[string]any) string {
	t.Helper()
	var b strings.Builder
	for _, o := range objs {
		line, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// oneToOneJSONL is oneToOneCSV as JSON Lines.
func oneToOneJSONL(t *testing.T) string {
	return jsonl(t,
		map[string]any{"user_external_id": "u1", "email": "ann@acme.test", "given_name": "Ann", "family_name": "Lee", "email_verified": true,
			"org_external_id": "acme", "org_display_name": "Acme Inc", "roles": []string{"admin"}, "password_hash": bcryptHash,
			"user_metadata": map[string]string{"plan": "pro"}, "membership_metadata": map[string]string{"team": "ops"}},
		map[string]any{"user_external_id": "u2", "email": "bob@acme.test", "given_name": "Bob", "org_external_id": "acme",
			"org_display_name": "Acme Inc", "roles": "member;admin", "membership_status": "ACTIVE", "password_hash": argonHash},
		map[string]any{"user_external_id": "u3", "email": "cy@globex.test", "name": "Cy Young", "email_verified": false,
			"org_external_id": "globex", "org_display_name": "Globex", "membership_status": "PENDING_INVITE", "roles": nil},
		map[string]any{"user_external_id": "u4", "email": "di@globex.test", "given_name": "Di", "org_external_id": "globex",
			"org_display_name": "Globex", "roles": []string{"member"}},
	)
}

var oneToOneWant = strings.Join([]string{
	"membership u1@acme ACTIVE direct_provision roles=admin md=map[team:ops] expires=",
	"membership u2@acme ACTIVE direct_provision roles=admin,member md=map[] expires=",
	"membership u3@globex PENDING_INVITE invitation roles=member md=map[] expires=2026-03-16T09:00:00Z",
	"membership u4@globex ACTIVE direct_provision roles=member md=map[] expires=",
	`org acme "Acme Inc" slug= md=map[] updated=2026-03-01T09:00:00Z`,
	`org globex "Globex" slug= md=map[] updated=2026-03-01T09:00:00Z`,
	"user u1 ann@acme.test verified=true given=Ann family=Lee name=Ann Lee md=map[plan:pro] hash=" + bcryptHash + " updated=2026-03-01T09:00:00Z",
	"user u2 bob@acme.test verified=false given=Bob family= name=Bob md=map[] hash=" + argonHash + " updated=2026-03-01T09:00:00Z",
	"user u3 cy@globex.test verified=false given= family= name=Cy Young md=map[] hash= updated=2026-03-01T09:00:00Z",
	"user u4 di@globex.test verified=false given=Di family= name=Di md=map[] hash= updated=2026-03-01T09:00:00Z",
}, "\n")

func TestOneToOneRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		format importer.Format
		input  func(t *testing.T) string
	}{
		{importer.CSV, func(*testing.T) string { return oneToOneCSV }},
		{importer.JSONL, oneToOneJSONL},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			f := newFixture(t)
			opts := importer.Options{Shape: importer.OneToOne, Format: tc.format}
			rep := f.run(opts, tc.input(t))
			wantNoErrors(t, rep)
			if !rep.Committed || rep.Rows != 4 {
				t.Errorf("committed=%v rows=%d, want true, 4", rep.Committed, rep.Rows)
			}
			wantCounts(t, "users", rep.Users, c(4, 0, 0))
			wantCounts(t, "organizations", rep.Organizations, c(2, 0, 0))
			wantCounts(t, "memberships", rep.Memberships, c(4, 0, 0))
			if got := f.snapshot(); got != oneToOneWant {
				t.Fatalf("directory after import:\n%s\nwant:\n%s", got, oneToOneWant)
			}
			if len(rep.Warnings) != 1 || rep.Warnings[0].OrganizationExternalID != "globex" {
				t.Errorf("warnings = %+v, want one about globex having no admin", rep.Warnings)
			}
			// No mail for the imported invitation.
			if n := f.count(`SELECT count(*) FROM email_outbox`); n != 0 {
				t.Errorf("%d emails queued, want none", n)
			}

			// The same input again: nothing changes, nothing doubles.
			f.clock.Advance(time.Hour)
			before, totals := f.snapshot(), f.totals()
			rep = f.run(opts, tc.input(t))
			wantNoErrors(t, rep)
			wantCounts(t, "users on re-run", rep.Users, c(0, 0, 4))
			wantCounts(t, "organizations on re-run", rep.Organizations, c(0, 0, 2))
			wantCounts(t, "memberships on re-run", rep.Memberships, c(0, 0, 4))
			if after := f.snapshot(); after != before {
				t.Errorf("re-run changed the directory:\n%s\nwas:\n%s", after, before)
			}
			// Only the run's own import.completed event is new.
			if got, want := f.totals(), strings.Replace(totals, "audit=11", "audit=12", 1); got != want {
				t.Errorf("after re-run: %s, want %s", got, want)
			}
		})
	}
}

func TestReRunUpdatesWhatChanged(t *testing.T) {
	f := newFixture(t)
	opts := importer.Options{Shape: importer.OneToOne, Format: importer.CSV}
	wantNoErrors(t, f.run(opts, oneToOneCSV))

	f.clock.Advance(time.Hour)
	changed := oneToOneHeader +
		// Ann: new family name, and no longer an admin but a member.
		`u1,ann@acme.test,Ann,Lee-Smith,,true,acme,Acme Inc,member,,` + bcryptHash + `,"{""plan"":""pro""}","{""team"":""ops""}"` + "\n" +
		// Bob: unchanged; roles in another order are the same roles.
		`u2,bob@acme.test,Bob,,,,acme,Acme Inc,admin;member,ACTIVE,"` + argonHash + `",,` + "\n" +
		// Cy accepted elsewhere: ACTIVE now, and the org got renamed.
		"u3,cy@globex.test,,,Cy Young,false,globex,Globex Corp,admin,ACTIVE,,,\n" +
		// Di: no roles given keeps her roles; new membership metadata.
		`u4,di@globex.test,Di,,,,globex,Globex Corp,,,,,"{""team"":""sales""}"` + "\n"
	rep := f.run(opts, changed)
	wantNoErrors(t, rep)
	wantCounts(t, "users", rep.Users, c(0, 1, 3))
	wantCounts(t, "organizations", rep.Organizations, c(0, 1, 1))
	wantCounts(t, "memberships", rep.Memberships, c(0, 3, 1))
	snap := f.snapshot()
	for _, want := range []string{
		"membership u1@acme ACTIVE direct_provision roles=member md=map[team:ops]",
		"membership u3@globex ACTIVE invitation roles=admin md=map[]",
		"membership u4@globex ACTIVE direct_provision roles=member md=map[team:sales]",
		`org globex "Globex Corp"`,
		"user u1 ann@acme.test verified=true given=Ann family=Lee-Smith name=Ann Lee md=map[plan:pro]",
	} {
		if !strings.Contains(snap, want) {
			t.Errorf("directory lacks %q:\n%s", want, snap)
		}
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings = %+v, want none: both orgs have an active admin", rep.Warnings)
	}
	var joined time.Time
	if err := f.db.Get(&joined, `SELECT m.joined_at FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.external_id = 'u3'`); err != nil {
		t.Fatal(err)
	}
	if !joined.Equal(f.clock.Now()) {
		t.Errorf("accepted invitation joined at %v, want %v", joined, f.clock.Now())
	}
	var actions []string
	if err := f.db.Select(&actions, `SELECT action FROM audit_events WHERE occurred_at = $1 ORDER BY action`, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(actions, " "); got != "import.completed import.membership_updated import.membership_updated import.membership_updated import.organization_updated import.user_updated" {
		t.Errorf("audit events of the re-run: %s", got)
	}
}

func TestMatchesUserByEmailWhateverItsCase(t *testing.T) {
	f := newFixture(t)
	var id string
	if err := f.db.Get(&id, `INSERT INTO users (email, given_name) VALUES ('Ann@Acme.Test', 'Annie') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	rep := f.run(importer.Options{Shape: importer.OneToOne, Format: importer.CSV}, oneToOneCSV)
	wantNoErrors(t, rep)
	wantCounts(t, "users", rep.Users, c(3, 1, 0))
	var ext, email, given string
	if err := f.db.QueryRow(`SELECT external_id, email, given_name FROM users WHERE id = $1`, id).Scan(&ext, &email, &given); err != nil {
		t.Fatal(err)
	}
	if ext != "u1" || email != "ann@acme.test" || given != "Ann" {
		t.Errorf("matched user: external_id=%q email=%q given_name=%q; want u1, ann@acme.test, Ann", ext, email, given)
	}
	if n := f.count(`SELECT count(*) FROM users WHERE lower(email) = 'ann@acme.test'`); n != 1 {
		t.Errorf("%d users with Ann's email, want 1", n)
	}
}

func TestExistingPasswordIsKept(t *testing.T) {
	f := newFixture(t)
	opts := importer.Options{Shape: importer.OneToOne, Format: importer.CSV}
	wantNoErrors(t, f.run(opts, oneToOneCSV))
	// Ann changed her password in Roster since the first run.
	own, err := passwords.Hash("a newer secret")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`UPDATE password_credentials SET hash = $1 FROM users u WHERE u.id = user_id AND u.external_id = 'u1'`, own); err != nil {
		t.Fatal(err)
	}
	// Cy gets a hash in the second run: she had none, so it is stored.
	rerun := strings.Replace(oneToOneCSV, "PENDING_INVITE,,,", "PENDING_INVITE,"+bcryptHash+",,", 1)
	rep := f.run(opts, rerun)
	wantNoErrors(t, rep)
	wantCounts(t, "users", rep.Users, c(0, 1, 3))
	var ann, cy string
	f.db.Get(&ann, `SELECT hash FROM password_credentials p JOIN users u ON u.id = p.user_id WHERE u.external_id = 'u1'`)
	f.db.Get(&cy, `SELECT hash FROM password_credentials p JOIN users u ON u.id = p.user_id WHERE u.external_id = 'u3'`)
	if ann != own || cy != bcryptHash {
		t.Errorf("hashes: ann %q (want her own), cy %q (want the imported one)", ann, cy)
	}
}

func TestImportedHashesVerify(t *testing.T) {
	f := newFixture(t)
	wantNoErrors(t, f.run(importer.Options{Shape: importer.OneToOne, Format: importer.JSONL}, oneToOneJSONL(t)))
	for ext, pass := range map[string]string{"u1": bcryptPass, "u2": argonPass} {
		var hash string
		if err := f.db.Get(&hash, `SELECT hash FROM password_credentials p JOIN users u ON u.id = p.user_id WHERE u.external_id = $1`, ext); err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if ok, rehash, err := passwords.Verify(hash, pass); !ok || !rehash || err != nil {
			t.Errorf("%s: Verify(right password) = %v, %v, %v; want true, true, nil", ext, ok, rehash, err)
		}
		if ok, _, err := passwords.Verify(hash, pass+"!"); ok || err != nil {
			t.Errorf("%s: Verify(wrong password) = %v, %v; want false, nil", ext, ok, err)
		}
	}
}

// The one-to-many input: shared users, per-org membership data, and a
// membership listed before the records it names.
func oneToManyJSONL(t *testing.T) string {
	return jsonl(t,
		map[string]any{"type": "membership", "user_external_id": "u1", "org_external_id": "o2", "roles": []string{"member"}, "metadata": map[string]string{"seat": "b-7"}},
		map[string]any{"type": "organization", "external_id": "o1", "display_name": "One", "slug": "one", "metadata": map[string]string{"tier": "gold"}},
		map[string]any{"type": "organization", "external_id": "o2", "display_name": "Two"},
		map[string]any{"type": "user", "external_id": "u1", "email": "ann@example.com", "given_name": "Ann", "password_hash": argonHash},
		map[string]any{"type": "user", "external_id": 2, "email": "bob@example.com", "metadata": map[string]string{"source": "legacy"}},
		map[string]any{"type": "membership", "user_external_id": "u1", "org_external_id": "o1", "roles": []string{"admin"}},
		map[string]any{"type": "membership", "user_external_id": "2", "org_external_id": "o1", "membership_status": "pending_invite"},
	)
}

const (
	usersCSV       = "external_id,email,given_name,password_hash\nu1,ann@example.com,Ann,\"" + argonHash + "\"\n2,bob@example.com,,\n"
	orgsCSV        = "external_id,display_name,slug,metadata\no1,One,one,\"{\"\"tier\"\":\"\"gold\"\"}\"\no2,Two,,\n"
	membershipsCSV = "user_external_id,org_external_id,roles,metadata,membership_status\nu1,o2,member,\"{\"\"seat\"\":\"\"b-7\"\"}\",\nu1,o1,admin,,\n2,o1,,,PENDING_INVITE\n"
)

func TestOneToManyRoundTrip(t *testing.T) {
	csvInputs := func() []importer.Input {
		return []importer.Input{
			{Name: "memberships.csv", Kind: importer.Memberships, Reader: strings.NewReader(membershipsCSV)},
			{Name: "users.csv", Kind: importer.Users, Reader: strings.NewReader(usersCSV)},
			{Name: "orgs.csv", Kind: importer.Organizations, Reader: strings.NewReader(orgsCSV)},
		}
	}
	for _, tc := range []struct {
		format importer.Format
		inputs func(t *testing.T) []importer.Input
	}{
		{importer.CSV, func(*testing.T) []importer.Input { return csvInputs() }},
		{importer.JSONL, func(t *testing.T) []importer.Input {
			return []importer.Input{{Reader: strings.NewReader(oneToManyJSONL(t))}}
		}},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			f := newFixture(t)
			opts := importer.Options{Shape: importer.OneToMany, Format: tc.format}
			rep := f.runInputs(opts, tc.inputs(t)...)
			wantNoErrors(t, rep)
			wantCounts(t, "users", rep.Users, c(2, 0, 0))
			wantCounts(t, "organizations", rep.Organizations, c(2, 0, 0))
			wantCounts(t, "memberships", rep.Memberships, c(3, 0, 0))
			snap := f.snapshot()
			for _, want := range []string{
				"membership 2@o1 PENDING_INVITE invitation roles=member md=map[] expires=2026-03-16T09:00:00Z",
				"membership u1@o1 ACTIVE direct_provision roles=admin md=map[]",
				"membership u1@o2 ACTIVE direct_provision roles=member md=map[seat:b-7]",
				`org o1 "One" slug=one md=map[tier:gold]`,
				"user u1 ann@example.com verified=false given=Ann family= name=Ann md=map[] hash=" + argonHash,
				"user 2 bob@example.com",
			} {
				if !strings.Contains(snap, want) {
					t.Errorf("directory lacks %q:\n%s", want, snap)
				}
			}
			if len(rep.Warnings) != 1 || rep.Warnings[0].OrganizationExternalID != "o2" {
				t.Errorf("warnings = %+v, want one about o2", rep.Warnings)
			}

			totals := f.totals()
			rep = f.runInputs(opts, tc.inputs(t)...)
			wantNoErrors(t, rep)
			wantCounts(t, "users on re-run", rep.Users, c(0, 0, 2))
			wantCounts(t, "organizations on re-run", rep.Organizations, c(0, 0, 2))
			wantCounts(t, "memberships on re-run", rep.Memberships, c(0, 0, 3))
			if got, want := f.totals(), strings.Replace(totals, "audit=8", "audit=9", 1); got != want {
				t.Errorf("after re-run: %s, want %s", got, want)
			}
		})
	}
}

// badOneToOneCSV mixes good rows (2, 6, 10) with every kind of bad one.
var badOneToOneCSV = oneToOneHeader +
	"u1,ann@acme.test,Ann,,,,acme,Acme,admin,,,,\n" + // line 2: good
	"u2,not-an-email,,,,,acme,Acme,,,,,\n" + // 3
	",cy@acme.test,,,,,acme,Acme,,,,,\n" + // 4: no external id
	"u4,di@acme.test,,,,,acme,Acme,owner,,,,\n" + // 5: unknown role
	"u5,ed@acme.test,,,,,acme,Acme,member,,,,\n" + // 6: good
	"u1,ann2@acme.test,Ann,,,,acme,Acme,admin,,,,\n" + // 7: u1 again, other email
	"u7,fay@acme.test,,,,,acme,Acme,,,hunter2,,\n" + // 8: plaintext password
	"u8,gus@acme.test,,,,,acme,Acme,,ADMIN,,{oops},\n" + // 9: bad status, bad metadata
	"u9,hal@globex.test,,,,,globex,Globex,,,,,\n" + // 10: good
	"u10,ann@acme.test,,,,,acme,Acme,,,,,\n" + // 11: Ann's email again
	"u11,ivy@acme.test,,,,,acme,Acme Corp,,,,,\n" // 12: acme with another name

var badRowErrors = []importer.RowError{
	{Line: 3, Message: `email "not-an-email" is not a valid email address`},
	{Line: 4, Message: "user_external_id is required"},
	{Line: 5, Message: `unknown role "owner"`},
	{Line: 7, Message: "user \"u1\" is on line 2 with another email (ann@acme.test)"},
	{Line: 8, Message: "password_hash must be a bcrypt ($2a$, $2b$, $2y$) or argon2id ($argon2id$v=19$m=…,t=…,p=…$salt$hash) hash"},
	{Line: 9, Message: `user_metadata must be a JSON object of strings, like {"plan": "pro"}; membership_status "ADMIN" must be ACTIVE or PENDING_INVITE`},
	{Line: 11, Message: "email ann@acme.test is also given to user \"u1\" on line 2"},
	{Line: 12, Message: "organization \"acme\" is on line 2 with different details"},
}

func TestBadRowsAreReportedAndSkipped(t *testing.T) {
	f := newFixture(t)
	rep := f.run(importer.Options{Shape: importer.OneToOne, Format: importer.CSV, BatchSize: 3}, badOneToOneCSV)
	wantErrors(t, rep.Errors, badRowErrors)
	if !rep.Committed || rep.Rows != 11 {
		t.Errorf("committed=%v rows=%d, want true, 11", rep.Committed, rep.Rows)
	}
	wantCounts(t, "users", rep.Users, c(3, 0, 0))
	wantCounts(t, "organizations", rep.Organizations, c(2, 0, 0))
	wantCounts(t, "memberships", rep.Memberships, c(3, 0, 0))
	if got := f.totals(); !strings.HasPrefix(got, "users=3 orgs=2 memberships=3 roles=3 passwords=0") {
		t.Errorf("directory holds %s", got)
	}
}

func TestStrictImportsNothingWhenARowIsBad(t *testing.T) {
	f := newFixture(t)
	rep := f.run(importer.Options{Shape: importer.OneToOne, Format: importer.CSV, Strict: true, BatchSize: 3}, badOneToOneCSV)
	wantErrors(t, rep.Errors, badRowErrors)
	if rep.Committed {
		t.Error("a strict run with bad rows says it committed")
	}
	if got := f.totals(); got != "users=0 orgs=0 memberships=0 roles=0 passwords=0 audit=0" {
		t.Errorf("strict run wrote: %s", got)
	}
	// Without bad rows, a strict run commits.
	rep = f.run(importer.Options{Shape: importer.OneToOne, Format: importer.CSV, Strict: true}, oneToOneCSV)
	wantNoErrors(t, rep)
	if !rep.Committed || f.snapshot() != oneToOneWant {
		t.Errorf("clean strict run: committed=%v, directory:\n%s", rep.Committed, f.snapshot())
	}
}

func TestBadJSONLines(t *testing.T) {
	f := newFixture(t)
	input := `{"type":"organization","external_id":"o1","display_name":"One"}
{"type":"user","external_id":"u1","email":"ann@example.com"

{"type":"user","external_id":"u2","email":"bob@example.com","password":"hunter2"}
{"type":"user","external_id":"u3","email":"cy@example.com","nickname":"cy"}
{"type":"team","external_id":"t1"}
["not","an","object"]
{"type":"user","external_id":"u4","email":"di@example.com","email_verified":"yes"}
{"type":"membership","user_external_id":"u3","org_external_id":"o1"}
{"type":"membership","user_external_id":"u9","org_external_id":"o1"}
{"type":"user","external_id":"u5","email":"ed@example.com"}
{"type":"membership","user_external_id":"u5","org_external_id":"o1"}
{"type":"membership","user_external_id":"u5","org_external_id":"o1","roles":["admin"]}
`
	rep := f.run(importer.Options{Shape: importer.OneToMany, Format: importer.JSONL}, input)
	wantErrors(t, rep.Errors, []importer.RowError{
		{Line: 2, Message: "is not valid JSON: unexpected end of JSON input"},
		{Line: 4, Message: "has a password: plaintext passwords are not imported; give password_hash (bcrypt or argon2id)"},
		{Line: 5, Message: `has unknown fields "nickname"; the fields are external_id, email, given_name, family_name, name, locale, picture, phone_number, email_verified, password_hash, metadata`},
		{Line: 6, Message: `has "type": "team"; want "user", "organization" or "membership"`},
		{Line: 7, Message: "must be a JSON object"},
		{Line: 8, Message: "email_verified must be true or false"},
		{Line: 9, Message: `user "u3" was not imported (see line 5)`},
		{Line: 10, Message: `no user has external id "u9", in Roster or in the input`},
		{Line: 13, Message: `user "u5" is already made a member of organization "o1" on line 12`},
	})
	wantCounts(t, "users", rep.Users, c(1, 0, 0))
	wantCounts(t, "organizations", rep.Organizations, c(1, 0, 0))
	wantCounts(t, "memberships", rep.Memberships, c(1, 0, 0))
}

func wantErrors(t *testing.T, got, want []importer.RowError) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d row errors, want %d", len(got), len(want))
	}
	for i := range max(len(got), len(want)) {
		var g, w importer.RowError
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("error %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}
