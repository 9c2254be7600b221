// Package hosted holds the end users' hosted pages: sign-in in its steps,
// sign-up, password reset, the organization picker and "my organizations".
// Every page takes layouts.HostedPage first and renders in layouts.Hosted.
// (Invitation and social sign-in pages live here too, in files of their
// own.)
package hosted

import "net/url"

// SignInData is the first step: the email address.
type SignInData struct {
	Email      string
	EmailError string
	ReturnTo   string
	Keep       bool // "Keep me signed in" is ticked
}

// MethodsData is the second step: the ways this address may sign in.
type MethodsData struct {
	Email    string
	ReturnTo string
	// Keep carries step one's "Keep me signed in" into every method.
	Keep bool
	// EmailLink/EmailCode: what the mail will hold.
	EmailLink, EmailCode bool
	Password             bool
	SignUp               bool
	// SignUpBlocked says why this address cannot make a new account (its
	// domain is blocked); existing accounts sign in as usual.
	SignUpBlocked string
	Social        []SocialButton
	// PasswordError is shown beside the password after a failed attempt.
	PasswordError string
	// EmailProblem is shown above the email button (e.g. turned off).
	EmailProblem string
}

// SocialButton starts a sign-in with a social provider.
type SocialButton struct {
	Name string
	Kind string
	URL  string
}

// None reports whether no method is offered at all.
func (d MethodsData) None() bool {
	return !d.EmailLink && !d.EmailCode && !d.Password && len(d.Social) == 0
}

// EmailButton is what the email button says.
func (d MethodsData) EmailButton() string {
	switch {
	case d.EmailLink && d.EmailCode:
		return "Email me a sign-in link and code"
	case d.EmailCode:
		return "Email me a sign-in code"
	}
	return "Email me a sign-in link"
}

// CodeData is the code page.
type CodeData struct {
	Email     string
	Link      bool // the mail has a link too
	Code      string
	CodeError string
	ReturnTo  string
	Keep      bool // carried into a resend
}

// SentData is "check your inbox".
type SentData struct {
	Title    string
	Email    string
	Message  string
	ReturnTo string
	Keep     bool // carried into a resend
	// Resend, when set, is the form that sends again (POST), with Email.
	Resend string
}

// LinkData is the page a mailed link opens: what using it will do, and a
// button that does it (a GET never uses a link, so mail scanners cannot).
type LinkData struct {
	Title  string
	Lead   string
	Email  string
	Action string // the form's target: the link itself
	Button string
	// Password shows a new-password field (reset links).
	Password      bool
	PasswordError string
	// Keep ticks "Keep me signed in" (the link may open in another
	// browser, so the page offers the choice again).
	Keep bool
}

// SignUpData is creating an account with a password.
type SignUpData struct {
	Email         string
	EmailError    string
	PasswordError string
	ReturnTo      string
	Problem       string
}

// ForgotData asks for the address to send a reset link to.
type ForgotData struct {
	Email      string
	EmailError string
}

// NoticeData is a page with a message and a way on: a link that no longer
// works, too many attempts, an error.
type NoticeData struct {
	Reason  string // for tests and styling: link-used, rate-limited, …
	Status  int    // HTTP status, shown on error pages
	Title   string
	Message string
	Action  string // a link's target; "" for none
	Label   string
}

// OrgChoice is one org in the picker.
type OrgChoice struct {
	ID      string
	Name    string
	Roles   []string
	Current bool
}

// ChooseData is the organization picker.
type ChooseData struct {
	Orgs     []OrgChoice
	ReturnTo string
}

// MembershipRow is one membership on "my organizations".
type MembershipRow struct {
	OrgID     string
	OrgName   string
	Status    string
	Roles     []string
	Inviter   string
	ExpiresAt string // invitations: when the invitation runs out
	JoinedAt  string
	Current   bool
	// CanInvite: the person's roles there include members:invite, so the
	// page links to the org's invite form.
	CanInvite bool
}

// MyOrgsData is "my organizations".
type MyOrgsData struct {
	Email     string
	Active    []MembershipRow
	Pending   []MembershipRow
	Other     []MembershipRow
	CanCreate bool
	// CanRespond: accepting and declining invitations here is available.
	CanRespond bool
	// Name and NameError keep a typed org name after a refused create.
	Name      string
	NameError string
	ReturnTo  string
}

// Empty reports whether the person has no memberships at all.
func (d MyOrgsData) Empty() bool {
	return len(d.Active) == 0 && len(d.Pending) == 0 && len(d.Other) == 0
}

// LeaveData is the confirmation before leaving an org or declining its
// invitation.
type LeaveData struct {
	OrgID          string
	OrgName        string
	Roles          []string
	Decline        bool // declining an invitation, not leaving
	DeletesAccount bool // the account goes too; the form says so to the server
	Only           bool // the person's only membership
	Current        bool
	LastAdmin      bool // the org's last admin: cannot leave, no button
}

// withReturnTo adds return_to to a path when there is one.
func withReturnTo(path, returnTo string) string {
	if returnTo == "" {
		return path
	}
	return path + "?return_to=" + url.QueryEscape(returnTo)
}

// signUpURL is the sign-up page with the address already filled in.
func signUpURL(email, returnTo string) string {
	q := url.Values{"email": {email}}
	if returnTo != "" {
		q.Set("return_to", returnTo)
	}
	return "/signup?" + q.Encode()
}
