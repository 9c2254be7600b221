package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/lib/pq"

	"roster/internal/apperr"
	"roster/internal/model"
)

var consoleOrgQueries struct {
	CreatedAsc          string `query:"console-orgs-created-asc"`
	CreatedDesc         string `query:"console-orgs-created-desc"`
	NameAsc             string `query:"console-orgs-name-asc"`
	NameDesc            string `query:"console-orgs-name-desc"`
	WithDomain          string `query:"console-orgs-with-domain"`
	Count               string `query:"console-orgs-count"`
	Counts              string `query:"console-org-counts"`
	InvitationsForward  string `query:"console-invitations-forward"`
	InvitationsBackward string `query:"console-invitations-backward"`
	RolesInUse          string `query:"console-org-roles-in-use"`
}

func init() { loadQueries("console_orgs.sql", &consoleOrgQueries) }

// OrgSort is an order of the console's organization list.
type OrgSort string

// The orders the console offers.
const (
	OrgsNewest OrgSort = "newest"
	OrgsOldest OrgSort = "oldest"
	OrgsByName OrgSort = "name"
)

// OrgListRow is an organization with its member count, as lists show it.
type OrgListRow struct {
	model.Organization
	MemberCount int `db:"member_count"`
}

// orgCursor is a position in one of the orders. Name order needs the name
// in the token, so these tokens are not the (created_at, id) Cursor; the
// sort is inside too, so a token only continues the order that made it.
type orgCursor struct {
	Sort      OrgSort   `json:"s"`
	Name      string    `json:"n,omitempty"`
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"i"`
	Backward  bool      `json:"b,omitempty"`
}

func (c orgCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// orgEndOfTime is where a newest-first list starts: after every created_at.
var orgEndOfTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// ConsoleListOrganizations returns one keyset page of organizations in the
// order sort, those matching query only when it is not empty (see
// console_orgs.sql for what matches), each with its member count.
func (s *Store) ConsoleListOrganizations(ctx context.Context, query string, sort OrgSort, page PageRequest) ([]OrgListRow, PageInfo, error) {
	size, _, err := PageRequest{Size: page.Size}.Parse()
	if err != nil {
		return nil, PageInfo{}, err
	}
	var cur *orgCursor
	if page.Token != "" {
		b, err := base64.RawURLEncoding.DecodeString(page.Token)
		var c orgCursor
		if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" || c.Sort != sort {
			return nil, PageInfo{}, apperr.Invalid(apperr.Field("page_token", "is not a token of this list; start again from the first page"))
		}
		cur = &c
	}
	// Each order has a query forward and its mirror backward; the first
	// page starts before every key of the order.
	backward := cur != nil && cur.Backward
	var q string
	var key any
	switch {
	case sort == OrgsByName && !backward:
		q, key = consoleOrgQueries.NameAsc, ""
	case sort == OrgsByName:
		q = consoleOrgQueries.NameDesc
	case sort == OrgsOldest && !backward, sort == OrgsNewest && backward:
		q, key = consoleOrgQueries.CreatedAsc, time.Time{}
	default:
		q, key = consoleOrgQueries.CreatedDesc, orgEndOfTime
	}
	id := ""
	if cur != nil {
		id = cur.ID
		key = cur.CreatedAt
		if sort == OrgsByName {
			key = cur.Name
		}
	}
	raw := strings.TrimSpace(query)
	like, exact := "", ""
	withDomain := []string{}
	if raw != "" {
		like, exact = likeEscape(raw), strings.ToLower(raw)
		if err := s.selectAll(ctx, &withDomain, consoleOrgQueries.WithDomain, exact); err != nil {
			return nil, PageInfo{}, err
		}
	}
	var rows []OrgListRow
	if err := s.selectAll(ctx, &rows, q, key, id, like, exact, raw, pq.Array(withDomain), size+1); err != nil {
		return nil, PageInfo{}, err
	}
	rows, info := finishOrgPage(rows, size, sort, cur)
	table := "organizations"
	if raw != "" {
		table = "" // a search says "more than 10,000", not the table's size
	}
	info.TotalSize, err = s.cappedCount(ctx, table, consoleOrgQueries.Count, like, exact, raw, pq.Array(withDomain))
	return rows, info, err
}

// finishOrgPage is finishPage for orgCursor: trim the extra row, put a
// backward page in display order, and make the tokens around it.
func finishOrgPage(rows []OrgListRow, size int, sort OrgSort, cur *orgCursor) ([]OrgListRow, PageInfo) {
	var info PageInfo
	more := len(rows) > size
	if more {
		rows = rows[:size]
	}
	backward := cur != nil && cur.Backward
	if backward {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	if len(rows) == 0 {
		return rows, info
	}
	at := func(r OrgListRow, back bool) string {
		c := orgCursor{Sort: sort, CreatedAt: r.CreatedAt, ID: r.ID, Backward: back}
		if sort == OrgsByName {
			c.Name, c.CreatedAt = strings.ToLower(r.DisplayName), time.Time{}
		}
		return c.encode()
	}
	if more || backward {
		info.NextToken = at(rows[len(rows)-1], false)
	}
	if more && backward || !backward && cur != nil {
		info.PrevToken = at(rows[0], true)
	}
	return rows, info
}

// OrgCounts is what an organization's overview counts.
type OrgCounts struct {
	Members int `db:"members"` // every membership, whatever its status
	Active  int `db:"active"`
	Pending int `db:"pending"` // open invitations
	Domains int `db:"domains"`
	Roles   int `db:"roles"` // the org's own roles
}

// ConsoleOrgCounts returns the counts of the org's overview.
func (s *Store) ConsoleOrgCounts(ctx context.Context, orgID string) (OrgCounts, error) {
	var c OrgCounts
	return c, found(s.get(ctx, &c, consoleOrgQueries.Counts, orgID), "organization")
}

// InvitationRow is an open invitation: the membership and who it is for.
type InvitationRow struct {
	model.Membership
	Email    string  `db:"email"`
	UserName *string `db:"user_name"`
}

// ListInvitations returns one keyset page of the org's pending and expired
// invitations, newest first.
func (s *Store) ListInvitations(ctx context.Context, orgID string, page PageRequest) ([]InvitationRow, PageInfo, error) {
	size, cur, err := page.Parse()
	if err != nil {
		return nil, PageInfo{}, err
	}
	// Newest first: forward is "<" from the end of time, backward is ">".
	q, t, id := consoleOrgQueries.InvitationsForward, orgEndOfTime, ""
	if cur != nil {
		t, id = cur.CreatedAt, cur.ID
		if cur.Backward {
			q = consoleOrgQueries.InvitationsBackward
		}
	}
	var rows []InvitationRow
	if err := s.selectAll(ctx, &rows, q, orgID, t, id, size+1); err != nil {
		return nil, PageInfo{}, err
	}
	rows, info := finishPage(rows, size, cur, func(r InvitationRow) (time.Time, string) { return r.CreatedAt, r.ID })
	return rows, info, nil
}

// OrgRolesInUse returns the ids of the org's own roles that members hold.
func (s *Store) OrgRolesInUse(ctx context.Context, orgID string) (map[string]bool, error) {
	var ids []string
	if err := s.selectAll(ctx, &ids, consoleOrgQueries.RolesInUse, orgID); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
