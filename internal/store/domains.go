package store

import (
	"context"
	"time"

	"roster/internal/model"
)

var domainQueries struct {
	Insert       string `query:"insert-domain"`
	Get          string `query:"get-domain"`
	Delete       string `query:"delete-domain"`
	ListForward  string `query:"list-domains-forward"`
	ListBackward string `query:"list-domains-backward"`
	Count        string `query:"count-domains"`
}

func init() { loadQueries("domains.sql", &domainQueries) }

// InsertDomain stores a new domain of an organization; d.ID and d.CreatedAt
// must be set. A domain another org (or this one) already has is ErrConflict.
func (s *Store) InsertDomain(ctx context.Context, d model.Domain) (model.Domain, error) {
	var out model.Domain
	err := s.get(ctx, &out, domainQueries.Insert, d.ID, d.OrganizationID, d.Domain, d.DomainType,
		d.VerificationStatus, d.VerificationMethod, d.TXTRecordKey, d.TXTRecordSecret, d.VerifiedAt, d.CreatedAt)
	return out, err
}

// Domain returns the domain with id if it belongs to orgID.
func (s *Store) Domain(ctx context.Context, orgID, id string) (model.Domain, error) {
	var d model.Domain
	return d, found(s.get(ctx, &d, domainQueries.Get, orgID, id), "domain")
}

// DeleteDomain deletes the domain with id if it belongs to orgID and returns it.
func (s *Store) DeleteDomain(ctx context.Context, orgID, id string) (model.Domain, error) {
	var d model.Domain
	return d, found(s.get(ctx, &d, domainQueries.Delete, orgID, id), "domain")
}

// ListDomains returns one keyset page of the org's domains.
func (s *Store) ListDomains(ctx context.Context, orgID string, page PageRequest) ([]model.Domain, PageInfo, error) {
	size, cur, err := page.Parse()
	if err != nil {
		return nil, PageInfo{}, err
	}
	forward, t, id := keysetArgs(cur)
	q := domainQueries.ListForward
	if !forward {
		q = domainQueries.ListBackward
	}
	rows := []model.Domain{}
	if err := s.selectAll(ctx, &rows, q, orgID, t, id, size+1); err != nil {
		return nil, PageInfo{}, err
	}
	rows, info := finishPage(rows, size, cur, func(d model.Domain) (time.Time, string) { return d.CreatedAt, d.ID })
	// An org has a few domains, so the exact count is cheap.
	if err := s.get(ctx, &info.TotalSize, domainQueries.Count, orgID); err != nil {
		return nil, PageInfo{}, err
	}
	return rows, info, nil
}
