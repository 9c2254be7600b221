// Package invitations runs an invitation's life after it is sent: the page
// its link opens, accepting it (once, however many times it is submitted),
// declining it, asking for a new one when it expired, the job that marks
// expired invitations, and inviting many people at once.
//
// Sending an invitation, resending and revoking it are the directory's
// (directory.AddMember, ResendInvite, RevokeInvitation); this package only
// reads what they wrote and moves the membership on.
package invitations

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/directory"
	"roster/internal/identity"
	"roster/internal/mail"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/ratelimit"
	"roster/internal/store"
	"roster/internal/tokens"
)

// Service is the invitation lifecycle. It is safe for concurrent use.
type Service struct {
	store  *store.Store
	dir    *directory.Service
	clock  clock.Clock
	opts   Options
	limits *ratelimit.Limiter
}

// Options are what the service takes from the rest of Roster.
type Options struct {
	// BaseURL is Roster's public address, for links in mail to the inviter.
	BaseURL string
	// SetPassword stores a password for the user inside tx, checked as every
	// password is (enduser.SetPassword). Nil: accepting cannot set one.
	SetPassword func(ctx context.Context, tx *store.Store, userID, password string) error
}

// New returns the service. Every invitation mail is held to
// ratelimit.InviteMail where it is written (directory); this service adds
// the limits of its own paths (ratelimit.OrgInvites, MemberInvites).
func New(st *store.Store, dir *directory.Service, clk clock.Clock, opts Options) *Service {
	return &Service{store: st, dir: dir, clock: clk, opts: opts, limits: ratelimit.New(st, clk)}
}

// State is what a link can still do, as its page says it.
type State string

// The states of a link.
const (
	Open    State = "open"    // may be accepted
	Expired State = "expired" // past its expiry: ask for a new one
	Used    State = "used"    // accepted already
	Revoked State = "revoked" // withdrawn by the org, or replaced by a newer link
	// Declined: the invitee turned it down (here or on "my organizations").
	Declined State = "declined"
	Unknown  State = "unknown" // no such link (mistyped, or from another Roster)
)

// Invitation is a link as its page shows it. Only an open or expired link
// names the person invited; the other pages say nothing about anyone.
type Invitation struct {
	State            State
	OrganizationID   string
	OrganizationName string // "" when the org is gone
	UserID           string
	Email            string // the address invited
	InviterEmail     string // "" when not recorded
	Roles            []model.RoleRef
	ExpiresAt        time.Time
	// Replaced: revoked because a newer link was sent; the newest mail works.
	Replaced bool
	// RenewalRequested: the invitee already asked for a new invitation.
	RenewalRequested bool
	// NewAccount: the invitee has never used their account (no name, no
	// password, never signed in), so accepting asks for a name and may set
	// a password (Setup). Open links only.
	NewAccount bool
}

// LinkError is why a link could not be accepted: its state, with what its
// page shows.
type LinkError struct{ Invitation Invitation }

func (e *LinkError) Error() string { return "invitation link is " + string(e.Invitation.State) }

// maxTokenLength: real tokens are 43 characters; anything much longer is
// not worth a database round trip.
const maxTokenLength = 128

// Lookup returns what the link's page shows. It changes nothing, so a mail
// scanner that opens the link cannot use it up.
func (s *Service) Lookup(ctx context.Context, token string) (Invitation, error) {
	if token == "" || len(token) > maxTokenLength {
		return Invitation{State: Unknown}, nil
	}
	hash := tokens.Hash(token)
	l, err := s.store.InvitationLinkByHash(ctx, hash)
	if errors.Is(err, apperr.ErrNotFound) {
		return s.tombstone(ctx, hash)
	}
	if err != nil {
		return Invitation{}, err
	}
	inv := s.describe(l)
	if inv.State == Open {
		if inv.NewAccount, err = newAccount(ctx, s.store, inv.UserID); err != nil {
			return Invitation{}, err
		}
	}
	return inv, nil
}

