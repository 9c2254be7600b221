package seed

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode"
)

const (
	hour        = int64(3_600_000_000) // in microseconds, the unit of every time here
	day         = 24 * hour
	historySpan = 730 * day // created_at values spread over two years
	inviteTTL   = 15 * day  // the reference invitation expiry
)

// Independent random streams, one per concern, so that what one table draws
// never shifts another: the same seed gives the same rows table by table.
const (
	streamUsers = iota + 1
	streamUserRows
	streamOrgs
	streamOrgRows
	streamSizes
	streamBigOrg
	streamPicker
	streamMemberships
)

// userPlan is what later tables need to know about a user; the rest of the
// row is drawn while it is written.
type userPlan struct {
	id             [16]byte
	created        int64 // Unix microseconds
	given, family  uint8
	domain         uint8
	capitalizeMail bool // "Ana.Lee.7@…": lookups must fold case
}

type orgPlan struct {
	id      [16]byte
	created int64
	size    int32 // members it gets
}

// roleRow is one membership_roles row, kept from the memberships pass.
type roleRow struct {
	membership [16]byte
	admin      bool
}

// generator turns Options into rows. All of its randomness comes from
// Options.Seed (and the numbering bases, so that a second seeding of the
// same database does not repeat the first one's ids).
type generator struct {
	opts       Options
	now, start int64 // the seeded history runs from start to now
	// userBase and orgBase number this run's users and organizations after
	// those of earlier runs, keeping emails, slugs and external ids unique.
	userBase, orgBase int64
	adminRoleID       string
	memberRoleID      string

	users []userPlan
	orgs  []orgPlan
	// members lists every org's members, org by org: those of org i are
	// members[memberStart[i]:memberStart[i+1]], its creator first.
	members     []int32
	memberStart []int
	roles       []roleRow // filled by writeMemberships, read by writeMembershipRoles
}

func newGenerator(opts Options, userBase, orgBase int64, adminRoleID, memberRoleID string) *generator {
	now := opts.Now.UnixMicro()
	return &generator{
		opts:         opts,
		now:          now,
		start:        now - historySpan,
		userBase:     userBase,
		orgBase:      orgBase,
		adminRoleID:  adminRoleID,
		memberRoleID: memberRoleID,
	}
}

func (g *generator) rand(stream uint64) *rand.Rand {
	salt := uint64(g.userBase)*0x9e3779b97f4a7c15 ^ uint64(g.orgBase)*0xbf58476d1ce4e5b9
	return rand.New(rand.NewPCG(g.opts.Seed^salt, stream))
}

// plan draws users and organizations, sizes every organization and picks
// its members.
func (g *generator) plan() {
	r := g.rand(streamUsers)
	g.users = make([]userPlan, g.opts.Users)
	for i := range g.users {
		u := &g.users[i]
		fillID(r, &u.id)
		// Creation times rise with the row number, with jitter, as in a
		// table that grew over time: the physical order then correlates
		// with created_at the way a real one does.
		u.created = g.spreadTime(r, i, len(g.users))
		u.given = uint8(r.IntN(len(givenNames)))
		u.family = uint8(r.IntN(len(familyNames)))
		u.domain = uint8(r.IntN(len(emailDomains)))
		u.capitalizeMail = r.IntN(20) == 0
	}

	r = g.rand(streamOrgs)
	g.orgs = make([]orgPlan, g.opts.Orgs)
	for i := range g.orgs {
		fillID(r, &g.orgs[i].id)
		g.orgs[i].created = g.spreadTime(r, i, len(g.orgs))
	}
	g.sizeOrgs()
	g.pickMembers()
}

func (g *generator) spreadTime(r *rand.Rand, i, n int) int64 {
	return g.start + int64((float64(i)+r.Float64())*float64(g.now-g.start)/float64(n))
}

