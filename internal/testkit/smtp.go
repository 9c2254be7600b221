package testkit

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"log/slog"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"roster/internal/clock"
	"roster/internal/mail"
	"roster/internal/store"
)

// Mail in tests. An in-process SMTP server receives what Roster sends:
//
//	sm := testkit.NewSMTPServer(t)
//	srv := testkit.NewServer(t)
//	… do something that queues a mail (an invitation) …
//	testkit.DeliverMail(t, srv, sm)        // one worker round, as production does
//	got := sm.MessagesTo("ann@acme.test")  // what the server received
//	link := got[0].Links()[0]              // the first link of the text part
//
// Without an SMTP server, OutboxTo reads queued mail straight from the
// database, and the console's /dev/mailbox shows it to browser tests.
// sm.Down(), sm.FailWith(451) and sm.RejectRecipients(550) make sending fail.

// SMTPServer is a mail server on 127.0.0.1 for one test. It accepts every
// mail (unless told otherwise) and keeps what it received.
type SMTPServer struct {
	Addr string // 127.0.0.1:port

	t    testing.TB
	opts SMTPOptions
	srv  *smtp.Server
	pool *x509.CertPool // trusts the server's certificate

	mu       sync.Mutex
	ln       net.Listener // nil while Down
	received []ReceivedMail
	mailCode int // non-zero: MAIL FROM is answered with this code
	rcptCode int // non-zero: RCPT TO is answered with this code
}

// SMTPOptions choose how the test server talks.
type SMTPOptions struct {
	// STARTTLS offers STARTTLS, with a certificate for 127.0.0.1 that
	// TLSConfig trusts.
	STARTTLS bool
	// ImplicitTLS speaks TLS from the first byte (smtps://).
	ImplicitTLS bool
	// Username and Password, when set, must be given with AUTH PLAIN
	// before any mail is accepted.
	Username, Password string
}

// ReceivedMail is one mail as the server received it.
type ReceivedMail struct {
	From string   // envelope sender (MAIL FROM)
	To   []string // envelope recipients (RCPT TO)
	Data []byte   // the message exactly as sent, headers and body
	Auth string   // the username it authenticated as, if any
	TLS  bool     // whether the connection was encrypted
}

// NewSMTPServer starts a mail server for t and stops it at cleanup.
func NewSMTPServer(t testing.TB, opts ...SMTPOptions) *SMTPServer {
	t.Helper()
	s := &SMTPServer{t: t}
	if len(opts) > 0 {
		s.opts = opts[0]
	}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &smtpSession{s: s, tls: isTLS}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.ErrorLog = log.New(io.Discard, "", 0) // clients hanging up are not news
	s.srv.AllowInsecureAuth = !s.opts.STARTTLS && !s.opts.ImplicitTLS
	if s.opts.STARTTLS || s.opts.ImplicitTLS {
		cert, pool := selfSignedCert(t)
		s.pool = pool
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: SMTP listen: %v", err)
	}
	s.Addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *SMTPServer) serve(ln net.Listener) {
	if s.opts.ImplicitTLS {
		ln = tls.NewListener(ln, s.srv.TLSConfig)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	go s.srv.Serve(ln) // returns when ln is closed (Down) or at cleanup
}

// URL is the ROSTER_SMTP_URL that reaches this server, with the credentials.
func (s *SMTPServer) URL() *url.URL {
	u := &url.URL{Scheme: "smtp", Host: s.Addr}
	if s.opts.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	return u
}

// TLSConfig trusts the server's certificate (nil without TLS).
func (s *SMTPServer) TLSConfig() *tls.Config {
	if s.pool == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12}
}

// Sender returns a sender to this server, from "Roster <no-reply@roster.test>".
func (s *SMTPServer) Sender() *mail.SMTPSender {
	s.t.Helper()
	sender, err := mail.NewSMTPSender(mail.SMTPOptions{
		URL:       s.URL(),
		From:      &netmail.Address{Name: "Roster", Address: "no-reply@roster.test"},
		Timeout:   10 * time.Second,
		TLSConfig: s.TLSConfig(),
	})
	if err != nil {
		s.t.Fatalf("testkit: SMTP sender: %v", err)
	}
	return sender
}

// Messages returns every mail received so far, oldest first.
func (s *SMTPServer) Messages() []ReceivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ReceivedMail(nil), s.received...)
}

// MessagesTo returns the mails received for address (an envelope
// recipient), oldest first.
func (s *SMTPServer) MessagesTo(address string) []ReceivedMail {
	var out []ReceivedMail
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, address) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// Down stops accepting connections: clients get "connection refused".
func (s *SMTPServer) Down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
}

// Up accepts connections again, on the same address.
func (s *SMTPServer) Up() {
	s.t.Helper()
	s.mu.Lock()
	up := s.ln != nil
	s.mu.Unlock()
	if up {
		return
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		s.t.Fatalf("testkit: SMTP listen again on %s: %v", s.Addr, err)
	}
	s.serve(ln)
}

// FailWith answers MAIL FROM with code (say 451, "try again later");
// 0 accepts mail again.
func (s *SMTPServer) FailWith(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mailCode = code
}

// RejectRecipients answers RCPT TO with code (say 550, "no such user");
// 0 accepts recipients again.
func (s *SMTPServer) RejectRecipients(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcptCode = code
}

