// Package identity decides who a person is when they sign in: it is the one
// place that links a proof of identity (an email link, a password, a Google
// account, …) to a user. Every sign-in method ends here, so the linking rule
// — one user per verified email — holds whichever way people come in.
//
// A returning person is known by the identity's issuer and subject, never
// by email. A new identity joins an existing user by email only with proof
// of the inbox: Roster's own link or code, or the email_verified claim of a
// social provider the owner trusts for it. A provider the owner does not
// trust says only that it believes the address is verified; the person then
// proves the inbox with a code Roster mails (LinkAfterInboxProof).
package identity

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/directory"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/store"
)

// Issuers of the identities Roster proves itself.
const (
	IssuerEmail    = "roster:email"
	IssuerPassword = "roster:password"
)

// Proof is what a sign-in method established about a person.
type Proof struct {
	Kind         string // "EMAIL", "PASSWORD", "GOOGLE", "OIDC", …  (identities.provider_kind)
	Issuer       string // for EMAIL/PASSWORD use "roster:email"/"roster:password"
	Subject      string // provider's subject; for EMAIL the lowercased address
	ConnectionID string // social provider id, if any
	IsSocial     bool
	Email        string
	// EmailVerified: the method says the person controls Email's inbox.
	// Roster's own email link or code proves it (always true there); for a
	// social proof it is the provider's email_verified claim, which counts
	// as proof only with TrustEmailVerified.
	EmailVerified bool
	// TrustEmailVerified: the owner trusts this social provider's
	// EmailVerified (social_providers.trust_email_verified). A social proof
	// without it never proves the inbox, so a provider added without a
	// thought about trust cannot open anyone's account.
	TrustEmailVerified bool
	Profile            map[string]string // given_name, family_name, name, picture, locale
}

// provesInbox reports whether Roster takes the proof as showing that the
// person controls Email's inbox: what links a new identity to an existing
// user, marks a new user's email verified and verifies a user's email.
func (p Proof) provesInbox() bool {
	return p.EmailVerified && (!p.IsSocial || p.TrustEmailVerified)
}

// ErrEmailNotVerified is in the chain of the error Resolve returns when an
// unverified email would link to an existing user, so a sign-in page can ask
// the person to prove the address another way.
var ErrEmailNotVerified = errors.New("identity: the email is not verified and belongs to an existing user")

// InboxProofNeeded is in the chain of the error Resolve returns when a
// social provider the owner does not trust for linking says the email is
// verified and it is an existing user's. The person may still link: Roster
// mails a code to the address on record, and once it is entered,
// LinkAfterInboxProof links Proof to UserID.
type InboxProofNeeded struct {
	UserID string // the existing user with the address
	Email  string // the address on record: where the code goes
	Proof  Proof  // the sign-in waiting to be linked
}

func (e *InboxProofNeeded) Error() string {
	return "identity: the provider's verified email links to an existing user only after the inbox is proven"
}

// ErrNoEmail is in the chain of the error Resolve returns when a new person
// comes without an email address: a user cannot exist without one.
var ErrNoEmail = errors.New("identity: the proof carries no email address")

// Resolve finds or creates the one user for this proof, in tx: an existing identity
// (issuer+subject) wins, whatever email it carries now; else a proof of the inbox (see
// Proof.provesInbox) links to the existing user with that email (adding an identity and
// filling empty profile fields); a verified email from a provider the owner does not trust
// is refused with an *InboxProofNeeded, so the person can prove the inbox instead; an
// UNVERIFIED email never links to an existing user and never takes over an email (refused
// with a clear error asking to verify first); a new email creates the user, its email
// verified only on a proof of the inbox. When such a proof arrives for a user whose email
// was never verified (the pre-hijack case: someone registered a password, or came through
// an untrusted provider, for the address first), the unproven password and identities are
// removed and the user's sessions end, so the earlier registrant gains nothing. Signup
// rules (sign-up on/off) are checked by the caller through enduser, not here. Returns the
// user and whether it was created.
func Resolve(ctx context.Context, tx *store.Store, clk clock.Clock, p Proof) (model.User, bool, error) {
	if err := p.check(); err != nil {
		return model.User{}, false, err
	}
	var (
		user    model.User
		created bool
	)
	err := tx.InTx(ctx, func(tx *store.Store) error {
		r := resolver{tx: tx, clk: clk, p: p, proven: p.provesInbox()}
		var err error
		user, created, err = r.resolve(ctx)
		return err
	})
	return user, created, err
}