// sizeOrgs gives the big organization (the first) its members and shares
// the other memberships among the rest with a heavy tail: most orgs are
// small, a few have thousands, like a real customer base.
func (g *generator) sizeOrgs() {
	others := g.orgs
	if g.opts.BigOrg > 0 {
		g.orgs[0].size = int32(g.opts.BigOrg)
		others = g.orgs[1:]
	}
	rest := int64(g.opts.Memberships - g.opts.BigOrg)
	if len(others) == 0 || rest == 0 {
		return
	}
	r := g.rand(streamSizes)
	weights := make([]float64, len(others))
	var total float64
	for i := range weights {
		weights[i] = math.Exp(1.5 * r.NormFloat64())
		total += weights[i]
	}
	limit := int32(g.opts.Users) // an org cannot have a user twice
	var assigned int64
	for i := range others {
		s := int32(math.Min(weights[i]/total*float64(rest), float64(limit)))
		others[i].size = s
		assigned += int64(s)
	}
	// Rounding down left some over: hand them out one by one from a random
	// place. Options.Validate made sure they fit.
	for i := r.IntN(len(others)); assigned < rest; i = (i + 1) % len(others) {
		if others[i].size < limit {
			others[i].size++
			assigned++
		}
	}
}

func fillID(r *rand.Rand, id *[16]byte) {
	a, b := r.Uint64(), r.Uint64()
	for i := range 8 {
		id[i] = byte(a >> (8 * i))
		id[8+i] = byte(b >> (8 * i))
	}
}

// between returns a time in [lo, hi), or lo when the range is empty.
func between(r *rand.Rand, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + r.Int64N(hi-lo)
}

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

// Email forms of the names: lowercase ASCII letters only.
var (
	givenEmail  = emailForms(givenNames)
	familyEmail = emailForms(familyNames)
)

var foldAccents = strings.NewReplacer(
	"á", "a", "à", "a", "ä", "a", "å", "a", "é", "e", "è", "e", "ë", "e",
	"í", "i", "ï", "i", "ó", "o", "ö", "o", "ø", "o", "ú", "u", "ü", "u", "ñ", "n",
)

func emailForms(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		n = foldAccents.Replace(strings.ToLower(n))
		out[i] = strings.Map(func(c rune) rune {
			if c >= 'a' && c <= 'z' {
				return c
			}
			return -1
		}, n)
	}
	return out
}

// email is unique because n is: given.family.n@domain, with n the user's
// number across every seeding of the database.
func (g *generator) email(i int) string {
	u := &g.users[i]
	given, family := givenEmail[u.given], familyEmail[u.family]
	if u.capitalizeMail {
		given, family = capitalize(given), capitalize(family)
	}
	n := strconv.FormatInt(g.userBase+int64(i), 10)
	return given + "." + family + "." + n + "@" + emailDomains[u.domain]
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return string(unicode.ToUpper(rune(s[0]))) + s[1:]
}

func (g *generator) writeUsers(w *rowWriter) error {
	r := g.rand(streamUserRows)
	for i := range g.users {
		u := &g.users[i]
		given, family := givenNames[u.given], familyNames[u.family]
		n := g.userBase + int64(i)
		w.id("usr", &u.id)
		w.str(g.email(i))
		w.bool(r.IntN(10) != 0)
		if r.IntN(10) < 3 { // imported from the customer's own directory
			w.str("emp-" + strconv.FormatInt(n, 10))
		} else {
			w.null()
		}
		w.str(given)
		w.str(family)
		w.str(given + " " + family)
		if r.IntN(10) < 7 {
			w.str(pick(r, locales))
		} else {
			w.null()
		}
		if r.IntN(5) == 0 {
			w.str("+1-202-555-" + strconv.Itoa(1000+r.IntN(9000)))
		} else {
			w.null()
		}
		if r.IntN(7) == 0 {
			w.str(`{"department": "` + pick(r, departments) + `", "cost_center": "CC-` + strconv.Itoa(100+r.IntN(900)) + `"}`)
		} else {
			w.str("{}")
		}
		var lastLogin int64
		if r.IntN(4) != 0 {
			lastLogin = between(r, u.created, g.now)
		}
		w.tsOrNull(lastLogin)
		w.ts(u.created)
		w.ts(between(r, u.created, min(g.now, max(lastLogin, u.created+day))))
		if err := w.endRow(); err != nil {
			return err
		}
	}
	return nil
}

