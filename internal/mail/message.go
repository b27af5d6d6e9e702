// Package mail sends the service's outbound email: notifications of
// received faxes, delivery reports, account verification.
//
// A Message is built into RFC 5322/MIME bytes once, when it is queued, so
// every delivery attempt sends the same bytes with the same Message-ID.
// Outbox stores messages (sealed with the account's key when they belong
// to an account) and delivers them through a job, either to an SMTP relay
// or, with none configured, by keeping them in a local outbox that the
// admin portal shows.
package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is an email to build and send.
type Message struct {
	// From is the author, such as "Faxhaven <fax@example.org>". Its
	// address is also the envelope sender unless ReturnPath is set.
	From string
	// ReturnPath, when set, is the envelope sender: the address delivery
	// status notifications go to, such as the bounce address the inbound
	// SMTP server reads.
	ReturnPath string
	// To lists one or more recipients, each an address with or without a
	// display name.
	To []string
	// Subject may hold any Unicode text; it is encoded as RFC 2047 when
	// it is not plain ASCII.
	Subject string
	// Text is the plain-text body. It is always sent.
	Text string
	// HTML is an optional HTML alternative of Text.
	HTML string
	// Attachments are sent after the body.
	Attachments []Attachment
	// Headers are extra header fields, such as "Reply-To". They may not
	// replace the fields the builder writes itself.
	Headers map[string]string
	// Unsubscribe makes the message promotional mail with one-click
	// unsubscribe (RFC 8058, policy O3): an https URL that unsubscribes
	// the recipient when it receives a POST. The builder writes it as
	// List-Unsubscribe with List-Unsubscribe-Post, which DKIM signs.
	Unsubscribe string
	// UnsubscribeMailto is an optional address that unsubscribes whoever
	// writes to it, listed after the URL for readers without one-click.
	UnsubscribeMailto string
	// Personal marks mail a person wrote; all other mail is marked
	// "Auto-Submitted: auto-generated" (RFC 3834) so that auto-responders
	// leave it alone.
	Personal bool
}

// Attachment is a file sent with a message.
type Attachment struct {
	// Name is the file name shown to the recipient; any Unicode text.
	Name string
	// ContentType is the MIME type, such as "application/pdf". Default
	// "application/octet-stream".
	ContentType string
	// Data is the file's content.
	Data []byte
}

// reserved header fields are written by Build and may not be set through
// Message.Headers.
var reserved = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Subject": true, "Date": true,
	"Message-Id": true, "Mime-Version": true, "Content-Type": true,
	"Content-Transfer-Encoding": true, "Auto-Submitted": true,
	"List-Unsubscribe": true, "List-Unsubscribe-Post": true,
}

// Envelope returns the SMTP envelope: the sender's and the recipients'
// bare addresses.
func (m *Message) Envelope() (from string, to []string, err error) {
	f, err := netmail.ParseAddress(m.From)
	if err != nil {
		return "", nil, fmt.Errorf("mail: From %q: %w", m.From, err)
	}
	if m.ReturnPath != "" {
		if f, err = netmail.ParseAddress(m.ReturnPath); err != nil {
			return "", nil, fmt.Errorf("mail: ReturnPath %q: %w", m.ReturnPath, err)
		}
	}
	if len(m.To) == 0 {
		return "", nil, errors.New("mail: message has no recipient; set To")
	}
	for _, s := range m.To {
		a, err := netmail.ParseAddress(s)
		if err != nil {
			return "", nil, fmt.Errorf("mail: recipient %q: %w", s, err)
		}
		to = append(to, a.Address)
	}
	return f.Address, to, nil
}

