// Package views holds the console's templ components (layouts/, components/,
// pages/) and the one value every page takes as its first argument: Page.
package views

// Page is what every page needs besides its own data. Handlers build it per
// request (web.newPage), so views never look things up by string key.
type Page struct {
	// Title names the page in the tab: "<Title> · Roster". Empty gives "Roster".
	Title string
	// Nav is the main-navigation item to highlight; NavNone highlights none.
	Nav Nav
	// Flash is the one-time message left by the previous request (after a
	// POST → redirect), or the zero value.
	Flash Flash
	// RequestID ties what a person sees to the server's log lines.
	RequestID string
	// CSRFToken goes into every form that changes state; empty until the
	// console has sign-in and CSRF protection.
	CSRFToken string
}

// DocumentTitle is the text of <title>.
func (p Page) DocumentTitle() string {
	if p.Title == "" || p.Title == "Roster" {
		return "Roster"
	}
	return p.Title + " · Roster"
}

// Nav identifies a main-navigation item.
type Nav string

// The main-navigation items.
const (
	NavNone          Nav = ""
	NavHome          Nav = "home"
	NavOrganizations Nav = "organizations"
	NavUsers         Nav = "users"
	NavRoles         Nav = "roles"
	NavAPIClients    Nav = "api-clients"
	NavAudit         Nav = "audit"
)

// NavItem is one link of the main navigation.
type NavItem struct {
	ID    Nav
	Label string
	Path  string
}

// NavItems is the main navigation, in display order.
var NavItems = []NavItem{
	{NavHome, "Home", "/"},
	{NavOrganizations, "Organizations", "/organizations"},
	{NavUsers, "Users", "/users"},
	{NavRoles, "Roles", "/roles"},
	{NavAPIClients, "API clients", "/api-clients"},
	{NavAudit, "Audit log", "/audit"},
}

// FlashKind chooses the colour and the wording for assistive technology.
type FlashKind string

// The kinds of flash message.
const (
	FlashSuccess FlashKind = "success"
	FlashError   FlashKind = "error"
	FlashInfo    FlashKind = "info"
)

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind    FlashKind
	Message string
}

// IsZero reports whether there is no message to show.
func (f Flash) IsZero() bool { return f.Message == "" }
