package social

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/url"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"roster/internal/identity"
	"roster/internal/model"
	"roster/internal/store"
)

// Flow is what the browser carries (in a sealed cookie) from the start of a
// sign-in to the provider's callback: it ties the answer to this browser's
// request, so a forged, replayed or swapped answer is refused.
type Flow struct {
	ProviderID string
	State      string // echoed by the provider in the callback
	Nonce      string // echoed inside the ID token
	Verifier   string // PKCE: proves the code is redeemed by who asked for it
}

// FlowError says a sign-in failed a check. Reason is a short code for the
// page and tests; Detail is for the log only.
type FlowError struct {
	Reason string // state-mismatch, provider-error, exchange-failed, bad-id-token, nonce-mismatch, userinfo-failed, provider-unreachable, provider-unavailable
	Detail string
}

func (e *FlowError) Error() string { return "social sign-in: " + e.Reason + ": " + e.Detail }

// ErrSignUpClosed is in the chain of the error SignIn returns when the
// person has no account and the environment does not let people sign up.
var ErrSignUpClosed = identity.ErrSignUpClosed

// Result is a finished social sign-in. When SignIn fails after the
// provider answered, Provider and Email still say who came, for the page
// that explains the failure.
type Result struct {
	User     model.User
	Created  bool
	Kind     string // the provider's kind: the membership's primary identity provider
	Provider string // the provider's display name
	Email    string // the address the provider gave
}

// Begin starts a sign-in with the provider: it returns the provider's
// authorization URL (code flow with PKCE, state and nonce) and the flow the
// browser must bring back.
func (s *Service) Begin(ctx context.Context, providerID string) (string, Flow, error) {
	p, err := s.usable(ctx, providerID)
	if err != nil {
		return "", Flow{}, err
	}
	op, err := s.discover(ctx, p.Issuer)
	if err != nil {
		return "", Flow{}, &FlowError{Reason: "provider-unreachable", Detail: err.Error()}
	}
	f := Flow{ProviderID: p.ID, State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier()}
	target := s.oauth2(p, op, "").AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	return target, f, nil
}

// SignIn finishes a sign-in from the provider's callback parameters: it
// checks the state, trades the code (with the PKCE verifier) for tokens,
// verifies the ID token (signature, issuer, audience, expiry, nonce), reads
// the email and its email_verified claim, and resolves the person's user
// (internal/identity). A person without an account gets one only while
// sign-up is open. When the address is an existing user's and the owner
// does not trust this provider's email_verified, the error holds an
// *identity.InboxProofNeeded: the person may link by proving the inbox.
func (s *Service) SignIn(ctx context.Context, providerID string, f Flow, callback url.Values) (Result, error) {
	if f.ProviderID != providerID || f.State == "" ||
		subtle.ConstantTimeCompare([]byte(callback.Get("state")), []byte(f.State)) != 1 {
		return Result{}, &FlowError{Reason: "state-mismatch", Detail: "the state parameter does not match this browser's sign-in"}
	}
	if e := callback.Get("error"); e != "" {
		return Result{}, &FlowError{Reason: "provider-error", Detail: fmt.Sprintf("%.100s: %.200s", e, callback.Get("error_description"))}
	}
	p, err := s.usable(ctx, providerID)
	if err != nil {
		return Result{}, err
	}
	proof, err := s.verify(ctx, p, f, callback.Get("code"))
	if err != nil {
		return Result{}, err
	}
	res := Result{Kind: p.ProviderKind, Provider: p.DisplayName, Email: proof.Email}
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		res.User, res.Created, err = identity.SignIn(ctx, tx, s.clock, proof)
		return err
	})
	return res, err
}

// usable returns the provider if people may sign in with it now.
func (s *Service) usable(ctx context.Context, providerID string) (store.SocialProvider, error) {
	unavailable := &FlowError{Reason: "provider-unavailable", Detail: "unknown or disabled provider " + providerID}
	enabled, err := s.Enabled(ctx)
	if err != nil {
		return store.SocialProvider{}, err
	}
	for _, p := range enabled {
		if p.ID == providerID {
			return s.store.SocialProvider(ctx, providerID)
		}
	}
	return store.SocialProvider{}, unavailable
}

