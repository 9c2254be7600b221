// Package identity decides who a person is when they sign in: it is the one
// place that links a proof of identity (an email link, a password, a Google
// account, …) to a user. Every sign-in method ends here, so the linking rule
// — one user per verified email — holds whichever way people come in.
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
	Kind          string // "EMAIL", "PASSWORD", "GOOGLE", "OIDC", …  (identities.provider_kind)
	Issuer        string // for EMAIL/PASSWORD use "roster:email"/"roster:password"
	Subject       string // provider's subject; for EMAIL the lowercased address
	ConnectionID  string // social provider id, if any
	IsSocial      bool
	Email         string
	EmailVerified bool              // the method proved control of the inbox (EMAIL link/code always true)
	Profile       map[string]string // given_name, family_name, name, picture, locale
}

// ErrEmailNotVerified is in the chain of the error Resolve returns when an
// unverified email would link to an existing user, so a sign-in page can ask
// the person to prove the address another way.
var ErrEmailNotVerified = errors.New("identity: the email is not verified and belongs to an existing user")

// ErrNoEmail is in the chain of the error Resolve returns when a new person
// comes without an email address: a user cannot exist without one.
var ErrNoEmail = errors.New("identity: the proof carries no email address")

// Resolve finds or creates the one user for this proof, in tx: an existing identity
// (issuer+subject) wins; else a VERIFIED email links to the existing user with that email
// (adding an identity and filling empty profile fields); an UNVERIFIED email never links to
// an existing user and never takes over an email (refused with a clear error asking to
// verify first); a new email creates the user. When a verified proof arrives for a user whose
// email was never verified (the pre-hijack case: someone registered a password for the
// address first), the unverified password credential is removed and the user's sessions
// end, so the earlier registrant gains nothing. Signup rules (sign-up on/off) are checked
// by the caller through enduser, not here. Returns the user and whether it was created.
func Resolve(ctx context.Context, tx *store.Store, clk clock.Clock, p Proof) (model.User, bool, error) {
	if err := p.check(); err != nil {
		return model.User{}, false, err
	}
	var (
		user    model.User
		created bool
	)
	err := tx.InTx(ctx, func(tx *store.Store) error {
		r := resolver{tx: tx, clk: clk, p: p}
		var err error
		user, created, err = r.resolve(ctx)
		return err
	})
	return user, created, err
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
	case !p.EmailVerified:
		return nil, notVerified()
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
	// 3. An existing user with this email: only a verified email links.
	if !r.p.EmailVerified {
		return model.User{}, false, notVerified()
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
	if err := r.tx.TouchIdentity(ctx, idn.ID, nullable.String(r.p.Email), r.p.EmailVerified, r.profile(), r.clk.Now()); err != nil {
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
	if r.p.EmailVerified && !u.EmailVerified && strings.EqualFold(r.p.Email, u.Email) {
		if err := r.verifyEmail(ctx, u); err != nil {
			return model.User{}, false, err
		}
	}
	u, err := r.tx.User(ctx, u.ID)
	return u, false, err
}

// verifyEmail marks the user's email verified. Until now anyone could have
// registered the address, so whatever an unverified sign-in left behind goes:
// the password, identities whose provider did not verify the address, and
// every session. The owner of the inbox keeps the account; whoever
// registered it first keeps nothing.
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

func (r resolver) createUser(ctx context.Context) (model.User, bool, error) {
	f := r.fill()
	u, created, err := r.tx.InsertUser(ctx, model.User{
		ID: ids.New(ids.User), Email: r.p.Email, EmailVerified: r.p.EmailVerified,
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
		Email: nullable.String(r.p.Email), EmailVerified: r.p.EmailVerified, CreatedAt: r.clk.Now(),
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
	return audit.Record(ctx, r.tx, r.clk, audit.Event{
		Action: "identity.added", UserID: u.ID, TargetType: "identity", TargetID: idn.ID,
		Changes: model.JSONObject{
			"provider_kind": idn.ProviderKind, "issuer": idn.Issuer, "connection_id": idn.ConnectionID,
			"email": idn.Email, "email_verified": idn.EmailVerified,
		},
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
