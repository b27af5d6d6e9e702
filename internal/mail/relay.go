package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"time"
)

// TLSMode says how the connection to the relay is protected.
type TLSMode string

// The TLS modes.
const (
	// StartTLSRequired upgrades with STARTTLS and refuses to send if the
	// relay does not offer it. The default.
	StartTLSRequired TLSMode = "starttls"
	// StartTLSOpportunistic upgrades when the relay offers STARTTLS and
	// sends in clear otherwise (never with a password).
	StartTLSOpportunistic TLSMode = "opportunistic"
	// ImplicitTLS speaks TLS from the first byte (port 465, "SMTPS").
	ImplicitTLS TLSMode = "implicit"
	// NoTLS sends in clear, for a relay on the same host or network.
	NoTLS TLSMode = "none"
)

// RelayConfig describes the SMTP relay that outbound mail goes through.
type RelayConfig struct {
	// Host is the relay's host name. Empty means no relay: messages are
	// kept in the local outbox.
	Host string
	// Port defaults to 465 for ImplicitTLS and 587 otherwise.
	Port int
	// TLS is the protection mode. Default StartTLSRequired.
	TLS TLSMode
	// TLSConfig customises certificate checks (for example a private CA
	// in RootCAs). Default: the system roots, server name Host.
	TLSConfig *tls.Config
	// Username and Password, when set, authenticate with AUTH PLAIN, only
	// ever over TLS.
	Username string
	Password string
	// HeloName is the name sent in EHLO. Default: the host name.
	HeloName string
	// Timeout bounds connecting and each command. Default 30 seconds.
	Timeout time.Duration
}

func (r RelayConfig) withDefaults() (RelayConfig, error) {
	if r.TLS == "" {
		r.TLS = StartTLSRequired
	}
	switch r.TLS {
	case StartTLSRequired, StartTLSOpportunistic, ImplicitTLS, NoTLS:
	default:
		return r, fmt.Errorf("mail: relay TLS mode %q unknown; use starttls, opportunistic, implicit or none", r.TLS)
	}
	if r.Port == 0 {
		r.Port = 587
		if r.TLS == ImplicitTLS {
			r.Port = 465
		}
	}
	if r.Username != "" && r.TLS == NoTLS {
		return r, errors.New("mail: relay password would travel in clear; use TLS mode starttls or implicit with a username")
	}
	if r.HeloName == "" {
		r.HeloName, _ = os.Hostname()
		if r.HeloName == "" {
			r.HeloName = "localhost"
		}
	}
	if r.Timeout <= 0 {
		r.Timeout = 30 * time.Second
	}
	return r, nil
}

// permanentError is a refusal the relay will repeat on every attempt: a 5xx
// reply to MAIL, RCPT or DATA.
type permanentError struct{ err error }

// Error returns the relay's reply with its context.
func (e permanentError) Error() string { return e.err.Error() }

// Unwrap gives the underlying *textproto.Error.
func (e permanentError) Unwrap() error { return e.err }

// send delivers raw to the relay. Errors are transient (retry later)
// unless they are a permanentError.
func (r RelayConfig) send(ctx context.Context, from string, to []string, raw []byte) error {
	addr := net.JoinHostPort(r.Host, strconv.Itoa(r.Port))
	d := net.Dialer{Timeout: r.Timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connect to relay %s: %w", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	// One deadline, renewed before each step, bounds a silent relay.
	step := func() { conn.SetDeadline(time.Now().Add(r.Timeout)) }
	step()

	tlsConf := r.TLSConfig.Clone()
	if tlsConf == nil {
		tlsConf = &tls.Config{}
	}
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = r.Host
	}
	var c *smtp.Client
	if r.TLS == ImplicitTLS {
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("relay %s: TLS: %w", addr, err)
		}
		conn = tc
	}
	c, err = smtp.NewClient(conn, r.Host)
	if err != nil {
		return fmt.Errorf("relay %s: greeting: %w", addr, err)
	}
	defer c.Close()
	step()
	if err := c.Hello(r.HeloName); err != nil {
		return fmt.Errorf("relay %s: EHLO: %w", addr, err)
	}
	secure := r.TLS == ImplicitTLS
	if r.TLS == StartTLSRequired || r.TLS == StartTLSOpportunistic {
		if ok, _ := c.Extension("STARTTLS"); ok {
			step()
			if err := c.StartTLS(tlsConf); err != nil {
				return fmt.Errorf("relay %s: STARTTLS: %w", addr, err)
			}
			secure = true
		} else if r.TLS == StartTLSRequired {
			return fmt.Errorf("relay %s does not offer STARTTLS, which the configuration requires", addr)
		}
	}
	if r.Username != "" {
		if !secure {
			return fmt.Errorf("relay %s: not sending the password without TLS (the relay offers no STARTTLS)", addr)
		}
		step()
		if err := c.Auth(smtp.PlainAuth("", r.Username, r.Password, r.Host)); err != nil {
			// Even a 5xx here is the relay's configuration, not this
			// message's fault: retry, so mail flows once it is fixed.
			return fmt.Errorf("relay %s: AUTH: %w", addr, err)
		}
	}
	step()
	if err := c.Mail(from); err != nil {
		return classify(fmt.Errorf("relay %s: MAIL FROM:<%s>: %w", addr, from, err))
	}
	for _, rcpt := range to {
		step()
		if err := c.Rcpt(rcpt); err != nil {
			return classify(fmt.Errorf("relay %s: RCPT TO:<%s>: %w", addr, rcpt, err))
		}
	}
	step()
	w, err := c.Data()
	if err != nil {
		return classify(fmt.Errorf("relay %s: DATA: %w", addr, err))
	}
	// A large message gets time to travel: Timeout plus a second per
	// 64 KiB, so a 50 MB fax PDF may take some 13 minutes on a slow link.
	conn.SetDeadline(time.Now().Add(r.Timeout + time.Duration(len(raw)/(64<<10))*time.Second))
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("relay %s: DATA: %w", addr, err)
	}
	step()
	if err := w.Close(); err != nil {
		return classify(fmt.Errorf("relay %s: end of DATA: %w", addr, err))
	}
	step()
	c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}

// classify marks 5xx replies permanent.
func classify(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return permanentError{err}
	}
	return err
}
