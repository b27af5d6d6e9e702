package mail

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseDSN(t *testing.T) {
	raw, err := os.ReadFile("testdata/dsn-postfix.eml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDSN(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if d.ReportingMTA != "mx.example.com" || d.MessageID != "0123456789abcdef@fax.example.net" {
		t.Errorf("reporting MTA %q, message ID %q", d.ReportingMTA, d.MessageID)
	}
	want := []DSNRecipient{
		{Address: "gone@example.com", Action: "failed", Status: "5.1.1",
			Diagnostic: "550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown"},
		{Address: "later@example.com", Action: "delayed", Status: "4.4.1"},
	}
	if len(d.Recipients) != len(want) {
		t.Fatalf("got %d recipients, want %d: %+v", len(d.Recipients), len(want), d.Recipients)
	}
	for i, w := range want {
		if d.Recipients[i] != w {
			t.Errorf("recipient %d: got %+v, want %+v", i, d.Recipients[i], w)
		}
	}
	if !d.Recipients[0].Failed() || d.Recipients[1].Failed() {
		t.Error("a 5.x.x failure must count as failed and a delay must not")
	}
}

func TestParseDSNRefuses(t *testing.T) {
	tests := []struct{ name, raw string }{
		{"plain mail", "From: a@b.c\r\nSubject: hi\r\n\r\nhello\r\n"},
		{"other report", "From: a@b.c\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n"},
		{"no status part", "From: a@b.c\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n"},
		{"no recipient", "From: a@b.c\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; a\r\n--x--\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseDSN(strings.NewReader(tt.raw)); err == nil {
				t.Fatal("accepted as a delivery report")
			}
		})
	}
	if _, err := ParseDSN(strings.NewReader(tests[0].raw)); !errors.Is(err, ErrNotDSN) {
		t.Errorf("plain mail: %v, want ErrNotDSN", err)
	}
}

func FuzzParseDSN(f *testing.F) {
	raw, err := os.ReadFile("testdata/dsn-postfix.eml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte("Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\nA: b\r\n\r\nFinal-Recipient: x\r\nStatus:\r\n--x--\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDSN(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(d.Recipients) == 0 {
			t.Fatal("a report without recipients was accepted")
		}
		for _, r := range d.Recipients {
			if r.Address == "" {
				t.Fatal("a recipient without an address")
			}
		}
	})
}
