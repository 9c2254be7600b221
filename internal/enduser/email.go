package enduser

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"roster/internal/apperr"
	"roster/internal/identity"
	"roster/internal/mail"
	"roster/internal/model"
	"roster/internal/nullable"
	"roster/internal/ratelimit"
	"roster/internal/store"
	"roster/internal/tokens"
)

// SignIn is what a sign-in method established: who, how, and where the
// person wanted to go (unchecked: pass it through ReturnTo).
type SignIn struct {
	UserID   string
	Email    string
	Method   string // EMAIL, PASSWORD
	ReturnTo string
	Created  bool // the sign-in created the user (sign-up)
}

// EmailChallenge is what StartEmailSignIn sent.
type EmailChallenge struct {
	Email string
	// Challenge names the code to check (the browser keeps it); "" when no
	// code was made.
	Challenge string
	Link      bool // the mail has a sign-in link
	Code      bool // the mail has a code
	ExpiresAt time.Time
}

// Link states, as the page of a link (or code) says them.
const (
	LinkOpen    = "open"
	LinkUsed    = "used"
	LinkExpired = "expired"
	LinkUnknown = "unknown"
)

// LinkInfo is what a link's page shows before it is used.
type LinkInfo struct {
	Email string
	State string // LinkOpen, LinkUsed, LinkExpired or LinkUnknown
}

// LinkError says why a link could not be used.
type LinkError struct{ State string }

func (e *LinkError) Error() string { return "enduser: the link is " + e.State }

// codeDigits is the length of an email code.
const codeDigits = 6

// StartEmailSignIn mails a sign-in link, a code, or both (as Methods
// allows) to email, each good once until the environment's email token
// lifetime runs out. Nothing tells the caller whether the address has an
// account: for an unknown address that may not sign up (Methods.SignUp) no
// mail goes out, but a code challenge is still made, so the next page is
// the same.
func (s *Service) StartEmailSignIn(ctx context.Context, email, returnTo, ip string) (EmailChallenge, error) {
	methods, err := s.Methods(ctx, email)
	if err != nil {
		return EmailChallenge{}, err
	}
	if !methods.EmailSignIn() {
		return EmailChallenge{}, apperr.FailedPrecondition("Signing in by email is turned off. Choose another way to sign in.")
	}
	email = methods.Email
	if err := s.Allow(ctx, ratelimit.SignInMail, ip, email); err != nil {
		return EmailChallenge{}, err
	}
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil {
		return EmailChallenge{}, err
	}
	known, err := identity.Find(ctx, s.store, emailProof(email))
	if err != nil {
		return EmailChallenge{}, err
	}
	send := known != nil || methods.SignUp
	if known != nil {
		// Mail goes to the address on record, never to the spelling typed
		// in the request (ALICE@Corp.Test reaches alice@corp.test).
		email = known.Email
	}
	now := s.clock.Now()
	out := EmailChallenge{Email: email, ExpiresAt: now.Add(settings.EmailTokenLifetime)}
	data := model.JSONObject{"return_to": returnTo}

	err = s.store.InTx(ctx, func(tx *store.Store) error {
		var link, code string
		if methods.EmailLink && send {
			var hash []byte
			link, hash = tokens.New()
			if err := tx.InsertSignInToken(ctx, store.SignInToken{
				Purpose: purposeMagicLink, Hash: hash, Email: &email, Data: data, CreatedAt: now, ExpiresAt: out.ExpiresAt,
			}); err != nil {
				return err
			}
		}
		if methods.EmailCode {
			var hash []byte
			out.Challenge, hash = tokens.New()
			code = newCode()
			if err := tx.InsertSignInToken(ctx, store.SignInToken{
				Purpose: purposeEmailCode, Hash: hash, CodeHash: codeHash(out.Challenge, code), Email: &email,
				Data: data, CreatedAt: now, ExpiresAt: out.ExpiresAt,
			}); err != nil {
				return err
			}
			out.Code = true
		}
		if !send {
			return nil
		}
		return s.queueSignInMail(ctx, tx, email, link, code, settings.EmailTokenLifetime)
	})
	if err != nil {
		return EmailChallenge{}, err
	}
	// The page says what the mail would hold, whether or not it was sent.
	out.Link = methods.EmailLink
	return out, nil
}

