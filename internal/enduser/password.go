package enduser

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/directory"
	"roster/internal/identity"
	"roster/internal/mail"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/passwords"
	"roster/internal/ratelimit"
	"roster/internal/store"
	"roster/internal/tokens"
)

// Password rules: length and a list of common passwords, no composition
// rules (NIST SP 800-63B). Length counts characters, not bytes.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 128
)

// CheckPassword applies the password rules for the person with email, and
// returns a validation error on the field "password" when one fails.
func CheckPassword(password, email string) error {
	if msg := passwordRuleBroken(password, email); msg != "" {
		return apperr.Invalid(apperr.Field("password", msg))
	}
	return nil
}

// passwordRuleBroken says which rule password breaks, or "".
func passwordRuleBroken(password, email string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return "must be at least 8 characters"
	case n > MaxPasswordLength:
		return "must be at most 128 characters"
	}
	lower := strings.ToLower(password)
	email = strings.ToLower(strings.TrimSpace(email))
	local, _, _ := strings.Cut(email, "@")
	if email != "" && (lower == email || lower == local || strings.Trim(lower, "0123456789!@#$%^&*()-_.") == local) {
		return "must not be your email address"
	}
	if isCommon(lower) || isRunOrRepeat(lower) {
		return "is too common and easy to guess; a few unrelated words make a strong password"
	}
	return ""
}

// isCommon reports whether a lowercased password is on the list, or is a
// listed word with a few digits or symbols around it ("Summer2024!").
func isCommon(p string) bool {
	if commonPasswords[p] {
		return true
	}
	affix := func(r rune) bool { return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || r == ' ' }
	base := strings.TrimFunc(p, affix)
	if base == "" {
		return false // all digits and symbols: the list has the common ones
	}
	return len(p)-len(base) <= 6 && commonPasswords[base]
}

// isRunOrRepeat catches "aaaaaaaa", "abcdefgh" and "98765432": one
// character, or each character one step from the last.
func isRunOrRepeat(p string) bool {
	r := []rune(p)
	same, up, down := true, true, true
	for i := 1; i < len(r); i++ {
		same = same && r[i] == r[0]
		up = up && r[i] == r[i-1]+1
		down = down && r[i] == r[i-1]-1
	}
	return same || up || down
}

// SetPassword stores password as the user's password inside tx, after
// checking it against the rules, replacing any earlier one. Callers have
// proven the person (an invitation accepted from their inbox, a reset
// link); invitations calls it when someone sets a password while accepting.
func (s *Service) SetPassword(ctx context.Context, tx *store.Store, userID, password string) error {
	u, err := tx.User(ctx, userID)
	if err != nil {
		return err
	}
	if err := CheckPassword(password, u.Email); err != nil {
		return err
	}
	hash, err := passwords.Hash(password)
	if err != nil {
		return err
	}
	if err := tx.SetPasswordHash(ctx, userID, hash, s.clock.Now()); err != nil {
		return err
	}
	return audit.Record(ctx, tx, s.clock, audit.Event{
		Action: "user.password_set", UserID: userID, TargetType: "user", TargetID: userID,
	})
}

// wrongPassword is what every failed password sign-in says, whether the
// address is unknown, has no password, or the password is wrong.
func wrongPassword() error {
	return apperr.Invalid(apperr.Field("password", "The email address or password is not right.")).Wrap(ErrWrongPassword)
}

// ErrWrongPassword is in the chain of every failed password check.
var ErrWrongPassword = errors.New("enduser: wrong email or password")

// ErrEmailUnconfirmed is in the chain of the error of a right password for
// an address that was never confirmed: a new confirmation mail went out.
var ErrEmailUnconfirmed = errors.New("enduser: the email address is not confirmed")

// dummyHash is checked against when there is no real hash, so a sign-in at
// an unknown address takes as long as one at a known address.
var dummyHash = sync.OnceValue(func() string {
	h, err := passwords.Hash("not anyone's password, only for timing")
	if err != nil {
		panic("enduser: " + err.Error())
	}
	return h
})

