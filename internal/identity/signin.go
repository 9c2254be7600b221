package identity

import (
	"context"
	"errors"

	"roster/internal/apperr"
	"roster/internal/clock"
	"roster/internal/model"
	"roster/internal/store"
)

// ErrSignUpClosed is in the chain of the error SignIn returns when a proof
// would create a new user while the environment's sign-up is closed.
var ErrSignUpClosed = errors.New("identity: sign-up is closed")

// SignIn resolves the proof of a person signing in: as Resolve, except that
// a proof which would create a new user is refused while sign-up is closed.
// Every sign-in method (email, social, …) goes through here, so the sign-up
// rule lives in one place.
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
	}
	return Resolve(ctx, tx, clk, p)
}
