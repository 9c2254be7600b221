// Package orgs holds the console's organization pages: the list, the form
// that creates one, and each organization's tabs (overview, members,
// invitations, domains, roles) with their confirmation steps.
package orgs

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Tab is one of an organization's pages.
type Tab string

// The tabs, in the order they are shown.
const (
	TabOverview    Tab = "overview"
	TabMembers     Tab = "members"
	TabInvitations Tab = "invitations"
	TabDomains     Tab = "domains"
	TabRoles       Tab = "roles"
)

var tabs = []struct {
	ID    Tab
	Label string
	Path  string // after /organizations/<id>
}{
	{TabOverview, "Overview", ""},
	{TabMembers, "Members", "/members"},
	{TabInvitations, "Invitations", "/invitations"},
	{TabDomains, "Domains", "/domains"},
	{TabRoles, "Roles", "/roles"},
}

// Org names the organization a page is about.
type Org struct {
	ID   string
	Name string
}

// Path is the URL of the org's page below /organizations/<id>: Path("/members").
func (o Org) Path(rest string) string { return "/organizations/" + o.ID + rest }

// Option is one choice of a select or a set of checkboxes.
type Option struct {
	Value   string
	Label   string
	Hint    string
	Checked bool
}

// FormErrors maps a field name to what is wrong with it.
type FormErrors map[string]string

// shortTime shows a time the same way on every console page.
func shortTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// maybeTime is shortTime for an optional time, "—" when unset.
func maybeTime(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return shortTime(*t)
}

// maybeDate is the day of an optional time, where the hour does not matter
// (the full time is in the cell's title).
func maybeDate(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.UTC().Format("2006-01-02")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// count writes n with thousands separators: 200,000 members.
func count(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + count(-n)
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// plural is "1 member" or "3 members".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return count(n) + " " + many
}

// withQuery adds the non-empty values to path as a query string.
func withQuery(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// features names each known feature flag for the settings form. None of
// them acts in Roster yet: they are entitlements stored for the app owner's
// product to read, and each hint says what happens in Roster either way.
var features = map[string][2]string{
	"sso":                 {"Single sign-on (SSO)", "Roster has no SSO connections yet: members sign in with the environment's methods either way."},
	"domain_verification": {"Domain verification", "Roster does not check DNS records yet: the organization's domains stay pending either way."},
	"session_policy":      {"Session policy", "Every organization uses the environment's session settings either way."},
	"directory_sync":      {"Directory sync (SCIM)", "Roster has no SCIM endpoint yet: members come by invitation, the API or an import either way."},
}

// FeatureOption is the settings checkbox of a feature toggle.
func FeatureOption(name string, on bool) Option {
	text, ok := features[name]
	if !ok {
		text = [2]string{name, ""}
	}
	return Option{Value: name, Label: text[0], Hint: text[1], Checked: on}
}

// CountLabel words the size of a list for the pagination bar: "3
// organizations", "about 100,000 organizations" past the exact count,
// "more than 10,000" for a filtered list that stopped counting.
func CountLabel(total int, filtered bool, one, many string) string {
	switch {
	case total > 10000 && filtered:
		return "More than 10,000 " + many
	case total > 10000:
		return "About " + count(total) + " " + many
	}
	return plural(total, one, many)
}
