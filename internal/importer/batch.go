package importer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"roster/internal/directory"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/store"
)

// planner works out what one batch changes: it reads everything the batch
// names in a few bulk queries, decides per object whether to create, update
// or leave it, and finds the rows that cannot be imported.
type planner struct {
	run *run
	tx  *store.Store
	now time.Time
	res *batchResult

	orgByExt    map[string]*model.Organization
	orgBySlug   map[string]*model.Organization
	userByExt   map[string]*model.User
	userByEmail map[string]*model.User // by lowercased email
	hasPassword map[string]bool
	settings    model.EnvironmentSettings
	roles       map[string]map[string]model.Role // by org id ("" for the environment's), then name
	roleByID    map[string]model.Role
	memberships map[[2]string]*store.MembershipRoles // by user id × org id
	headcount   map[string]int                       // active + pending members of orgs with a limit

	users map[string]*userPlan // by external id
	orgs  map[string]*orgPlan  // by external id
	mems  map[*row]*memberPlan
}

type userPlan struct {
	rec      *userRecord
	before   *model.User // nil: a new user
	after    model.User
	changes  model.JSONObject
	password string // a hash to store
	err      string // why this user cannot be imported
	used     bool
}

type orgPlan struct {
	before  *model.Organization
	after   model.Organization
	changes model.JSONObject
	err     string
	used    bool
}

type memberPlan struct {
	before    *store.MembershipRoles
	after     model.Membership
	roleIDs   []string // nil: keep the roles
	changes   model.JSONObject
	activated bool // a pending invitation became an active membership
}

// outcome is what happened to one object.
type outcome int

const (
	unchanged outcome = iota
	created
	updated
)

type countedObject struct {
	kind, id string // kind: user, organization or membership
	outcome  outcome
}

// batchResult is a planned batch: what to write, and what to report once
// it is written.
type batchResult struct {
	now     time.Time
	rows    []*row
	errs    map[*row][]string
	counts  []countedObject
	touched map[string]bool

	newOrgs, changedOrgs   []model.Organization
	newUsers, changedUsers []model.User
	passwords              map[string]string // by user id
	newMems, changedMems   []model.Membership
	roles                  map[string][]string // role ids by membership id
	activated              []string            // membership ids
	events                 []model.AuditEvent
}

// plan reads what the rows name and decides what to write.
func (r *run) plan(ctx context.Context, tx *store.Store, rows []*row) (*batchResult, error) {
	now := r.im.clock.Now()
	p := &planner{
		run: r, tx: tx, now: now,
		res: &batchResult{
			now: now, rows: rows, errs: map[*row][]string{}, touched: map[string]bool{},
			passwords: map[string]string{}, roles: map[string][]string{},
		},
		users: map[string]*userPlan{}, orgs: map[string]*orgPlan{}, mems: map[*row]*memberPlan{},
	}
	if err := p.loadUsersAndOrgs(ctx, rows); err != nil {
		return nil, err
	}
	for _, x := range rows {
		if x.user != nil {
			if up := p.userPlan(x.user); up.err != "" {
				p.fail(x, "%s", up.err)
			}
		}
		if x.org != nil {
			if op := p.orgPlan(x.org); op.err != "" {
				p.fail(x, "%s", op.err)
			}
		}
	}
	if err := p.loadRest(ctx, rows); err != nil {
		return nil, err
	}
	for _, x := range rows {
		if x.mem != nil && !p.failed(x) {
			p.memberPlan(x)
		}
	}
	p.collect(rows)
	return p.res, nil
}

func (p *planner) fail(x *row, format string, args ...any) {
	p.res.errs[x] = append(p.res.errs[x], fmt.Sprintf(format, args...))
}

func (p *planner) failed(x *row) bool { return len(p.res.errs[x]) > 0 }