// Build renders the message as RFC 5322 bytes with CRLF line endings,
// dated now. The Message-ID's domain is the sender's.
func (m *Message) Build(now time.Time) ([]byte, error) {
	from, err := netmail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("mail: From %q: %w", m.From, err)
	}
	if len(m.To) == 0 {
		return nil, errors.New("mail: message has no recipient; set To")
	}
	var to []string
	for _, s := range m.To {
		a, err := netmail.ParseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("mail: recipient %q: %w", s, err)
		}
		to = append(to, a.String())
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, errors.New("mail: subject contains a line break")
	}

	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(fold(name + ": " + value)) }
	header("From", from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", encodeText(m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", messageID(from.Address))
	header("MIME-Version", "1.0")
	if !m.Personal {
		header("Auto-Submitted", "auto-generated")
	}
	if m.Unsubscribe != "" || m.UnsubscribeMailto != "" {
		v, err := m.listUnsubscribe()
		if err != nil {
			return nil, err
		}
		header("List-Unsubscribe", v)
		if m.Unsubscribe != "" {
			header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
		}
	}
	names := make([]string, 0, len(m.Headers))
	for name := range m.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		canon := textproto.CanonicalMIMEHeaderKey(name)
		if reserved[canon] {
			return nil, fmt.Errorf("mail: header %s is written by the builder; set the Message field instead", name)
		}
		if !validFieldName(name) {
			return nil, fmt.Errorf("mail: header name %q is not valid", name)
		}
		v := m.Headers[name]
		if strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("mail: header %s contains a line break", name)
		}
		header(canon, encodeText(v))
	}

	if len(m.Attachments) == 0 {
		if err := m.writeBody(&b); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	header("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	// The body goes in a part of its own: its headers first, then its
	// content, which writeBody starts with the blank line.
	var body bytes.Buffer
	if err := m.writeBody(&body); err != nil {
		return nil, err
	}
	hdr, content, _ := bytes.Cut(body.Bytes(), []byte("\r\n\r\n"))
	part, err := mw.CreatePart(parseHeader(hdr))
	if err != nil {
		return nil, err
	}
	part.Write(content)
	for _, a := range m.Attachments {
		if err := writeAttachment(mw, a); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// listUnsubscribe checks the unsubscribe addresses and formats them as
// RFC 2369 wants: each in angle brackets, the one-click URL first.
func (m *Message) listUnsubscribe() (string, error) {
	if m.Unsubscribe == "" {
		return "", errors.New("mail: UnsubscribeMailto without Unsubscribe; one-click unsubscribe needs the https URL (RFC 8058)")
	}
	u, err := url.Parse(m.Unsubscribe)
	if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsAny(m.Unsubscribe, "<>, \r\n") {
		return "", fmt.Errorf("mail: unsubscribe URL %q: want an absolute https URL without spaces, commas or angle brackets", m.Unsubscribe)
	}
	v := "<" + m.Unsubscribe + ">"
	if m.UnsubscribeMailto != "" {
		a, err := netmail.ParseAddress(m.UnsubscribeMailto)
		if err != nil {
			return "", fmt.Errorf("mail: unsubscribe address %q: %w", m.UnsubscribeMailto, err)
		}
		v += ", <mailto:" + a.Address + "?subject=unsubscribe>"
	}
	return v, nil
}

// writeBody writes the Content-Type header(s), a blank line and the text
// (or text and HTML) body.
func (m *Message) writeBody(b *bytes.Buffer) error {
	if m.HTML == "" {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
		return writeQPTo(b, m.Text)
	}
	mw := multipart.NewWriter(b)
	b.WriteString("Content-Type: " + mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}) + "\r\n\r\n")
	for _, p := range []struct{ ct, s string }{{"text/plain; charset=utf-8", m.Text}, {"text/html; charset=utf-8", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.ct},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return err
		}
		if err := writeQPTo(w, p.s); err != nil {
			return err
		}
	}
	return mw.Close()
}

func writeQPTo(w interface{ Write([]byte) (int, error) }, s string) error {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	q := quotedprintable.NewWriter(w) // turns \n into CRLF
	if _, err := q.Write([]byte(s)); err != nil {
		return err
	}
	return q.Close()
}

func writeAttachment(mw *multipart.Writer, a Attachment) error {
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("mail: attachment %q: content type %q: %w", a.Name, ct, err)
	}
	if strings.ContainsAny(a.Name, "\r\n") {
		return fmt.Errorf("mail: attachment name %q contains a line break", a.Name)
	}
	name := fileName(a.Name)
	// Content-Type's name carries an RFC 2047 encoded-word for readers that
	// know only that; Content-Disposition's filename is RFC 2231 encoded by
	// FormatMediaType when it is not ASCII.
	params["name"] = encodeText(name)
	w, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {mime.FormatMediaType(mt, params)},
		"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": name})},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString(a.Data)
	for len(enc) > 76 {
		w.Write([]byte(enc[:76] + "\r\n"))
		enc = enc[76:]
	}
	_, err = w.Write([]byte(enc + "\r\n"))
	return err
}

// encodeText encodes header text as RFC 2047 encoded-words when it is not
// plain ASCII, or when it is ASCII that a reader would take for an
// encoded-word ("=?...?="), which must then be encoded to survive.
func encodeText(s string) string {
	if !strings.Contains(s, "=?") {
		return mime.QEncoding.Encode("utf-8", s)
	}
	// Base64 words of at most 45 bytes (60 encoded), split between runes.
	var words []string
	for len(s) > 0 {
		n := min(len(s), 45)
		for n < len(s) && n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// fileName makes an attachment name safe to offer as a file name: no path
// separators or control characters, never empty.
func fileName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' || r == 0x7f {
			return '_'
		}
		return r
	}, s)
	if strings.Trim(s, ". ") == "" {
		return "attachment"
	}
	return s
}

// parseHeader reads "Name: value" lines written by writeBody.
func parseHeader(b []byte) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	for _, line := range strings.Split(string(b), "\r\n") {
		if name, value, ok := strings.Cut(line, ": "); ok {
			h.Add(name, value)
		}
	}
	return h
}

// fold breaks a header line at spaces so lines stay within 78 characters
// where possible (RFC 5322 section 2.1.1), and ends it with CRLF.
func fold(line string) string {
	if len(line) <= 78 {
		return line + "\r\n"
	}
	var out strings.Builder
	cur := 0
	for i, word := range strings.Split(line, " ") {
		if i > 0 {
			if cur+1+len(word) > 78 {
				out.WriteString("\r\n")
				cur = 0
			}
			out.WriteByte(' ')
			cur++
		}
		out.WriteString(word)
		cur += len(word)
	}
	out.WriteString("\r\n")
	return out.String()
}

func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

func messageID(addr string) string {
	domain := "faxhaven.invalid"
	if _, d, ok := strings.Cut(addr, "@"); ok && d != "" {
		domain = d
	}
	var r [16]byte
	rand.Read(r[:])
	return "<" + hex.EncodeToString(r[:]) + "@" + domain + ">"
}
