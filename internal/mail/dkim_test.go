package mail

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// publishedDNS answers TXT queries with the one record given.
func publishedDNS(name, value string) func(string) ([]string, error) {
	return func(q string) ([]string, error) {
		if strings.EqualFold(strings.TrimSuffix(q, "."), name) {
			return []string{value}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: q, IsNotFound: true}
	}
}

func TestDKIMSignedMailVerifiesAtTheRelay(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		r := startRelay(t, nil)
		keys := &DKIMKeys{}
		h := newHarness(t, db, Config{Relay: relayConfig(r), DKIM: keys.Key})
		msg := sample()
		msg.Unsubscribe = "https://faxhaven.example/unsubscribe?t=abc"
		// Reports go to the bounce address; the signature is the author's.
		msg.ReturnPath = "bounces@fax.faxhaven.example"
		h.enqueue(t, 42, msg)
		h.run(t)
		got := r.deliveries()
		if len(got) != 1 {
			t.Fatalf("relay received %d messages, want 1", len(got))
		}
		if got[0].From != "bounces@fax.faxhaven.example" {
			t.Errorf("envelope sender %q, want the return path", got[0].From)
		}
		k, err := keys.Key(context.Background(), db, "faxhaven.example")
		if err != nil {
			t.Fatal(err)
		}
		name, value, err := k.DNSRecord()
		if err != nil {
			t.Fatal(err)
		}
		if name != DKIMSelector+"._domainkey.faxhaven.example" || !strings.HasPrefix(value, "v=DKIM1; k=rsa; p=") {
			t.Fatalf("DNS record %s %q", name, value)
		}
		verify := func(raw []byte) error {
			vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: publishedDNS(name, value)})
			if err != nil {
				return err
			}
			if len(vs) != 1 {
				return errors.New("not exactly one signature")
			}
			if vs[0].Err == nil && vs[0].Domain != "faxhaven.example" {
				return errors.New("signed for " + vs[0].Domain)
			}
			return vs[0].Err
		}
		if err := verify(got[0].Data); err != nil {
			t.Fatalf("the relayed message does not verify: %v", err)
		}
		// RFC 8058: the unsubscribe fields are covered by the signature.
		hdr := string(got[0].Data[:bytes.Index(got[0].Data, []byte("\r\n\r\n"))])
		sig := hdr[strings.Index(hdr, "DKIM-Signature:"):]
		sig = sig[:strings.Index(sig, "\r\nFrom:")]
		for _, f := range []string{"list-unsubscribe", "list-unsubscribe-post", "from", "subject", "date", "message-id"} {
			if !strings.Contains(strings.ToLower(strings.ReplaceAll(sig, "\r\n ", "")), f) {
				t.Errorf("the signature does not cover %s: %s", f, sig)
			}
		}
		altered := bytes.Replace(got[0].Data, []byte("\r\nSubject:"), []byte("\r\nSubject: Re:"), 1)
		if bytes.Equal(altered, got[0].Data) {
			t.Fatal("the test did not alter the subject")
		}
		if verify(altered) == nil {
			t.Fatal("an altered message still verifies")
		}
		// One key per domain, the same on every node that shares the database.
		again, err := (&DKIMKeys{}).Key(context.Background(), db, "FaxHaven.example")
		if err != nil {
			t.Fatal(err)
		}
		_, value2, _ := again.DNSRecord()
		if value2 != value {
			t.Fatal("a second node made a different key for the same domain")
		}
	})
}

func TestDKIMKeyInsideTransaction(t *testing.T) {
	// The first message of a brand makes its key inside the caller's
	// transaction; on SQLite a write beside it would wait forever.
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, Config{DKIM: (&DKIMKeys{}).Key})
		err := db.Tx(context.Background(), func(tx *sql.Tx) error {
			_, err := h.out.EnqueueTx(context.Background(), tx, 0, sample())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestPolicy_O3_OneClickUnsubscribe(t *testing.T) {
	m := sample()
	m.Unsubscribe = "https://faxhaven.example/u/8f3a"
	m.UnsubscribeMailto = "unsubscribe@faxhaven.example"
	raw, err := m.Build(fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	hdr := string(raw[:bytes.Index(raw, []byte("\r\n\r\n"))])
	for _, want := range []string{
		"List-Unsubscribe: <https://faxhaven.example/u/8f3a>, <mailto:unsubscribe@faxhaven.example?subject=unsubscribe>\r\n",
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
	} {
		if !strings.Contains(strings.ReplaceAll(hdr, "\r\n ", " ")+"\r\n", want) {
			t.Errorf("header lacks %q:\n%s", want, hdr)
		}
	}
	bad := []struct{ name, url, mailto, want string }{
		{"plain http", "http://faxhaven.example/u/1", "", "https"},
		{"relative", "/u/1", "", "https"},
		{"mailto alone", "", "unsubscribe@faxhaven.example", "RFC 8058"},
		{"bracket", "https://faxhaven.example/u/1>, <https://evil.example", "", "angle"},
	}
	for _, tt := range bad {
		m := sample()
		m.Unsubscribe, m.UnsubscribeMailto = tt.url, tt.mailto
		if _, err := m.Build(fixedNow); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one saying %q", tt.name, err, tt.want)
		}
	}
	// The fields cannot be smuggled in through Headers either.
	m = sample()
	m.Headers = map[string]string{"List-Unsubscribe": "<https://evil.example>"}
	if _, err := m.Build(fixedNow); err == nil {
		t.Error("List-Unsubscribe set through Headers was accepted")
	}
}

var fixedNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
