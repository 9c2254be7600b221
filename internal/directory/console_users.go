package directory

import (
	"context"
	"strings"

	"roster/internal/apperr"
	"roster/internal/ids"
	"roster/internal/model"
	"roster/internal/store"
)

// What the console's user pages need beyond the API's methods.

// ConsoleUserFilter narrows the console's list of users. Field names are
// the form's, so errors land beside the right box.
type ConsoleUserFilter struct {
	// Query is an email prefix when it has one or two characters (the
	// trigram indexes need three), else an email or name substring.
	Query string
	// Verified is "", "yes" or "no": whether the email is proven.
	Verified string
	// Membership is "" for anyone or "none" for users without any.
	Membership string
	// Org is an organization's id (org_…) or slug: only its members.
	Org string
}

// ConsoleUserList is one page of the console's user list.
type ConsoleUserList struct {
	Users []model.User // each with every membership
	Page  store.PageInfo
	// Counted is true when Page.TotalSize is the size of the whole list
	// (an estimate past 10,000) rather than of this page.
	Counted bool
	// Org is the organization filtered by, if any.
	Org *model.Organization
	// WindowEnded is true when the email and membership filters stopped at
	// the end of the users they may look through for one page
	// (ConsoleScanWindow) before the page was full.
	WindowEnded bool
}

// ConsoleScanWindow is how many users one page of the email and membership
// filters looks through at most. No index serves those filters; a bounded
// window keeps each page cheap on a million users, and "next" continues
// after it. Measured on 1M users: the window's end costs ~5 ms; the
// membership filter probes the memberships index once a user (~6 µs each,
// so ~30 ms when matches are rare); the email filter stops as soon as the
// page is full.
const ConsoleScanWindow = 5000

// ConsoleListUsers returns a page of users narrowed by f. Each combination
// walks an index: the user list, an email prefix, the trigram search, an
// organization's members (with the search), or a bounded window of the user
// list for the filters no index serves. Those last filters therefore do not
// combine with a search or an organization.
func (s *Service) ConsoleListUsers(ctx context.Context, f ConsoleUserFilter, page store.PageRequest) (ConsoleUserList, error) {
	var out ConsoleUserList
	f.Query = strings.TrimSpace(f.Query)
	f.Org = strings.TrimSpace(f.Org)
	var v apperr.Violations
	n := len([]rune(f.Query))
	if n > 100 {
		v.Add("q", "must be at most 100 characters")
	}
	switch f.Verified {
	case "", "yes", "no":
	default:
		v.Add("verified", "must be yes, no or empty")
	}
	switch f.Membership {
	case "", "none":
	default:
		v.Add("membership", "must be none or empty")
	}
	scan := f.Verified != "" || f.Membership != ""
	switch {
	case f.Org != "" && f.Membership == "none":
		v.Add("membership", "cannot be combined with an organization: all its members have a membership")
	case scan && (f.Query != "" || f.Org != ""):
		field := "verified"
		if f.Verified == "" {
			field = "membership"
		}
		v.Add(field, "looks through the whole user list, so it works without a search or an organization; clear those first")
	case f.Org != "" && n > 0 && n < 3:
		v.Add("q", "must be at least 3 characters to search an organization's members")
	}
	if f.Org != "" {
		org, err := s.consoleOrgByIDOrSlug(ctx, f.Org)
		if isNotFound(err) {
			v.Add("org", "names no organization: give its id (org_…) or its slug")
		} else if err != nil {
			return out, err
		} else {
			out.Org = &org
		}
	}
	if err := v.Err(); err != nil {
		return out, err
	}

	var err error
	switch {
	case out.Org != nil:
		out.Users, out.Page, err = s.ListMembers(ctx, out.Org.ID, store.MemberFilter{Query: f.Query}, page)
		out.Counted = f.Query == ""
		return out, err
	case scan:
		out.Users, out.Page, out.WindowEnded, err = s.store.ScanUsers(ctx, store.UserScan{
			Verified: f.Verified, NoMembership: f.Membership == "none", Window: ConsoleScanWindow,
		}, page)
	case n >= 3:
		out.Users, out.Page, err = s.store.SearchUsers(ctx, f.Query, page)
	case n > 0:
		out.Users, out.Page, err = s.store.UsersByEmailPrefix(ctx, f.Query, page)
	default:
		out.Users, out.Page, err = s.store.ListUsers(ctx, page)
		out.Counted = true
	}
	if err != nil {
		return out, err
	}
	out.Users, err = s.withMemberships(ctx, out.Users)
	return out, err
}

// consoleOrgByIDOrSlug finds the organization an admin typed: its id, or
// else its slug (slugs cannot start with "org_": they have no underscore).
func (s *Service) consoleOrgByIDOrSlug(ctx context.Context, idOrSlug string) (model.Organization, error) {
	if ids.HasPrefix(idOrSlug, ids.Organization) {
		return s.store.Organization(ctx, idOrSlug)
	}
	return s.store.ConsoleOrganizationBySlug(ctx, strings.ToLower(idOrSlug))
}

// UserDeletionImpact is what deleting a user would take away.
type UserDeletionImpact struct {
	User         model.User // with identities and memberships
	LiveSessions int        // sessions that would end
}

// UserDeletionImpact tells what DeleteUser would remove, for a confirmation
// page. It does not check whether the deletion would be allowed: DeleteUser
// decides that, with the organizations locked.
func (s *Service) UserDeletionImpact(ctx context.Context, userID string) (UserDeletionImpact, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return UserDeletionImpact{}, err
	}
	n, err := s.store.CountLiveUserSessions(ctx, userID, s.clock.Now())
	return UserDeletionImpact{User: u, LiveSessions: n}, err
}

// RevokeUserSession ends one session of the user. A session of anyone else
// is not found, so a URL naming one user cannot end another's session.
func (s *Service) RevokeUserSession(ctx context.Context, userID, sessionID string) (model.Session, error) {
	sess, err := s.GetSession(ctx, sessionID)
	if err != nil {
		return sess, err
	}
	if sess.UserID != userID {
		return model.Session{}, apperr.NotFound("session not found")
	}
	return s.RevokeSession(ctx, sessionID)
}

// ConsoleUserSessions returns a page of the user's sessions, newest first,
// each with its status as of now. An unknown user is not found.
func (s *Service) ConsoleUserSessions(ctx context.Context, userID string, page store.PageRequest) ([]model.Session, store.PageInfo, error) {
	if _, err := s.store.User(ctx, userID); err != nil {
		return nil, store.PageInfo{}, err
	}
	list, info, err := s.store.UserSessionsNewestFirst(ctx, userID, page)
	for i := range list {
		list[i] = s.withStatus(list[i])
	}
	return list, info, err
}
