package invitations

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/ratelimit"
	"roster/internal/store"
)

// Inviting many people at once: a list is parsed into rows, previewed (what
// would happen to each address, without writing anything), then sent, each
// address in its own transaction through directory.AddMember, so one bad
// address does not stop the others. The preview and the send run the same
// code: the preview sends every invitation too, inside a transaction it
// rolls back, so it promises nothing the send would refuse.

// MaxBulk is how many addresses one bulk invite takes.
const MaxBulk = 500

// Outcome is what happens to one address of a bulk invite.
type Outcome string

// The outcomes. The first four send a mail; the others are skipped.
const (
	InviteNew      Outcome = "invite_new"      // a new user, invited
	InviteExisting Outcome = "invite_existing" // a user of Roster already, invited to this org
	Remind         Outcome = "remind"          // invited already and still open: a reminder, same expiry
	Reinvite       Outcome = "reinvite"        // invited before but expired: a new link and expiry
	AlreadyMember  Outcome = "already_member"  // refused: nothing to invite them to
	BadAddress     Outcome = "bad_address"     // skipped: not an email address
	BadRole        Outcome = "bad_role"        // skipped: a role the org does not have
	Duplicate      Outcome = "duplicate"       // skipped: listed earlier
	OverLimit      Outcome = "over_limit"      // skipped: the org would exceed its user limit
	BlockedDomain  Outcome = "blocked_domain"  // skipped: the settings refuse invitations at its domain
)

// Sends reports whether the address gets a mail.
func (o Outcome) Sends() bool {
	return o == InviteNew || o == InviteExisting || o == Remind || o == Reinvite
}

// BulkRow is one address of a bulk invite.
type BulkRow struct {
	Line  int      // where it was in the list or file (1-based)
	Input string   // the line as given, for showing
	Email string   // the address, trimmed
	Roles []string // role names given on the line; none: the bulk default
	// Filled by PlanBulk and SendBulk:
	Outcome   Outcome
	Reason    string   // why it was skipped, refused or failed
	RoleNames []string // the roles the invitation gives
	Sent      bool     // SendBulk sent its mail
	Failed    bool     // the directory refused it (in the preview: would refuse)
}

// ParseList reads a typed list: one address per line, optionally followed
// by a comma and role names (separated by spaces or semicolons). Blank
// lines and a header line "email,role" are skipped.
func ParseList(text string) ([]BulkRow, error) {
	var rows []BulkRow
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || (len(rows) == 0 && isHeader(line)) {
			continue
		}
		email, roles, _ := strings.Cut(line, ",")
		rows = append(rows, BulkRow{Line: i + 1, Input: line, Email: strings.TrimSpace(email), Roles: roleList(roles)})
	}
	return rows, checkSize(rows, "addresses")
}

// ParseCSV reads an uploaded CSV file whose header names an "email" column
// and optionally a "role" (or "roles") column.
func ParseCSV(r io.Reader) ([]BulkRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // short rows are fine; a missing role is the default
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, apperr.Invalid(apperr.Field("file", "is empty; it needs a header line email,role and one address per line"))
	}
	if err != nil {
		return nil, apperr.Invalid(apperr.Field("file", "is not a CSV file: "+csvProblem(err)))
	}
	emailCol, roleCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "email", "e-mail", "email_address":
			emailCol = i
		case "role", "roles":
			roleCol = i
		}
	}
	if emailCol < 0 {
		return nil, apperr.Invalid(apperr.Field("file", "needs a header line naming an email column, like: email,role"))
	}
	var rows []BulkRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, apperr.Invalid(apperr.Field("file", "could not be read: "+csvProblem(err)))
		}
		line, _ := cr.FieldPos(0)
		row := BulkRow{Line: line, Input: strings.Join(rec, ",")}
		if emailCol < len(rec) {
			row.Email = strings.TrimSpace(rec[emailCol])
		}
		if roleCol >= 0 && roleCol < len(rec) {
			row.Roles = roleList(rec[roleCol])
		}
		if row.Email == "" && len(row.Roles) == 0 && strings.TrimSpace(row.Input) == "" {
			continue
		}
		rows = append(rows, row)
		if len(rows) > MaxBulk {
			break // checkSize says so; no need to read the rest
		}
	}
	return rows, checkSize(rows, "file")
}

