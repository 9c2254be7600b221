package mail

import (
	"bytes"
	"context"

	"github.com/a-h/templ"

	mailview "roster/internal/mail/templates"
)

// Content is a composed mail: what store.QueueEmail takes besides the
// recipient, kind and org.
type Content struct {
	Subject string
	Text    string
	HTML    string
}

// Invitation is what an invitation mail says (see templates/).
type Invitation = mailview.Invitation

// Notice is a generic mail: title, paragraphs and an optional button.
type Notice = mailview.NoticeData

// ComposeInvitation writes the mail inviting someone to join an org.
//
//	c, err := mail.ComposeInvitation(ctx, mail.Invitation{OrgName: …, Inviter: …, AcceptURL: link, ExpiresAt: …})
//	…
//	err = tx.QueueEmail(ctx, store.Email{To: email, ToName: name, Subject: c.Subject,
//		Text: c.Text, HTML: c.HTML, Kind: "invitation", OrganizationID: &orgID}, now)
func ComposeInvitation(ctx context.Context, d Invitation) (Content, error) {
	subject := d.Title()
	if d.Reminder {
		subject = "Reminder: " + subject
	}
	return compose(ctx, subject, mailview.InvitationText(d), mailview.InvitationHTML(d))
}

// ComposeNotice writes a generic mail; its subject is the title.
func ComposeNotice(ctx context.Context, n Notice) (Content, error) {
	return compose(ctx, n.Title, mailview.NoticeText(n), mailview.Notice(n))
}

// maxSubject keeps subjects readable (and far below the outbox's 998).
const maxSubject = 200

func compose(ctx context.Context, subject, text string, html templ.Component) (Content, error) {
	var buf bytes.Buffer
	if err := html.Render(ctx, &buf); err != nil {
		return Content{}, err
	}
	// The subject is cleaned here too, so the outbox and the dev mailbox
	// show what the recipient will see.
	subject = headerText(subject)
	if r := []rune(subject); len(r) > maxSubject {
		subject = string(r[:maxSubject-1]) + "…"
	}
	return Content{Subject: subject, Text: text, HTML: buf.String()}, nil
}
