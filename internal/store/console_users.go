package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"roster/internal/model"
)

var consoleUserQueries struct {
	PrefixForward  string `query:"console-users-by-email-prefix-forward"`
	PrefixBackward string `query:"console-users-by-email-prefix-backward"`
	ScanWindow     string `query:"console-users-scan-window"`
	Scan           string `query:"console-users-scan"`
	OrgBySlug      string `query:"console-organization-by-slug"`
	LiveSessions   string `query:"console-count-live-user-sessions"`
	Sessions       string `query:"console-user-sessions-newest-first"`
	SessionsBack   string `query:"console-user-sessions-newest-first-backward"`
}

func init() { loadQueries("console_users.sql", &consoleUserQueries) }

// emailKeyedUser is a user with the lowercased email PostgreSQL computed, the
// key of the prefix list: Go's lowercasing may differ from the database's
// for some scripts, and a page boundary must use the database's.
type emailKeyedUser struct {
	model.User
	EmailKey string `db:"email_key"`
}

// UsersByEmailPrefix returns one keyset page of the users whose email starts
// with prefix (any case), in the order of their lowercased email. It is the
// search for one or two characters, which the trigram indexes cannot serve.
// Its tokens hold an email where other lists hold a time, so they are good
// for this list only.
func (s *Store) UsersByEmailPrefix(ctx context.Context, prefix string, page PageRequest) ([]model.User, PageInfo, error) {
	size, cur, err := page.Parse()
	if err != nil {
		return nil, PageInfo{}, err
	}
	low := strings.ToLower(prefix)
	high := prefixEnd(low)
	q, after := consoleUserQueries.PrefixForward, ""
	if cur != nil {
		after = cur.ID
		if cur.Backward {
			q = consoleUserQueries.PrefixBackward
		}
	}
	var rows []emailKeyedUser
	if err := s.selectAll(ctx, &rows, q, low, high, after, size+1); err != nil {
		return nil, PageInfo{}, err
	}
	rows, info := finishPage(rows, size, cur, func(u emailKeyedUser) (time.Time, string) { return time.Time{}, u.EmailKey })
	users := make([]model.User, len(rows))
	for i, r := range rows {
		users[i] = r.User
	}
	info.TotalSize = len(users)
	return users, info, nil
}

// prefixEnd is the smallest string above every string that starts with
// prefix, in byte order: the prefix with its last character moved one code
// point up (UTF-8's byte order is code point order).
func prefixEnd(prefix string) string {
	r := []rune(prefix)
	for len(r) > 0 {
		last := r[len(r)-1] + 1
		if last == 0xD800 { // surrogates are no characters: skip past them
			last = 0xE000
		}
		if last <= utf8.MaxRune {
			r[len(r)-1] = last
			return string(r)
		}
		r = r[:len(r)-1]
	}
	return string(utf8.MaxRune) + string(utf8.MaxRune)
}

// UserScan narrows the whole user list by what no index serves.
type UserScan struct {
	Verified     string // "" for any, "yes" or "no"
	NoMembership bool   // only users without any membership
	// Window is how many users one page looks through at most, whatever it
	// finds: a rare match must not make a page read a million rows.
	Window int
}

// ScanUsers returns the users matching f among the next f.Window users of
// the list (in the order of ListUsers), forward only. windowEnded is true
// when the page stopped at the window's end rather than being full: the
// next token then continues after the window, and there may be matches
// there even if this page has none.
func (s *Store) ScanUsers(ctx context.Context, f UserScan, page PageRequest) (users []model.User, info PageInfo, windowEnded bool, err error) {
	size, cur, err := page.Parse()
	if err != nil {
		return nil, PageInfo{}, false, err
	}
	if cur != nil && cur.Backward {
		cur = &Cursor{CreatedAt: cur.CreatedAt, ID: cur.ID} // this list pages forward only
	}
	_, t, id := keysetArgs(cur)
	var end struct {
		CreatedAt time.Time `db:"created_at"`
		ID        string    `db:"id"`
		N         int       `db:"n"`
	}
	if err := s.get(ctx, &end, consoleUserQueries.ScanWindow, t, id, f.Window); err != nil {
		if errors.Is(err, sql.ErrNoRows) { // no user after the cursor: the list is over
			return []model.User{}, PageInfo{}, false, nil
		}
		return nil, PageInfo{}, false, err
	}
	if err := s.selectAll(ctx, &users, consoleUserQueries.Scan, t, id, end.CreatedAt, end.ID,
		f.Verified, f.NoMembership, size+1); err != nil {
		return nil, PageInfo{}, false, err
	}
	switch {
	case len(users) > size:
		users = users[:size]
		last := users[size-1]
		info.NextToken = Cursor{CreatedAt: last.CreatedAt, ID: last.ID}.encode()
	case end.N == f.Window:
		// The window was full, so the list goes on past it.
		info.NextToken = Cursor{CreatedAt: end.CreatedAt, ID: end.ID}.encode()
		windowEnded = true
	}
	if users == nil {
		users = []model.User{}
	}
	info.TotalSize = len(users)
	return users, info, windowEnded, nil
}

// ConsoleOrganizationBySlug finds an organization by its slug.
func (s *Store) ConsoleOrganizationBySlug(ctx context.Context, slug string) (model.Organization, error) {
	var o model.Organization
	return o, found(s.get(ctx, &o, consoleUserQueries.OrgBySlug, slug), "organization")
}

// CountLiveUserSessions counts the user's sessions that are live at now.
func (s *Store) CountLiveUserSessions(ctx context.Context, userID string, now time.Time) (int, error) {
	var n int
	return n, s.get(ctx, &n, consoleUserQueries.LiveSessions, userID, now)
}

// UserSessionsNewestFirst returns one keyset page of the user's sessions,
// newest first, ended ones included. Its tokens page this order only.
func (s *Store) UserSessionsNewestFirst(ctx context.Context, userID string, page PageRequest) ([]model.Session, PageInfo, error) {
	size, cur, err := page.Parse()
	if err != nil {
		return nil, PageInfo{}, err
	}
	var rows []model.Session
	switch {
	case cur == nil:
		err = s.selectAll(ctx, &rows, consoleUserQueries.Sessions, userID, nil, "", size+1)
	case cur.Backward:
		err = s.selectAll(ctx, &rows, consoleUserQueries.SessionsBack, userID, cur.CreatedAt, cur.ID, size+1)
	default:
		err = s.selectAll(ctx, &rows, consoleUserQueries.Sessions, userID, cur.CreatedAt, cur.ID, size+1)
	}
	if err != nil {
		return nil, PageInfo{}, err
	}
	// finishPage reads "forward" as this list's order, newest first.
	rows, info := finishPage(rows, size, cur, func(r model.Session) (time.Time, string) { return r.CreatedAt, r.ID })
	info.TotalSize = len(rows)
	return rows, info, nil
}