// describe says what the link l is now, as its page shows it.
func (s *Service) describe(l store.InvitationLink) Invitation {
	inv := Invitation{
		OrganizationID: nullable.Value(l.OrganizationID), OrganizationName: nullable.Value(l.OrganizationName),
		UserID: nullable.Value(l.UserID), Email: nullable.Value(l.Email), InviterEmail: nullable.Value(l.InviterEmail),
		Roles: l.Roles, ExpiresAt: l.ExpiresAt,
	}
	_, inv.RenewalRequested = l.Data["renewal_requested_at"]
	now := s.clock.Now()
	status := nullable.Value(l.MembershipStatus)
	switch {
	case l.UsedAt != nil || status == model.StatusActive || status == model.StatusInactive:
		inv.State = Used
	case l.RevokedAt != nil || l.MembershipID == nil:
		inv.State = Revoked
		// A resend revokes the old link and keeps the membership open. So
		// does an email change (directory.UpdateUser), which sends nothing new.
		_, forEmailChange := l.Data["revoked_for"]
		inv.Replaced = (status == model.StatusPendingInvite || status == model.StatusInviteExpired) && !forEmailChange
	case !now.Before(l.ExpiresAt) || status == model.StatusInviteExpired:
		inv.State = Expired
	default:
		inv.State = Open
	}
	if inv.State != Open && inv.State != Expired {
		// Past its use, a link says nothing about the person it was for.
		inv.UserID, inv.Email, inv.Roles = "", "", nil
	}
	return inv
}

// newAccount reports whether the user has never used their account: no
// name, no password, never signed in. That is a person the invitation
// itself brought in, who sets the account up while accepting; anyone else
// only accepts.
func newAccount(ctx context.Context, st *store.Store, userID string) (bool, error) {
	u, err := st.User(ctx, userID)
	if err != nil {
		return false, err
	}
	if u.LastLoginAt != nil || nullable.Value(u.Name) != "" || nullable.Value(u.GivenName) != "" || nullable.Value(u.FamilyName) != "" {
		return false, nil
	}
	_, err = st.PasswordHash(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) {
		return true, nil
	}
	return false, err
}

// tombstone describes a link whose row is gone: revoking deletes the
// membership and with it the link, but not its tombstone.
func (s *Service) tombstone(ctx context.Context, hash []byte) (Invitation, error) {
	t, err := s.store.InvitationTombstoneByHash(ctx, hash)
	if errors.Is(err, apperr.ErrNotFound) {
		return Invitation{State: Unknown}, nil
	}
	if err != nil {
		return Invitation{}, err
	}
	inv := Invitation{
		State: Revoked, OrganizationID: nullable.Value(t.OrganizationID), OrganizationName: nullable.Value(t.OrganizationName),
		ExpiresAt: t.ExpiresAt,
	}
	switch {
	case t.UsedAt != nil:
		inv.State = Used // accepted, then the member was removed
	case t.DeclinedAt != nil:
		inv.State = Declined
	}
	return inv, nil
}

// Setup is what a person new to the app gives while accepting an
// invitation (Invitation.NewAccount): a name, and a password if they want
// one. An existing person gives nothing.
type Setup struct {
	Name     string
	Password string // "" signs in by email
}

// maxNameLength is the longest name a new person may give.
const maxNameLength = 255