// LinkAfterInboxProof links the social sign-in p to the user userID once
// the person has proven the inbox of that user's address (with a code
// Roster mailed there after Resolve answered *InboxProofNeeded), and
// returns the user to sign in. It refuses when the user's address is no
// longer p's (changed since the code was sent) or when p's identity has
// come to belong to another user meanwhile.
func LinkAfterInboxProof(ctx context.Context, tx *store.Store, clk clock.Clock, p Proof, userID string) (model.User, error) {
	if err := p.check(); err != nil {
		return model.User{}, err
	}
	var user model.User
	err := tx.InTx(ctx, func(tx *store.Store) error {
		u, err := tx.User(ctx, userID)
		if errors.Is(err, apperr.ErrNotFound) || (err == nil && !strings.EqualFold(u.Email, p.Email)) {
			return apperr.FailedPrecondition("This account has changed since the code was sent. Please sign in again.")
		}
		if err != nil {
			return err
		}
		// The inbox of the user's address is proven now, whatever the
		// provider is trusted for.
		r := resolver{tx: tx, clk: clk, p: p, proven: true, inboxCode: true}
		idn, err := tx.IdentityBySubject(ctx, p.Issuer, p.Subject)
		switch {
		case err == nil && idn.UserID != u.ID:
			return apperr.Conflict("This sign-in belongs to another account now. Please sign in again.")
		case err == nil:
			user, _, err = r.byIdentity(ctx)
			return err
		case !errors.Is(err, apperr.ErrNotFound):
			return err
		}
		if err := r.addIdentity(ctx, u); err != nil {
			return err
		}
		user, _, err = r.refresh(ctx, u)
		return err
	})
	return user, err
}

// Find returns the user this proof would sign in, without changing
// anything, or nil when Resolve would create a new user. Sign-in methods use
// it to apply sign-up rules before calling Resolve. An unverified email of an
// existing user gives the same error as Resolve.
func Find(ctx context.Context, st *store.Store, p Proof) (*model.User, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	idn, err := st.IdentityBySubject(ctx, p.Issuer, p.Subject)
	if err == nil {
		u, err := st.User(ctx, idn.UserID)
		if err != nil || idn.Issuer != IssuerEmail || strings.EqualFold(u.Email, p.Email) {
			return &u, err
		}
		// A stale inbox identity (see byIdentity): the email decides.
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return nil, err
	}
	if p.Email == "" {
		return nil, noEmail()
	}
	u, err := st.UserByEmail(ctx, p.Email)
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case !p.provesInbox():
		return nil, unproven(u, p)
	}
	return &u, nil
}

func (p *Proof) check() error {
	var v apperr.Violations
	p.Email = strings.TrimSpace(p.Email)
	if p.Kind == "" {
		v.Add("kind", "is required")
	}
	if p.Issuer == "" || len(p.Issuer) > 2048 {
		v.Add("issuer", "is required, at most 2048 characters")
	}
	if p.Subject == "" || len(p.Subject) > 512 {
		v.Add("subject", "is required, at most 512 characters")
	}
	if p.Email != "" {
		if _, ok := directory.NormalizeEmail(p.Email); !ok {
			v.Add("email", "must be a valid email address")
		}
	}
	return v.Err()
}

// unproven is the refusal of a proof that does not prove the inbox of u's
// address: a verified email from an untrusted provider may go on to prove
// the inbox; an unverified one never links.
func unproven(u model.User, p Proof) error {
	if p.EmailVerified {
		return apperr.FailedPrecondition("Confirm that this account is yours: we can mail a code to its address.").
			Wrap(&InboxProofNeeded{UserID: u.ID, Email: u.Email, Proof: p})
	}
	return notVerified()
}

func notVerified() error {
	return apperr.FailedPrecondition("This sign-in did not prove that you own this email address, and an account with that address already exists. Sign in another way first (with a link or code sent to the address), then this method will work too.").Wrap(ErrEmailNotVerified)
}

func noEmail() error {
	return apperr.FailedPrecondition("Your sign-in provider did not share an email address, and Roster needs one to create your account. Allow access to your email address, or sign in another way.").Wrap(ErrNoEmail)
}

// resolver is one Resolve call inside its transaction.
type resolver struct {
	tx  *store.Store
	clk clock.Clock
	p   Proof
	// proven: the person controls p.Email's inbox, as far as Roster knows
	// (p.provesInbox, or a code Roster mailed there was entered).
	proven bool
	// inboxCode: the inbox was proven by a code mailed for this link; the
	// audit log says so.
	inboxCode bool
}

