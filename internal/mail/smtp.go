package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPOptions configure an SMTPSender.
type SMTPOptions struct {
	// URL is ROSTER_SMTP_URL: smtp://[user:password@]host[:port] (port 587
	// by default) or smtps://… (port 465, TLS from the first byte).
	URL *url.URL
	// From is ROSTER_MAIL_FROM.
	From *netmail.Address
	// Timeout bounds one mail's whole conversation. Default 30 seconds.
	Timeout time.Duration
	// TLSConfig replaces the default (system roots, TLS 1.2+), e.g. for a
	// test server's own certificate. Its ServerName defaults to the host.
	TLSConfig *tls.Config
}

// SMTPSender sends messages over SMTP, one connection per message.
//
// TLS follows the URL: smtps:// is TLS from the start; smtp:// requires
// STARTTLS, except to a loopback address (a relay on the same machine),
// where STARTTLS is used when offered and plain text is allowed.
type SMTPSender struct {
	client *gomail.Client
	from   *netmail.Address
	domain string // of From, for Message-IDs
}

// DefaultSendTimeout is SMTPOptions.Timeout's default.
const DefaultSendTimeout = 30 * time.Second

// NewSMTPSender checks the options and returns a sender. It does not
// connect: an unreachable server shows in the outbox, as retries.
func NewSMTPSender(o SMTPOptions) (*SMTPSender, error) {
	if o.URL == nil || o.From == nil {
		return nil, errors.New("mail: an SMTP URL and a From address are needed")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultSendTimeout
	}
	host := o.URL.Hostname()
	implicitTLS := o.URL.Scheme == "smtps"
	port := 587
	if implicitTLS {
		port = 465
	}
	if p := o.URL.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("mail: port %q: %w", p, err)
		}
		port = n
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLSConfig != nil {
		tlsConfig = o.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}

	opts := []gomail.Option{
		gomail.WithPort(port),
		gomail.WithTimeout(o.Timeout),
		gomail.WithTLSConfig(tlsConfig),
	}
	local := isLoopback(host)
	switch {
	case implicitTLS:
		opts = append(opts, gomail.WithSSL())
	case local:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if user := o.URL.User; user != nil && user.Username() != "" {
		pass, _ := user.Password()
		auth := gomail.SMTPAuthAutoDiscover
		if local {
			// A loopback relay without TLS: the password never leaves the
			// machine, and PLAIN is what such relays speak.
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(user.Username()), gomail.WithPassword(pass))
	}
	client, err := gomail.NewClient(host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP client: %w", err)
	}
	from := &netmail.Address{Name: headerText(o.From.Name), Address: o.From.Address}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &SMTPSender{client: client, from: from, domain: domain}, nil
}

// Send delivers m. A recipient the server refuses for good, or an address
// that is not one, is a permanent failure; everything else may be retried.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	msg, err := s.build(m)
	if err != nil {
		return permanentError{err}
	}
	err = s.client.DialAndSendWithContext(ctx, msg)
	if err != nil && msg.IsDelivered() {
		// The server took the mail and something after that failed (RSET,
		// QUIT): it is on its way, and sending again would duplicate it.
		return nil
	}
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() && (se.Reason == gomail.ErrSMTPRcptTo || se.Reason == gomail.ErrGetRcpts) {
		return permanentError{err}
	}
	return err
}

// build turns m into a MIME message: text, plus HTML as its alternative.
// Every header value passes headerText and the library's encoding (RFC 2047
// for non-ASCII), so no name, subject or address can add a header.
func (s *SMTPSender) build(m Message) (*gomail.Msg, error) {
	to, err := netmail.ParseAddress(m.To)
	if err != nil || to.Address != m.To || strings.ContainsFunc(m.To, isControl) {
		return nil, fmt.Errorf("the recipient %q is not a plain email address", m.To)
	}
	to.Name = headerText(m.ToName)

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(to)
	msg.Subject(headerText(m.Subject))
	msg.SetMessageIDWithValue(m.ID + "@" + s.domain)
	msg.SetDateWithValue(m.Date)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
