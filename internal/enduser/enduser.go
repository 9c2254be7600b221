// Package enduser signs end users in to the hosted pages and keeps their
// sessions: the identity-first step (which methods a person sees), email
// links and codes, passwords (sign-up, sign-in, reset), the step after any
// sign-in (which organization), switching and leaving organizations, and the
// rate limits in front of all of it.
//
// Who a proof belongs to is internal/identity's to decide (Resolve); the
// rules of memberships are internal/directory's. This package decides the
// rest of sign-in, in one place each:
//
//   - Methods: which sign-in methods a person sees (environment settings
//     now; org policies join here later).
//   - Landing: where a signed-in person goes (one org, the picker, or "my
//     organizations").
//   - ReturnTo: which return_to addresses are honoured.
//
// Answers never say whether an address has an account: the methods page,
// "check your inbox", a wrong password and a reset request look the same for
// known and unknown addresses.
package enduser

import (
	"context"
	"strings"

	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/ratelimit"
	"roster/internal/social"
	"roster/internal/store"
)

// Service is hosted sign-in. It is safe for concurrent use.
type Service struct {
	store *store.Store
	clock clock.Clock
	dir   *directory.Service
	// social lists the social providers offered; nil offers none.
	social *social.Service
	// baseURL is Roster's public address; links in mail start with it.
	baseURL string
	limits  *ratelimit.Limiter
}

// New returns the service. soc lists the social providers to offer (nil:
// none); baseURL is Roster's public address.
func New(st *store.Store, clk clock.Clock, dir *directory.Service, soc *social.Service, baseURL string) *Service {
	return &Service{store: st, clock: clk, dir: dir, social: soc, baseURL: strings.TrimSuffix(baseURL, "/"),
		limits: ratelimit.New(st, clk)}
}

// Kinds of sign-in, as identities.provider_kind and
// memberships.primary_identity_provider name them.
const (
	MethodEmail    = "EMAIL"
	MethodPassword = "PASSWORD"
)

// Purposes of the one-time tokens this package makes.
const (
	purposeMagicLink    = "magic_link"
	purposeEmailCode    = "email_code"
	purposeReset        = "password_reset"
	purposeVerification = "email_verification"
)

// AppName is the product name the hosted pages show.
func (s *Service) AppName(ctx context.Context) (string, error) {
	return s.store.AppName(ctx)
}

// userActor is the signed-in person as the audit actor, keeping the
// request's origin from the actor already on ctx.
func userActor(ctx context.Context, userID, email string) context.Context {
	a := audit.ActorFrom(ctx)
	return audit.WithActor(ctx, model.Actor{
		Type: "user", ID: userID, Label: email, IP: a.IP, UserAgent: a.UserAgent, RequestID: a.RequestID,
	})
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