func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d: %v", pe.Line, pe.Err)
	}
	return err.Error()
}

func isHeader(line string) bool {
	l := strings.ToLower(strings.ReplaceAll(line, " ", ""))
	return l == "email" || l == "email,role" || l == "email,roles"
}

func roleList(s string) []string {
	roles := strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '\t' })
	if len(roles) == 0 {
		return nil // the default role
	}
	return roles
}

func checkSize(rows []BulkRow, field string) error {
	switch {
	case len(rows) == 0:
		return apperr.Invalid(apperr.Field(field, "has no addresses; give one per line"))
	case len(rows) > MaxBulk:
		return apperr.Invalid(apperr.Field(field, fmt.Sprintf("has more than %d addresses; split the list", MaxBulk)))
	}
	return nil
}

// FormatList writes rows back as a typed list, so a preview can carry what
// it showed to the confirmation, whether it came from a file or the box.
func FormatList(rows []BulkRow) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.Email)
		if len(r.Roles) > 0 {
			b.WriteString("," + strings.Join(r.Roles, ";"))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// BulkPlan is what a bulk invite will do, or did.
type BulkPlan struct {
	Rows []BulkRow
	// DefaultRoles are the roles of addresses given without one.
	DefaultRoles []string
	// Limit is the org's user limit (0: none) and Used how many of it are
	// taken (active and pending members) before this invite.
	Limit, Used int
}

// Count returns how many rows have the outcome.
func (p BulkPlan) Count(o Outcome) int {
	n := 0
	for _, r := range p.Rows {
		if r.Outcome == o {
			n++
		}
	}
	return n
}

// Sending returns how many rows send a mail (or sent one, after SendBulk).
func (p BulkPlan) Sending() int {
	n := 0
	for _, r := range p.Rows {
		if r.Outcome.Sends() && !r.Failed {
			n++
		}
	}
	return n
}

// PlanBulk says what inviting rows to org as invitedBy would do to each
// address, writing nothing: it sorts the rows (classify), then sends every
// invitation exactly as SendBulk does, in one transaction it rolls back. A
// row the send would refuse is Failed here, with the send's reason.
func (s *Service) PlanBulk(ctx context.Context, orgID, invitedBy string, rows []BulkRow, defaultRole string) (BulkPlan, error) {
	plan, err := s.classify(ctx, orgID, rows, defaultRole)
	if err != nil {
		return plan, err
	}
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		for i := range plan.Rows {
			if err := s.attempt(ctx, tx, orgID, invitedBy, &plan.Rows[i]); err != nil {
				return err
			}
		}
		return errPreviewOnly
	})
	if !errors.Is(err, errPreviewOnly) {
		return plan, err
	}
	return plan, nil
}

// errPreviewOnly rolls the preview's transaction back.
var errPreviewOnly = errors.New("bulk invite preview: roll back")