func (p *planner) loadUsersAndOrgs(ctx context.Context, rows []*row) error {
	var orgExts, userExts, emails, slugs []string
	for _, x := range rows {
		if x.user != nil {
			userExts, emails = append(userExts, x.user.externalID), append(emails, strings.ToLower(x.user.email))
		}
		if x.org != nil {
			orgExts = append(orgExts, x.org.externalID)
			if x.org.slug != nil {
				slugs = append(slugs, *x.org.slug)
			}
		}
		if x.mem != nil {
			userExts, orgExts = append(userExts, x.mem.userExternalID), append(orgExts, x.mem.orgExternalID)
		}
	}
	orgs, err := p.tx.LockOrganizationsByExternalID(ctx, unique(orgExts))
	if err != nil {
		return err
	}
	p.orgByExt = map[string]*model.Organization{}
	for i := range orgs {
		p.orgByExt[*orgs[i].ExternalID] = &orgs[i]
	}
	p.orgBySlug = map[string]*model.Organization{}
	if len(slugs) > 0 {
		bySlug, err := p.tx.OrganizationsBySlug(ctx, unique(slugs))
		if err != nil {
			return err
		}
		for i := range bySlug {
			p.orgBySlug[*bySlug[i].Slug] = &bySlug[i]
		}
	}
	users, err := p.tx.UsersByExternalIDOrEmail(ctx, unique(userExts), unique(emails))
	if err != nil {
		return err
	}
	p.userByExt, p.userByEmail = map[string]*model.User{}, map[string]*model.User{}
	for i := range users {
		if users[i].ExternalID != nil {
			p.userByExt[*users[i].ExternalID] = &users[i]
		}
		p.userByEmail[strings.ToLower(users[i].Email)] = &users[i]
	}
	return nil
}

// userPlan decides about the user of rec; rows naming the same user share
// the plan. The user is found by external id, else by email; an email that
// belongs to a different user is a conflict, never a merge.
func (p *planner) userPlan(rec *userRecord) *userPlan {
	if up, ok := p.users[rec.externalID]; ok {
		return up
	}
	up := &userPlan{rec: rec}
	p.users[rec.externalID] = up
	byExt, byEmail := p.userByExt[rec.externalID], p.userByEmail[strings.ToLower(rec.email)]
	switch {
	case byExt != nil && byEmail != nil && byEmail.ID != byExt.ID:
		up.err = fmt.Sprintf("email %s belongs to another user (%s)", rec.email, byEmail.ID)
		return up
	case byExt == nil && byEmail != nil && byEmail.ExternalID != nil:
		up.err = fmt.Sprintf("email %s belongs to a user with another external id (%q)", rec.email, *byEmail.ExternalID)
		return up
	}
	up.before = byExt
	if up.before == nil {
		up.before = byEmail
	}
	if up.before != nil && !directory.SameAddress(up.before.Email, rec.email) {
		// A new address hands the account to whoever reads it. That is done
		// one user at a time where the old address is told, never in bulk
		// from a file, where one bad column would move thousands.
		up.err = fmt.Sprintf("user %q has the email %s; an import does not change a user's email to another address: "+
			"change it with the API (PATCH /api/v1/users/%s), in the console or with roster user update, which tell the old address",
			rec.externalID, up.before.Email, up.before.ID)
		return up
	}
	up.after = model.User{ID: ids.New(ids.User), Metadata: model.Metadata{}, CustomAttributes: model.JSONObject{}}
	if up.before != nil {
		up.after = *up.before
	}
	applyUser(&up.after, rec)
	if up.before != nil {
		up.changes = userChanges(*up.before, up.after)
	}
	return up
}

// applyUser sets what rec gives; what it leaves out stays as it is. The
// email is new (a new user) or the user's own in any letter case.
func applyUser(u *model.User, rec *userRecord) {
	u.Email = rec.email
	ext := rec.externalID
	u.ExternalID = &ext
	if rec.emailVerified != nil {
		u.EmailVerified = *rec.emailVerified
	}
	set := func(dst **string, v *string) {
		if v != nil {
			*dst = v
		}
	}
	set(&u.GivenName, rec.givenName)
	set(&u.FamilyName, rec.familyName)
	set(&u.Name, rec.name)
	set(&u.Locale, rec.locale)
	set(&u.Picture, rec.picture)
	set(&u.PhoneNumber, rec.phoneNumber)
	if rec.metadata != nil {
		u.Metadata = rec.metadata
	}
	// The display name follows the given and family names unless set apart,
	// as the directory has it.
	if u.Name == nil && (u.GivenName != nil || u.FamilyName != nil) {
		full := strings.TrimSpace(nullable.Value(u.GivenName) + " " + nullable.Value(u.FamilyName))
		u.Name = &full
	}
}

