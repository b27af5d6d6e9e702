package mailin_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/mailin"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// TestForgedSenderGetsNoFax checks that mail in the name of a registered
// address that does not pass DMARC makes no fax, sends nothing to the
// (perhaps forged) sender, and tells the account owner.
func TestForgedSenderGetsNoFax(t *testing.T) {
	r := startRig(t, 0)
	plain := mailin.Fixture(t, "gmail.eml", r.to())
	signed := mailin.SignDKIM(t, plain, "example.org", mailin.TestKey)
	altered := bytes.Replace(signed, []byte("Invoice 42"), []byte("Invoice 43"), 1)
	other := mailin.SignDKIM(t, plain, "attacker.example", mailin.TestKey)
	r.dns.Set("s1._domainkey.attacker.example", mailin.DKIMRecord(t, mailin.TestKey))
	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{"unsigned, SPF fails", plain},
		{"signature broken by a change", altered},
		{"signed by a domain that does not align", other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(r.mails("owner@example.com"))
			err := r.send("alice@example.org", []string{r.to()}, tc.raw)
			if code(err) != 550 || !strings.Contains(err.Error(), "5.7.1") {
				t.Fatalf("reply %v, want 550 5.7.1", err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for len(r.mails("owner@example.com")) == before && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			got := r.mails("owner@example.com")
			if len(got) != before+1 || !strings.Contains(got[0].Subject, "was not faxed") {
				t.Fatalf("the owner was not told (%d messages)", len(got)-before)
			}
		})
	}
	if n := len(r.mails("alice@example.org")); n != 0 {
		t.Errorf("%d messages went to the forged sender", n)
	}
	if n := r.count("SELECT COUNT(*) FROM faxes"); n != 0 {
		t.Errorf("%d faxes made from forged mail", n)
	}
	if n := r.count("SELECT COUNT(*) FROM email_inbound WHERE status <> 'refused' OR length(payload) > 0"); n != 0 {
		t.Errorf("%d forged messages stored", n)
	}
}

func TestRefusals(t *testing.T) {
	storetest.Each(t, testRefusals)
}

