package mailin_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/config"
	mailout "github.com/faxhaven/faxhaven/internal/mail"
	"github.com/faxhaven/faxhaven/internal/mailin"
	"github.com/faxhaven/faxhaven/internal/peer"
	"github.com/faxhaven/faxhaven/internal/service"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

const faxDomain = "fax.example.net"

// rig is a whole Faxhaven service with an email-to-fax server whose DNS
// the test controls, and one account that may send from
// alice@example.org.
type rig struct {
	t       testing.TB
	dir     string
	svc     *service.Service
	dns     *mailin.FakeDNS
	smtp    string // address of the SMTP server
	account int64
	number  string // the account's fax number
	stop    func()
	extra   []string // settings of every start
	noJobs  bool     // do not run the job queue: accepted mail stays as accepted
}

func startRig(t *testing.T, maxBytes int64, extra ...string) *rig {
	t.Helper()
	return startRigWith(t, &rig{extra: extra}, maxBytes)
}

func startRigWith(t testing.TB, r *rig, maxBytes int64) *rig {
	t.Helper()
	r.t, r.dir, r.dns = t, t.TempDir(), mailin.NewDNS()
	// Only signatures vouch for example.org: its SPF allows no one.
	r.dns.Set("s1._domainkey.example.org", mailin.DKIMRecord(t, mailin.TestKey))
	r.dns.Set("example.org", "v=spf1 -all")
	r.start(maxBytes)
	ctx := context.Background()
	b, err := r.svc.Brands.BySlug(ctx, brands.DefaultSlug)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := r.svc.Brands.CurrentPolicy(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	no := false
	a, err := r.svc.Accounts.Register(ctx, accounts.Registration{BrandID: b.ID, Name: "Alice", Email: "owner@example.com",
		Password: "a long enough passphrase 42", Marketing: &no, AcceptPolicy: true, PolicyVersion: pol.Version, Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	r.account = a.ID
	if err := r.svc.DB.Tx(ctx, func(tx *sql.Tx) error {
		n, err := r.svc.Numbers.AssignTx(ctx, tx, b.ID, a.ID)
		if n != nil {
			r.number = n.E164
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Faxes.AddSender(ctx, a.ID, "Alice@Example.org"); err != nil {
		t.Fatal(err)
	}
	return r
}

// start runs the service and the SMTP server on the rig's data.
func (r *rig) start(maxBytes int64) {
	t := r.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--data-dir", r.dir, "--listen", ln.Addr().String(), "--smtp-listen", "",
		"--fax-domain", faxDomain, "--send-retry-backoff", "100ms", "--max-upload-mb", "5"}, r.extra...)
	cfg, err := config.Load("serve", args, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(r.dir, "cache"), 0o700)
	os.Symlink(filepath.Join(os.TempDir(), "faxhaven-render-test-cache"), filepath.Join(r.dir, "cache", "pdfium"))
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := service.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	if r.noJobs {
		ln.Close()
		done <- nil
	} else {
		go func() { done <- svc.Run(ctx, ln) }()
	}
	srv := mailin.NewServer(mailin.Config{Resolver: r.dns, MaxMessageBytes: maxBytes},
		mailin.BrandDomains{Brands: svc.Brands}, svc.Faxes, mailin.FailingRecipients{Faxes: svc.Faxes})
	sl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(sl)
	r.svc, r.smtp = svc, sl.Addr().String()
	stopped := false
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		srv.Shutdown(context.Background())
		cancel()
		<-done
		svc.Close()
	}
	t.Cleanup(r.stop)
}

// send delivers raw over SMTP with Go's client and returns the server's
// final reply: nil for 250, else the *textproto.Error.
func (r *rig) send(from string, to []string, raw []byte) error {
	r.t.Helper()
	c, err := smtp.Dial(r.smtp)
	if err != nil {
		r.t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("mx.example.org"); err != nil {
		r.t.Fatal(err)
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, a := range to {
		if err := c.Rcpt(a); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	w.Write(raw)
	err = w.Close()
	c.Quit()
	return err
}

func code(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	if err == nil {
		return 250
	}
	return -1
}

// mails returns the outbox's messages to addr, newest first.
func (r *rig) mails(addr string) []*mailout.Stored {
	r.t.Helper()
	list, err := r.svc.Mail.Outbox.List(context.Background(), mailout.Filter{Limit: 200})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []*mailout.Stored
	for _, m := range list {
		if len(m.Recipients) == 1 && m.Recipients[0] == addr {
			st, err := r.svc.Mail.Outbox.Get(context.Background(), m.ID)
			if err != nil {
				r.t.Fatal(err)
			}
			out = append(out, st)
		}
	}
	return out
}

// waitMail waits for a message to addr whose subject contains subject.
func (r *rig) waitMail(addr, subject string) *mailout.Stored {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range r.mails(addr) {
			if strings.Contains(m.Subject, subject) {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("no mail to %s about %q", addr, subject)
	return nil
}

func (r *rig) count(q string, args ...any) int {
	r.t.Helper()
	var n int
	if err := r.svc.DB.QueryRow(q, args...).Scan(&n); err != nil {
		r.t.Fatal(err)
	}
	return n
}

func (r *rig) to() string { return r.number + "@" + faxDomain }

func TestEmailToFaxDeliveredAndConfirmed(t *testing.T) {
	storetest.Each(t, testDeliveredAndConfirmed)
}

func testDeliveredAndConfirmed(t *testing.T, dbURL string) {
	r := startRig(t, 0, "--database-url", dbURL)
	raw := mailin.SignDKIM(t, mailin.Fixture(t, "gmail.eml", r.to()), "example.org", mailin.TestKey)
	if err := r.send("alice@example.org", []string{r.to()}, raw); err != nil {
		t.Fatalf("message refused: %v", err)
	}
	// The confirmation goes to the sender, with the first page as sent.
	m := r.waitMail("alice@example.org", "was delivered")
	if !strings.Contains(m.Subject, r.number) {
		t.Errorf("confirmation subject %q does not name the number", m.Subject)
	}
	if !strings.Contains(string(m.Raw), "page-1.pdf") || !strings.Contains(string(m.Raw), "application/pdf") {
		t.Error("the confirmation lacks the first page")
	}
	var status, note string
	var pages int
	if err := r.svc.DB.QueryRow("SELECT status, pages, cover_note FROM faxes WHERE direction = 'out' AND account_id = $1", r.account).
		Scan(&status, &pages, &note); err != nil {
		t.Fatal(err)
	}
	// A cover page (the body is the note) and the attached drawing.
	if status != "delivered" || pages != 2 || note != "Please find the invoice attached." {
		t.Errorf("fax: status %s, %d pages, note %q", status, pages, note)
	}
	// The accepted message is not kept once it became faxes.
	if n := r.count("SELECT COUNT(*) FROM email_inbound WHERE status = 'done' AND length(payload) = 0"); n != 1 {
		t.Errorf("%d emptied inbound messages, want 1", n)
	}
}

func TestEmailToFaxClientsOverSwaks(t *testing.T) {
	swaks := peer.Command(t, "swaks", "swaks")
	r := startRig(t, 0)
	other := "+31970100999"
	for _, tc := range []struct {
		file  string
		rcpts []string
		faxes int
		pages int
	}{
		// Outlook: to the number and, in Cc, another: one fax each; the
		// inline logo is not faxed.
		{"outlook.eml", []string{r.to(), other + "@" + faxDomain}, 2, 2},
		// Apple Mail: a drawing and a text file after the cover note.
		{"applemail.eml", []string{r.to()}, 1, 3},
	} {
		t.Run(tc.file, func(t *testing.T) {
			before := r.count("SELECT COUNT(*) FROM faxes WHERE direction = 'out'")
			raw := mailin.SignDKIM(t, mailin.Fixture(t, tc.file, strings.Join(tc.rcpts, ", ")), "example.org", mailin.TestKey)
			// Every sender of these fixtures is a registered address.
			from := "carol@example.org"
			if tc.file == "outlook.eml" {
				from = "bob@example.org"
			}
			if err := r.svc.Faxes.AddSender(context.Background(), r.account, from); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "msg.eml")
			os.WriteFile(file, raw, 0o600)
			host, port, _ := net.SplitHostPort(r.smtp)
			args := []string{"--server", host, "--port", port, "--from", from, "--helo", "mx.example.org", "--data", "@" + file, "--suppress-data"}
			// swaks takes one --to with a comma-separated list, and reads a
			// leading + as an option: the numbers go without it.
			var to []string
			for _, a := range tc.rcpts {
				to = append(to, strings.TrimPrefix(a, "+"))
			}
			args = append(args, "--to", strings.Join(to, ","))
			out, err := exec.Command(swaks, args...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "<~  250") && !strings.Contains(string(out), "<-  250 2.0.0") {
				t.Fatalf("swaks: %v\n%s", err, out)
			}
			deadline := time.Now().Add(30 * time.Second)
			for r.count("SELECT COUNT(*) FROM faxes WHERE direction = 'out'") < before+tc.faxes && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			rows, err := r.svc.DB.Query("SELECT pages FROM faxes WHERE direction = 'out' ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			var pages []int
			for rows.Next() {
				var p int
				rows.Scan(&p)
				pages = append(pages, p)
			}
			rows.Close()
			if len(pages) != before+tc.faxes {
				var status, msg string
				r.svc.DB.QueryRow("SELECT status, error FROM email_inbound ORDER BY id DESC LIMIT 1").Scan(&status, &msg)
				t.Fatalf("%d faxes, want %d; the message is %s: %s", len(pages), before+tc.faxes, status, msg)
			}
			for _, p := range pages[before:] {
				if p != tc.pages {
					t.Errorf("a fax of %d pages, want %d", p, tc.pages)
				}
			}
		})
	}
}

func TestEmailToFaxFailureConfirmed(t *testing.T) {
	r := startRig(t, 0)
	// A demo number nobody holds: the loopback carrier finds no one there.
	to := "+31970100999@" + faxDomain
	raw := mailin.SignDKIM(t, mailin.Fixture(t, "plain.eml", to), "example.org", mailin.TestKey)
	if err := r.send("alice@example.org", []string{to}, raw); err != nil {
		t.Fatalf("message refused: %v", err)
	}
	m := r.waitMail("alice@example.org", "could not be delivered")
	text := strings.ReplaceAll(string(m.Raw), "=\r\n", "") // undo quoted-printable's soft breaks
	if !strings.Contains(m.Subject, "+31970100999") {
		t.Errorf("subject %q does not name the number", m.Subject)
	}
	var code string
	var attempts int
	r.svc.DB.QueryRow("SELECT reason_code, attempts FROM faxes WHERE direction = 'out'").Scan(&code, &attempts)
	if code == "" || !strings.Contains(text, fmt.Sprintf("Attempts: %d.", attempts)) || !strings.Contains(text, "page-1.pdf") {
		t.Errorf("reason %q; the confirmation does not explain the failure or lacks the first page:\n%s", code, text[:min(len(text), 2000)])
	}
	// Told once, however often the final state is reached.
	time.Sleep(300 * time.Millisecond)
	n := 0
	for _, m := range r.mails("alice@example.org") {
		if strings.Contains(m.Subject, "could not be delivered") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d failure confirmations, want 1", n)
	}
}

// TestBodyNoteSetting checks the account's choice of what the message
// text becomes: with "never" it is not faxed.
func TestBodyNoteSetting(t *testing.T) {
	r := startRig(t, 0)
	if _, err := r.svc.Faxes.SetEmailSettings(context.Background(), r.account, "never", false, false); err != nil {
		t.Fatal(err)
	}
	raw := mailin.SignDKIM(t, mailin.Fixture(t, "gmail.eml", r.to()), "example.org", mailin.TestKey)
	if err := r.send("alice@example.org", []string{r.to()}, raw); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for r.count("SELECT COUNT(*) FROM faxes WHERE direction = 'out'") == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	var note string
	var pages int
	if err := r.svc.DB.QueryRow("SELECT cover_note, pages FROM faxes WHERE direction = 'out'").Scan(&note, &pages); err != nil {
		t.Fatal(err)
	}
	// The subject still makes a cover page; the text is not on it.
	if note != "" || pages != 2 {
		t.Errorf("cover note %q, %d pages; want no note, a cover with the subject and the page", note, pages)
	}
	// A message with nothing but text has nothing to fax then.
	plain := mailin.SignDKIM(t, mailin.Fixture(t, "plain.eml", r.to()), "example.org", mailin.TestKey)
	if err := r.send("alice@example.org", []string{r.to()}, plain); code(err) != 554 {
		t.Errorf("text only with notes off: %v, want 554", err)
	}
}

// TestNationalNumber checks that a number in the national format is read
// by the account's country: a Dutch account's 020 number is Amsterdam's.
func TestNationalNumber(t *testing.T) {
	r := startRig(t, 0)
	if err := r.svc.Accounts.SetLanguage(context.Background(), r.account, "nl"); err != nil {
		t.Fatal(err)
	}
	to := "020-123 4567@" + faxDomain
	raw := mailin.SignDKIM(t, mailin.Fixture(t, "plain.eml", to), "example.org", mailin.TestKey)
	if err := r.send("alice@example.org", []string{"0201234567@" + faxDomain}, raw); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for r.count("SELECT COUNT(*) FROM faxes WHERE direction = 'out'") == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	var remote string
	r.svc.DB.QueryRow("SELECT remote_number FROM faxes WHERE direction = 'out'").Scan(&remote)
	if remote != "+31201234567" {
		t.Errorf("fax to %q, want +31201234567", remote)
	}
}