// classify says what inviting rows to org would do to each address, from
// what the database holds now. defaultRole ("" for the org's default
// member role) goes to rows without roles of their own; an unknown one is
// bad input on the field "role". The outcomes follow directory.AddMember's
// rules (see addMembership): a pending invitation is reminded, an expired
// one renewed, an active or inactive member refused, and the org's user
// limit counts active and pending members, and an address at a domain the
// settings block is refused (directory.BlockedEmailDomain).
func (s *Service) classify(ctx context.Context, orgID string, rows []BulkRow, defaultRole string) (BulkPlan, error) {
	org, err := s.dir.Organization(ctx, orgID)
	if err != nil {
		return BulkPlan{}, err
	}
	plan := BulkPlan{Rows: make([]BulkRow, len(rows)), Limit: org.MaxAllowedUsers}
	copy(plan.Rows, rows)
	if plan.DefaultRoles, err = s.defaultRoles(ctx, orgID, defaultRole); err != nil {
		return BulkPlan{}, err
	}
	if plan.Limit > 0 {
		if plan.Used, err = s.store.ActiveOrPendingCount(ctx, orgID); err != nil {
			return BulkPlan{}, err
		}
	}
	env, err := s.store.EnvironmentSettings(ctx)
	if err != nil {
		return BulkPlan{}, err
	}

	// The addresses' users and their memberships here, in two queries.
	var emails []string
	for i := range plan.Rows {
		r := &plan.Rows[i]
		r.Outcome, r.Reason, r.Sent, r.Failed = "", "", false, false
		if email, ok := directory.NormalizeEmail(r.Email); ok {
			r.Email = email
			emails = append(emails, email)
		}
	}
	users, err := s.store.UsersByEmails(ctx, emails)
	if err != nil {
		return BulkPlan{}, err
	}
	userIDs := make([]string, 0, len(users))
	for _, u := range users {
		userIDs = append(userIDs, u.ID)
	}
	members, err := s.store.OrgMembershipsOfUsers(ctx, orgID, userIDs)
	if err != nil {
		return BulkPlan{}, err
	}

	seen := map[string]int{}
	roleCheck := map[string]error{}
	taken := plan.Used
	now := s.clock.Now()
	for i := range plan.Rows {
		r := &plan.Rows[i]
		key := strings.ToLower(r.Email)
		if _, ok := directory.NormalizeEmail(r.Email); !ok {
			r.Outcome, r.Reason = BadAddress, badAddressReason(r.Email)
			continue
		}
		if first, dup := seen[key]; dup {
			r.Outcome, r.Reason = Duplicate, fmt.Sprintf("listed already on line %d", first)
			continue
		}
		seen[key] = r.Line
		if b, blocked := directory.BlockedEmailDomain(env, r.Email); blocked {
			r.Outcome, r.Reason = BlockedDomain, "at "+b.String()+": the settings refuse invitations to such addresses"
			continue
		}
		r.RoleNames = plan.DefaultRoles
		if len(r.Roles) > 0 {
			names := strings.Join(r.Roles, ";")
			if _, checked := roleCheck[names]; !checked {
				_, roleCheck[names] = s.dir.ResolveRoleNames(ctx, nil, orgID, r.Roles)
			}
			if err := roleCheck[names]; err != nil {
				if !errors.Is(err, apperr.ErrInvalid) {
					return BulkPlan{}, err
				}
				r.Outcome, r.Reason = BadRole, roleProblem(err)
				continue
			}
			r.RoleNames = r.Roles
		}
		u, known := users[key]
		m, member := members[u.ID]
		switch {
		case known && member && m.Status == model.StatusPendingInvite && m.InviteExpiresAt != nil && now.Before(*m.InviteExpiresAt):
			r.Outcome, r.RoleNames = Remind, nil // a reminder keeps the roles it had
		case known && member && m.Status == model.StatusInviteExpired && plan.Limit > 0 && taken >= plan.Limit:
			// An expired invitation holds no place; its renewal takes one.
			r.Outcome, r.Reason = OverLimit, fmt.Sprintf("the organization has reached its limit of %d users", plan.Limit)
		case known && member && (m.Status == model.StatusPendingInvite || m.Status == model.StatusInviteExpired):
			r.Outcome, r.RoleNames = Reinvite, nil
			if m.Status == model.StatusInviteExpired {
				taken++
			}
		case known && member:
			r.Outcome, r.Reason = AlreadyMember, "already a member ("+strings.ToLower(m.Status)+"); nothing is sent"
		case plan.Limit > 0 && taken >= plan.Limit:
			r.Outcome, r.Reason = OverLimit, fmt.Sprintf("the organization has reached its limit of %d users", plan.Limit)
		case known:
			r.Outcome = InviteExisting
			taken++
		default:
			r.Outcome = InviteNew
			taken++
		}
	}
	return plan, nil
}