func (r resolver) resolve(ctx context.Context) (model.User, bool, error) {
	// 1. A known identity signs in its user, whatever the email says now.
	if u, ok, err := r.byIdentity(ctx); ok || err != nil {
		return u, false, err
	}
	if r.p.Email == "" {
		return model.User{}, false, noEmail()
	}
	// 2. An email nobody has: a new user, unless a parallel sign-in just
	// made one (the insert then returns theirs).
	u, err := r.tx.UserByEmail(ctx, r.p.Email)
	if errors.Is(err, apperr.ErrNotFound) {
		var created bool
		if u, created, err = r.createUser(ctx); err != nil {
			return model.User{}, false, err
		}
		if created {
			return u, true, r.addIdentity(ctx, u)
		}
		// We lost the race; the winner may have been this very proof.
		if u, ok, err := r.byIdentity(ctx); ok || err != nil {
			return u, false, err
		}
	} else if err != nil {
		return model.User{}, false, err
	}
	// 3. An existing user with this email: only a proof of the inbox links.
	if !r.proven {
		return model.User{}, false, unproven(u, r.p)
	}
	if err := r.addIdentity(ctx, u); err != nil {
		return model.User{}, false, err
	}
	return r.refresh(ctx, u)
}

// byIdentity signs in through a known identity: it records the sign-in,
// fills the profile and, if this proof verifies the user's own email, applies
// the verification.
func (r resolver) byIdentity(ctx context.Context) (model.User, bool, error) {
	idn, err := r.tx.IdentityBySubject(ctx, r.p.Issuer, r.p.Subject)
	if errors.Is(err, apperr.ErrNotFound) {
		return model.User{}, false, nil
	}
	if err != nil {
		return model.User{}, false, err
	}
	if idn.Issuer == IssuerEmail {
		// An inbox identity names its user only while the user still has that
		// address: after an email change the address may be someone else's.
		u, err := r.tx.User(ctx, idn.UserID)
		if err != nil {
			return model.User{}, false, err
		}
		if !strings.EqualFold(u.Email, r.p.Email) {
			return model.User{}, false, r.tx.DeleteIdentity(ctx, idn.ID)
		}
	}
	// An address this identity once proved stays proved while the provider
	// still gives the same one: an untrusted provider's later word does not
	// undo a code entered to link it.
	proved := r.proven || (idn.EmailVerified && strings.EqualFold(nullable.Value(idn.Email), r.p.Email))
	if err := r.tx.TouchIdentity(ctx, idn.ID, nullable.String(r.p.Email), proved, r.profile(), r.clk.Now()); err != nil {
		return model.User{}, false, err
	}
	u, err := r.tx.User(ctx, idn.UserID)
	if err != nil {
		return model.User{}, false, err
	}
	u, _, err = r.refresh(ctx, u)
	return u, true, err
}

// refresh fills the user's empty profile fields and applies a proof of the
// user's own email, then reads the user back.
func (r resolver) refresh(ctx context.Context, u model.User) (model.User, bool, error) {
	now := r.clk.Now()
	if _, err := r.tx.FillUserProfile(ctx, u.ID, r.fill(), now); err != nil {
		return model.User{}, false, err
	}
	if r.proven && !u.EmailVerified && strings.EqualFold(r.p.Email, u.Email) {
		if err := r.verifyEmail(ctx, u); err != nil {
			return model.User{}, false, err
		}
	}
	u, err := r.tx.User(ctx, u.ID)
	return u, false, err
}

// verifyEmail marks the user's email verified. Until now anyone could have
// registered the address, so whatever an unverified sign-in left behind goes:
// the password, identities that did not prove the address (an untrusted
// provider's included, whatever it claimed), and every session. The owner
// of the inbox keeps the account; whoever registered it first keeps nothing.
func (r resolver) verifyEmail(ctx context.Context, u model.User) error {
	now := r.clk.Now()
	changed, err := r.tx.MarkUserEmailVerified(ctx, u.ID, r.p.Email, now)
	if err != nil || !changed {
		return err // !changed: a parallel sign-in did it, with all that follows, or the address changed meanwhile
	}
	passwords, identities, err := r.tx.RemoveUnprovenSignIns(ctx, u.ID)
	if err != nil {
		return err
	}
	ended, err := r.tx.RevokeAllUserSessions(ctx, u.ID, now)
	if err != nil {
		return err
	}
	return audit.Record(ctx, r.tx, r.clk, audit.Event{
		Action: "user.email_verified", UserID: u.ID, TargetType: "user", TargetID: u.ID,
		Changes: model.JSONObject{
			"email": u.Email, "via": r.p.Kind, "password_removed": passwords > 0,
			"identities_removed": identities, "sessions_ended": ended,
		},
	})
}

