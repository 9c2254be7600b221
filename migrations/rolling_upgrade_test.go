package migrations_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/store"
	"roster/internal/testkit"
)

// A rolling upgrade runs the previous version beside a migrated database: a
// migration that adds a column must not break the replicas that do not know
// it. sqlx refuses a row with a column its struct lacks, so every store read
// has to name its columns; internal/store/columns_test.go checks the SQL for
// stars, and this test runs the store's reads against tables that all have
// a column no struct knows.

// addFutureColumns adds the column zz_future to every table, as the next
// release's migration might.
func addFutureColumns(t *testing.T, db *sqlx.DB) {
	t.Helper()
	var tables []string
	err := db.Select(&tables, `
		SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		ORDER BY c.relname`)
	if err != nil || len(tables) == 0 {
		t.Fatalf("list tables: %v (%d found)", err, len(tables))
	}
	for _, table := range tables {
		if _, err := db.Exec(`ALTER TABLE ` + pq.QuoteIdentifier(table) + ` ADD COLUMN zz_future text`); err != nil {
			t.Fatalf("add a column to %s: %v", table, err)
		}
	}
}

func TestStoreReadsSurviveAnAddedColumn(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t)
	addFutureColumns(t, db)
	ctx := context.Background()
	st := store.New(db).WithMailKey(testkit.MailKey)
	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	str := func(s string) *string { return &s }
	hash := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

	// must stops the test where a failed write leaves nothing to read;
	// check lets every other read report too.
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	// nonEmpty makes sure a list read really scanned rows.
	nonEmpty := func(what string, n int, err error) {
		t.Helper()
		if err == nil && n == 0 {
			err = fmt.Errorf("no rows: the fixture should give some")
		}
		check(what, err)
	}
	// pages reads a list's first page of one row, the next page (forward)
	// and the page before that (backward), so both directions' queries run.
	pages := func(what string, list func(store.PageRequest) (int, store.PageInfo, error)) {
		t.Helper()
		n, info, err := list(store.PageRequest{Size: 1})
		nonEmpty(what+", first page", n, err)
		if err != nil {
			return
		}
		if info.NextToken == "" {
			t.Errorf("%s: no next page: the fixture should give two rows", what)
			return
		}
		n, info, err = list(store.PageRequest{Size: 1, Token: info.NextToken})
		nonEmpty(what+", next page", n, err)
		if err != nil {
			return
		}
		if info.PrevToken == "" {
			t.Errorf("%s: no previous page after the next one", what)
			return
		}
		n, _, err = list(store.PageRequest{Size: 1, Token: info.PrevToken})
		nonEmpty(what+", previous page", n, err)
	}

	// The fixture, written through the store: its INSERT … RETURNING reads
	// run against the added columns too.
	var orgs [2]model.Organization
	var users [2]model.User
	for i := range 2 {
		var err error
		orgs[i], err = st.InsertOrganization(ctx, model.Organization{ID: ids.New(ids.Organization),
			DisplayName: fmt.Sprintf("Acme %d", i), Slug: str(fmt.Sprintf("acme-%d", i)),
			ExternalID: str(fmt.Sprintf("crm-%d", i)), CreatedAt: now.Add(time.Duration(i) * time.Second)})
		must("InsertOrganization", err)
		var created bool
		users[i], created, err = st.InsertUser(ctx, model.User{ID: ids.New(ids.User),
			Email: fmt.Sprintf("user%d@acme.test", i), ExternalID: str(fmt.Sprintf("emp-%d", i)),
			Name: str(fmt.Sprintf("User %d", i)), CreatedAt: now.Add(time.Duration(i) * time.Second)})
		must("InsertUser", err)
		if !created {
			t.Fatal("InsertUser: not created")
		}
	}
	org, user := orgs[0], users[0]
	userIDs := []string{users[0].ID, users[1].ID}

	member, err := st.EnvironmentRole(ctx, "member")
	must("EnvironmentRole", err)
	must("InsertPermission", st.InsertPermission(ctx, model.Permission{ID: ids.New(ids.Permission),
		Name: "widgets:read", CreatedAt: now}))
	perm, err := st.Permission(ctx, "widgets:read")
	must("Permission", err)
	auditor := model.Role{ID: ids.New(ids.Role), OrganizationID: &org.ID, Name: "auditor",
		DisplayName: "Auditor", ExtendsRoleID: &member.ID, CreatedAt: now}
	must("InsertRole", st.InsertRole(ctx, auditor))
	must("AddRolePermissions", st.AddRolePermissions(ctx, auditor.ID, []string{perm.Name}))

	// Members of the first org; invitations of both users to the second.
	var invites [2]model.Membership
	for i, u := range users {
		_, err := st.InsertMembership(ctx, model.Membership{ID: ids.New(ids.Membership), UserID: u.ID,
			OrganizationID: org.ID, Status: model.StatusActive, ProvisioningMethod: model.ProvisionedDirect,
			JoinedAt: &now, CreatedAt: now.Add(time.Duration(i) * time.Second)}, []string{member.ID, auditor.ID})
		must("InsertMembership", err)
		invites[i], err = st.InsertMembership(ctx, model.Membership{ID: ids.New(ids.Membership), UserID: u.ID,
			OrganizationID: orgs[1].ID, Status: model.StatusPendingInvite, ProvisioningMethod: model.ProvisionedInvitation,
			InviterEmail: str("owner@acme.test"), InviteCreatedAt: &now, InviteExpiresAt: at(time.Hour),
			CreatedAt: now.Add(time.Duration(i) * time.Second)}, []string{member.ID})
		must("InsertMembership (invitation)", err)
		must("InsertOneTimeToken (invitation)", st.InsertOneTimeToken(ctx, store.OneTimeToken{Purpose: "invitation",
			Hash: hash(fmt.Sprintf("invite-%d", i)), Email: u.Email, UserID: &u.ID, OrganizationID: &orgs[1].ID,
			MembershipID: &invites[i].ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	}

	var domains [2]model.Domain
	for i := range domains {
		domains[i], err = st.InsertDomain(ctx, model.Domain{ID: ids.New(ids.Domain), OrganizationID: org.ID,
			Domain: fmt.Sprintf("d%d.acme.test", i), DomainType: "ORGANIZATION_DOMAIN", VerificationStatus: "PENDING",
			VerificationMethod: "DNS", CreatedAt: now.Add(time.Duration(i) * time.Second)})
		must("InsertDomain", err)
	}

	idn, created, err := st.InsertIdentity(ctx, model.Identity{ID: ids.New(ids.Identity), UserID: user.ID,
		ProviderKind: "GOOGLE", IsSocial: true, Issuer: "https://accounts.google.com", Subject: "g-1",
		Email: &user.Email, EmailVerified: true, CreatedAt: now}, model.Metadata{"name": "User 0"})
	must("InsertIdentity", err)
	if !created {
		t.Fatal("InsertIdentity: not created")
	}

	var sessions [2]model.Session
	for i := range sessions {
		sessions[i], err = st.CreateSession(ctx, model.Session{UserID: user.ID, OrganizationID: &org.ID,
			CreatedAt: now.Add(time.Duration(i) * time.Second), IdleExpiresAt: now.Add(time.Hour),
			AbsoluteExpiresAt: now.Add(24 * time.Hour)}, hash(fmt.Sprintf("session-%d", i)))
		must("CreateSession", err)
	}
	must("InsertUserSession", st.InsertUserSession(ctx, store.NewUserSession{ID: ids.New(ids.Session),
		UserID: user.ID, AuthMethod: "magic_link", OrganizationID: &org.ID, CreatedAt: now,
		IdleExpiresAt: now.Add(time.Hour), AbsoluteExpiresAt: now.Add(24 * time.Hour)}, hash("user-session")))
	must("InsertSignInToken", st.InsertSignInToken(ctx, store.SignInToken{Purpose: "magic_link",
		Hash: hash("magic"), Email: &user.Email, CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}))
	must("InsertOneTimeToken (admin_login)", st.InsertOneTimeToken(ctx, store.OneTimeToken{Purpose: "admin_login",
		Hash: hash("admin-login"), Email: "owner@acme.test", CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}))

	admin, err := st.InsertAdminSession(ctx, store.AdminSession{ID: ids.New(ids.Session), Email: "owner@acme.test",
		Role: "owner", CreatedAt: now, IdleExpiresAt: now.Add(time.Hour), AbsoluteExpiresAt: now.Add(24 * time.Hour)},
		hash("admin-session"))
	must("InsertAdminSession", err)
	client, err := st.InsertAPIClient(ctx, store.APIClient{ID: ids.New(ids.APIClient), Name: "ci",
		SecretHash: hash("client-secret"), SecretHint: "cret", CreatedAt: now})
	must("InsertAPIClient", err)
	provider, err := st.InsertSocialProvider(ctx, store.SocialProvider{ID: ids.New(ids.Connection),
		ProviderKind: "GOOGLE", DisplayName: "Google", Issuer: "https://accounts.google.com", ClientID: "roster",
		ClientSecretEncrypted: []byte("sealed"), Enabled: true, CreatedAt: now})
	must("InsertSocialProvider", err)
	for i := range 2 {
		must("QueueEmail", st.QueueEmail(ctx, store.Email{To: user.Email, Subject: "Hello", Text: "Hi",
			Kind: "invitation", OrganizationID: &org.ID}, now.Add(time.Duration(i)*time.Second)))
		must("InsertAuditEvent", st.InsertAuditEvent(ctx, model.AuditEvent{ActorType: "system",
			Action: "organization.created", OrganizationID: &org.ID, OccurredAt: now.Add(time.Duration(i) * time.Second)}))
	}

	// Organizations.
	_, err = st.Organization(ctx, org.ID)
	check("Organization", err)
	_, err = st.OrganizationByExternalID(ctx, *org.ExternalID)
	check("OrganizationByExternalID", err)
	_, err = st.ConsoleOrganizationBySlug(ctx, *org.Slug)
	check("ConsoleOrganizationBySlug", err)
	check("LockOrganization", st.InTx(ctx, func(tx *store.Store) error {
		_, err := tx.LockOrganization(ctx, org.ID)
		return err
	}))
	org.DisplayName, org.UpdatedAt = "Acme Corp", now
	_, err = st.UpdateOrganization(ctx, org)
	check("UpdateOrganization", err)
	pages("ListOrganizations", func(p store.PageRequest) (int, store.PageInfo, error) {
		rows, info, err := st.ListOrganizations(ctx, "", p)
		return len(rows), info, err
	})
	for _, sort := range []store.OrgSort{store.OrgsNewest, store.OrgsByName} {
		pages("ConsoleListOrganizations "+string(sort), func(p store.PageRequest) (int, store.PageInfo, error) {
			rows, info, err := st.ConsoleListOrganizations(ctx, "", sort, p)
			return len(rows), info, err
		})
	}
	_, err = st.ConsoleOrgCounts(ctx, org.ID)
	check("ConsoleOrgCounts", err)
	check("InTx with the importer's reads", st.InTx(ctx, func(tx *store.Store) error {
		rows, err := tx.LockOrganizationsByExternalID(ctx, []string{*org.ExternalID})
		nonEmpty("LockOrganizationsByExternalID", len(rows), err)
		rows, err = tx.OrganizationsBySlug(ctx, []string{*org.Slug})
		nonEmpty("OrganizationsBySlug", len(rows), err)
		rows, err = tx.OrganizationsWithoutActiveHolder(ctx, []string{orgs[1].ID}, member.ID)
		nonEmpty("OrganizationsWithoutActiveHolder", len(rows), err)
		byKey, err := tx.UsersByExternalIDOrEmail(ctx, []string{*user.ExternalID}, []string{users[1].Email})
		nonEmpty("UsersByExternalIDOrEmail", len(byKey), err)
		pairs, err := tx.MembershipsOfPairs(ctx, []string{user.ID}, []string{org.ID})
		nonEmpty("MembershipsOfPairs", len(pairs), err)
		roles, err := tx.AssignableRolesOf(ctx, []string{org.ID})
		nonEmpty("AssignableRolesOf", len(roles), err)
		return nil
	}))

	// Users.
	_, err = st.User(ctx, user.ID)
	check("User", err)
	_, err = st.UserByEmail(ctx, user.Email)
	check("UserByEmail", err)
	_, err = st.UserByExternalID(ctx, *user.ExternalID)
	check("UserByExternalID", err)
	check("LockUser", st.InTx(ctx, func(tx *store.Store) error {
		_, err := tx.LockUser(ctx, user.ID)
		return err
	}))
	user.Locale, user.UpdatedAt = str("en"), now
	_, err = st.UpdateUser(ctx, user)
	check("UpdateUser", err)
	pages("ListUsers", func(p store.PageRequest) (int, store.PageInfo, error) {
		rows, info, err := st.ListUsers(ctx, p)
		return len(rows), info, err
	})
	found, _, err := st.SearchUsers(ctx, "user", store.PageRequest{})
	nonEmpty("SearchUsers", len(found), err)
	pages("UsersByEmailPrefix", func(p store.PageRequest) (int, store.PageInfo, error) {
		rows, info, err := st.UsersByEmailPrefix(ctx, "us", p)
		return len(rows), info, err
	})
	found, _, _, err = st.ScanUsers(ctx, store.UserScan{Window: 10}, store.PageRequest{})
	nonEmpty("ScanUsers", len(found), err)
	byEmail, err := st.UsersByEmails(ctx, []string{user.Email})
	nonEmpty("UsersByEmails", len(byEmail), err)
	_, err = st.FillUserProfile(ctx, user.ID, store.ProfileFill{Picture: str("https://acme.test/p.png")}, now)
	check("FillUserProfile", err)
	_, err = st.MarkUserEmailVerified(ctx, user.ID, user.Email, now)
	check("MarkUserEmailVerified", err)

	// Identities.
	_, err = st.IdentityBySubject(ctx, idn.Issuer, idn.Subject)
	check("IdentityBySubject", err)
	idns, err := st.Identities(ctx, user.ID)
	nonEmpty("Identities", len(idns), err)
	_, _, err = st.InsertIdentity(ctx, model.Identity{ID: ids.New(ids.Identity), UserID: user.ID,
		ProviderKind: "GOOGLE", Issuer: idn.Issuer, Subject: idn.Subject, CreatedAt: now}, nil)
	check("InsertIdentity of a known subject", err)

	// Memberships, members and invitations.
	m, err := st.Membership(ctx, user.ID, org.ID)
	check("Membership", err)
	m.UpdatedAt = now
	check("UpdateMembership", st.UpdateMembership(ctx, m))
	ofUsers, err := st.MembershipsOfUsers(ctx, userIDs)
	nonEmpty("MembershipsOfUsers", len(ofUsers), err)
	inOrg, err := st.OrgMembershipsOfUsers(ctx, org.ID, userIDs)
	nonEmpty("OrgMembershipsOfUsers", len(inOrg), err)
	for _, f := range []store.MemberFilter{{}, {Status: model.StatusActive}, {Query: "user"}, {Query: "user", RoleID: auditor.ID}} {
		what := fmt.Sprintf("ListMembers %+v", f)
		if f.Query != "" {
			rows, _, err := st.ListMembers(ctx, org.ID, f, store.PageRequest{})
			nonEmpty(what, len(rows), err)
			continue
		}
		pages(what, func(p store.PageRequest) (int, store.PageInfo, error) {
			rows, info, err := st.ListMembers(ctx, org.ID, f, p)
			return len(rows), info, err
		})
	}
	pages("ListInvitations", func(p store.PageRequest) (int, store.PageInfo, error) {
		rows, info, err := st.ListInvitations(ctx, orgs[1].ID, p)
		return len(rows), info, err
	})
	_, err = st.InvitationLinkByHash(ctx, hash("invite-0"))
	check("InvitationLinkByHash", err)
	_, err = st.UseInvitationLink(ctx, hash("invite-0"), now)
	check("UseInvitationLink", err)
	// Deleting the membership deletes its link, leaving a tombstone.
	must("DeleteMembership", st.DeleteMembership(ctx, invites[0].ID))
	_, err = st.InvitationTombstoneByHash(ctx, hash("invite-0"))
	check("InvitationTombstoneByHash", err)
	expired, err := st.ExpireInvitations(ctx, now.Add(2*time.Hour), 10)
	nonEmpty("ExpireInvitations", len(expired), err)

	// Roles and permissions.
	envRoles, err := st.EnvironmentRoles(ctx)
	nonEmpty("EnvironmentRoles", len(envRoles), err)
	orgRoles, err := st.OrganizationRoles(ctx, org.ID)
	nonEmpty("OrganizationRoles", len(orgRoles), err)
	_, err = st.OrganizationRole(ctx, org.ID, auditor.Name)
	check("OrganizationRole", err)
	refs, err := st.AssignableRoles(ctx, org.ID, []string{"member", "auditor"})
	nonEmpty("AssignableRoles", len(refs), err)
	ancestors, err := st.RoleAncestors(ctx, auditor.ID)
	nonEmpty("RoleAncestors", len(ancestors), err)
	_, err = st.RoleUsage(ctx, auditor.ID)
	check("RoleUsage", err)
	ofRoles, err := st.PermissionsOfRoles(ctx, []string{auditor.ID})
	nonEmpty("PermissionsOfRoles", len(ofRoles), err)
	perms, err := st.Permissions(ctx)
	nonEmpty("Permissions", len(perms), err)
	granting, err := st.RolesGrantingPermission(ctx, perm.ID)
	nonEmpty("RolesGrantingPermission", len(granting), err)
	_, err = st.EnvironmentDefaultRoles(ctx)
	check("EnvironmentDefaultRoles", err)
	_, _, err = st.DefaultMemberRole(ctx, org.ID)
	check("DefaultMemberRole", err)
	_, _, err = st.DefaultCreatorRole(ctx)
	check("DefaultCreatorRole", err)

	// Domains.
	_, err = st.Domain(ctx, org.ID, domains[0].ID)
	check("Domain", err)
	pages("ListDomains", func(p store.PageRequest) (int, store.PageInfo, error) {
		rows, info, err := st.ListDomains(ctx, org.ID, p)
		return len(rows), info, err
	})
	_, err = st.DeleteDomain(ctx, org.ID, domains[1].ID)
	check("DeleteDomain", err)

	// End users' sessions and sign-in tokens.
	_, err = st.Session(ctx, sessions[0].ID)
	check("Session", err)
	pages("ListUserSessions", func(p store.PageRequest) (int, store.PageInfo, error) {
		rows, info, err := st.ListUserSessions(ctx, user.ID, p)
		return len(rows), info, err
	})
	pages("UserSessionsNewestFirst", func(p store.PageRequest) (int, store.PageInfo, error) {
		rows, info, err := st.UserSessionsNewestFirst(ctx, user.ID, p)
		return len(rows), info, err
	})
	_, err = st.RevokeSession(ctx, sessions[1].ID, now)
	check("RevokeSession", err)
	_, err = st.LiveUserSessionByToken(ctx, hash("user-session"), now)
	check("LiveUserSessionByToken", err)
	_, err = st.EndUserSessionByToken(ctx, hash("user-session"), "LOGOUT", now)
	check("EndUserSessionByToken", err)
	_, err = st.SignInTokenByHash(ctx, hash("magic"), "magic_link")
	check("SignInTokenByHash", err)
	check("LockSignInToken", st.InTx(ctx, func(tx *store.Store) error {
		_, err := tx.LockSignInToken(ctx, hash("magic"), "magic_link")
		return err
	}))
	_, err = st.ConsumeSignInToken(ctx, hash("magic"), "magic_link", now)
	check("ConsumeSignInToken", err)

	// The console's own: admin sessions, API clients, settings, providers.
	_, err = st.LiveAdminSessionByToken(ctx, hash("admin-session"), now)
	check("LiveAdminSessionByToken", err)
	_, _, err = st.TouchAdminSession(ctx, admin.ID, now.Add(time.Minute))
	check("TouchAdminSession", err)
	live, err := st.ListLiveAdminSessions(ctx, now)
	nonEmpty("ListLiveAdminSessions", len(live), err)
	_, err = st.EndAdminSession(ctx, admin.ID, now)
	check("EndAdminSession", err)
	_, err = st.AdminLoginToken(ctx, hash("admin-login"))
	check("AdminLoginToken", err)
	_, err = st.APIClient(ctx, client.ID)
	check("APIClient", err)
	clients, err := st.ListAPIClients(ctx)
	nonEmpty("ListAPIClients", len(clients), err)
	_, err = st.RevokeAPIClient(ctx, client.ID, now)
	check("RevokeAPIClient", err)
	_, err = st.EnvironmentSettings(ctx)
	check("EnvironmentSettings", err)
	_, err = st.SocialProvider(ctx, provider.ID)
	check("SocialProvider", err)
	providers, err := st.ListSocialProviders(ctx)
	nonEmpty("ListSocialProviders", len(providers), err)
	provider.DisplayName, provider.UpdatedAt = "Google Workspace", now
	_, err = st.UpdateSocialProvider(ctx, provider)
	check("UpdateSocialProvider", err)

	// Mail and the audit log.
	var mailID string
	pages("ListOutboxEmails", func(p store.PageRequest) (int, store.PageInfo, error) {
		rows, info, err := st.ListOutboxEmails(ctx, p)
		if len(rows) > 0 {
			mailID = rows[0].ID
		}
		return len(rows), info, err
	})
	if mailID != "" {
		_, err = st.OutboxEmail(ctx, mailID)
		check("OutboxEmail", err)
	}
	claimed, err := st.ClaimDueEmails(ctx, now.Add(time.Minute), now.Add(2*time.Minute), 5, 10)
	nonEmpty("ClaimDueEmails", len(claimed), err)
	var eventID string
	pages("ListAuditEvents", func(p store.PageRequest) (int, store.PageInfo, error) {
		rows, info, err := st.ListAuditEvents(ctx, store.AuditFilter{}, p)
		if len(rows) > 0 {
			eventID = rows[0].ID
		}
		return len(rows), info, err
	})
	if eventID != "" {
		_, err = st.AuditEvent(ctx, eventID)
		check("AuditEvent", err)
	}

	// The console's home page.
	_, err = st.DirectoryTotals(ctx)
	check("DirectoryTotals", err)
	_, err = st.DailyActivity(ctx, now.Add(-48*time.Hour), now.Add(24*time.Hour), now.Add(-24*time.Hour))
	check("DailyActivity", err)
}

// dbColumns lists the db tags of a struct's fields, embedded structs'
// included, as sqlx maps them.
func dbColumns(typ reflect.Type) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("db")
		switch {
		case tag == "-":
		case f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct:
			out = append(out, dbColumns(f.Type)...)
		case tag != "":
			out = append(out, strings.Split(tag, ",")[0])
		case f.IsExported():
			out = append(out, strings.ToLower(f.Name)) // sqlx's default name
		}
	}
	return out
}

