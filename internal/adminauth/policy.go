package adminauth

import (
	"fmt"
	"strings"

	"roster/internal/config"
)

// Policy decides who may enter the console, and with which role, from what
// the identity provider says about them (ROSTER_ADMIN_ALLOWED and
// ROSTER_ADMIN_CLAIM).
type Policy struct {
	emails  map[string]Role
	domains map[string]Role
	claims  []config.AdminClaimRule
}

// NewPolicy builds the policy from the checked settings.
func NewPolicy(emails []config.AdminEmailRule, claims []config.AdminClaimRule) Policy {
	p := Policy{emails: map[string]Role{}, domains: map[string]Role{}, claims: claims}
	for _, r := range emails {
		if r.Email != "" {
			p.emails[r.Email] = Role(r.Role)
		} else {
			p.domains[r.Domain] = Role(r.Role)
		}
	}
	return p
}

// RoleFor returns the console role of a person, or "" if they may not enter.
// Email and domain rules match only a verified email. An exact email rule
// decides alone, so an owner can pin one person to a lower role than their
// domain or group would give; otherwise the highest role of the matching
// domain rule and claim rules wins.
func (p Policy) RoleFor(email string, emailVerified bool, claims map[string]any) Role {
	email = strings.ToLower(strings.TrimSpace(email))
	var role Role
	if emailVerified && email != "" {
		if r, ok := p.emails[email]; ok {
			return r
		}
		if i := strings.LastIndex(email, "@"); i >= 0 {
			role = p.domains[email[i+1:]]
		}
	}
	for _, rule := range p.claims {
		if claimHas(claims[rule.Claim], rule.Value) {
			role = higher(role, Role(rule.Role))
		}
	}
	return role
}

// claimHas reports whether a claim is value or, as an array, contains it.
// Numbers and booleans compare by their text ("true", "42").
func claimHas(claim any, value string) bool {
	switch c := claim.(type) {
	case nil:
		return false
	case string:
		return c == value
	case []any:
		for _, item := range c {
			if claimHas(item, value) {
				return true
			}
		}
		return false
	case []string:
		for _, item := range c {
			if item == value {
				return true
			}
		}
		return false
	case map[string]any:
		return false
	default:
		return fmt.Sprint(c) == value
	}
}