// Accept uses the link: the membership becomes ACTIVE, the email counts as
// proven, and the caller signs the user in to the org. A new account
// (Invitation.NewAccount) needs in.Name and takes an optional in.Password,
// checked as every password is, set in the same transaction: a refused name
// or password leaves the link unused, with errors on the fields "name" and
// "password". An account in use takes neither; it is set up already.
//
// The link is single use: of parallel or repeated calls exactly one
// succeeds, and the others get a *LinkError saying the link is used.
func (s *Service) Accept(ctx context.Context, token string, in Setup) (userID, orgID string, err error) {
	inv, err := s.Lookup(ctx, token)
	if err != nil {
		return "", "", err
	}
	if inv.State != Open {
		return "", "", &LinkError{inv}
	}
	hash := tokens.Hash(token)
	var refused bool
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		// The org's lock first, as every membership change takes it: a
		// revoke or resend running now finishes before or after, not across.
		if _, err := tx.LockOrganization(ctx, inv.OrganizationID); err != nil {
			return err
		}
		link, err := tx.UseInvitationLink(ctx, hash, s.clock.Now())
		if errors.Is(err, apperr.ErrNotFound) {
			refused = true // someone else used it, or it was revoked meanwhile
			return err
		}
		if err != nil {
			return err
		}
		m, err := tx.Membership(ctx, nullable.Value(link.UserID), nullable.Value(link.OrganizationID))
		if err != nil || m.ID != nullable.Value(link.MembershipID) || m.Status != model.StatusPendingInvite {
			refused = true
			return apperr.FailedPrecondition("the invitation is no longer open")
		}
		userID, orgID = m.UserID, m.OrganizationID
		// Whether the account is new is decided before proving the email,
		// which may clear a password nobody proved (identity.Resolve).
		fresh, err := newAccount(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := s.proveEmail(ctx, tx, userID, nullable.Value(link.Email)); err != nil {
			return err
		}
		if err := s.setUp(ctx, tx, userID, fresh, in); err != nil {
			return err
		}
		return s.activate(ctx, tx, m, "link")
	})
	if refused {
		// Say what the link is now (used, revoked, expired), as a page can.
		if inv, lerr := s.Lookup(ctx, token); lerr == nil {
			return "", "", &LinkError{inv}
		}
	}
	if err != nil {
		return "", "", err
	}
	return userID, orgID, nil
}

// setUp gives a new (fresh) account its name and, if asked, a password,
// inside tx; an account in use takes neither.
func (s *Service) setUp(ctx context.Context, tx *store.Store, userID string, fresh bool, in Setup) error {
	name := strings.TrimSpace(in.Name)
	if !fresh {
		if name != "" || in.Password != "" {
			// The page asked while the account was new; it has been used
			// since (a sign-in elsewhere), and its owner keeps what it has.
			return apperr.FailedPrecondition("your account is set up already, so this invitation no longer asks for a name or password; accept it as it is")
		}
		return nil
	}
	var v apperr.Violations
	switch {
	case name == "":
		v.Add("name", "enter your name")
	case utf8.RuneCountInString(name) > maxNameLength:
		v.Add("name", "must be at most 255 characters")
	}
	if in.Password != "" {
		// Checked even when the name is missing, so the page names every
		// problem at once; the transaction undoes it then.
		if err := s.setPassword(ctx, tx, userID, in.Password); err != nil {
			msg := apperr.FieldErrors(err)["password"]
			if msg == "" {
				return err
			}
			v.Add("password", msg)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	_, err := s.dir.On(tx).UpdateUser(ctx, userID, directory.UserInput{Name: &name})
	return err
}

func (s *Service) setPassword(ctx context.Context, tx *store.Store, userID, password string) error {
	if s.opts.SetPassword == nil {
		return apperr.Invalid(apperr.Field("password", "cannot be set here; sign in with your email instead"))
	}
	return s.opts.SetPassword(ctx, tx, userID, password)
}

// proveEmail records that the person controls email: opening the link sent
// there proves it, like an email sign-in link. It counts only while email is
// still the user's address (an admin may have changed it since).
func (s *Service) proveEmail(ctx context.Context, tx *store.Store, userID, email string) error {
	u, err := tx.User(ctx, userID)
	if err != nil {
		return err
	}
	if email == "" || !strings.EqualFold(u.Email, email) {
		return nil
	}
	got, _, err := identity.Resolve(ctx, tx, s.clock, identity.Proof{
		Kind: "EMAIL", Issuer: identity.IssuerEmail, Subject: strings.ToLower(u.Email),
		Email: u.Email, EmailVerified: true,
	})
	if err != nil {
		return err
	}
	if got.ID != userID {
		// The inbox identity is someone else's: never move an invitation.
		return apperr.Conflict("this invitation's address belongs to another account")
	}
	return nil
}

// activate makes a pending membership ACTIVE, as accepted now, with its
// links used up.
func (s *Service) activate(ctx context.Context, tx *store.Store, m model.Membership, via string) error {
	now := s.clock.Now()
	m.Status, m.InviteAcceptedAt, m.JoinedAt, m.UpdatedAt = model.StatusActive, &now, &now, now
	if err := tx.UpdateMembership(ctx, m); err != nil {
		return err
	}
	// Any other live link of this invitation goes too (at most one is live,
	// but an accept without a link leaves one behind).
	if err := tx.UseMembershipInvitationLinks(ctx, m.ID, now); err != nil {
		return err
	}
	return audit.Record(ctx, tx, s.clock, audit.Event{
		Action: "invitation.accepted", OrgID: m.OrganizationID, UserID: m.UserID,
		TargetType: "membership", TargetID: m.ID,
		Changes: model.JSONObject{"status": m.Status, "via": via, "inviter_email": m.InviterEmail, "resent_count": m.ResentCount},
	})
}

// AcceptForUser accepts the user's pending invitation to org without a
// link, for a signed-in user on their "my organizations" page. Only a user
// whose email is verified may: the invitation went to that address, and
// whoever registered it without proving it must not collect invitations.
// Accepting an accepted invitation changes nothing.
func (s *Service) AcceptForUser(ctx context.Context, userID, orgID string) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.LockOrganization(ctx, orgID); err != nil {
			return err
		}
		m, err := s.pendingFor(ctx, tx, userID, orgID)
		if err != nil || m.Status == model.StatusActive {
			return err
		}
		if m.InviteExpiresAt != nil && !s.clock.Now().Before(*m.InviteExpiresAt) {
			return apperr.FailedPrecondition("this invitation has expired; ask " + m.OrganizationName + " to send a new one")
		}
		return s.activate(ctx, tx, m, "my_organizations")
	})
}

