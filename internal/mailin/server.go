// Package mailin is Faxhaven's inbound SMTP server: email to fax. Mail to
// <fax number>@<fax domain of a brand> from an account's registered,
// authenticated address becomes one fax to each number; delivery status
// notifications to the bounce address mark failing fax-to-email
// recipients.
//
// The server says 250 only once the message is committed (sealed, with
// the job that turns it into faxes). Everything else is a clear SMTP
// reply: 550 for an address or sender it will not take, 552 for an
// oversized message, 554 for one it cannot read, 451 when DNS or the
// database failed and the client should try again.
package mailin

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/net/netutil"

	"github.com/faxhaven/faxhaven/internal/faxes"
	"github.com/faxhaven/faxhaven/internal/mail"
)

// Domains tells which domains are fax domains and of which brand.
type Domains interface {
	// FaxDomain returns the brand whose fax domain is domain, or ok false.
	FaxDomain(ctx context.Context, domain string) (brandID int64, ok bool, err error)
}

// Faxes takes accepted messages: faxes.Service.
type Faxes interface {
	AcceptEmail(ctx context.Context, in *faxes.EmailIn) error
}

// Bounces takes delivery status notifications of mail the service sent.
// tag is what followed the + in the bounce address the report came to
// ("" for none): the service tags each return path, so that a report can
// be checked against the address it names.
type Bounces interface {
	Bounce(ctx context.Context, tag string, d *mail.DSN) error
}

// Config configures the server.
type Config struct {
	// Hostname is the name the server gives in its greeting.
	Hostname string
	// TLS, when set, offers STARTTLS with this configuration.
	TLS *tls.Config
	// MaxMessageBytes bounds a message; larger ones get 552. Default 50 MB.
	MaxMessageBytes int64
	// MaxRecipients bounds recipients, and so faxes, per message.
	// Default 50.
	MaxRecipients int
	// BounceLocal is the local part, at any fax domain, that receives
	// delivery status notifications. Default faxes.BounceLocal.
	BounceLocal string
	// Resolver answers the sender checks' DNS queries. Default
	// net.DefaultResolver.
	Resolver Resolver
	// MaxConnections bounds the conversations at once, and with
	// MaxMessageBytes the memory messages in flight can take; more
	// clients wait to be accepted. Default 100.
	MaxConnections int
	// Timeout bounds each read and write of a connection. Default 5
	// minutes (RFC 5321 section 4.5.3.2 asks for at least that much).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Server is the inbound SMTP server.
type Server struct {
	cfg     Config
	domains Domains
	faxes   Faxes
	bounces Bounces
	smtp    *smtp.Server
}

// NewServer returns a server that hands messages to fx and DSNs to b.
func NewServer(cfg Config, d Domains, fx Faxes, b Bounces) *Server {
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 50 << 20
	}
	if cfg.MaxRecipients <= 0 {
		cfg.MaxRecipients = 50
	}
	if cfg.BounceLocal == "" {
		cfg.BounceLocal = faxes.BounceLocal
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 100
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	s := &Server{cfg: cfg, domains: d, faxes: fx, bounces: b}
	srv := smtp.NewServer(s)
	srv.Domain = cfg.Hostname
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = cfg.MaxRecipients
	srv.ReadTimeout = cfg.Timeout
	srv.WriteTimeout = cfg.Timeout
	srv.TLSConfig = cfg.TLS
	srv.ErrorLog = slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)
	s.smtp = srv
	return s
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.smtp.Serve(netutil.LimitListener(ln, s.cfg.MaxConnections))
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits, until ctx ends, for
// conversations in progress to end.
func (s *Server) Shutdown(ctx context.Context) error { return s.smtp.Shutdown(ctx) }

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	var ip net.IP
	if a, ok := c.Conn().RemoteAddr().(*net.TCPAddr); ok {
		ip = a.IP
	}
	return &session{s: s, c: c, ip: ip}, nil
}

// session is one SMTP conversation.
type session struct {
	s        *Server
	c        *smtp.Conn
	ip       net.IP
	mailFrom string
	brandID  int64
	numbers  []string
	bounce   bool
	tag      string // of the bounce address
}

func reply(code int, enh smtp.EnhancedCode, format string, args ...any) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: fmt.Sprintf(format, args...)}
}

var errTryLater = reply(451, smtp.EnhancedCode{4, 3, 0}, "Temporary problem on our side; please try again later")

