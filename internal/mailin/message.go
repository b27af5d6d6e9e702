package mailin

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"regexp"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode the charsets mail clients use
	gomail "github.com/emersion/go-message/mail"
)

// Message is an inbound email read for faxing.
type Message struct {
	// From is the bare address of the From field, lower-cased domain.
	From string
	// Subject is the decoded subject.
	Subject string
	// Text is the plain-text body; when the message has only HTML, the
	// HTML's text. "" when there is none.
	Text string
	// Attachments are the message's files in order. Images a HTML body
	// shows inline (multipart/related parts it refers to by Content-ID)
	// belong to the body and are not among them.
	Attachments []Attachment
}

// Attachment is a file of an inbound email.
type Attachment struct {
	Name        string // decoded file name; made up when the part has none
	ContentType string
	Data        []byte
}

// ErrMalformed reports a message whose structure cannot be read.
var ErrMalformed = errors.New("mailin: malformed message")

// Limits of a parsed message, beyond the size the server accepts.
const (
	maxParts = 100 // MIME parts in one message
	maxDepth = 8   // nesting of multiparts
)

// Parse reads a message as mail clients write them: multipart/mixed,
// multipart/alternative, multipart/related with inline images, single
// parts; quoted-printable or base64; file names in RFC 2047 or RFC 2231.
// Errors wrap ErrMalformed and name the problem.
func Parse(raw []byte) (*Message, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	h := gomail.Header{Header: e.Header}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 {
		return nil, fmt.Errorf("%w: the From field must hold exactly one address", ErrMalformed)
	}
	m := &Message{From: normalizeAddress(from[0].Address)}
	if m.Subject, err = h.Subject(); err != nil && !message.IsUnknownCharset(err) {
		return nil, fmt.Errorf("%w: subject: %v", ErrMalformed, err)
	}
	p := &parser{m: m}
	if err := p.walk(e, 0, false); err != nil {
		return nil, err
	}
	switch {
	case p.text != "":
		m.Text = p.text
	case p.html != "":
		m.Text = htmlText(p.html)
	}
	m.Text = strings.TrimSpace(strings.ReplaceAll(m.Text, "\r\n", "\n"))
	return m, nil
}

type parser struct {
	m          *Message
	parts      int
	text, html string
}

func (p *parser) walk(e *message.Entity, depth int, inRelated bool) error {
	p.parts++
	if p.parts > maxParts {
		return fmt.Errorf("%w: more than %d parts", ErrMalformed, maxParts)
	}
	if depth > maxDepth {
		return fmt.Errorf("%w: parts nested deeper than %d", ErrMalformed, maxDepth)
	}
	mt, params, err := e.Header.ContentType()
	if err != nil {
		if e.Header.Get("Content-Type") != "" {
			return fmt.Errorf("%w: Content-Type %q: %v", ErrMalformed, e.Header.Get("Content-Type"), err)
		}
		mt = "text/plain"
	}
	if mr := e.MultipartReader(); mr != nil {
		if params["boundary"] == "" {
			return fmt.Errorf("%w: a %s part without a boundary", ErrMalformed, mt)
		}
		related := mt == "multipart/related"
		n := 0
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
				if errors.Is(err, io.ErrUnexpectedEOF) || strings.HasSuffix(err.Error(), "EOF") {
					return fmt.Errorf("%w: the %s part ends before its closing boundary %q", ErrMalformed, mt, params["boundary"])
				}
				return fmt.Errorf("%w: %s part %d: %v", ErrMalformed, mt, n+1, err)
			}
			n++
			// In multipart/related the first part is the body; the rest
			// are what it shows.
			if err := p.walk(part, depth+1, related && n > 1 || inRelated); err != nil {
				return err
			}
		}
		if n == 0 {
			return fmt.Errorf("%w: a %s part with no parts (is the boundary right?)", ErrMalformed, mt)
		}
		return nil
	}
	if mt == "message/rfc822" {
		// A forwarded message is faxed as the file it is.
		return p.attach(e, mt, "message.eml")
	}
	disp, dparams, _ := e.Header.ContentDisposition()
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	name = decodeName(name)
	isText := mt == "text/plain" || mt == "text/html"
	if disp != "attachment" && isText && name == "" {
		b, err := readAll(e.Body)
		if err != nil {
			return err
		}
		if mt == "text/plain" && p.text == "" {
			p.text = string(b)
		} else if mt == "text/html" && p.html == "" {
			p.html = string(b)
		}
		return nil
	}
	if inRelated && disp != "attachment" && e.Header.Get("Content-Id") != "" {
		return drain(e.Body) // an image the HTML body shows
	}
	return p.attach(e, mt, name)
}

func (p *parser) attach(e *message.Entity, mt, name string) error {
	b, err := readAll(e.Body)
	if err != nil {
		return err
	}
	if name == "" {
		name = fmt.Sprintf("attachment-%d%s", len(p.m.Attachments)+1, extension(mt))
	}
	p.m.Attachments = append(p.m.Attachments, Attachment{Name: name, ContentType: mt, Data: b})
	return nil
}

func readAll(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return b, nil
}

func drain(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// decodeName decodes an RFC 2047 file name (RFC 2231 names are decoded by
// the media type parser already) and keeps only its last path element.
func decodeName(s string) string {
	if strings.Contains(s, "=?") {
		if d, err := new(mime.WordDecoder).DecodeHeader(s); err == nil {
			s = d
		}
	}
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}

func extension(mt string) string {
	switch mt {
	case "application/pdf":
		return ".pdf"
	case "image/tiff":
		return ".tiff"
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "text/plain":
		return ".txt"
	}
	return ""
}

func normalizeAddress(a string) string {
	if at := strings.LastIndexByte(a, '@'); at >= 0 {
		return a[:at+1] + strings.ToLower(a[at+1:])
	}
	return a
}

var (
	htmlBreaks = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>`)
	htmlDrop   = regexp.MustCompile(`(?is)<(style|script|head)\b.*?</(style|script|head)\s*>`)
	htmlTags   = regexp.MustCompile(`(?s)<[^>]*>`)
	blankLines = regexp.MustCompile(`\n[ \t]*\n([ \t]*\n)+`)
)

// htmlText turns an HTML body into plain text for a cover note: line
// breaks where blocks end, no markup, entities decoded.
func htmlText(s string) string {
	s = htmlDrop.ReplaceAllString(s, "")
	s = htmlBreaks.ReplaceAllString(s, "\n")
	s = htmlTags.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = strings.ReplaceAll(s, "\u00a0", " ")
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}