var userColumns = []string{"id", "email", "email_verified", "external_id", "given_name", "family_name",
	"name", "locale", "phone_number", "metadata", "last_login_at", "created_at", "updated_at"}

func (g *generator) writeOrgs(w *rowWriter) error {
	r := g.rand(streamOrgRows)
	for i := range g.orgs {
		o := &g.orgs[i]
		n := g.orgBase + int64(i)
		first, second := pick(r, orgFirstWords), pick(r, orgSecondWords)
		name := first + " " + second
		if s := pick(r, orgSuffixes); s != "" {
			name += " " + s
		}
		w.id("org", &o.id)
		w.str(name)
		if r.IntN(10) != 0 {
			w.str(strings.ToLower(first+"-"+second) + "-" + strconv.FormatInt(n, 10))
		} else {
			w.null()
		}
		if r.IntN(10) < 4 { // the customer's own id, from their CRM
			w.str("crm-" + strconv.FormatInt(n, 10))
		} else {
			w.null()
		}
		if r.IntN(10) < 3 {
			w.str(`{"plan": "` + pick(r, plans) + `", "region": "` + pick(r, regions) + `"}`)
		} else {
			w.str("{}")
		}
		if r.IntN(5) == 0 {
			w.str(`{"sso": true, "domain_verification": true}`)
		} else {
			w.str("{}")
		}
		// A seat limit on some orgs, always above what they hold so the data
		// breaks no rule the application enforces.
		if o.size > 0 && r.IntN(20) == 0 {
			w.int((int64(o.size)*3/2/50 + 1) * 50)
		} else {
			w.int(0)
		}
		w.ts(o.created)
		w.ts(between(r, o.created, g.now))
		if err := w.endRow(); err != nil {
			return err
		}
	}
	return nil
}

var orgColumns = []string{"id", "display_name", "slug", "external_id", "metadata", "settings",
	"max_allowed_users", "created_at", "updated_at"}

// userPicker hands out the members of the ordinary orgs. Users have
// weights, as in life: most belong to one org, some to a few, a handful
// (consultants, support staff) to hundreds. It walks a shuffled list in which
// each user appears as often as their weight, reshuffling at the end, and
// never gives an org the same user twice.
type userPicker struct {
	slots    []int32
	pos      int
	deferred []int32 // drawn while already in the org being filled: kept for the next
	lastOrg  []int32 // per user: 1 + the index of the last org given them
	r        *rand.Rand
}

func newUserPicker(users int, r *rand.Rand) *userPicker {
	p := &userPicker{lastOrg: make([]int32, users), r: r}
	p.slots = make([]int32, 0, users*2)
	for u := range int32(users) {
		p.slots = append(p.slots, u)
		for range membershipWeight(r) - 1 {
			p.slots = append(p.slots, u)
		}
	}
	p.shuffle()
	return p
}

// membershipWeight draws how many orgs a user tends to be in: 1 for 70%,
// 2–3 for 20%, 4–8 for 9%, 10–40 for 1%, 100–300 for one in 10,000.
func membershipWeight(r *rand.Rand) int {
	switch x := r.IntN(10000); {
	case x < 7000:
		return 1
	case x < 9000:
		return 2 + r.IntN(2)
	case x < 9900:
		return 4 + r.IntN(5)
	case x < 9999:
		return 10 + r.IntN(31)
	default:
		return 100 + r.IntN(201)
	}
}

func (p *userPicker) shuffle() {
	p.r.Shuffle(len(p.slots), func(i, j int) { p.slots[i], p.slots[j] = p.slots[j], p.slots[i] })
	p.pos = 0
}

