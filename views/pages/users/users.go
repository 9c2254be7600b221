// Package users holds the console's user pages: the list with its search and
// filters, a user's page (profile, identities, memberships, sessions), the
// profile form and the confirmation steps of deleting a user and ending
// their sessions.
package users

import (
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"roster/internal/model"
)

// FormErrors maps a form field's name to what is wrong with it.
type FormErrors map[string]string

// Path is the URL of a user's page, or of a page below it: Path(id, "/edit").
func Path(userID, rest string) string { return "/users/" + url.PathEscape(userID) + rest }

func shortTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// maybeTime is shortTime for an optional time; unset shows as none.
func maybeTime(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return shortTime(*t)
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// displayName is what a person is called on the pages: their name, or
// their email when they have none.
func displayName(u model.User) string {
	if n := strings.TrimSpace(str(u.Name)); n != "" {
		return n
	}
	return u.Email
}

// count writes n with thousands separators: 1,000,000.
func count(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// plural writes "1 session" or "3 sessions".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return count(n) + " " + many
}

// MetadataText writes metadata as the form's textarea shows it: one
// "key = value" line per entry, sorted by key.
func MetadataText(m model.Metadata) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + " = " + m[k] + "\n")
	}
	return b.String()
}

// sortedMetadata gives the entries of m in key order, for a table.
func sortedMetadata(m model.Metadata) [][2]string {
	out := make([][2]string, 0, len(m))
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// JSONText writes custom attributes as indented JSON, "" when empty.
func JSONText(o model.JSONObject) string {
	if len(o) == 0 {
		return ""
	}
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// orgNames names a user's first organizations: "Acme, Globex and 3 more".
func orgNames(ms []model.Membership, shown int) string {
	names := make([]string, 0, shown)
	for i, m := range ms {
		if i == shown {
			break
		}
		names = append(names, m.OrganizationName)
	}
	s := strings.Join(names, ", ")
	if rest := len(ms) - shown; rest > 0 {
		s += " and " + count(rest) + " more"
	}
	return s
}

func roleNames(roles model.RoleRefs) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

// provisioning turns jit_using_sso into "JIT using SSO".
func provisioning(method string) string {
	switch method {
	case model.ProvisionedOrgCreator:
		return "Created the organization"
	case model.ProvisionedInvitation:
		return "Invitation"
	case model.ProvisionedDirect:
		return "Added directly"
	case model.ProvisionedEmailDomain:
		return "Allowed email domain"
	case model.ProvisionedJITUsingSSO:
		return "Just in time, through SSO"
	}
	return method
}

// sessionEnd says when a live session expires, or when an ended one ended.
func sessionEnd(s model.Session) string {
	switch {
	case s.Status == "ACTIVE":
		end := s.IdleExpiresAt
		if s.AbsoluteExpiresAt.Before(end) {
			end = s.AbsoluteExpiresAt
		}
		return shortTime(end)
	case s.EndedAt != nil:
		return shortTime(*s.EndedAt)
	}
	return "—"
}
