package directory

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"

	"roster/internal/apperr"
	"roster/internal/audit"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/store"
)

// Domain types.
const (
	// DomainTypeOrganization is a domain the org is to prove it owns with a
	// DNS TXT record. Roster does not check DNS yet, so it stays PENDING;
	// once checked, a verified one is meant to drive SSO routing,
	// enforcement and JIT membership (none of which exists yet).
	DomainTypeOrganization = "ORGANIZATION_DOMAIN"
	// DomainTypeAllowedEmail needs no proof of ownership. It is meant to
	// suggest the org to users of the domain; today it is only recorded.
	DomainTypeAllowedEmail = "ALLOWED_EMAIL_DOMAIN"
)

// Verification statuses and methods of a domain. Only an
// ORGANIZATION_DOMAIN that is VERIFIED proves ownership: AUTO_VERIFIED is
// what an ALLOWED_EMAIL_DOMAIN gets without any proof, so code that trusts a
// domain (SSO routing, linking, JIT) must check the type and VERIFIED.
const (
	DomainPending      = "PENDING"
	DomainVerified     = "VERIFIED"
	DomainFailed       = "FAILED"
	DomainAutoVerified = "AUTO_VERIFIED"

	VerifyByDNS         = "DNS"
	VerifyByAdmin       = "ADMIN"
	VerifyNotApplicable = "NOT_APPLICABLE"
)

// txtRecordPrefix names the DNS TXT record an org publishes to prove it owns
// a domain: _roster-verification.<domain>.
const txtRecordPrefix = "_roster-verification."

// NewDomain is what a caller gives to claim a domain for an organization.
type NewDomain struct {
	Domain     string
	DomainType string
}

// CreateDomain claims a domain for the organization. An ORGANIZATION_DOMAIN
// starts PENDING with a DNS TXT challenge; an ALLOWED_EMAIL_DOMAIN needs no
// proof and is AUTO_VERIFIED with method NOT_APPLICABLE. Public mail and
// disposable domains are refused when the environment says so, and a domain
// claimed by any org (this one included) is ErrConflict.
func (s *Service) CreateDomain(ctx context.Context, orgID string, in NewDomain) (model.Domain, error) {
	if !ids.HasPrefix(orgID, ids.Organization) {
		return model.Domain{}, apperr.NotFound("organization not found")
	}
	var v apperr.Violations
	name, problem := NormalizeDomain(in.Domain)
	if problem != "" {
		v.Add("domain", problem)
	}
	switch in.DomainType {
	case DomainTypeOrganization, DomainTypeAllowedEmail:
	case "":
		v.Add("domain_type", "is required: ORGANIZATION_DOMAIN or ALLOWED_EMAIL_DOMAIN")
	default:
		v.Add("domain_type", "must be ORGANIZATION_DOMAIN or ALLOWED_EMAIL_DOMAIN")
	}
	if err := v.Err(); err != nil {
		return model.Domain{}, err
	}

	now := s.clock.Now()
	d := model.Domain{
		ID:             ids.New(ids.Domain),
		OrganizationID: orgID,
		Domain:         name,
		DomainType:     in.DomainType,
		CreatedAt:      now,
	}
	if in.DomainType == DomainTypeOrganization {
		key, secret := txtRecordPrefix+name, newTXTSecret()
		d.VerificationStatus, d.VerificationMethod = DomainPending, VerifyByDNS
		d.TXTRecordKey, d.TXTRecordSecret = &key, &secret
	} else {
		d.VerificationStatus, d.VerificationMethod = DomainAutoVerified, VerifyNotApplicable
		d.VerifiedAt = &now
	}

	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.Organization(ctx, orgID); err != nil {
			return err
		}
		env, err := tx.EnvironmentSettings(ctx)
		if err != nil {
			return err
		}
		switch blockedKind(env, name) {
		case kindPublic:
			return apperr.Invalid(apperr.Field("domain", "is a public email domain, which no organization can claim"))
		case kindDisposable:
			return apperr.Invalid(apperr.Field("domain", "is a disposable email domain, which no organization can claim"))
		}
		if d, err = tx.InsertDomain(ctx, d); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "domain.created", OrgID: orgID, TargetType: "domain", TargetID: d.ID,
			Changes: map[string]any{"domain": d.Domain, "domain_type": d.DomainType},
		})
	})
	if err != nil {
		return model.Domain{}, err
	}
	return d, nil
}

// ListDomains returns a page of the organization's domains.
func (s *Service) ListDomains(ctx context.Context, orgID string, page store.PageRequest) ([]model.Domain, store.PageInfo, error) {
	if !ids.HasPrefix(orgID, ids.Organization) {
		return nil, store.PageInfo{}, apperr.NotFound("organization not found")
	}
	// An unknown org is "not found", not an empty list.
	if _, err := s.store.Organization(ctx, orgID); err != nil {
		return nil, store.PageInfo{}, err
	}
	return s.store.ListDomains(ctx, orgID, page)
}

// GetDomain returns one domain of the organization; another org's domain is
// not found.
func (s *Service) GetDomain(ctx context.Context, orgID, id string) (model.Domain, error) {
	if !ids.HasPrefix(orgID, ids.Organization) || !ids.HasPrefix(id, ids.Domain) {
		return model.Domain{}, apperr.NotFound("domain not found")
	}
	return s.store.Domain(ctx, orgID, id)
}

// DeleteDomain removes one domain of the organization.
func (s *Service) DeleteDomain(ctx context.Context, orgID, id string) error {
	if !ids.HasPrefix(orgID, ids.Organization) || !ids.HasPrefix(id, ids.Domain) {
		return apperr.NotFound("domain not found")
	}
	return s.store.InTx(ctx, func(tx *store.Store) error {
		d, err := tx.DeleteDomain(ctx, orgID, id)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock, audit.Event{
			Action: "domain.deleted", OrgID: orgID, TargetType: "domain", TargetID: d.ID,
			Changes: map[string]any{"domain": d.Domain, "domain_type": d.DomainType},
		})
	})
}

// NormalizeDomain trims and lowercases a domain name and checks that it is a
// DNS name an email address could use. It returns the name, or a phrase
// saying what is wrong (for a field violation).
func NormalizeDomain(raw string) (string, string) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(raw)), ".")
	switch {
	case d == "":
		return "", "is required"
	case strings.Contains(d, "@"):
		return "", "must be a domain name such as example.com, not an email address"
	case strings.Contains(d, "/") || strings.Contains(d, ":"):
		return "", "must be a bare domain name such as example.com, without scheme, port or path"
	case len(d) > 253:
		return "", "must be at most 253 characters"
	}
	for _, r := range d {
		if r > 127 {
			return "", "must be ASCII; write an internationalized name in its xn-- form"
		}
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", "must have at least two labels, such as example.com"
	}
	for _, l := range labels {
		if !validLabel(l) {
			return "", "must be a valid DNS name: labels of 1–63 letters, digits or inner hyphens, separated by dots"
		}
	}
	// Top-level domains start with a letter; this also refuses IP addresses.
	if tld := labels[len(labels)-1]; len(tld) < 2 || tld[0] < 'a' || tld[0] > 'z' {
		return "", "must end in a top-level domain such as .com"
	}
	return d, ""
}

func validLabel(l string) bool {
	if len(l) < 1 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

var txtEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newTXTSecret is the value the org puts in its TXT record: 128 random bits,
// so nobody can publish it ahead of time for a domain they want to hijack.
func newTXTSecret() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("directory: crypto/rand failed: " + err.Error())
	}
	return "roster-verification=" + txtEncoding.EncodeToString(b[:])
}