// SignInWithPassword checks email and password. Only a confirmed address
// may sign in with a password: until its owner proves the inbox, a password
// registered for it could be anyone's (the pre-hijack defence). A right
// password for an unconfirmed address sends a fresh confirmation mail.
// A hash in an older format (bcrypt, other argon2id costs) is replaced.
func (s *Service) SignInWithPassword(ctx context.Context, email, password, returnTo, ip string) (SignIn, error) {
	email = strings.TrimSpace(email)
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil {
		return SignIn{}, err
	}
	if !settings.PasswordSigninEnabled {
		return SignIn{}, apperr.FailedPrecondition("Signing in with a password is turned off. Choose another way to sign in.")
	}
	// Guesses are slowed per account and network: a run of wrong passwords
	// from one place makes that place wait, while the owner signs in from
	// anywhere else, and by mail from anywhere at all.
	if err := s.Allow(ctx, ratelimit.Password, ip, ""); err != nil {
		return SignIn{}, err
	}
	if err := s.limits.PasswordWait(ctx, email, ip); err != nil {
		return SignIn{}, err
	}
	if password == "" || utf8.RuneCountInString(password) > MaxPasswordLength {
		return SignIn{}, wrongPassword()
	}
	u, hash, err := s.passwordOf(ctx, email)
	if err != nil {
		return SignIn{}, err
	}
	ok, rehash, err := passwords.Verify(hash, password)
	if err != nil || !ok || u == nil {
		// An unreadable stored hash is logged by nobody and signs in nobody.
		if err := s.limits.PasswordFailed(ctx, email, ip); err != nil {
			return SignIn{}, err
		}
		return SignIn{}, wrongPassword()
	}
	if err := s.limits.PasswordSucceeded(ctx, email, ip); err != nil {
		return SignIn{}, err
	}
	if !u.EmailVerified {
		if err := s.Allow(ctx, ratelimit.SignInMail, ip, u.Email); err != nil {
			return SignIn{}, err
		}
		if err := s.store.InTx(ctx, func(tx *store.Store) error {
			return s.queueVerification(ctx, tx, *u, returnTo)
		}); err != nil {
			return SignIn{}, err
		}
		return SignIn{}, apperr.FailedPrecondition("Confirm your email address first: we sent a new link to " + u.Email + ".").Wrap(ErrEmailUnconfirmed)
	}
	if rehash {
		if err := s.store.InTx(ctx, func(tx *store.Store) error {
			return s.SetPassword(ctx, tx, u.ID, password)
		}); err != nil && apperr.FieldErrors(err) == nil {
			return SignIn{}, err
		} // a stored password that today's rules refuse still signs in
	}
	return SignIn{UserID: u.ID, Email: u.Email, Method: MethodPassword, ReturnTo: returnTo}, nil
}

// passwordOf returns the user with email and their hash; with no user or no
// password it returns the dummy hash and a nil user.
func (s *Service) passwordOf(ctx context.Context, email string) (*model.User, string, error) {
	if _, ok := directory.NormalizeEmail(email); !ok {
		return nil, dummyHash(), nil
	}
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, dummyHash(), nil
	}
	if err != nil {
		return nil, "", err
	}
	hash, err := s.store.PasswordHash(ctx, u.ID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, dummyHash(), nil
	}
	if err != nil {
		return nil, "", err
	}
	return &u, hash, nil
}