func userChanges(a, b model.User) model.JSONObject {
	c := model.JSONObject{}
	if a.Email != b.Email {
		c["email"] = fromTo(a.Email, b.Email)
	}
	if a.EmailVerified != b.EmailVerified {
		c["email_verified"] = fromTo(a.EmailVerified, b.EmailVerified)
	}
	for _, f := range []struct {
		name string
		a, b *string
	}{
		{"external_id", a.ExternalID, b.ExternalID}, {"given_name", a.GivenName, b.GivenName},
		{"family_name", a.FamilyName, b.FamilyName}, {"name", a.Name, b.Name}, {"locale", a.Locale, b.Locale},
		{"picture", a.Picture, b.Picture}, {"phone_number", a.PhoneNumber, b.PhoneNumber},
	} {
		if !samePtr(f.a, f.b) {
			c[f.name] = fromTo(f.a, f.b)
		}
	}
	if !maps.Equal(a.Metadata, b.Metadata) {
		c["metadata"] = fromTo(a.Metadata, b.Metadata)
	}
	return c
}

// orgPlan decides about the org of rec; rows naming the same org share it.
func (p *planner) orgPlan(rec *orgRecord) *orgPlan {
	if op, ok := p.orgs[rec.externalID]; ok {
		return op
	}
	op := &orgPlan{before: p.orgByExt[rec.externalID]}
	p.orgs[rec.externalID] = op
	op.after = model.Organization{ID: ids.New(ids.Organization), Metadata: model.Metadata{}, Settings: model.JSONObject{}}
	if op.before != nil {
		op.after = *op.before
	}
	ext := rec.externalID
	op.after.ExternalID, op.after.DisplayName = &ext, rec.displayName
	if rec.slug != nil {
		if other := p.orgBySlug[*rec.slug]; other != nil && other.ID != op.after.ID {
			op.err = fmt.Sprintf("slug %q belongs to another organization (%s)", *rec.slug, other.ID)
			return op
		}
		op.after.Slug = rec.slug
	}
	if rec.metadata != nil {
		op.after.Metadata = rec.metadata
	}
	if op.before != nil {
		op.changes = model.JSONObject{}
		if op.before.DisplayName != op.after.DisplayName {
			op.changes["display_name"] = fromTo(op.before.DisplayName, op.after.DisplayName)
		}
		if !samePtr(op.before.Slug, op.after.Slug) {
			op.changes["slug"] = fromTo(op.before.Slug, op.after.Slug)
		}
		if !maps.Equal(op.before.Metadata, op.after.Metadata) {
			op.changes["metadata"] = fromTo(op.before.Metadata, op.after.Metadata)
		}
	}
	return op
}

// loadRest reads what depends on the users and orgs found: which have a
// password, the roles, memberships and member counts of those orgs.
func (p *planner) loadRest(ctx context.Context, rows []*row) error {
	var existing []string // users with a password hash to give
	for _, up := range p.users {
		if up.before != nil && up.rec.passwordHash != "" {
			existing = append(existing, up.before.ID)
		}
	}
	var err error
	if p.hasPassword, err = p.tx.UsersWithPassword(ctx, existing); err != nil {
		return err
	}

	var orgIDs, pairUsers, pairOrgs, limited []string
	for _, x := range rows {
		if x.mem == nil || p.failed(x) {
			continue
		}
		user, org := p.memberOf(x)
		if org != nil {
			orgIDs = append(orgIDs, org.ID)
			if org.MaxAllowedUsers > 0 {
				limited = append(limited, org.ID)
			}
		}
		if user != nil && org != nil {
			pairUsers, pairOrgs = append(pairUsers, user.ID), append(pairOrgs, org.ID)
		}
	}
	if p.settings, err = p.tx.EnvironmentSettings(ctx); err != nil {
		return err
	}
	roles, err := p.tx.AssignableRolesOf(ctx, unique(orgIDs))
	if err != nil {
		return err
	}
	p.roles, p.roleByID = map[string]map[string]model.Role{}, map[string]model.Role{}
	for _, role := range roles {
		scope := nullable.Value(role.OrganizationID)
		if p.roles[scope] == nil {
			p.roles[scope] = map[string]model.Role{}
		}
		p.roles[scope][role.Name], p.roleByID[role.ID] = role, role
	}
	ms, err := p.tx.MembershipsOfPairs(ctx, pairUsers, pairOrgs)
	if err != nil {
		return err
	}
	p.memberships = map[[2]string]*store.MembershipRoles{}
	for i := range ms {
		p.memberships[[2]string{ms[i].UserID, ms[i].OrganizationID}] = &ms[i]
	}
	p.headcount, err = p.tx.ActiveOrPendingCounts(ctx, unique(limited))
	return err
}