// verify does the token half of the flow and returns what it proved.
func (s *Service) verify(ctx context.Context, p store.SocialProvider, f Flow, code string) (identity.Proof, error) {
	fail := func(reason, detail string) (identity.Proof, error) {
		return identity.Proof{}, &FlowError{Reason: reason, Detail: detail}
	}
	secret, err := s.box.Open(p.ClientSecretEncrypted, []byte(p.ID))
	if err != nil {
		return fail("provider-unavailable", "the client secret cannot be opened: was ROSTER_SECRET_KEY changed?")
	}
	op, err := s.discover(ctx, p.Issuer)
	if err != nil {
		return fail("provider-unreachable", err.Error())
	}
	pctx := oidc.ClientContext(ctx, s.http)
	tok, err := s.oauth2(p, op, string(secret)).Exchange(pctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return fail("exchange-failed", err.Error())
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return fail("bad-id-token", "the token response has no id_token")
	}
	idt, err := op.VerifierContext(pctx, &oidc.Config{ClientID: p.ClientID, Now: s.clock.Now}).Verify(pctx, rawID)
	if err != nil {
		return fail("bad-id-token", err.Error())
	}
	// go-oidc leaves the nonce to us: it ties the token to this browser's
	// sign-in, so a token obtained elsewhere cannot be replayed here.
	if idt.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return fail("nonce-mismatch", "the ID token's nonce does not match")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return fail("bad-id-token", "at_hash: "+err.Error())
		}
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return fail("bad-id-token", err.Error())
	}
	// Many providers put the email only in /userinfo. Its answer fills
	// what the ID token lacks; the signed token wins.
	if op.UserInfoEndpoint() != "" {
		ui, err := op.UserInfo(pctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return fail("userinfo-failed", err.Error())
		}
		if ui.Subject != idt.Subject {
			return fail("userinfo-failed", "userinfo is about another subject")
		}
		more := map[string]any{}
		if err := ui.Claims(&more); err != nil {
			return fail("userinfo-failed", err.Error())
		}
		for k, v := range more {
			if _, ok := claims[k]; !ok {
				claims[k] = v
			}
		}
	}
	email, _ := claims["email"].(string)
	proof := identity.Proof{
		Kind: p.ProviderKind, Issuer: idt.Issuer, Subject: idt.Subject, ConnectionID: p.ID, IsSocial: true,
		Email: email, EmailVerified: isTrue(claims["email_verified"]), TrustEmailVerified: p.TrustEmailVerified,
		Profile: map[string]string{},
	}
	for _, k := range []string{"given_name", "family_name", "name", "picture", "locale"} {
		if v, ok := claims[k].(string); ok {
			proof.Profile[k] = v
		}
	}
	return proof, nil
}

// discover fetches an issuer's metadata once and keeps it. A failure is not
// kept: the next sign-in tries again.
func (s *Service) discover(ctx context.Context, issuer string) (*oidc.Provider, error) {
	s.mu.Lock()
	op := s.discovery[issuer]
	s.mu.Unlock()
	if op != nil {
		return op, nil
	}
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, s.http), issuer)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.discovery[issuer] = op
	s.mu.Unlock()
	return op, nil
}

func (s *Service) oauth2(p store.SocialProvider, op *oidc.Provider, secret string) *oauth2.Config {
	scopes := []string(p.Scopes)
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	return &oauth2.Config{
		ClientID: p.ClientID, ClientSecret: secret, Endpoint: op.Endpoint(),
		RedirectURL: s.CallbackURL(p.ID), Scopes: scopes,
	}
}

// isTrue reads email_verified, which some providers send as a string.
// Absent means not verified.
func isTrue(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true"
	}
	return false
}

// random returns 256 random bits, URL-safe.
func random() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("social: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
