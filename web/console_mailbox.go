package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"roster/internal/adminauth"
	"roster/internal/apperr"
	"roster/internal/mail"
	"roster/internal/store"
	"roster/views"
	"roster/views/components"
	"roster/views/pages/mailbox"
)

// mailboxHandler serves the dev mailbox: the email outbox as a list, one
// mail with its links clickable, and a mail's HTML on its own page. It is
// where mail is read while ROSTER_SMTP_URL is not set (in development and
// tests), and does not exist once it is: then mail belongs to its
// recipients alone.
//
// Owners only: mails hold single-use links (an invitation link lets whoever
// follows it join an org as the invitee), which viewers and editors must
// not be able to collect.
type mailboxHandler struct {
	box *mail.Mailbox
}

// devMailboxKey marks, in the echo context, that the dev mailbox exists,
// so pages link to it.
const devMailboxKey = "roster.dev_mailbox"

// Routes registers the mailbox pages on the console group, and tells every
// page that the mailbox is there.
func (h mailboxHandler) Routes(e *echo.Echo, g *echo.Group) {
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(devMailboxKey, true)
			return next(c)
		}
	})
	owner := requireRole(adminauth.Owner)
	g.GET("/dev/mailbox", h.list, owner)
	g.GET("/dev/mailbox/:id", h.show, owner)
	g.GET("/dev/mailbox/:id/html", h.html, owner)
}

func (h mailboxHandler) list(c echo.Context) error {
	mails, info, err := h.box.List(c.Request().Context(), store.PageRequest{Token: c.QueryParam("page")})
	if err != nil {
		return err
	}
	rows := make([]mailbox.Mail, len(mails))
	for i, m := range mails {
		rows[i] = mailboxMail(m)
	}
	return render(c, http.StatusOK, mailbox.List(newPage(c, "Dev mailbox", views.NavNone), mailbox.ListData{
		Mails: rows, Pages: mailboxPageLinks(info),
	}))
}

func (h mailboxHandler) show(c echo.Context) error {
	m, err := h.box.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, mailbox.Show(newPage(c, m.Subject, views.NavNone), mailbox.ShowData{
		Mail: mailboxMail(m),
	}))
}

// mailHTMLPolicy lets a mail's HTML show its inline styles and data: images
// and nothing else: no scripts, no requests anywhere, no forms, no framing,
// and a sandbox that gives the page an origin of its own, so it can reach
// neither Roster's cookies nor its pages. Links still work.
const mailHTMLPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; " +
	"form-action 'none'; base-uri 'none'; frame-ancestors 'none'; sandbox allow-top-navigation-by-user-activation"

// html serves the mail's HTML part as it was written, under mailHTMLPolicy.
func (h mailboxHandler) html(c echo.Context) error {
	m, err := h.box.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if m.HTML == "" {
		return apperr.NotFound("This mail has no HTML version; its text is on the mail's page.")
	}
	c.Response().Header().Set("Content-Security-Policy", mailHTMLPolicy)
	return c.HTMLBlob(http.StatusOK, []byte(m.HTML))
}

func mailboxMail(m store.OutboxEmail) mailbox.Mail {
	out := mailbox.Mail{
		ID: m.ID, To: m.To, ToName: m.ToName, Subject: m.Subject, Kind: m.Kind, Status: m.Status,
		Attempts: m.Attempts, CreatedAt: m.CreatedAt, NextAttemptAt: m.NextAttemptAt, SentAt: m.SentAt,
		Text: m.Text, HasHTML: m.HTML != "", Unreadable: m.Unreadable,
	}
	if m.LastError != nil {
		out.LastError = *m.LastError
	}
	return out
}

// mailboxPageLinks links the neighbouring pages by their tokens.
func mailboxPageLinks(info store.PageInfo) components.PageLinks {
	link := func(token string) string {
		if token == "" {
			return ""
		}
		return "/dev/mailbox?page=" + token // tokens are URL-safe base64
	}
	return components.PageLinks{Prev: link(info.PrevToken), Next: link(info.NextToken)}
}