func (s *Service) queueSignInMail(ctx context.Context, tx *store.Store, email, link, code string, lifetime time.Duration) error {
	app, err := tx.AppName(ctx)
	if err != nil {
		return err
	}
	n := mail.Notice{
		Title:  "Sign in to " + app,
		Footer: "If you did not try to sign in, ignore this mail: nobody can sign in without it.",
	}
	once := "It works once, within " + lifetimeText(lifetime) + "."
	switch {
	case code != "" && link != "":
		n.Paragraphs = []string{
			"Your sign-in code is " + code + ". Enter it on the sign-in page, or use the link below on this device.",
			"Each works once, within " + lifetimeText(lifetime) + ".",
		}
	case code != "":
		n.Paragraphs = []string{"Your sign-in code is " + code + ". Enter it on the sign-in page.", once}
	default:
		n.Paragraphs = []string{"Use the link below to sign in.", once}
	}
	if link != "" {
		n.ActionLabel, n.ActionURL = "Sign in", s.baseURL+"/signin/link/"+link
	}
	return s.queueMail(ctx, tx, email, "signin", n)
}

// queueMail writes a notice to the outbox in tx.
func (s *Service) queueMail(ctx context.Context, tx *store.Store, to, kind string, n mail.Notice) error {
	c, err := mail.ComposeNotice(ctx, n)
	if err != nil {
		return err
	}
	return tx.QueueEmail(ctx, store.Email{To: to, Subject: c.Subject, Text: c.Text, HTML: c.HTML, Kind: kind}, s.clock.Now())
}

// lifetimeText says a duration as people do: "10 minutes", "1 hour".
func lifetimeText(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		if h := int(d / time.Hour); h != 1 {
			return fmt.Sprintf("%d hours", h)
		}
		return "1 hour"
	}
	m := max(int(d/time.Minute), 1)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// newCode returns codeDigits random digits, every code equally likely.
func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("enduser: crypto/rand failed: " + err.Error())
	}
	return fmt.Sprintf("%0*d", codeDigits, n.Int64())
}

// codeHash binds a code to its challenge: the database alone (without the
// challenge, which only the browser holds) is not enough to test codes.
func codeHash(challenge, code string) []byte {
	return tokens.Hash(challenge + ":" + code)
}

// CodeChallenge returns what the code page says about the challenge.
func (s *Service) CodeChallenge(ctx context.Context, challenge string) (LinkInfo, error) {
	return s.linkInfo(ctx, challenge, purposeEmailCode)
}

// SignInWithCode checks a code against its challenge. Each challenge takes
// at most its max_attempts guesses (5), counted even when the guess is
// wrong; the right code signs in once. A proven address reaches its user
// (identity.Resolve), or creates one when sign-up is open.
func (s *Service) SignInWithCode(ctx context.Context, challenge, code, ip string) (SignIn, error) {
	return s.useCode(ctx, challenge, code, ip, purposeEmailCode, func(tx *store.Store, t store.SignInToken) (SignIn, error) {
		return s.signInByEmail(ctx, tx, t)
	})
}

// useCode checks a mailed code of purpose against its challenge and, when
// it is right, spends it and runs then in the same transaction. Every guess
// counts against the challenge's max_attempts and the code-check limits of
// ip and of the address; a wrong guess is committed, then reported.
func (s *Service) useCode(ctx context.Context, challenge, code, ip, purpose string, then func(*store.Store, store.SignInToken) (SignIn, error)) (SignIn, error) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code)
	if len(code) != codeDigits || strings.Trim(code, "0123456789") != "" {
		return SignIn{}, apperr.Invalid(apperr.Field("code", fmt.Sprintf("Enter the %d-digit code from the mail.", codeDigits)))
	}
	hash := tokens.Hash(challenge)
	t, err := s.store.SignInTokenByHash(ctx, hash, purpose)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return SignIn{}, err
	}
	if err := s.Allow(ctx, ratelimit.CodeCheck, ip, nullable.Value(t.Email)); err != nil {
		return SignIn{}, err
	}
	var (
		out   SignIn
		wrong error // a counted wrong guess: committed, then reported
	)
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		t, err := tx.LockSignInToken(ctx, hash, purpose)
		if errors.Is(err, apperr.ErrNotFound) {
			return codeProblem("This code is not valid any more. Ask for a new code.")
		}
		if err != nil {
			return err
		}
		now := s.clock.Now()
		switch {
		case t.UsedAt != nil || t.RevokedAt != nil:
			return codeProblem("This code has already been used. Ask for a new code.")
		case !now.Before(t.ExpiresAt):
			return codeProblem("This code has expired. Ask for a new code.")
		case t.Attempts >= t.MaxAttempts:
			return codeProblem("Too many wrong codes. Ask for a new code.")
		}
		if err := tx.CountTokenAttempt(ctx, t.ID); err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(codeHash(challenge, code), t.CodeHash) != 1 {
			left := t.MaxAttempts - t.Attempts - 1
			switch left {
			case 0:
				wrong = codeProblem("That code is not right, and it was the last try. Ask for a new code.")
			case 1:
				wrong = codeProblem("That code is not right. You have 1 more try.")
			default:
				wrong = codeProblem(fmt.Sprintf("That code is not right. You have %d more tries.", left))
			}
			return nil
		}
		if err := tx.UseSignInToken(ctx, t.ID, now); err != nil {
			return err
		}
		out, err = then(tx, t)
		return err
	})
	if err == nil {
		err = wrong
	}
	return out, err
}