// SignUpWithPassword registers a new person with a password. The user is
// created unconfirmed (identity.Resolve with an unverified PASSWORD proof)
// and gets a link to confirm the address; until then the password does not
// sign in. For an address that already has an account nothing changes: its
// owner gets a mail saying someone tried, and the caller sees the same
// "check your inbox" answer, so sign-up cannot be used to find accounts.
func (s *Service) SignUpWithPassword(ctx context.Context, email, password, returnTo, ip string) error {
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil {
		return err
	}
	if !settings.PasswordSigninEnabled || !settings.SignupEnabled {
		return apperr.FailedPrecondition("New accounts with a password cannot be created here. Sign in another way, or ask your organization's admin to invite you.")
	}
	var v apperr.Violations
	email, ok := directory.NormalizeEmail(email)
	if !ok {
		v.Add("email", "must be a valid email address, like ann@example.com")
	}
	if why := identity.SignUpBlocked(settings, email); ok && why != "" {
		v.Add("email", why)
	}
	if msg := passwordRuleBroken(password, email); msg != "" {
		v.Add("password", msg)
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.Allow(ctx, ratelimit.SignInMail, ip, email); err != nil {
		return err
	}
	// Hashing first, for known and unknown addresses alike, keeps the answer
	// time the same.
	hash, err := passwords.Hash(password)
	if err != nil {
		return err
	}
	p := identity.Proof{
		Kind: MethodPassword, Issuer: identity.IssuerPassword, Subject: strings.ToLower(email),
		Email: email, EmailVerified: false,
	}
	return s.store.InTx(ctx, func(tx *store.Store) error {
		existing, err := identity.Find(ctx, tx, p)
		if errors.Is(err, identity.ErrEmailNotVerified) || (err == nil && existing != nil) {
			return s.queueAccountExists(ctx, tx, email)
		}
		if err != nil {
			return err
		}
		u, created, err := identity.Resolve(ctx, tx, s.clock, p)
		if err != nil {
			return err
		}
		if !created { // a parallel sign-up of the same address won
			return s.queueAccountExists(ctx, tx, email)
		}
		if err := tx.SetPasswordHash(ctx, u.ID, hash, s.clock.Now()); err != nil {
			return err
		}
		return s.queueVerification(ctx, tx, u, returnTo)
	})
}

// queueVerification mails u a link that confirms their address.
func (s *Service) queueVerification(ctx context.Context, tx *store.Store, u model.User, returnTo string) error {
	settings, err := tx.EnvironmentSettings(ctx)
	if err != nil {
		return err
	}
	app, err := tx.AppName(ctx)
	if err != nil {
		return err
	}
	// A confirmation link may wait in an inbox a while longer than a
	// sign-in link; an hour is the longest the settings allow for those.
	lifetime := max(settings.EmailTokenLifetime, time.Hour)
	token, hash := tokens.New()
	now := s.clock.Now()
	if err := tx.InsertSignInToken(ctx, store.SignInToken{
		Purpose: purposeVerification, Hash: hash, Email: &u.Email, UserID: &u.ID,
		Data: model.JSONObject{"return_to": returnTo}, CreatedAt: now, ExpiresAt: now.Add(lifetime),
	}); err != nil {
		return err
	}
	return s.queueMail(ctx, tx, u.Email, "email_verification", mail.Notice{
		Title: "Confirm your email address for " + app,
		Paragraphs: []string{
			"Someone, hopefully you, created an account with a password for " + u.Email + ".",
			"Confirm that it was you to start using it. The link works once, within " + lifetimeText(lifetime) + ".",
		},
		ActionLabel: "Confirm my address", ActionURL: s.baseURL + "/signin/verify/" + token,
		Footer: "If you did not create an account, ignore this mail: the password cannot be used until the address is confirmed.",
	})
}

// queueAccountExists tells the owner of email that someone tried to
// register it, without telling the person who tried. An invited person who
// tries to sign up (the usual reason: they never made an account, the
// invitation did) is told about the invitation instead: it is waiting, and
// accepting it needs no password.
func (s *Service) queueAccountExists(ctx context.Context, tx *store.Store, email string) error {
	// To the address on record, not the spelling typed at sign-up.
	var invitedTo []string
	u, err := tx.UserByEmail(ctx, email)
	switch {
	case err == nil:
		email = u.Email
		if invitedTo, err = s.pendingInvitations(ctx, tx, u.ID); err != nil {
			return err
		}
	case !errors.Is(err, apperr.ErrNotFound):
		return err
	}
	app, err := tx.AppName(ctx)
	if err != nil {
		return err
	}
	if len(invitedTo) > 0 {
		orgs := andList(invitedTo)
		return s.queueMail(ctx, tx, email, "account_exists", mail.Notice{
			Title: "Your invitation to " + orgs + " is waiting",
			Paragraphs: []string{
				"Someone tried to create an account for " + email + " with " + app + ", but there is one already: you were invited to join " + orgs + ".",
				"To join, accept the invitation: use the link in the invitation email, or sign in with a code sent to this address and accept it on your organizations page. You need no password for either.",
			},
			ActionLabel: "See my invitations", ActionURL: s.baseURL + "/my-organizations",
			Footer: "If it was not you, ignore this mail: nothing has changed.",
		})
	}
	return s.queueMail(ctx, tx, email, "account_exists", mail.Notice{
		Title: "You already have an account with " + app,
		Paragraphs: []string{
			"Someone tried to create an account for " + email + ", but there is one already.",
			"If it was you, sign in instead. If you have forgotten your password, you can set a new one from the sign-in page.",
		},
		ActionLabel: "Sign in", ActionURL: s.baseURL + "/signin",
		Footer: "If it was not you, ignore this mail: nothing has changed.",
	})
}

// pendingInvitations names the orgs whose invitation the user may still
// accept, by name.
func (s *Service) pendingInvitations(ctx context.Context, tx *store.Store, userID string) ([]string, error) {
	ms, err := tx.MembershipsOfUsers(ctx, []string{userID})
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var names []string
	for _, m := range ms[userID] {
		if m.Status == model.StatusPendingInvite && (m.InviteExpiresAt == nil || now.Before(*m.InviteExpiresAt)) {
			names = append(names, m.OrganizationName)
		}
	}
	slices.Sort(names)
	return names, nil
}

// andList joins names for a sentence: "A", "A and B", "A, B and C".
func andList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// VerificationStatus returns what a confirmation link's page says.
func (s *Service) VerificationStatus(ctx context.Context, token string) (LinkInfo, error) {
	return s.linkInfo(ctx, token, purposeVerification)
}

// ConfirmEmail uses a confirmation link: the address is confirmed, which
// makes the password registered with it usable, and the person is signed
// in. The link is bound to the user it was made for and their address then:
// a link made before the address changed does nothing.
func (s *Service) ConfirmEmail(ctx context.Context, token string) (SignIn, error) {
	return s.useLink(ctx, token, purposeVerification, func(tx *store.Store, t store.SignInToken) (SignIn, error) {
		if t.UserID == nil {
			return SignIn{}, &LinkError{State: LinkUnknown}
		}
		u, err := tx.User(ctx, *t.UserID)
		if errors.Is(err, apperr.ErrNotFound) || (err == nil && !strings.EqualFold(u.Email, nullable.Value(t.Email))) {
			return SignIn{}, &LinkError{State: LinkUnknown}
		}
		if err != nil {
			return SignIn{}, err
		}
		// Not identity.Resolve: an inbox proof there would remove the
		// unconfirmed password, and confirming that password is the point.
		// The mail asked the owner of the inbox to confirm only their own sign-up.
		changed, err := tx.MarkUserEmailVerified(ctx, u.ID, nullable.Value(t.Email), s.clock.Now())
		if err != nil {
			return SignIn{}, err
		}
		if changed {
			if err := audit.Record(userActor(ctx, u.ID, u.Email), tx, s.clock, audit.Event{
				Action: "user.email_verified", UserID: u.ID, TargetType: "user", TargetID: u.ID,
				Changes: model.JSONObject{"email": u.Email, "via": "confirmation link"},
			}); err != nil {
				return SignIn{}, err
			}
		}
		return SignIn{UserID: u.ID, Email: u.Email, Method: MethodEmail, ReturnTo: returnToOf(t)}, nil
	})
}

// RequestPasswordReset mails a reset link to email when it has an account;
// otherwise nothing happens. Either way the caller shows the same page.
func (s *Service) RequestPasswordReset(ctx context.Context, email, ip string) error {
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil {
		return err
	}
	if !settings.PasswordSigninEnabled {
		return apperr.FailedPrecondition("Signing in with a password is turned off. Choose another way to sign in.")
	}
	email, ok := directory.NormalizeEmail(email)
	if !ok {
		return apperr.Invalid(apperr.Field("email", "must be a valid email address, like ann@example.com"))
	}
	if err := s.Allow(ctx, ratelimit.SignInMail, ip, email); err != nil {
		return err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	app, err := s.store.AppName(ctx)
	if err != nil {
		return err
	}
	token, hash := tokens.New()
	now := s.clock.Now()
	return s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.InsertSignInToken(ctx, store.SignInToken{
			Purpose: purposeReset, Hash: hash, Email: &u.Email, UserID: &u.ID,
			CreatedAt: now, ExpiresAt: now.Add(settings.EmailTokenLifetime),
		}); err != nil {
			return err
		}
		return s.queueMail(ctx, tx, u.Email, "password_reset", mail.Notice{
			Title: "Set a new password for " + app,
			Paragraphs: []string{
				"Someone, hopefully you, asked to set a new password for " + u.Email + ".",
				"The link works once, within " + lifetimeText(settings.EmailTokenLifetime) + ". Setting a new password signs you out everywhere else.",
			},
			ActionLabel: "Set a new password", ActionURL: s.baseURL + "/signin/reset/" + token,
			Footer: "If you did not ask for this, ignore this mail: your password stays as it is.",
		})
	})
}