// DeclineForUser turns down the user's invitation to org: the membership
// and its links go, and the user too when left without memberships and
// deleteOrphan (nil: the environment) says so; their sessions end with them.
func (s *Service) DeclineForUser(ctx context.Context, userID, orgID string, deleteOrphan *bool) error {
	if _, err := s.pendingFor(ctx, s.store, userID, orgID); err != nil {
		return err
	}
	return s.dir.DeclineInvitation(ctx, orgID, userID, deleteOrphan)
}

// DeclineOutcome says what declining a link did.
type DeclineOutcome struct {
	// Invitation is the link as it was before: who was invited, to which org.
	Invitation Invitation
	// AccountDeleted: the invitee's account went with its last membership.
	AccountDeleted bool
}

// DeclineImpact reports whether declining inv would delete the invitee's
// account: it is their only membership and the environment deletes users
// left without one. The confirmation page says so before anything happens.
func (s *Service) DeclineImpact(ctx context.Context, inv Invitation) (deletesAccount bool, err error) {
	if inv.UserID == "" {
		return false, nil
	}
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil || !settings.DeleteUsersWithoutMemberships {
		return false, err
	}
	ms, err := s.store.MembershipsOfUsers(ctx, []string{inv.UserID})
	if err != nil {
		return false, err
	}
	return len(ms[inv.UserID]) == 1, nil
}

// Decline uses the link to turn the invitation down: holding it proves the
// inbox, as for accepting. The invitation closes as DeclineForUser closes
// it (directory.DeclineInvitation): the membership and its links go, and
// the user too when left without memberships and the environment deletes
// such users. A link that is no longer open gets a *LinkError.
func (s *Service) Decline(ctx context.Context, token string) (DeclineOutcome, error) {
	inv, err := s.Lookup(ctx, token)
	if err != nil {
		return DeclineOutcome{}, err
	}
	if inv.State != Open {
		return DeclineOutcome{}, &LinkError{inv}
	}
	out := DeclineOutcome{Invitation: inv}
	var refused bool
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.LockOrganization(ctx, inv.OrganizationID); err != nil {
			return err
		}
		// Under the org's lock nothing moves the invitation; is the link
		// still the open one it was?
		l, err := tx.InvitationLinkByHash(ctx, tokens.Hash(token))
		if errors.Is(err, apperr.ErrNotFound) || (err == nil && s.describe(l).State != Open) {
			refused = true
			return apperr.FailedPrecondition("the invitation is no longer open")
		}
		if err != nil {
			return err
		}
		if err := s.dir.On(tx).DeclineInvitation(ctx, inv.OrganizationID, inv.UserID, nil); err != nil {
			return err
		}
		_, err = tx.User(ctx, inv.UserID)
		out.AccountDeleted = errors.Is(err, apperr.ErrNotFound)
		if out.AccountDeleted {
			return nil
		}
		return err
	})
	if refused {
		if now, lerr := s.Lookup(ctx, token); lerr == nil {
			return DeclineOutcome{}, &LinkError{now}
		}
	}
	if err != nil {
		return DeclineOutcome{}, err
	}
	return out, nil
}

