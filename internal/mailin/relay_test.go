package mailin_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/faxhaven/faxhaven/internal/mailin"
)

// relay is an SMTP relay on loopback that refuses one address for good
// and records what it accepted.
type relay struct {
	mu  sync.Mutex
	got map[string]int // accepted copies per recipient
}

func (r *relay) NewSession(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }

type relaySession struct {
	r  *relay
	to []string
}

func (s *relaySession) Reset()                               { s.to = nil }
func (s *relaySession) Logout() error                        { return nil }
func (s *relaySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == "gone@example.com" {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.to = append(s.to, to)
	return nil
}
func (s *relaySession) Data(r io.Reader) error {
	io.Copy(io.Discard, r)
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	for _, a := range s.to {
		s.r.got[a]++
	}
	return nil
}

func (r *relay) copies(addr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[addr]
}

// TestRelayRefusalMarksRecipient runs a whole service with a relay that
// refuses one fax-to-email address: that address is marked failing with
// the relay's reply, the others get one copy each.
func TestRelayRefusalMarksRecipient(t *testing.T) {
	rl := &relay{got: map[string]int{}}
	srv := smtp.NewServer(rl)
	srv.Domain = "relay.test"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)

	r := startRig(t, 0, "--smtp-relay-host", "127.0.0.1", "--smtp-relay-port", port, "--smtp-relay-tls", "none")
	ctx := context.Background()
	for _, a := range []string{"gone@example.com", "office@example.com"} {
		if err := r.svc.Faxes.SetRecipient(ctx, r.account, r.number, a, "pdf"); err != nil {
			t.Fatal(err)
		}
	}
	raw := mailin.SignDKIM(t, mailin.Fixture(t, "plain.eml", r.to()), "example.org", mailin.TestKey)
	if err := r.send("alice@example.org", []string{r.to()}, raw); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	reason := ""
	for reason == "" && time.Now().Before(deadline) {
		list, err := r.svc.Faxes.Recipients(ctx, r.account)
		if err != nil {
			t.Fatal(err)
		}
		for _, rc := range list {
			if rc.Address == "gone@example.com" && !rc.FailingSince.IsZero() {
				reason = rc.Reason
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(reason, "550") {
		t.Fatalf("the refused address is not marked failing with the relay's reply (reason %q)", reason)
	}
	for rl.copies("office@example.com") == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := rl.copies("office@example.com"); n != 1 {
		t.Errorf("office@example.com got %d copies, want 1", n)
	}
	if n := rl.copies("gone@example.com"); n != 0 {
		t.Errorf("the refused address got %d copies", n)
	}
}
