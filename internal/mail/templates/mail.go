// Package templates holds the words of every mail Roster sends: the HTML parts as
// templ components (layout.templ, one file per mail) and the plain-text
// parts as Go functions beside them. Plain text is written in Go because
// templ escapes for HTML: "Smith & Sons" would arrive as "Smith &amp; Sons".
//
// internal/mail's Compose functions call these; nothing here touches
// headers, which internal/mail cleans and encodes.
package templates

import (
	"strings"
	"time"
	"unicode"
)

// Invitation is what an invitation mail says.
type Invitation struct {
	OrgName     string
	Inviter     string // who invited: a name or an email; empty means "Someone"
	InviteeName string // the invited person's name; may be empty
	AcceptURL   string // the single-use link
	ExpiresAt   time.Time
	Reminder    bool // a re-sent invitation
}

// Title is the heading, and the subject without "Reminder: ".
func (d Invitation) Title() string { return "You are invited to join " + oneLine(d.OrgName) }

// Greeting opens the mail, by name when there is one.
func (d Invitation) Greeting() string {
	if n := oneLine(d.InviteeName); n != "" {
		return "Hello " + n + ","
	}
	return "Hello,"
}

// InviterOrSomeone names who invited.
func (d Invitation) InviterOrSomeone() string {
	if n := oneLine(d.Inviter); n != "" {
		return n
	}
	return "Someone"
}

// Expiry is when the link stops working, in UTC.
func (d Invitation) Expiry() string { return d.ExpiresAt.UTC().Format(time.RFC1123) }

// Footer tells a surprised reader what to do.
func (d Invitation) Footer() string {
	return "If you did not expect this invitation, ignore this mail: nothing happens unless you accept."
}

// InvitationText is the plain-text part. The link stands alone on its line
// so that every client makes it clickable.
func InvitationText(d Invitation) string {
	var b strings.Builder
	b.WriteString(d.Greeting() + "\n\n")
	b.WriteString(d.InviterOrSomeone() + " invited you to join " + oneLine(d.OrgName) + ".\n\n")
	b.WriteString("Accept the invitation:\n" + d.AcceptURL + "\n\n")
	b.WriteString("The link works once and expires on " + d.Expiry() + ".\n\n")
	b.WriteString("-- \n" + d.Footer() + "\n")
	return b.String()
}

// NoticeData is a generic mail: for messages that need no layout of their
// own (a sign-in link, an address to confirm).
type NoticeData struct {
	Title       string   // heading; also a good subject
	Paragraphs  []string // plain text, one per paragraph
	ActionLabel string   // the button's words, e.g. "Sign in"
	ActionURL   string   // empty: no button
	Footer      string   // small print; may be empty
}

// NoticeText is the plain-text part of a Notice.
func NoticeText(n NoticeData) string {
	var b strings.Builder
	for _, p := range n.Paragraphs {
		b.WriteString(p + "\n\n")
	}
	if n.ActionURL != "" {
		b.WriteString(n.ActionLabel + ":\n" + n.ActionURL + "\n\n")
	}
	if n.Footer != "" {
		b.WriteString("-- \n" + n.Footer + "\n")
	}
	return b.String()
}

// oneLine keeps a name from bringing line breaks or control characters into
// a mail, where a crafted one could fake a line of its own.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}
