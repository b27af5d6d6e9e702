package mail

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func decodeBase64(b []byte) ([]byte, error) {
	s := strings.NewReplacer("\r", "", "\n", "").Replace(string(b))
	return base64.StdEncoding.DecodeString(s)
}

var when = time.Date(2026, 11, 26, 21, 0, 0, 0, time.UTC)

func TestBuildRejects(t *testing.T) {
	base := func() *Message {
		return &Message{From: "a@example.org", To: []string{"b@example.org"}, Subject: "s", Text: "t"}
	}
	tests := []struct {
		name string
		edit func(*Message)
		want string
	}{
		{"no recipient", func(m *Message) { m.To = nil }, "no recipient"},
		{"bad from", func(m *Message) { m.From = "not an address" }, "From"},
		{"bad to", func(m *Message) { m.To = []string{"b@example.org", "x"} }, `recipient "x"`},
		{"injected subject", func(m *Message) { m.Subject = "hi\r\nBcc: victim@example.org" }, "line break"},
		{"injected header value", func(m *Message) { m.Headers = map[string]string{"Reply-To": "a\nBcc: x"} }, "line break"},
		{"reserved header", func(m *Message) { m.Headers = map[string]string{"subject": "again"} }, "written by the builder"},
		{"bad header name", func(m *Message) { m.Headers = map[string]string{"X Bad": "v"} }, "not valid"},
		{"bad attachment type", func(m *Message) { m.Attachments = []Attachment{{Name: "a", ContentType: "???"}} }, "content type"},
		{"attachment name with newline", func(m *Message) { m.Attachments = []Attachment{{Name: "a\nb"}} }, "line break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			tt.edit(m)
			_, err := m.Build(when)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build: err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestBuildPlainText(t *testing.T) {
	m := &Message{
		From:     "Faxhaven <fax@faxhaven.example>",
		To:       []string{"b@example.org"},
		Subject:  "Plain subject",
		Text:     "line one\nline two with = sign and a very long line " + strings.Repeat("x", 100),
		Personal: true,
	}
	raw, err := m.Build(when)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line %d is %d characters long", i, len(line))
		}
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("bare LF in the built message")
	}
	pm, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if pm.Header.Get("Auto-Submitted") != "" {
		t.Error("personal mail marked Auto-Submitted")
	}
	if d, err := pm.Header.Date(); err != nil || !d.Equal(when) {
		t.Errorf("Date %v (%v), want %v", d, err, when)
	}
	if id := pm.Header.Get("Message-Id"); !strings.HasSuffix(id, "@faxhaven.example>") {
		t.Errorf("Message-ID %q, want one in the sender's domain", id)
	}
	if ct := pm.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	mr := multipart.NewReader(strings.NewReader("--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"+mustRead(t, pm.Body)+"\r\n--b--\r\n"), "b")
	p, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	body := strings.ReplaceAll(mustRead(t, p), "\r\n", "\n")
	if body != m.Text {
		t.Errorf("body decodes to %q, want %q", body, m.Text)
	}
}

func mustRead(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuildLongUnicodeSubjectFolds(t *testing.T) {
	subj := strings.Repeat("Faxbericht ontvangen — één pagina ", 6)
	m := &Message{From: "a@example.org", To: []string{"b@example.org"}, Subject: subj, Text: "t"}
	raw, err := m.Build(when)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line %d is %d characters long: %q", i, len(line), line)
		}
	}
	pm, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, err := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
	if err != nil || got != subj {
		t.Fatalf("folded subject decodes to %q (%v), want %q", got, err, subj)
	}
}

func TestFileName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"fax.pdf", "fax.pdf"},
		{"één fax.pdf", "één fax.pdf"},
		{"../../etc/passwd", ".._.._etc_passwd"},
		{`C:\Users\fax.pdf`, "C:_Users_fax.pdf"},
		{"a\tb\x00", "a_b_"},
		{"", "attachment"},
		{"..", "attachment"},
		{" . ", "attachment"},
	}
	for _, tt := range tests {
		if got := fileName(tt.in); got != tt.want {
			t.Errorf("fileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzBuild builds messages from arbitrary subjects, bodies and file names:
// Build must either refuse or produce a message that parses back to the
// same subject and attachment.
func FuzzBuild(f *testing.F) {
	f.Add("Fax ontvangen", "body", "fax.pdf", []byte("%PDF-1.4"))
	f.Add("=?utf-8?q?x?=", "=3D", "a\"b.pdf", []byte{})
	f.Add(strings.Repeat("é", 80), "\r\n.\r\n", "naïve résumé.pdf", []byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, subject, text, name string, data []byte) {
		if !utf8.ValidString(subject) || !utf8.ValidString(name) {
			return
		}
		m := &Message{From: "a@example.org", To: []string{"b@example.org"}, Subject: subject, Text: text,
			Attachments: []Attachment{{Name: name, ContentType: "application/pdf", Data: data}}}
		raw, err := m.Build(when)
		if err != nil {
			return
		}
		pm, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("built message does not parse: %v", err)
		}
		got, err := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
		// Runs of white space in an unstructured field are not kept by
		// readers (folding, trimming), so compare words.
		if err != nil || strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(subject), " ") {
			t.Fatalf("subject %q came back as %q (%v)", subject, got, err)
		}
		_, params, err := mime.ParseMediaType(pm.Header.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		mr := multipart.NewReader(pm.Body, params["boundary"])
		if _, err := mr.NextPart(); err != nil {
			t.Fatal(err)
		}
		att, err := mr.NextPart()
		if err != nil {
			t.Fatal(err)
		}
		_, disp, err := mime.ParseMediaType(att.Header.Get("Content-Disposition"))
		if err != nil || disp["filename"] != fileName(name) {
			t.Fatalf("file name %q came back as %q (%v)", fileName(name), disp["filename"], err)
		}
		b, err := decodeBase64([]byte(mustRead(t, att)))
		if err != nil || !bytes.Equal(b, data) {
			t.Fatalf("attachment bytes differ (%v)", err)
		}
	})
}