// take appends n distinct users for org (n ≤ number of users) to dst.
func (p *userPicker) take(org, n int, dst []int32) []int32 {
	mark := int32(org + 1)
	want := len(dst) + n
	// Users set aside for the previous org come first, so weights hold.
	kept := 0
	for _, u := range p.deferred {
		if len(dst) < want && p.lastOrg[u] != mark {
			p.lastOrg[u] = mark
			dst = append(dst, u)
		} else {
			p.deferred[kept] = u
			kept++
		}
	}
	p.deferred = p.deferred[:kept]
	for len(dst) < want {
		if p.pos == len(p.slots) {
			p.shuffle()
		}
		u := p.slots[p.pos]
		p.pos++
		if p.lastOrg[u] == mark {
			p.deferred = append(p.deferred, u)
			continue
		}
		p.lastOrg[u] = mark
		dst = append(dst, u)
	}
	return dst
}

// pickMembers chooses every org's members. The big org's are a random set
// of their own; the others come from a userPicker. Each org's earliest
// user goes first: they created it, so the org dates from no earlier than
// their sign-up.
func (g *generator) pickMembers() {
	g.members = make([]int32, 0, g.opts.Memberships)
	g.memberStart = make([]int, len(g.orgs)+1)
	picker := newUserPicker(len(g.users), g.rand(streamPicker))
	for oi := range g.orgs {
		o := &g.orgs[oi]
		start := len(g.members)
		g.memberStart[oi] = start
		if oi == 0 && g.opts.BigOrg > 0 {
			r := g.rand(streamBigOrg)
			perm := r.Perm(len(g.users))
			for _, u := range perm[:g.opts.BigOrg] {
				g.members = append(g.members, int32(u))
			}
		} else {
			g.members = picker.take(oi, int(o.size), g.members)
		}
		org := g.members[start:]
		if len(org) == 0 {
			continue
		}
		first := 0
		for j, u := range org {
			if g.users[u].created < g.users[org[first]].created {
				first = j
			}
		}
		org[0], org[first] = org[first], org[0]
		o.created = max(o.created, g.users[org[0]].created)
	}
	g.memberStart[len(g.orgs)] = len(g.members)
}

// Membership statuses.
const (
	statusActive   = "ACTIVE"
	statusInactive = "INACTIVE"
	statusPending  = "PENDING_INVITE"
	statusExpired  = "INVITE_EXPIRED"
)

func (g *generator) writeMemberships(w *rowWriter) error {
	r := g.rand(streamMemberships)
	g.roles = make([]roleRow, 0, len(g.members))
	for oi := range g.orgs {
		o := &g.orgs[oi]
		members := g.members[g.memberStart[oi]:g.memberStart[oi+1]]
		if len(members) == 0 {
			continue
		}
		creator := members[0]
		creatorID := formatID("usr", &g.users[creator].id)
		creatorEmail := g.email(int(creator))
		// A handful of admins whatever the size: a 20-person org has one
		// or two, a 200,000-person org not thousands.
		adminOdds := min(0.05, 5/float64(len(members)))
		for j, ui := range members {
			m := membership{user: &g.users[ui], org: o}
			if j == 0 {
				m.creator(r)
			} else {
				m.draw(r, g.now)
				m.admin = r.Float64() < adminOdds
			}
			if m.invited {
				m.inviterID, m.inviterEmail = creatorID, creatorEmail
			}
			fillID(r, &m.id)
			m.write(w, r)
			g.roles = append(g.roles, roleRow{membership: m.id, admin: m.admin})
			if err := w.endRow(); err != nil {
				return err
			}
		}
	}
	return nil
}

var membershipColumns = []string{"id", "user_id", "organization_id", "status", "provisioning_method",
	"primary_identity_provider", "metadata", "inviter_user_id", "inviter_email", "invite_created_at",
	"invite_expires_at", "invite_accepted_at", "resent_count", "joined_at", "created_at", "updated_at"}

// membership is one row being drawn; times are Unix microseconds, 0 = NULL.
type membership struct {
	id               [16]byte
	user             *userPlan
	org              *orgPlan
	status, method   string
	provider         string
	admin, invited   bool
	inviterID        string
	inviterEmail     string
	inviteCreated    int64
	inviteExpires    int64
	inviteAccepted   int64
	resent           int
	joined           int64
	created, updated int64
}