func testRefusals(t *testing.T, dbURL string) {
	r := startRig(t, 64<<10, "--database-url", dbURL)
	ok := func(raw []byte) []byte { return mailin.SignDKIM(t, raw, "example.org", mailin.TestKey) }
	big := ok(append(mailin.Fixture(t, "plain.eml", r.to()), bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789\r\n"), 2000)...))
	unknown := bytes.Replace(mailin.Fixture(t, "plain.eml", r.to()), []byte("From: alice@example.org"), []byte("From: mallory@example.org"), 1)
	empty := ok([]byte("From: alice@example.org\r\nTo: " + r.to() + "\r\nSubject: nothing\r\n\r\n\r\n"))
	tests := []struct {
		name  string
		to    []string
		raw   []byte
		code  int
		words string
	}{
		{"oversized", []string{r.to()}, big, 552, "larger than"},
		{"malformed MIME", []string{r.to()}, ok(mailin.Fixture(t, "malformed.eml", r.to())), 554, "closing boundary"},
		{"unregistered sender", []string{r.to()}, ok(unknown), 550, "not registered"},
		{"nothing to fax", []string{r.to()}, empty, 554, "no attachment and no text"},
		{"not a number", []string{"alice@" + faxDomain}, nil, 550, "not a fax address"},
		{"not our domain", []string{r.number + "@example.com"}, nil, 550, "no relaying"},
		{"invalid number", []string{"+999123@" + faxDomain}, ok(mailin.Fixture(t, "plain.eml", "+999123@"+faxDomain)), 550, "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.send("alice@example.org", tt.to, tt.raw)
			if code(err) != tt.code || !strings.Contains(err.Error(), tt.words) {
				t.Fatalf("reply %v, want %d saying %q", err, tt.code, tt.words)
			}
		})
	}
	// Nothing is half-queued.
	if n := r.count("SELECT COUNT(*) FROM email_inbound WHERE status <> 'refused'"); n != 0 {
		t.Errorf("%d refused messages stored", n)
	}
	if n := len(r.mails("alice@example.org")) + len(r.mails("mallory@example.org")); n != 0 {
		t.Errorf("%d replies mailed for refused messages", n)
	}
}

func TestPolicy_J1_EmailToFaxRateLimit(t *testing.T) {
	r := startRig(t, 0, "--email-fax-per-hour", "2")
	raw := mailin.SignDKIM(t, mailin.Fixture(t, "plain.eml", r.to()), "example.org", mailin.TestKey)
	for i := 0; i < 2; i++ {
		if err := r.send("alice@example.org", []string{r.to()}, raw); err != nil {
			t.Fatalf("message %d refused: %v", i+1, err)
		}
	}
	err := r.send("alice@example.org", []string{r.to()}, raw)
	if code(err) != 451 || !strings.Contains(err.Error(), "4.7.1") {
		t.Fatalf("third message in an hour: %v, want 451 4.7.1 (try later)", err)
	}
	if n := r.count("SELECT COUNT(*) FROM email_inbound"); n != 2 {
		t.Errorf("%d messages stored, want 2", n)
	}
}

func TestSubjectSecret(t *testing.T) {
	r := startRig(t, 0)
	token, err := r.svc.Faxes.SetEmailSettings(context.Background(), r.account, "auto", true, false)
	if err != nil || token == "" {
		t.Fatalf("token %q, %v", token, err)
	}
	without := mailin.SignDKIM(t, mailin.Fixture(t, "plain.eml", r.to()), "example.org", mailin.TestKey)
	if err := r.send("alice@example.org", []string{r.to()}, without); code(err) != 550 {
		t.Fatalf("without the secret: %v, want 550", err)
	}
	r.waitMail("owner@example.com", "was not faxed")
	with := bytes.Replace(mailin.Fixture(t, "plain.eml", r.to()), []byte("Subject: note only"), []byte("Subject: note "+token+" only"), 1)
	if err := r.send("alice@example.org", []string{r.to()}, mailin.SignDKIM(t, with, "example.org", mailin.TestKey)); err != nil {
		t.Fatalf("with the secret: %v", err)
	}
	if n := r.count("SELECT COUNT(*) FROM email_inbound WHERE status <> 'refused'"); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
}

// TestAcceptedSurvivesRestart accepts a message on a service whose job
// queue does not run, stops it, and checks that a new service on the same
// data makes the fax, once.
func TestAcceptedSurvivesRestart(t *testing.T) {
	r := startRigWith(t, &rig{noJobs: true}, 0)
	raw := mailin.SignDKIM(t, mailin.Fixture(t, "plain.eml", r.to()), "example.org", mailin.TestKey)
	if err := r.send("alice@example.org", []string{r.to()}, raw); err != nil {
		t.Fatal(err)
	}
	r.stop()
	r.noJobs = false
	r.start(0)
	deadline := time.Now().Add(30 * time.Second)
	for r.count("SELECT COUNT(*) FROM email_inbound WHERE status = 'done'") == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if n := r.count("SELECT COUNT(*) FROM faxes WHERE direction = 'out'"); n != 1 {
		t.Fatalf("%d faxes after the restart, want 1", n)
	}
}

// TestBounceMarksRecipientFailing sends delivery reports to the bounce
// address: a report to the tagged return path of mail the service sent
// marks the recipient failing, so it is no longer mailed; forged reports
// without the right tag change nothing.
func TestBounceMarksRecipientFailing(t *testing.T) {
	r := startRig(t, 0)
	ctx := context.Background()
	if err := r.svc.Faxes.SetRecipient(ctx, r.account, r.number, "gone@example.com", "pdf"); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Faxes.SetRecipient(ctx, r.account, r.number, "office@example.com", "notice"); err != nil {
		t.Fatal(err)
	}
	raw := mailin.SignDKIM(t, mailin.Fixture(t, "plain.eml", r.to()), "example.org", mailin.TestKey)
	if err := r.send("alice@example.org", []string{r.to()}, raw); err != nil {
		t.Fatal(err)
	}
	// The fax comes back in on the number and is mailed to both.
	first := r.waitMail("gone@example.com", "Fax from")
	returnPath := first.From
	if !strings.HasPrefix(returnPath, "bounces+") || !strings.HasSuffix(returnPath, "@"+faxDomain) {
		t.Fatalf("envelope sender %q: delivery reports would not come back tagged to the bounce address", returnPath)
	}
	m := r.waitMail("office@example.com", "Fax from")
	if strings.Contains(string(m.Raw), "application/pdf") {
		t.Error("a notice-only recipient got the fax's content")
	}

	dsn, err := os.ReadFile("../mail/testdata/dsn-postfix.eml")
	if err != nil {
		t.Fatal(err)
	}
	failing := func() map[string]string {
		list, err := r.svc.Faxes.Recipients(ctx, r.account)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, rc := range list {
			if !rc.FailingSince.IsZero() {
				out[rc.Address] = rc.Reason
			}
		}
		return out
	}
	for _, forged := range []string{"bounces@" + faxDomain, "bounces+aaaaaaaaaaaaaaaa@" + faxDomain} {
		if err := r.send("", []string{forged}, dsn); err != nil {
			t.Fatalf("report to %s refused: %v", forged, err)
		}
		if f := failing(); len(f) != 0 {
			t.Fatalf("a report to %s marked %v", forged, f)
		}
	}
	if err := r.send("", []string{returnPath}, dsn); err != nil {
		t.Fatalf("delivery report refused: %v", err)
	}
	f := failing()
	if len(f) != 1 || !strings.Contains(f["gone@example.com"], "5.1.1") {
		t.Fatalf("failing after the report: %v; want gone@example.com with the report's status", f)
	}

	// The next fax goes to the working address only.
	if err := r.send("alice@example.org", []string{r.to()}, raw); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(r.mails("office@example.com")) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(r.mails("gone@example.com")); n != 1 {
		t.Errorf("%d messages to the failing address, want only the first", n)
	}
	// Saving the address again clears the mark, and the next fax reaches
	// it, now as TIFF.
	if err := r.svc.Faxes.SetRecipient(ctx, r.account, r.number, "gone@example.com", "tiff"); err != nil {
		t.Fatal(err)
	}
	if f := failing(); len(f) != 0 {
		t.Errorf("still failing after it was saved again: %v", f)
	}
	if err := r.send("alice@example.org", []string{r.to()}, raw); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(30 * time.Second)
	for len(r.mails("gone@example.com")) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := r.mails("gone@example.com"); len(got) != 2 || !strings.Contains(string(got[0].Raw), "image/tiff") {
		t.Error("a TIFF recipient did not get the next fax as TIFF")
	}
}

// TestPolicy_U2_EmailContentSealed checks that an accepted message is
// kept only sealed with the account's key: nothing of its content is
// readable in the database, while the account's key opens it.
func TestPolicy_U2_EmailContentSealed(t *testing.T) {
	r := startRigWith(t, &rig{noJobs: true}, 0)
	secret := "Kwartaalcijfers-7731"
	raw := bytes.Replace(mailin.Fixture(t, "applemail.eml", r.to()), []byte("First the map"), []byte(secret+" first the map"), 1)
	raw = bytes.Replace(raw, []byte("Subject: Two pages"), []byte("Subject: "+secret), 1)
	if err := r.svc.Faxes.AddSender(context.Background(), r.account, "carol@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := r.send("carol@example.org", []string{r.to()}, mailin.SignDKIM(t, raw, "example.org", mailin.TestKey)); err != nil {
		t.Fatal(err)
	}
	var id int64
	var payload []byte
	if err := r.svc.DB.QueryRow("SELECT id, payload FROM email_inbound").Scan(&id, &payload); err != nil {
		t.Fatal(err)
	}
	for _, clear := range []string{secret, "brief.txt", "map.png", "Café"} {
		if bytes.Contains(payload, []byte(clear)) {
			t.Errorf("%q is stored in clear", clear)
		}
	}
	pt, err := r.svc.Keys.Open(context.Background(), r.account, payload, []byte(fmt.Sprintf("faxhaven email_inbound.payload\x00%d", id)))
	if err != nil || !bytes.Contains(pt, []byte(secret)) {
		t.Fatalf("the account's key does not open the stored message: %v", err)
	}
}

// TestPolicy_J1_ForgeryFloodIsNotRelayed sends many forged messages: each
// is refused, and the owner hears of the first few only.
func TestPolicy_J1_ForgeryFloodIsNotRelayed(t *testing.T) {
	r := startRig(t, 0)
	plain := mailin.Fixture(t, "plain.eml", r.to())
	for i := 0; i < 12; i++ {
		if err := r.send("alice@example.org", []string{r.to()}, plain); code(err) != 550 {
			t.Fatalf("forged message %d: %v, want 550", i+1, err)
		}
	}
	n := 0
	for _, m := range r.mails("owner@example.com") {
		if strings.Contains(m.Subject, "was not faxed") {
			n++
		}
	}
	if n != 5 {
		t.Errorf("the owner got %d notices for 12 forged messages, want 5", n)
	}
}
