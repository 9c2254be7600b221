package identity

import (
	"context"
	"errors"

	"roster/internal/apperr"
	"roster/internal/clock"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/store"
)

// ErrSignUpClosed is in the chain of the error SignIn returns when a proof
// would create a new user while the environment's sign-up is closed.
var ErrSignUpClosed = errors.New("identity: sign-up is closed")

// ErrEmailDomainBlocked is in the chain of the error SignIn returns when a
// proof would create a new user with an address at a domain the settings
// block ("Block public email domains", "Block disposable email domains").
var ErrEmailDomainBlocked = errors.New("identity: sign-up at this email domain is blocked")

// SignUpBlocked says why nobody may sign up with email, as a sentence for
// the person, or "" when its domain is not blocked. It depends on the
// address alone, never on whether it has an account, so pages may show it
// to anyone who types the address.
func SignUpBlocked(settings model.EnvironmentSettings, email string) string {
	b, blocked := directory.BlockedEmailDomain(settings, email)
	if !blocked {
		return ""
	}
	return "New accounts cannot be created here with an address at " + b.String() + ". Use your work email address."
}

// SignIn resolves the proof of a person signing in: as Resolve, except that
// a proof which would create a new user is refused while sign-up is closed,
// or when the settings block the address's domain. Every sign-in method
// (email, social, …) goes through here, so the sign-up rule lives in one
// place.
func SignIn(ctx context.Context, tx *store.Store, clk clock.Clock, p Proof) (model.User, bool, error) {
	existing, err := Find(ctx, tx, p)
	if err != nil {
		return model.User{}, false, err
	}
	if existing == nil {
		settings, err := tx.EnvironmentSettings(ctx)
		if err != nil {
			return model.User{}, false, err
		}
		if !settings.SignupEnabled {
			return model.User{}, false, apperr.FailedPrecondition("There is no account for this address, and new accounts cannot be created here. Ask your organization's admin to invite you.").Wrap(ErrSignUpClosed)
		}
		if why := SignUpBlocked(settings, p.Email); why != "" {
			return model.User{}, false, apperr.FailedPrecondition(why).Wrap(ErrEmailDomainBlocked)
		}
	}
	return Resolve(ctx, tx, clk, p)
}
