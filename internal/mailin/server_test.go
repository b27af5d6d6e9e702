package mailin

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	netsmtp "net/smtp"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/faxhaven/faxhaven/internal/faxes"
)

// recordFaxes accepts every message and remembers the last.
type recordFaxes struct {
	got *faxes.EmailIn
	err error
}

func (r *recordFaxes) AcceptEmail(_ context.Context, in *faxes.EmailIn) error {
	r.got = in
	return r.err
}

type oneDomain struct{}

func (oneDomain) FaxDomain(_ context.Context, d string) (int64, bool, error) {
	return 1, d == "fax.example.net", nil
}

// FuzzDeliver feeds arbitrary messages through the DATA step: every one
// gets a clear SMTP reply, and only a readable one reaches the fax
// service.
func FuzzDeliver(f *testing.F) {
	for _, name := range []string{"gmail.eml", "outlook.eml", "applemail.eml", "plain.eml", "malformed.eml"} {
		f.Add(fixture(f, name, "31201234567@fax.example.net"))
	}
	dns := newDNS()
	dns.set("example.org", "v=spf1 ip4:192.0.2.1 -all")
	f.Fuzz(func(t *testing.T, raw []byte) {
		fx := &recordFaxes{}
		s := NewServer(Config{Resolver: dns}, oneDomain{}, fx, nil)
		err := s.Deliver(context.Background(), Envelope{IP: net.ParseIP("192.0.2.1"), Helo: "mx", MailFrom: "alice@example.org"}, 1, []string{"31201234567"}, raw)
		var se *smtp.SMTPError
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("%v is not an SMTP reply", err)
		}
		if se != nil && (se.Code < 400 || se.Code > 599 || se.Message == "") {
			t.Fatalf("reply %d %q", se.Code, se.Message)
		}
		if fx.got != nil {
			if _, perr := Parse(raw); perr != nil {
				t.Fatalf("an unreadable message reached the fax service: %v", perr)
			}
		}
	})
}

func TestDeliverReplies(t *testing.T) {
	dns := newDNS()
	dns.set("example.org", "v=spf1 ip4:192.0.2.1 -all")
	raw := fixture(t, "plain.eml", "31201234567@fax.example.net")
	env := Envelope{IP: net.ParseIP("192.0.2.1"), Helo: "mx", MailFrom: "alice@example.org"}
	tests := []struct {
		name string
		err  error
		code int
	}{
		{"accepted", nil, 250},
		{"refused sender", &faxes.Error{Code: "email.err.unknown_sender", Msg: "x"}, 550},
		{"rate limited", &faxes.Error{Code: "email.err.rate_limited", Msg: "x"}, 451},
		{"too large", &faxes.Error{Code: "fax.err.upload_too_large", Msg: "x"}, 552},
		{"database down", errors.New("connection refused"), 451},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := &recordFaxes{err: tt.err}
			err := NewServer(Config{Resolver: dns}, oneDomain{}, fx, nil).Deliver(context.Background(), env, 1, []string{"31201234567"}, raw)
			code := 250
			var se *smtp.SMTPError
			if errors.As(err, &se) {
				code = se.Code
			}
			if code != tt.code {
				t.Fatalf("reply %d (%v), want %d", code, err, tt.code)
			}
			if fx.got == nil || !fx.got.Authenticated || fx.got.Sender != "alice@example.org" || fx.got.Subject != "note only" {
				t.Fatalf("the fax service got %+v", fx.got)
			}
		})
	}
	// DNS trouble is a temporary failure, not a refusal.
	dns.fail = true
	err := NewServer(Config{Resolver: dns}, oneDomain{}, &recordFaxes{}, nil).Deliver(context.Background(), env, 1, []string{"31201234567"}, raw)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 451 {
		t.Fatalf("with DNS down: %v, want 451", err)
	}
}

// TestStartTLS runs the server with a certificate and sends a message
// over STARTTLS with Go's client, verifying the server's certificate.
func TestStartTLS(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.fax.example.net"},
		DNSNames: []string{"mx.fax.example.net"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)

	dns := newDNS()
	dns.set("example.org", "v=spf1 ip4:127.0.0.1 -all")
	fx := &recordFaxes{}
	s := NewServer(Config{Hostname: "mx.fax.example.net", Resolver: dns,
		TLS: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}}, oneDomain{}, fx, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Shutdown(context.Background()) })

	c, err := netsmtp.Dial(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS is not offered")
	}
	if err := c.StartTLS(&tls.Config{ServerName: "mx.fax.example.net", RootCAs: pool}); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("alice@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("+31201234567@fax.example.net"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(fixture(t, "gmail.eml", "+31201234567@fax.example.net"))
	if err := w.Close(); err != nil {
		t.Fatalf("message refused over TLS: %v", err)
	}
	c.Quit()
	if fx.got == nil || len(fx.got.Files) != 1 || fx.got.Numbers[0] != "+31201234567" || !fx.got.Authenticated {
		t.Fatalf("the fax service got %+v", fx.got)
	}
}