// creator makes the org's first member: the ACTIVE admin who created it.
func (m *membership) creator(r *rand.Rand) {
	m.status, m.method, m.admin = statusActive, "org_creator", true
	m.provider = pick(r, signInProviders)
	m.created = max(m.org.created, m.user.created)
	m.joined, m.updated = m.created, m.created
}

// draw picks a status and the times that go with it. No membership starts
// before its user or its org exists.
func (m *membership) draw(r *rand.Rand, now int64) {
	lo := max(m.org.created, m.user.created)
	roll := r.IntN(100)
	switch {
	case roll < 85:
		m.status = statusActive
	case roll < 92:
		m.status = statusPending
	case roll < 96 && lo < now-inviteTTL-day:
		m.status = statusExpired
	case roll < 96:
		m.status = statusPending // too new to have expired
	default:
		m.status = statusInactive
	}
	switch m.status {
	case statusActive:
		m.created = between(r, lo, now)
		switch method := r.IntN(100); {
		case method < 55:
			m.method, m.invited = "invitation", true
			m.inviteCreated = m.created
			m.inviteExpires = m.created + inviteTTL
			m.inviteAccepted = between(r, m.created, min(now, m.created+3*day))
			m.joined = m.inviteAccepted
			m.provider = pick(r, signInProviders)
		case method < 75:
			m.method, m.joined = "direct_provision", m.created
			m.provider = pick(r, signInProviders)
		case method < 85:
			m.method, m.joined = "allowed_email_domain", m.created
			m.provider = pick(r, signInProviders)
		default:
			m.method, m.joined = "jit_using_sso", m.created
			m.provider = pick(r, ssoProviders)
		}
		m.updated = m.joined
	case statusPending:
		// Still live: sent within the expiry window.
		m.method, m.invited = "invitation", true
		m.created = between(r, max(lo, now-inviteTTL+hour), now)
		m.inviteCreated = m.created
		m.inviteExpires = m.created + inviteTTL
		m.resent = r.IntN(3)
		m.updated = m.created
	case statusExpired:
		m.method, m.invited = "invitation", true
		m.created = between(r, lo, now-inviteTTL-day)
		m.inviteCreated = m.created
		m.inviteExpires = m.created + inviteTTL
		m.resent = r.IntN(2)
		m.updated = m.inviteExpires
	case statusInactive:
		// Provisioned by the customer's directory, later de-provisioned
		// and kept for audit.
		m.method = "direct_provision"
		m.created = between(r, lo, now)
		m.joined = m.created
		m.provider = pick(r, ssoProviders)
		m.updated = between(r, m.created, now)
	}
}

func (m *membership) write(w *rowWriter, r *rand.Rand) {
	w.id("mem", &m.id)
	w.id("usr", &m.user.id)
	w.id("org", &m.org.id)
	w.str(m.status)
	w.str(m.method)
	if m.provider != "" {
		w.str(m.provider)
	} else {
		w.null()
	}
	if r.IntN(10) == 0 {
		w.str(`{"team": "` + pick(r, teams) + `"}`)
	} else {
		w.str("{}")
	}
	if m.invited {
		w.str(m.inviterID)
		w.str(m.inviterEmail)
	} else {
		w.null()
		w.null()
	}
	w.tsOrNull(m.inviteCreated)
	w.tsOrNull(m.inviteExpires)
	w.tsOrNull(m.inviteAccepted)
	w.int(int64(m.resent))
	w.tsOrNull(m.joined)
	w.ts(m.created)
	w.ts(m.updated)
}

func (g *generator) writeMembershipRoles(w *rowWriter) error {
	for i := range g.roles {
		w.id("mem", &g.roles[i].membership)
		if g.roles[i].admin {
			w.str(g.adminRoleID)
		} else {
			w.str(g.memberRoleID)
		}
		if err := w.endRow(); err != nil {
			return err
		}
	}
	return nil
}

var membershipRoleColumns = []string{"membership_id", "role_id"}