// createUser makes the user of a new email. Its email is verified only on a
// proof of the inbox: a provider the owner does not trust may have let
// anyone claim the address, so its word leaves the user unverified. Such a
// user is no easier to reach for others: a later sign-in links to it only
// with proof of the inbox, like any user, and that proof (verifyEmail) then
// removes the untrusted identity and ends its sessions.
func (r resolver) createUser(ctx context.Context) (model.User, bool, error) {
	f := r.fill()
	u, created, err := r.tx.InsertUser(ctx, model.User{
		ID: ids.New(ids.User), Email: r.p.Email, EmailVerified: r.proven,
		GivenName: f.GivenName, FamilyName: f.FamilyName, Name: f.Name, Picture: f.Picture, Locale: f.Locale,
		CustomAttributes: model.JSONObject{}, Metadata: model.Metadata{}, CreatedAt: r.clk.Now(),
	})
	if err != nil || !created {
		return u, false, err
	}
	return u, true, audit.Record(ctx, r.tx, r.clk, audit.Event{
		Action: "user.created", UserID: u.ID, TargetType: "user", TargetID: u.ID,
		Changes: model.JSONObject{"email": u.Email, "email_verified": u.EmailVerified, "via": r.p.Kind},
	})
}

// addIdentity gives u this proof's identity. When a parallel sign-in added
// it first, it must be u's too, or the identity is someone else's.
func (r resolver) addIdentity(ctx context.Context, u model.User) error {
	idn, created, err := r.tx.InsertIdentity(ctx, model.Identity{
		ID: ids.New(ids.Identity), UserID: u.ID, ProviderKind: r.p.Kind, ConnectionID: nullable.String(r.p.ConnectionID),
		IsSocial: r.p.IsSocial, Issuer: r.p.Issuer, Subject: r.p.Subject,
		// Whether the identity proved the address, as Roster judges it, so
		// RemoveUnprovenSignIns treats an untrusted provider's claim as unproven.
		Email: nullable.String(r.p.Email), EmailVerified: r.proven, CreatedAt: r.clk.Now(),
	}, r.profile())
	if err != nil {
		return err
	}
	if !created {
		if idn.UserID != u.ID {
			return apperr.Conflict("this sign-in belongs to another user")
		}
		return nil
	}
	changes := model.JSONObject{
		"provider_kind": idn.ProviderKind, "issuer": idn.Issuer, "connection_id": idn.ConnectionID,
		"email": idn.Email, "email_verified": idn.EmailVerified,
	}
	if r.inboxCode {
		changes["linked_by"] = "inbox_code"
	}
	return audit.Record(ctx, r.tx, r.clk, audit.Event{
		Action: "identity.added", UserID: u.ID, TargetType: "identity", TargetID: idn.ID, Changes: changes,
	})
}

// profileLimits are the users table's limits on each profile field; a value
// past them is dropped rather than failing the sign-in.
var profileLimits = map[string]int{"given_name": 255, "family_name": 255, "name": 255, "picture": 2048, "locale": 35}

// profile is the proof's profile claims that fit the user's fields.
func (r resolver) profile() model.Metadata {
	out := model.Metadata{}
	for k, limit := range profileLimits {
		v := strings.TrimSpace(r.p.Profile[k])
		if v == "" || utf8.RuneCountInString(v) > limit {
			continue
		}
		// Pictures are shown in pages: only https ones, as for admins' edits.
		if k == "picture" {
			if u, err := url.Parse(v); err != nil || u.Scheme != "https" || u.Host == "" {
				continue
			}
		}
		out[k] = v
	}
	return out
}

func (r resolver) fill() store.ProfileFill {
	p := r.profile()
	get := func(k string) *string {
		if v, ok := p[k]; ok {
			return &v
		}
		return nil
	}
	return store.ProfileFill{
		GivenName: get("given_name"), FamilyName: get("family_name"), Name: get("name"),
		Picture: get("picture"), Locale: get("locale"),
	}
}
