package mailin

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseClients(t *testing.T) {
	type att struct{ name, ct string }
	tests := []struct {
		file    string
		from    string
		subject string
		text    string
		atts    []att
	}{
		{"gmail.eml", "alice@example.org", "Invoice 42", "Please find the invoice attached.",
			[]att{{"factuur-èé.png", "image/png"}}},
		// The inline logo the HTML shows is part of the body, not a page.
		{"outlook.eml", "bob@example.org", "Offerte für Q3", "Hierbij de offerte voor het derde kwartaal. Met vriendelijke grüßen, Bob",
			[]att{{"Offerte Übersicht.png", "image/png"}}},
		// Apple Mail marks attached files inline; they are faxed in order.
		{"applemail.eml", "carol@example.org", "Two pages", "First the map, then the letter.",
			[]att{{"map.png", "image/png"}, {"brief.txt", "text/plain"}}},
		{"plain.eml", "alice@example.org", "note only", "Dear reader, \nthis note becomes the cover page. Grüße", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m, err := Parse(fixture(t, tt.file, "31201234567@fax.example.net"))
			if err != nil {
				t.Fatal(err)
			}
			if m.From != tt.from || m.Subject != tt.subject || m.Text != tt.text {
				t.Errorf("got From %q Subject %q Text %q\nwant %q %q %q", m.From, m.Subject, m.Text, tt.from, tt.subject, tt.text)
			}
			if len(m.Attachments) != len(tt.atts) {
				t.Fatalf("got %d attachments, want %d", len(m.Attachments), len(tt.atts))
			}
			for i, a := range tt.atts {
				got := m.Attachments[i]
				if got.Name != a.name || got.ContentType != a.ct {
					t.Errorf("attachment %d: got %q %s, want %q %s", i, got.Name, got.ContentType, a.name, a.ct)
				}
				if a.ct == "image/png" && !bytes.Equal(got.Data, testPNG(t)) {
					t.Errorf("attachment %d: content differs from what was attached", i)
				}
			}
		})
	}
}

func TestParseTextOfAttachment(t *testing.T) {
	m, err := Parse(fixture(t, "applemail.eml", "1@x.org"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(m.Attachments[1].Data); !strings.Contains(got, "Café om 10 uur") {
		t.Errorf("quoted-printable attachment decoded to %q", got)
	}
}

func TestParseHTMLOnly(t *testing.T) {
	raw := "From: a@example.org\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		"<html><head><style>b{}</style></head><body><p>Line&nbsp;one</p><p>Line &amp; two<br>three</p></body></html>\r\n"
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Line one\nLine & two\nthree"; m.Text != want {
		t.Errorf("text %q, want %q", m.Text, want)
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"boundary missing", string(fixture(t, "malformed.eml", "1@x.org")), "closing boundary \"xyz\""},
		{"two From", "From: a@x.org, b@x.org\r\n\r\nhi\r\n", "exactly one address"},
		{"no From", "Subject: x\r\n\r\nhi\r\n", "exactly one address"},
		{"bad header", "From a@x.org\r\n\r\nhi\r\n", ""},
		{"multipart without boundary", "From: a@x.org\r\nContent-Type: multipart/mixed\r\n\r\nhi\r\n", "boundary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.raw))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestParseTooManyParts(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@x.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := 0; i < maxParts+5; i++ {
		b.WriteString("--b\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n")
	}
	b.WriteString("--b--\r\n")
	if _, err := Parse([]byte(b.String())); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "parts") {
		t.Fatalf("got %v, want a refusal of too many parts", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"gmail.eml", "outlook.eml", "applemail.eml", "plain.eml", "malformed.eml"} {
		f.Add(fixture(f, name, "31201234567@fax.example.net"))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if len(m.Attachments) > maxParts {
			t.Fatalf("%d attachments beyond the part limit", len(m.Attachments))
		}
		for _, a := range m.Attachments {
			if a.Name == "" || strings.ContainsAny(a.Name, `/\`) {
				t.Fatalf("attachment name %q is not a safe file name", a.Name)
			}
		}
	})
}