// memberOf gives the existing user and org a membership row names; nil for
// one this batch creates or one that does not exist.
func (p *planner) memberOf(x *row) (*model.User, *model.Organization) {
	if x.user != nil { // one-to-one: the row's own user and org
		return p.users[x.user.externalID].before, p.orgs[x.org.externalID].before
	}
	return p.userByExt[x.mem.userExternalID], p.orgByExt[x.mem.orgExternalID]
}

func (p *planner) memberPlan(x *row) {
	userID, org, orgID, ok := p.memberTarget(x)
	if !ok {
		return
	}
	roleIDs, ok := p.resolveRoles(x, orgID, x.mem.roles)
	if !ok {
		return
	}
	if before := p.memberships[[2]string{userID, orgID}]; before != nil {
		p.updateMembership(x, org, before, roleIDs)
	} else {
		p.newMembership(x, org, userID, orgID, roleIDs)
	}
}

// memberTarget finds whose membership in which org a row is about. org is
// nil for an org this batch creates.
func (p *planner) memberTarget(x *row) (userID string, org *model.Organization, orgID string, ok bool) {
	if x.user != nil { // one-to-one: the row's own user and org
		op := p.orgs[x.org.externalID]
		return p.users[x.user.externalID].after.ID, op.before, op.after.ID, true
	}
	m := x.mem
	u, o := p.memberOf(x)
	if where, bad := p.run.badUsers[m.userExternalID]; bad && !p.run.goodUsers[m.userExternalID] {
		p.fail(x, "user %q was not imported (see %s)", m.userExternalID, where)
	} else if u == nil {
		p.fail(x, "no user has external id %q, in Roster or in the input", m.userExternalID)
	}
	if where, bad := p.run.badOrgs[m.orgExternalID]; bad && !p.run.goodOrgs[m.orgExternalID] {
		p.fail(x, "organization %q was not imported (see %s)", m.orgExternalID, where)
	} else if o == nil {
		p.fail(x, "no organization has external id %q, in Roster or in the input", m.orgExternalID)
	}
	if p.failed(x) {
		return "", nil, "", false
	}
	return u.ID, o, o.ID, true
}

func (p *planner) newMembership(x *row, org *model.Organization, userID, orgID string, roleIDs []string) {
	m, ok := x.mem, true
	if roleIDs == nil {
		if roleIDs, ok = p.defaultRole(x, org); !ok {
			return
		}
	}
	if !p.withinLimit(x, org) {
		return
	}
	now := p.now
	after := model.Membership{
		ID: ids.New(ids.Membership), UserID: userID, OrganizationID: orgID, Status: m.status,
		Metadata: m.metadata, CreatedAt: now,
	}
	if after.Metadata == nil {
		after.Metadata = model.Metadata{}
	}
	if m.status == model.StatusPendingInvite {
		// No mail is sent: an import must not email thousands of people
		// behind the admin's back. Resending the invitation sends a link.
		expires := now.Add(p.settings.InvitationExpiry)
		after.ProvisioningMethod, after.InviteCreatedAt, after.InviteExpiresAt = model.ProvisionedInvitation, &now, &expires
	} else {
		after.ProvisioningMethod, after.JoinedAt = model.ProvisionedDirect, &now
	}
	p.mems[x] = &memberPlan{after: after, roleIDs: roleIDs}
}

// updateMembership changes what the row gives: metadata and roles when
// given, and the status forward only. It accepts a pending or expired
// invitation, but never turns an active member back into an invitee, nor
// re-activates one a directory has deactivated.
func (p *planner) updateMembership(x *row, org *model.Organization, before *store.MembershipRoles, roleIDs []string) {
	m := x.mem
	mp := &memberPlan{before: before, changes: model.JSONObject{}, after: model.Membership{
		ID: before.ID, UserID: before.UserID, OrganizationID: before.OrganizationID, Status: before.Status,
		Metadata: before.Metadata, JoinedAt: before.JoinedAt,
	}}
	if m.status == model.StatusActive && (before.Status == model.StatusPendingInvite || before.Status == model.StatusInviteExpired) {
		if before.Status == model.StatusInviteExpired && !p.withinLimit(x, org) {
			return // an expired invitation no longer counts against the limit
		}
		now := p.now
		mp.after.Status, mp.activated = model.StatusActive, true
		if mp.after.JoinedAt == nil {
			mp.after.JoinedAt = &now
		}
		mp.changes["status"] = fromTo(before.Status, mp.after.Status)
	}
	if m.metadata != nil && !maps.Equal(m.metadata, before.Metadata) {
		mp.after.Metadata = m.metadata
		mp.changes["metadata"] = fromTo(before.Metadata, m.metadata)
	}
	if roleIDs != nil && !slices.Equal(sorted(roleIDs), sorted(before.RoleIDs)) {
		mp.roleIDs = roleIDs
		mp.changes["roles"] = fromTo(p.roleNames(before.RoleIDs), p.roleNames(roleIDs))
	}
	p.mems[x] = mp
}