// TestStructsNameTheirTablesColumns holds the other half of the contract:
// every field a store struct reads from its table is a column of that
// table. A renamed or dropped column would otherwise leave a field that is
// silently never filled. Fields a query computes or joins in are listed.
func TestStructsNameTheirTablesColumns(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t)
	tests := []struct {
		value  any
		table  string
		joined []string // fields that are no column of table
	}{
		{model.Organization{}, "organizations", nil},
		{model.User{}, "users", nil},
		{model.Identity{}, "identities", nil},
		{model.Membership{}, "memberships", []string{"organization_name", "roles"}},
		{model.Role{}, "roles", []string{"extends_name"}},
		{model.RoleRef{}, "roles", nil},
		{model.Permission{}, "permissions", nil},
		{model.Domain{}, "organization_domains", nil},
		{model.Session{}, "sessions", nil},
		{model.EnvironmentSettings{}, "environment_settings", nil},
		{model.AuditEvent{}, "audit_events", nil},
		{store.AdminSession{}, "admin_sessions", nil},
		{store.AdminLoginToken{}, "one_time_tokens", nil},
		{store.APIClient{}, "api_clients", nil},
		{store.SocialProvider{}, "social_providers", nil},
		{store.OutboxEmail{}, "email_outbox", nil},
		{store.SignInToken{}, "one_time_tokens", nil},
		{store.UserSession{}, "sessions", []string{"email", "organization_name", "authenticated_organizations"}},
		{store.EndedSession{}, "sessions", nil},
		{store.InvitationLink{}, "one_time_tokens", []string{"organization_name", "membership_status", "inviter_email", "invite_expires_at", "roles"}},
		{store.InvitationTombstone{}, "invitation_tombstones", nil},
		{store.UsedInvitationLink{}, "one_time_tokens", nil},
		{store.ExpiredInvitation{}, "memberships", nil},
		{store.MembershipRoles{}, "memberships", []string{"role_ids"}},
		{store.OrgListRow{}, "organizations", []string{"member_count"}},
		{store.InvitationRow{}, "memberships", []string{"organization_name", "roles", "email", "user_name"}},
		{store.RolePermission{}, "permissions", []string{"role_id"}},
		{store.RoleRefName{}, "roles", nil},
		{store.DefaultRoleIDs{}, "environment_settings", nil},
		{store.DayActivity{}, "console_daily_activity", nil},
	}
	for _, tt := range tests {
		typ := reflect.TypeOf(tt.value)
		t.Run(typ.String(), func(t *testing.T) {
			var columns []string
			err := db.Select(&columns, `SELECT column_name FROM information_schema.columns
				WHERE table_schema = 'public' AND table_name = $1`, tt.table)
			if err != nil || len(columns) == 0 {
				t.Fatalf("columns of %s: %v (%d found)", tt.table, err, len(columns))
			}
			for _, name := range dbColumns(typ) {
				inTable := slices.Contains(columns, name)
				joined := slices.Contains(tt.joined, name)
				switch {
				case !inTable && !joined:
					t.Errorf("%s reads %q, which is no column of %s", typ, name, tt.table)
				case inTable && joined:
					t.Errorf("%s: %q is listed as joined in but is a column of %s now", typ, name, tt.table)
				}
			}
		})
	}
}