// defaultRoles checks the role chosen for rows without one and names it,
// or the org's default member role when none was chosen.
func (s *Service) defaultRoles(ctx context.Context, orgID, role string) ([]string, error) {
	if role == "" {
		r, err := s.dir.DefaultMemberRole(ctx, nil, orgID)
		if errors.Is(err, apperr.ErrFailedPrecondition) {
			return nil, apperr.Invalid(apperr.Field("role", "must be chosen: the organization has no default member role"))
		}
		if err != nil {
			return nil, err
		}
		return []string{r.Name}, nil
	}
	if _, err := s.dir.ResolveRoleNames(ctx, nil, orgID, []string{role}); err != nil {
		if errors.Is(err, apperr.ErrInvalid) {
			return nil, apperr.Invalid(apperr.Field("role", "is not a role of this organization"))
		}
		return nil, err
	}
	return []string{role}, nil
}

func badAddressReason(email string) string {
	switch {
	case email == "":
		return "no address on this line"
	case !strings.Contains(email, "@"):
		return "not an email address: it has no @"
	case strings.ContainsAny(email, "<>\" "):
		return "give the bare address only, like ann@example.com"
	}
	return "not a valid email address"
}

func roleProblem(err error) string {
	if fe := apperr.FieldErrors(err); fe["roles"] != "" {
		return "the role " + strings.TrimPrefix(fe["roles"], "names no role of this organization or the environment: ") + " does not exist here"
	}
	return err.Error()
}

// tooMany is a row's reason when a limit refused its invitation.
func tooMany(e *ratelimit.Error) string {
	return fmt.Sprintf("too many invitations sent lately; try again in %d minutes", e.Minutes())
}

// SendBulk sorts rows again (the picture may have changed since the
// preview) and sends each invitation it says, each in its own transaction,
// as invitedBy (directory.MembershipInput.InvitedBy). The plan it returns
// says, per row, what was sent and what failed and why.
func (s *Service) SendBulk(ctx context.Context, orgID, invitedBy string, rows []BulkRow, defaultRole string) (BulkPlan, error) {
	plan, err := s.classify(ctx, orgID, rows, defaultRole)
	if err != nil {
		return plan, err
	}
	for i := range plan.Rows {
		r := &plan.Rows[i]
		if err := s.attempt(ctx, s.store, orgID, invitedBy, r); err != nil {
			return plan, err
		}
		r.Sent = r.Outcome.Sends() && !r.Failed
	}
	return plan, nil
}

// attempt sends the invitation of one row whose outcome sends, on st: in
// its own transaction, or, when st is one already (the preview), in a
// savepoint. Either way a refused row leaves nothing behind and is marked
// Failed with the reason; only an unexpected error is returned.
func (s *Service) attempt(ctx context.Context, st *store.Store, orgID, invitedBy string, r *BulkRow) error {
	if !r.Outcome.Sends() {
		return nil
	}
	email := r.Email
	in := directory.MembershipInput{InvitedBy: invitedBy, SendInvitation: true, Roles: r.RoleNames}
	if r.RoleNames == nil {
		in.Roles = nil // a reminder: the membership keeps its roles
	}
	err := st.InSavepoint(ctx, func(tx *store.Store) error {
		if err := ratelimit.New(tx, s.clock).Allow(ctx, ratelimit.OrgInvites, "", "org:"+orgID); err != nil {
			return err
		}
		_, err := s.dir.On(tx).AddMember(ctx, orgID, directory.UserInput{Email: &email}, in)
		return err
	})
	var limited *ratelimit.Error
	var ae *apperr.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &limited):
		r.Failed, r.Reason = true, tooMany(limited)
	case errors.As(err, &ae):
		r.Failed, r.Reason = true, ae.Message
		if r.Reason == "" {
			r.Reason = err.Error()
		}
	default:
		return fmt.Errorf("invite %s: %w", r.Email, err)
	}
	return nil
}