// resolveRoles turns role names into ids of the environment's roles and the
// org's own; nil names give nil ids (keep, or the default for a new member).
func (p *planner) resolveRoles(x *row, orgID string, names []string) ([]string, bool) {
	if names == nil {
		return nil, true
	}
	var out []string
	var unknown []string
	for _, n := range names {
		role, ok := p.roles[""][n]
		if !ok {
			role, ok = p.roles[orgID][n]
		}
		if !ok {
			unknown = append(unknown, strconv.Quote(n))
			continue
		}
		out = append(out, role.ID)
	}
	if len(unknown) > 0 {
		p.fail(x, "unknown role %s", strings.Join(unknown, ", "))
		return nil, false
	}
	return out, true
}

// defaultRole is the role a new member gets when the input names none: the
// org's own default member role, else the environment's.
func (p *planner) defaultRole(x *row, org *model.Organization) ([]string, bool) {
	id := p.settings.DefaultMemberRoleID
	if org != nil && org.DefaultMemberRoleID != nil {
		id = org.DefaultMemberRoleID
	}
	if id == nil {
		p.fail(x, "names no roles, and there is no default member role to give")
		return nil, false
	}
	return []string{*id}, true
}

// withinLimit counts a new active or pending member of org against its
// max_allowed_users, refusing the row when the org is full.
func (p *planner) withinLimit(x *row, org *model.Organization) bool {
	if org == nil || org.MaxAllowedUsers == 0 {
		return true
	}
	if p.headcount[org.ID] >= org.MaxAllowedUsers {
		p.fail(x, "organization %q has reached its limit of %d users", nullable.Value(org.ExternalID), org.MaxAllowedUsers)
		return false
	}
	p.headcount[org.ID]++
	return true
}

func (p *planner) roleNames(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = p.roleByID[id].Name
	}
	slices.Sort(out)
	return out
}

// collect gathers the writes and counts of the rows that are still good.
// An object is written once however many rows name it, and an object only
// bad rows name is not written at all.
func (p *planner) collect(rows []*row) {
	res := p.res
	for _, x := range rows {
		if p.failed(x) {
			continue
		}
		if x.org != nil {
			p.useOrg(p.orgs[x.org.externalID])
		}
		if x.user != nil {
			p.useUser(p.users[x.user.externalID])
		}
		if mp := p.mems[x]; mp != nil {
			p.useMembership(x, mp)
			res.touched[mp.after.OrganizationID] = true
		}
		if x.org != nil {
			res.touched[p.orgs[x.org.externalID].after.ID] = true
		}
	}
}

func (p *planner) useOrg(op *orgPlan) {
	if op.used {
		return
	}
	op.used = true
	res, o := p.res, op.after
	switch {
	case op.before == nil:
		res.newOrgs = append(res.newOrgs, o)
		res.counts = append(res.counts, countedObject{"organization", o.ID, created})
		res.events = append(res.events, p.event("import.organization_created", o.ID, "", "organization", o.ID,
			model.JSONObject{"display_name": o.DisplayName, "external_id": o.ExternalID, "slug": o.Slug, "metadata": o.Metadata}))
	case len(op.changes) > 0:
		res.changedOrgs = append(res.changedOrgs, o)
		res.counts = append(res.counts, countedObject{"organization", o.ID, updated})
		res.events = append(res.events, p.event("import.organization_updated", o.ID, "", "organization", o.ID, op.changes))
	default:
		res.counts = append(res.counts, countedObject{"organization", o.ID, unchanged})
	}
}