func smtpError(code int, what string) error {
	class := code / 100
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{class, 0, 0}, Message: "testkit refuses " + what}
}

// smtpSession is one client connection.
type smtpSession struct {
	s    *SMTPServer
	tls  bool
	auth string
	from string
	to   []string
}

func (x *smtpSession) AuthMechanisms() []string {
	if x.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != x.s.opts.Username || password != x.s.opts.Password {
			return errors.New("invalid credentials")
		}
		x.auth = username
		return nil
	}), nil
}

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.opts.Username != "" && x.auth == "" {
		return smtp.ErrAuthRequired
	}
	x.s.mu.Lock()
	code := x.s.mailCode
	x.s.mu.Unlock()
	if code != 0 {
		return smtpError(code, "MAIL FROM")
	}
	x.from = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	code := x.s.rcptCode
	x.s.mu.Unlock()
	if code != 0 {
		return smtpError(code, "RCPT TO")
	}
	x.to = append(x.to, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.received = append(x.s.received, ReceivedMail{
		From: x.from, To: append([]string(nil), x.to...), Data: b, Auth: x.auth, TLS: x.tls,
	})
	return nil
}

func (x *smtpSession) Reset() { x.from, x.to = "", nil }

func (x *smtpSession) Logout() error { return nil }

// selfSignedCert makes a certificate for 127.0.0.1 and a pool trusting it.
func selfSignedCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "testkit SMTP"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour), // TLS checks the wall clock
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// Reading received mail.

// Header returns the first value of the named header, RFC 2047 words
// decoded ("" if there is none).
func (m ReceivedMail) Header(name string) string {
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return ""
	}
	v := msg.Header.Get(name)
	if d, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// HeaderNames lists the header fields in order, as sent (one entry per
// line that starts a field), for tests that look for a header that must
// not be there.
func (m ReceivedMail) HeaderNames() []string {
	head, _, _ := bytes.Cut(m.Data, []byte("\r\n\r\n"))
	var names []string
	for _, line := range strings.Split(string(head), "\r\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue // a folded continuation
		}
		if name, _, ok := strings.Cut(line, ":"); ok {
			names = append(names, name)
		}
	}
	return names
}

// Text is the text/plain part, decoded.
func (m ReceivedMail) Text() string { return m.part("text/plain") }

// HTML is the text/html part, decoded.
func (m ReceivedMail) HTML() string { return m.part("text/html") }

// Links are the http(s) addresses in the text part, in order.
func (m ReceivedMail) Links() []string { return Links(m.Text()) }

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// Links returns the http(s) addresses in text, in order.
func Links(text string) []string { return linkPattern.FindAllString(text, -1) }

// part finds the first part of mediaType, in a single-part or multipart
// message, and decodes its transfer encoding.
func (m ReceivedMail) part(mediaType string) string {
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return ""
	}
	return findPart(mediaType, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

func findPart(want, contentType, encoding string, body io.Reader) string {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err != nil {
				return ""
			}
			if s := findPart(want, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); s != "" {
				return s
			}
		}
	}
	if mt != want {
		return ""
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	}
	b, _ := io.ReadAll(body)
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// newlineStripper drops CR and LF, which base64 bodies wrap with.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// Running the outbox in tests.

// NewMailWorker returns a worker on st sending to sm, with the default
// options and a log that shows only if the test fails.
func NewMailWorker(t testing.TB, st *store.Store, sm *SMTPServer, clk clock.Clock) *mail.Worker {
	t.Helper()
	return mail.NewWorker(st, sm.Sender(), clk, Logger(t), mail.WorkerOptions{})
}

// RunMailWorker runs w's rounds until no due mail is left, adding up what
// they did.
func RunMailWorker(t testing.TB, w *mail.Worker) mail.Result {
	t.Helper()
	var total mail.Result
	for range 1000 {
		res, err := w.RunOnce(context.Background())
		if err != nil {
			t.Fatalf("testkit: mail worker: %v", err)
		}
		total.Claimed += res.Claimed
		total.Sent += res.Sent
		total.Retried += res.Retried
		total.Failed += res.Failed
		if res.Claimed == 0 {
			return total
		}
	}
	t.Fatal("testkit: the mail worker never ran out of due mail")
	return total
}

// Outbox returns the mails queued for address, newest first, whatever
// their status: for tests that read a mail without sending it. st must
// carry the key the mail was sealed with (WithMailKey).
func Outbox(t testing.TB, st *store.Store, address string) []store.OutboxEmail {
	t.Helper()
	var ids []string
	err := st.DB().Select(&ids, `SELECT id FROM email_outbox WHERE lower(to_address) = lower($1) ORDER BY created_at DESC, id DESC`, address)
	if err != nil {
		t.Fatalf("testkit: read the outbox: %v", err)
	}
	out := make([]store.OutboxEmail, len(ids))
	for i, id := range ids {
		if out[i], err = st.OutboxEmail(context.Background(), id); err != nil {
			t.Fatalf("testkit: read mail %s: %v", id, err)
		}
	}
	return out
}

// MailKey is the secret key that tests without a server seal mail with:
// store.New(db).WithMailKey(testkit.MailKey).
var MailKey = []byte("roster-tests-mail-key-0123456789")

// Logger logs through t.Log, so lines show only for a failed test (or with
// -v), beside the test's own output. Use it only while t runs.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
