package enduser

import (
	"context"
	"encoding/json"
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

// Linking a social sign-in to an existing account by proving the inbox.
//
// A provider the owner does not trust for linking (see
// social.TrustsEmailByDefault) may say an address is verified when it is
// not: whoever controls an account there could claim anyone's address. So
// when such a sign-in names an existing user's address, identity refuses
// with *identity.InboxProofNeeded, and the person proves the inbox: Roster
// mails a code to the address on record, and only the right code, entered
// in the browser that came back from the provider, links the sign-in and
// signs the person in.
//
// A code, not a link: a link would work for whoever opens it, so an
// attacker who started the sign-in could have the account's owner click
// "confirm" and get their provider account linked. The code's challenge
// lives only in the attacker's browser; the owner would have to read the
// code out to them, which the mail warns against.

// purposeIdentityLink is the one-time token of such a code.
const purposeIdentityLink = "identity_link"

// LinkChallenge is what StartIdentityLink sent.
type LinkChallenge struct {
	// Challenge names the code to check; the browser keeps it.
	Challenge string
	// MaskedEmail is the address the code went to, as the page may show
	// it: "a***@example.com".
	MaskedEmail string
	ExpiresAt   time.Time
}

// pendingLink is the sign-in waiting for the code, kept in the token's data.
type pendingLink struct {
	Kind         string            `json:"kind"`
	Issuer       string            `json:"issuer"`
	Subject      string            `json:"subject"`
	ConnectionID string            `json:"connection_id"`
	Email        string            `json:"email"`
	Profile      map[string]string `json:"profile,omitempty"`
}

// StartIdentityLink mails a code to the address of the existing user in
// need, so the person who signed in with provider (its display name) can
// prove the inbox and link that sign-in. It counts against the sign-in
// limits of ip and of the address, like any mail sign-in sends.
func (s *Service) StartIdentityLink(ctx context.Context, need *identity.InboxProofNeeded, provider, returnTo, ip string) (LinkChallenge, error) {
	if err := s.Allow(ctx, ratelimit.SignInMail, ip, need.Email); err != nil {
		return LinkChallenge{}, err
	}
	settings, err := s.store.EnvironmentSettings(ctx)
	if err != nil {
		return LinkChallenge{}, err
	}
	p := need.Proof
	pending, err := toJSONObject(pendingLink{
		Kind: p.Kind, Issuer: p.Issuer, Subject: p.Subject, ConnectionID: p.ConnectionID, Email: p.Email, Profile: p.Profile,
	})
	if err != nil {
		return LinkChallenge{}, err
	}
	now := s.clock.Now()
	out := LinkChallenge{MaskedEmail: MaskEmail(need.Email), ExpiresAt: now.Add(settings.EmailTokenLifetime)}
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		var hash []byte
		out.Challenge, hash = tokens.New()
		code := newCode()
		if err := tx.InsertSignInToken(ctx, store.SignInToken{
			Purpose: purposeIdentityLink, Hash: hash, CodeHash: codeHash(out.Challenge, code),
			Email: &need.Email, UserID: &need.UserID,
			Data:      model.JSONObject{"return_to": returnTo, "provider": provider, "identity": pending},
			CreatedAt: now, ExpiresAt: out.ExpiresAt,
		}); err != nil {
			return err
		}
		return s.queueLinkMail(ctx, tx, need.Email, provider, code, settings.EmailTokenLifetime)
	})
	if err != nil {
		return LinkChallenge{}, err
	}
	return out, nil
}

func (s *Service) queueLinkMail(ctx context.Context, tx *store.Store, email, provider, code string, lifetime time.Duration) error {
	app, err := tx.AppName(ctx)
	if err != nil {
		return err
	}
	return s.queueMail(ctx, tx, email, "identity_link", mail.Notice{
		Title: "Confirm it is you signing in to " + app,
		Paragraphs: []string{
			"Someone signed in to " + app + " with " + provider + " using this address, which already has an account here.",
			"To link that sign-in to your account, your code is " + code + ". Enter it on the page that asked for it. It works once, within " + lifetimeText(lifetime) + ".",
		},
		Footer: "If it was not you, ignore this mail and do not give the code to anyone: without it, nothing is linked and nobody is signed in.",
	})
}

// ConfirmIdentityLink checks the code of a StartIdentityLink challenge.
// Guesses count as for sign-in codes (5 per code, and the code-check
// limits). The right code proves the inbox: the waiting sign-in is linked
// to the account (identity.LinkAfterInboxProof) and the person signed in,
// as long as its provider is still offered.
func (s *Service) ConfirmIdentityLink(ctx context.Context, challenge, code, ip string) (SignIn, error) {
	return s.useCode(ctx, challenge, code, ip, purposeIdentityLink, func(tx *store.Store, t store.SignInToken) (SignIn, error) {
		var p pendingLink
		if err := fromJSONObject(t.Data["identity"], &p); err != nil || t.UserID == nil {
			return SignIn{}, codeProblem("This code is not valid any more. Please sign in again.")
		}
		if err := s.stillOffered(ctx, p.ConnectionID); err != nil {
			return SignIn{}, err
		}
		u, err := identity.LinkAfterInboxProof(ctx, tx, s.clock, identity.Proof{
			Kind: p.Kind, Issuer: p.Issuer, Subject: p.Subject, ConnectionID: p.ConnectionID, IsSocial: true,
			Email: p.Email, EmailVerified: true, Profile: p.Profile,
		}, *t.UserID)
		if err != nil {
			return SignIn{}, err
		}
		// The inbox is proven: other codes waiting for it have done their job.
		if err := tx.RevokeOpenEmailTokens(ctx, nullable.Value(t.Email), []string{purposeIdentityLink}, s.clock.Now()); err != nil {
			return SignIn{}, err
		}
		return SignIn{UserID: u.ID, Email: u.Email, Method: p.Kind, ReturnTo: returnToOf(t)}, nil
	})
}

// stillOffered refuses a link through a provider removed or turned off
// since the code was sent: sign-ins under way with it fail, as the console
// promises.
func (s *Service) stillOffered(ctx context.Context, providerID string) error {
	if s.social != nil {
		providers, err := s.social.Enabled(ctx)
		if err != nil {
			return err
		}
		for _, p := range providers {
			if p.ID == providerID {
				return nil
			}
		}
	}
	return apperr.FailedPrecondition("This sign-in option is not available any more. Sign in another way.")
}

// MaskEmail shows an address without giving it away: its first character,
// then *** and the domain ("a***@example.com").
func MaskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "***"
	}
	first := []rune(local)[0]
	return string(first) + "***@" + domain
}

func toJSONObject(v any) (model.JSONObject, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out model.JSONObject
	return out, json.Unmarshal(b, &out)
}

func fromJSONObject(v any, into any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}