func (p *planner) useUser(up *userPlan) {
	if up.used {
		return
	}
	up.used = true
	res, u := p.res, up.after
	// A user who has a password keeps it: a re-run must not undo a password
	// changed since the first run.
	if up.rec.passwordHash != "" && (up.before == nil || !p.hasPassword[up.before.ID]) {
		res.passwords[u.ID] = up.rec.passwordHash
		if up.before != nil {
			up.changes["password"] = "set" // never the hash: the log is no place for it
		}
	}
	switch {
	case up.before == nil:
		res.newUsers = append(res.newUsers, u)
		res.counts = append(res.counts, countedObject{"user", u.ID, created})
		res.events = append(res.events, p.event("import.user_created", "", u.ID, "user", u.ID,
			model.JSONObject{"email": u.Email, "external_id": u.ExternalID, "password": res.passwords[u.ID] != ""}))
	case len(up.changes) > 0:
		res.changedUsers = append(res.changedUsers, u)
		res.counts = append(res.counts, countedObject{"user", u.ID, updated})
		res.events = append(res.events, p.event("import.user_updated", "", u.ID, "user", u.ID, up.changes))
	default:
		res.counts = append(res.counts, countedObject{"user", u.ID, unchanged})
	}
}

func (p *planner) useMembership(x *row, mp *memberPlan) {
	res, m := p.res, mp.after
	switch {
	case mp.before == nil:
		res.newMems = append(res.newMems, m)
		res.roles[m.ID] = mp.roleIDs
		res.counts = append(res.counts, countedObject{"membership", m.ID, created})
		res.events = append(res.events, p.event("import.membership_created", m.OrganizationID, m.UserID, "membership", m.ID,
			model.JSONObject{"status": m.Status, "roles": p.roleNames(mp.roleIDs), "provisioning_method": m.ProvisioningMethod}))
	case len(mp.changes) > 0:
		res.changedMems = append(res.changedMems, m)
		if mp.roleIDs != nil {
			res.roles[m.ID] = mp.roleIDs
		}
		if mp.activated {
			res.activated = append(res.activated, m.ID)
		}
		res.counts = append(res.counts, countedObject{"membership", m.ID, updated})
		res.events = append(res.events, p.event("import.membership_updated", m.OrganizationID, m.UserID, "membership", m.ID, mp.changes))
	default:
		res.counts = append(res.counts, countedObject{"membership", m.ID, unchanged})
	}
}

func (p *planner) event(action, orgID, userID, targetType, targetID string, changes model.JSONObject) model.AuditEvent {
	return auditEvent(p.run.actor, p.now, action, orgID, userID, targetType, targetID, changes)
}

// write stores the batch, parents before children.
func (res *batchResult) write(ctx context.Context, tx *store.Store) error {
	now := res.now
	steps := []func() error{
		func() error { return tx.InsertOrganizations(ctx, res.newOrgs, now) },
		func() error { return tx.UpdateOrganizations(ctx, res.changedOrgs, now) },
		func() error { return tx.InsertUsers(ctx, res.newUsers, now) },
		func() error { return tx.UpdateUsers(ctx, res.changedUsers, now) },
		func() error { return tx.InsertPasswordHashes(ctx, res.passwords, now) },
		func() error { return tx.InsertMemberships(ctx, res.newMems, now) },
		func() error { return tx.UpdateMembershipsStatus(ctx, res.changedMems, now) },
		func() error { return tx.ReplaceMembershipRoles(ctx, res.roles) },
		func() error { return tx.RevokeInvitationTokensOf(ctx, res.activated, now) },
		func() error { return tx.InsertAuditEvents(ctx, res.events) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// auditEvent is the event audit.Record would write for actor, built here so
// a batch's events go to the database in one statement.
func auditEvent(a model.Actor, at time.Time, action, orgID, userID, targetType, targetID string, changes model.JSONObject) model.AuditEvent {
	return model.AuditEvent{
		OccurredAt: at, ActorType: a.Type, ActorID: nullable.String(a.ID), ActorLabel: nullable.String(a.Label),
		Action: action, OrganizationID: nullable.String(orgID), UserID: nullable.String(userID),
		TargetType: nullable.String(targetType), TargetID: nullable.String(targetID), Changes: changes,
		IP: nullable.String(a.IP), UserAgent: nullable.String(a.UserAgent), RequestID: nullable.String(a.RequestID),
	}
}

func fromTo(from, to any) map[string]any { return map[string]any{"from": from, "to": to} }

func samePtr(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func unique(s []string) []string {
	out := sorted(s)
	return slices.Compact(out)
}