func (ss *session) Reset() {
	ss.mailFrom, ss.brandID, ss.numbers, ss.bounce, ss.tag = "", 0, nil, false, ""
}

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.Reset()
	ss.mailFrom = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ctx := context.Background()
	at := strings.LastIndexByte(to, '@')
	local, domain := to, ""
	if at >= 0 {
		local, domain = to[:at], to[at+1:]
	}
	base, tag, _ := strings.Cut(local, "+")
	if strings.EqualFold(base, ss.s.cfg.BounceLocal) {
		brand, ok, err := ss.s.domains.FaxDomain(ctx, strings.ToLower(domain))
		if err != nil {
			ss.s.cfg.Logger.Error("mailin: fax domain", "err", err)
			return errTryLater
		}
		if ok {
			ss.bounce, ss.brandID, ss.tag = true, brand, tag
			return nil
		}
	}
	r, err := ParseRecipient(to)
	if err != nil {
		return reply(550, smtp.EnhancedCode{5, 1, 1}, "%s is not a fax address: write the fax number, then @ and the fax domain", to)
	}
	brand, ok, err := ss.s.domains.FaxDomain(ctx, r.Domain)
	if err != nil {
		ss.s.cfg.Logger.Error("mailin: fax domain", "err", err)
		return errTryLater
	}
	if !ok {
		return reply(550, smtp.EnhancedCode{5, 7, 1}, "We do not accept mail for %s (no relaying)", r.Domain)
	}
	if ss.brandID != 0 && brand != ss.brandID {
		return reply(452, smtp.EnhancedCode{4, 5, 3}, "Send faxes for %s in a message of their own", r.Domain)
	}
	ss.brandID = brand
	for _, n := range ss.numbers {
		if n == r.Number {
			return nil // the same number twice is one fax
		}
	}
	ss.numbers = append(ss.numbers, r.Number)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return reply(se.Code, se.EnhancedCode, "The message is larger than the limit of %d MB", ss.s.cfg.MaxMessageBytes>>20)
		}
		return err
	}
	ctx := context.Background()
	if ss.bounce && len(ss.numbers) == 0 {
		return ss.dsn(ctx, raw)
	}
	if ss.bounce {
		return reply(554, smtp.EnhancedCode{5, 5, 3}, "Send delivery reports and faxes in separate messages")
	}
	return ss.deliver(ctx, raw)
}

// Deliver checks and accepts one message; it is the DATA step, apart from
// the SMTP conversation so that tests and benchmarks can call it.
func (s *Server) Deliver(ctx context.Context, env Envelope, brandID int64, numbers []string, raw []byte) error {
	ss := &session{s: s, ip: env.IP, mailFrom: env.MailFrom, brandID: brandID, numbers: numbers}
	return ss.deliverEnv(ctx, env, raw)
}

func (ss *session) deliver(ctx context.Context, raw []byte) error {
	return ss.deliverEnv(ctx, Envelope{IP: ss.ip, Helo: ss.c.Hostname(), MailFrom: ss.mailFrom}, raw)
}

func (ss *session) deliverEnv(ctx context.Context, env Envelope, raw []byte) error {
	s := ss.s
	msg, err := Parse(raw)
	if err != nil {
		return reply(554, smtp.EnhancedCode{5, 6, 0}, "The message could not be read: %s", strings.TrimPrefix(err.Error(), "mailin: "))
	}
	auth, err := Authenticate(ctx, s.cfg.Resolver, env, msg.From, raw)
	if err != nil {
		s.cfg.Logger.Warn("mailin: sender check", "err", err)
		return reply(451, smtp.EnhancedCode{4, 4, 3}, "The sender could not be checked (DNS); please try again later")
	}
	in := &faxes.EmailIn{
		BrandID: ss.brandID, Sender: msg.From, Authenticated: auth.Pass, AuthProblem: auth.Problem,
		Numbers: ss.numbers, Subject: msg.Subject, Body: msg.Text,
	}
	for _, a := range msg.Attachments {
		in.Files = append(in.Files, faxes.Upload{Name: a.Name, Data: a.Data})
	}
	err = s.faxes.AcceptEmail(ctx, in)
	var fe *faxes.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return refusal(fe)
	default:
		s.cfg.Logger.Error("mailin: accept", "err", err)
		return errTryLater
	}
}

// refusal turns a refusal of the fax service into an SMTP reply.
func refusal(e *faxes.Error) *smtp.SMTPError {
	switch e.Code {
	case "email.err.unknown_sender", "email.err.not_authenticated":
		return reply(550, smtp.EnhancedCode{5, 7, 1}, "%s", e.Msg)
	case "email.err.rate_limited":
		return reply(451, smtp.EnhancedCode{4, 7, 1}, "%s", e.Msg)
	case "email.err.number":
		return reply(550, smtp.EnhancedCode{5, 1, 3}, "%s", e.Msg)
	case "fax.err.upload_too_large":
		return reply(552, smtp.EnhancedCode{5, 3, 4}, "%s", e.Msg)
	}
	return reply(554, smtp.EnhancedCode{5, 6, 0}, "%s", e.Msg)
}

// dsn reads a delivery status notification sent to the bounce address.
func (ss *session) dsn(ctx context.Context, raw []byte) error {
	d, err := mail.ParseDSN(bytes.NewReader(raw))
	if err != nil {
		// Not a report we can read: take it and drop it, so the reporting
		// server does not bounce its bounce.
		ss.s.cfg.Logger.Info("mailin: unreadable delivery report dropped", "err", err)
		return nil
	}
	if ss.s.bounces == nil {
		return nil
	}
	if err := ss.s.bounces.Bounce(ctx, ss.tag, d); err != nil {
		ss.s.cfg.Logger.Error("mailin: record bounce", "err", err)
		return errTryLater
	}
	return nil
}
