package enduser

import (
	"context"

	"roster/internal/ratelimit"
)

// Allow counts one attempt of kind l from ip at email against the limits
// (internal/ratelimit holds them all) and refuses it with a
// *ratelimit.Error past them. Other packages that act for end users
// (invitations, social sign-in) count through here too.
func (s *Service) Allow(ctx context.Context, l ratelimit.Limit, ip, email string) error {
	return s.limits.Allow(ctx, l, ip, email)
}