func codeProblem(msg string) error { return apperr.Invalid(apperr.Field("code", msg)) }

// LinkStatus returns what a sign-in link's page says, without using it.
func (s *Service) LinkStatus(ctx context.Context, token string) (LinkInfo, error) {
	return s.linkInfo(ctx, token, purposeMagicLink)
}

// SignInWithLink uses a sign-in link: once, before it expires. A
// *LinkError says why it cannot be used.
func (s *Service) SignInWithLink(ctx context.Context, token string) (SignIn, error) {
	return s.useLink(ctx, token, purposeMagicLink, func(tx *store.Store, t store.SignInToken) (SignIn, error) {
		return s.signInByEmail(ctx, tx, t)
	})
}

// useLink consumes a link of purpose and runs then in the same transaction,
// so a link is spent only by a sign-in that happened.
func (s *Service) useLink(ctx context.Context, token, purpose string, then func(*store.Store, store.SignInToken) (SignIn, error)) (SignIn, error) {
	var out SignIn
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		t, err := tx.ConsumeSignInToken(ctx, tokens.Hash(token), purpose, s.clock.Now())
		if errors.Is(err, apperr.ErrNotFound) {
			info, err := s.linkInfo(ctx, token, purpose)
			if err != nil {
				return err
			}
			return &LinkError{State: info.State}
		}
		if err != nil {
			return err
		}
		out, err = then(tx, t)
		return err
	})
	return out, err
}

func (s *Service) linkInfo(ctx context.Context, token, purpose string) (LinkInfo, error) {
	if token == "" || len(token) > 100 {
		return LinkInfo{State: LinkUnknown}, nil
	}
	t, err := s.store.SignInTokenByHash(ctx, tokens.Hash(token), purpose)
	if errors.Is(err, apperr.ErrNotFound) {
		return LinkInfo{State: LinkUnknown}, nil
	}
	if err != nil {
		return LinkInfo{}, err
	}
	info := LinkInfo{Email: nullable.Value(t.Email), State: LinkOpen}
	switch {
	case t.UsedAt != nil || t.RevokedAt != nil:
		info.State = LinkUsed
	case !s.clock.Now().Before(t.ExpiresAt):
		info.State = LinkExpired
	}
	return info, nil
}

// signInByEmail finishes a sign-in whose link or code proved the inbox of
// t's address: the other open links and codes of that address stop working,
// and the address reaches its user.
func (s *Service) signInByEmail(ctx context.Context, tx *store.Store, t store.SignInToken) (SignIn, error) {
	email := nullable.Value(t.Email)
	if err := tx.RevokeOpenEmailTokens(ctx, email, []string{purposeMagicLink, purposeEmailCode}, s.clock.Now()); err != nil {
		return SignIn{}, err
	}
	u, created, err := s.proveEmail(ctx, tx, email)
	if err != nil {
		return SignIn{}, err
	}
	return SignIn{UserID: u.ID, Email: u.Email, Method: MethodEmail, ReturnTo: returnToOf(t), Created: created}, nil
}

// ErrSignUpClosed is in the chain of the error a sign-in gets when it
// proved an address that has no account while sign-up is closed.
var ErrSignUpClosed = identity.ErrSignUpClosed

// proveEmail is what proving control of an inbox does: identity.SignIn
// finds the address's user (verifying the email if it was not, which ends
// whatever an earlier unproven registration left), or creates one when
// sign-up is open.
func (s *Service) proveEmail(ctx context.Context, tx *store.Store, email string) (model.User, bool, error) {
	return identity.SignIn(ctx, tx, s.clock, emailProof(email))
}

func emailProof(email string) identity.Proof {
	return identity.Proof{
		Kind: MethodEmail, Issuer: identity.IssuerEmail, Subject: strings.ToLower(email),
		Email: email, EmailVerified: true,
	}
}

func returnToOf(t store.SignInToken) string {
	s, _ := t.Data["return_to"].(string)
	return s
}
