package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"roster/internal/mail"
)

func TestComposeInvitation(t *testing.T) {
	inv := mail.Invitation{
		OrgName: "Smith & <Sons>", Inviter: "boss@acme.test", InviteeName: "Ann",
		AcceptURL: "https://roster.test/invitations/tok?x=1&y=2",
		ExpiresAt: time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC),
	}
	c, err := mail.ComposeInvitation(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "You are invited to join Smith & <Sons>" {
		t.Errorf("subject %q", c.Subject)
	}
	// Plain text is not HTML: nothing is escaped, and the link stands alone.
	for _, want := range []string{
		"Hello Ann,\n",
		"boss@acme.test invited you to join Smith & <Sons>.\n",
		"\nhttps://roster.test/invitations/tok?x=1&y=2\n",
		"expires on Mon, 16 Mar 2026 09:00:00 UTC.",
	} {
		if !strings.Contains(c.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, c.Text)
		}
	}
	// HTML escapes the names and links the button to the address.
	if strings.Contains(c.HTML, "<Sons>") || !strings.Contains(c.HTML, "Smith &amp; &lt;Sons&gt;") {
		t.Errorf("HTML does not escape the org name:\n%s", c.HTML)
	}
	doc, err := html.Parse(strings.NewReader(c.HTML))
	if err != nil {
		t.Fatal(err)
	}
	var hrefs []string
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "a" {
			for _, a := range n.Attr {
				if a.Key == "href" {
					hrefs = append(hrefs, a.Val)
				}
			}
		}
		if n.Type == html.ElementNode && n.Data == "script" {
			t.Error("a mail has a <script>")
		}
	}
	if len(hrefs) != 2 || hrefs[0] != inv.AcceptURL || hrefs[1] != inv.AcceptURL {
		t.Errorf("links %q, want the button and the fallback to %s", hrefs, inv.AcceptURL)
	}

	inv.Reminder, inv.Inviter, inv.InviteeName = true, "", ""
	c, _ = mail.ComposeInvitation(context.Background(), inv)
	if !strings.HasPrefix(c.Subject, "Reminder: You are invited") || !strings.Contains(c.Text, "Hello,\n") || !strings.Contains(c.Text, "Someone invited you") {
		t.Errorf("reminder without names: %q\n%s", c.Subject, c.Text)
	}

	// A long name makes a long subject, cut to a readable length.
	inv.OrgName = strings.Repeat("Ä", 500)
	c, _ = mail.ComposeInvitation(context.Background(), inv)
	if n := len([]rune(c.Subject)); n != 200 || !strings.HasSuffix(c.Subject, "…") {
		t.Errorf("subject of %d runes: %q", n, c.Subject)
	}
}

func TestComposeNotice(t *testing.T) {
	c, err := mail.ComposeNotice(context.Background(), mail.Notice{
		Title: "Sign in to Acme", Paragraphs: []string{"Someone asked to sign in as you.", "The link works for 15 minutes."},
		ActionLabel: "Sign in", ActionURL: "https://roster.test/signin/tok", Footer: "Did not ask? Ignore this mail.",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "Someone asked to sign in as you.\n\nThe link works for 15 minutes.\n\nSign in:\nhttps://roster.test/signin/tok\n\n-- \nDid not ask? Ignore this mail.\n"
	if c.Subject != "Sign in to Acme" || c.Text != want {
		t.Errorf("subject %q, text:\n%s", c.Subject, c.Text)
	}
	if !strings.Contains(c.HTML, `href="https://roster.test/signin/tok"`) || !strings.Contains(c.HTML, "<h1") {
		t.Errorf("HTML:\n%s", c.HTML)
	}
}