// ResetStatus returns what a reset link's page says.
func (s *Service) ResetStatus(ctx context.Context, token string) (LinkInfo, error) {
	return s.linkInfo(ctx, token, purposeReset)
}

// ResetPassword uses a reset link to set a new password. The link proved
// the inbox, so the address counts as verified (through identity.Resolve,
// which also clears whatever an unproven registration left), every other
// session of the user ends, and the person is signed in. A password the
// rules refuse leaves the link unused.
func (s *Service) ResetPassword(ctx context.Context, token, password string) (SignIn, error) {
	info, err := s.ResetStatus(ctx, token)
	if err != nil {
		return SignIn{}, err
	}
	if info.State != LinkOpen {
		return SignIn{}, &LinkError{State: info.State}
	}
	if err := CheckPassword(password, info.Email); err != nil {
		return SignIn{}, err
	}
	return s.useLink(ctx, token, purposeReset, func(tx *store.Store, t store.SignInToken) (SignIn, error) {
		if t.UserID == nil {
			return SignIn{}, &LinkError{State: LinkUnknown}
		}
		u, err := tx.User(ctx, *t.UserID)
		if errors.Is(err, apperr.ErrNotFound) || (err == nil && !strings.EqualFold(u.Email, nullable.Value(t.Email))) {
			return SignIn{}, &LinkError{State: LinkUnknown}
		}
		if err != nil {
			return SignIn{}, err
		}
		ctx := userActor(ctx, u.ID, u.Email)
		if u, _, err = identity.Resolve(ctx, tx, s.clock, emailProof(u.Email)); err != nil {
			return SignIn{}, err
		}
		if err := s.SetPassword(ctx, tx, u.ID, password); err != nil {
			return SignIn{}, err
		}
		now := s.clock.Now()
		if _, err := tx.RevokeAllUserSessions(ctx, u.ID, now); err != nil {
			return SignIn{}, err
		}
		if err := tx.RevokeOpenEmailTokens(ctx, u.Email, []string{purposeReset}, now); err != nil {
			return SignIn{}, err
		}
		// Wrong guesses at the old password make nobody wait for the new one.
		if err := ratelimit.New(tx, s.clock).PasswordChanged(ctx, u.Email); err != nil {
			return SignIn{}, err
		}
		return SignIn{UserID: u.ID, Email: u.Email, Method: MethodPassword}, nil
	})
}