// pendingFor returns the user's membership in org when they may act on its
// invitation themselves: their email is verified and the membership is an
// invitation (or already accepted, which AcceptForUser treats as done).
func (s *Service) pendingFor(ctx context.Context, tx *store.Store, userID, orgID string) (model.Membership, error) {
	u, err := tx.User(ctx, userID)
	if err != nil {
		return model.Membership{}, err
	}
	m, err := tx.Membership(ctx, userID, orgID)
	if errors.Is(err, apperr.ErrNotFound) {
		return m, apperr.NotFound("invitation not found")
	}
	if err != nil {
		return m, err
	}
	if !u.EmailVerified {
		return m, apperr.FailedPrecondition("confirm your email address first: sign in with a link or code sent to " + u.Email)
	}
	switch m.Status {
	case model.StatusPendingInvite, model.StatusInviteExpired, model.StatusActive:
		return m, nil
	}
	return m, apperr.FailedPrecondition("there is no open invitation to " + m.OrganizationName)
}

// Renewal says what asking for a new invitation did.
type Renewal struct {
	// Notified: a mail to the inviter was queued now.
	Notified bool
	// AlreadyAsked: this link asked before; nothing more was sent.
	AlreadyAsked bool
	Invitation   Invitation
}

// RequestRenewal lets the holder of an expired link ask for a new
// invitation: the inviter, when known, gets one mail saying so, with a link
// to the org's invitations in the console. Each link asks at most once, so
// the page cannot be used to flood an inviter.
func (s *Service) RequestRenewal(ctx context.Context, token string) (Renewal, error) {
	inv, err := s.Lookup(ctx, token)
	if err != nil {
		return Renewal{}, err
	}
	if inv.State != Expired {
		return Renewal{}, &LinkError{inv}
	}
	out := Renewal{Invitation: inv, AlreadyAsked: inv.RenewalRequested}
	if inv.InviterEmail == "" || inv.RenewalRequested {
		return out, nil
	}
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		now := s.clock.Now()
		marked, err := tx.RequestInvitationRenewal(ctx, tokens.Hash(token), now)
		if err != nil || !marked {
			out.AlreadyAsked = !marked
			return err
		}
		c, err := mail.ComposeNotice(ctx, mail.Notice{
			Title: inv.Email + " asks for a new invitation to " + inv.OrganizationName,
			Paragraphs: []string{
				"Their invitation to " + inv.OrganizationName + " expired on " + inv.ExpiresAt.UTC().Format("2 January 2006") + ", before they accepted it.",
				"If they should still join, resend the invitation from the organization's invitations page. If not, you can ignore this mail or revoke the invitation there.",
			},
			ActionLabel: "Open the invitations",
			ActionURL:   strings.TrimSuffix(s.opts.BaseURL, "/") + "/organizations/" + inv.OrganizationID + "/invitations",
		})
		if err != nil {
			return err
		}
		if err := tx.QueueEmail(ctx, store.Email{
			To: inv.InviterEmail, Subject: c.Subject, Text: c.Text, HTML: c.HTML,
			Kind: "invitation_renewal_request", OrganizationID: &inv.OrganizationID,
		}, now); err != nil {
			return err
		}
		out.Notified = true
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "invitation.renewal_requested", OrgID: inv.OrganizationID, UserID: inv.UserID,
			TargetType: "user", TargetID: inv.UserID,
			Changes: model.JSONObject{"inviter_email": inv.InviterEmail},
		})
	})
	return out, err
}
