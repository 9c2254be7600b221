package directory

import (
	"context"

	"roster/internal/model"
	"roster/internal/store"
)

// UserByEmail returns a whole user by email, whatever its case. Operators
// know people by their address, not by usr_ ids.
func (s *Service) UserByEmail(ctx context.Context, email string) (model.User, error) {
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil {
		return u, err
	}
	return s.complete(ctx, u)
}

// CreateOrganizationWithCreator finds or creates the user with creator's
// email and creates the org with them as its first member (the default
// creator role), in one transaction: a refused org leaves no stray user.
func (s *Service) CreateOrganizationWithCreator(ctx context.Context, in OrganizationInput, creator UserInput) (model.Organization, model.User, error) {
	var o model.Organization
	var userID string
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		u, _, err := s.findOrCreateUser(ctx, tx, creator)
		if err != nil {
			return err
		}
		userID = u.ID
		in.CreatorUserID = u.ID
		// CreateOrganization opens its own transaction on s.store; on a copy
		// bound to tx it joins this one, so its rules run unchanged.
		inTx := *s
		inTx.store = tx
		o, err = inTx.CreateOrganization(ctx, in)
		return err
	})
	if err != nil {
		return model.Organization{}, model.User{}, err
	}
	u, err := s.User(ctx, userID)
	return o, u, err
}
