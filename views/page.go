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
	// CSRFToken goes into every form that changes state (components.CSRF).
	CSRFToken string
	// Admin is who is signed in to the console, or nil on pages for people
	// not signed in (sign-in, error pages). Views hide what the admin may
	// not do: `if p.Admin.CanWrite() { …edit button… }`. The server refuses
	// those requests anyway; hiding only spares people a 403.
	Admin *Admin
	// HideNav leaves out the main navigation, on sign-in pages where every
	// link would only lead back to sign-in.
	HideNav bool
}

// Admin is the signed-in console admin as pages show them. The web layer
// fills Writer and Owner from the session's role, so the role rules stay
// in internal/adminauth.
type Admin struct {
	Email string
	Role  string // owner, editor or viewer
	// Writer: may change things (editor or owner). Owner: may also manage
	// settings, API clients and admin sessions.
	Writer, Owner bool
	// Mailbox: the dev mailbox exists (no mail server is set), so owners
	// get a link to it.
	Mailbox bool
}

// CanWrite reports whether write controls (create, edit, remove) should be
// shown. Safe on nil: nobody signed in may write nothing.
func (a *Admin) CanWrite() bool { return a != nil && a.Writer }

// IsOwner reports whether owner-only controls should be shown. Safe on nil.
func (a *Admin) IsOwner() bool { return a != nil && a.Owner }

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
	// OwnerOnly items lead to an owner-only area: the others would only
	// get the 403 page there, so the link is not shown to them.
	OwnerOnly bool
}

// Shown reports whether the signed-in admin (nil: nobody) sees the item.
func (n NavItem) Shown(a *Admin) bool { return !n.OwnerOnly || a.IsOwner() }

// NavItems is the main navigation, in display order.
var NavItems = []NavItem{
	{NavHome, "Home", "/", false},
	{NavOrganizations, "Organizations", "/organizations", false},
	{NavUsers, "Users", "/users", false},
	{NavRoles, "Roles", "/roles", false},
	{NavAPIClients, "API clients", "/api-clients", true},
	{NavAudit, "Audit log", "/audit", false},
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
