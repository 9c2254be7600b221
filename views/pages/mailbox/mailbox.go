// Package mailbox holds the pages of the console's dev mailbox: the email
// outbox, newest first, and one mail with its links made clickable.
package mailbox

import (
	"fmt"
	"regexp"
	"time"
)

// Mail is one outbox mail as the pages show it.
type Mail struct {
	ID            string
	To            string
	ToName        string
	Subject       string
	Kind          string
	Status        string // PENDING, SENT or FAILED
	Attempts      int
	CreatedAt     time.Time
	NextAttemptAt time.Time
	SentAt        *time.Time
	LastError     string
	Text          string
	HasHTML       bool
	// Unreadable: the body was sealed under another secret key.
	Unreadable bool
}

// BodyNote says why a mail shows no body, or "" when it has one. Bodies
// hold live links, so Roster wipes them once a mail is sent or given up.
func (m Mail) BodyNote() string {
	switch {
	case m.Unreadable:
		return "This mail's body cannot be opened: it was sealed under another secret key (ROSTER_SECRET_KEY changed since)."
	case m.Text == "" && !m.HasHTML && m.Status != "PENDING":
		return "The body was removed when the mail was sent or given up on, so that its links live only in the recipient's inbox."
	}
	return ""
}

// Recipient is "Name <address>", or the address alone.
func (m Mail) Recipient() string {
	if m.ToName == "" {
		return m.To
	}
	return m.ToName + " <" + m.To + ">"
}

// URL is the mail's page.
func (m Mail) URL() string { return "/dev/mailbox/" + m.ID }

// HTMLURL serves the mail's HTML part on its own, sandboxed.
func (m Mail) HTMLURL() string { return m.URL() + "/html" }

// Delivery says in words where the mail stands. The mailbox exists only
// while no mail server is set; sent and failed mails date from a time when
// one was.
func (m Mail) Delivery() string {
	switch {
	case m.Status == "SENT" && m.SentAt != nil:
		return "Sent " + when(*m.SentAt)
	case m.Status == "FAILED":
		return fmt.Sprintf("Gave up after %d %s", m.Attempts, plural(m.Attempts, "attempt", "attempts"))
	}
	return "Not sent: no mail server is set"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// textPiece is a run of a mail's text: plain, or a link to make clickable.
type textPiece struct {
	Text string
	Link bool
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// pieces splits text into plain runs and http(s) links.
func pieces(text string) []textPiece {
	var out []textPiece
	last := 0
	for _, loc := range linkPattern.FindAllStringIndex(text, -1) {
		if loc[0] > last {
			out = append(out, textPiece{Text: text[last:loc[0]]})
		}
		out = append(out, textPiece{Text: text[loc[0]:loc[1]], Link: true})
		last = loc[1]
	}
	if last < len(text) {
		out = append(out, textPiece{Text: text[last:]})
	}
	return out
}

// links lists the text's http(s) links once each, in order.
func links(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range linkPattern.FindAllString(text, -1) {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}
