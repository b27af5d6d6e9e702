package mail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strings"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
)

// DSN is a delivery status notification (RFC 3464): a report that mail
// the service sent could not be delivered, or was delayed.
type DSN struct {
	// ReportingMTA names the server that wrote the report.
	ReportingMTA string
	// MessageID is the Message-ID of the message the report is about,
	// when the report includes its header; "" otherwise.
	MessageID string
	// Recipients are the per-recipient reports.
	Recipients []DSNRecipient
}

// DSNRecipient is the report on one recipient.
type DSNRecipient struct {
	// Address is the final recipient's address.
	Address string
	// Action is failed, delayed, delivered, relayed or expanded.
	Action string
	// Status is the enhanced status code, such as "5.1.1".
	Status string
	// Diagnostic is the remote server's reply, such as "550 5.1.1 no
	// such user", when the report gives it.
	Diagnostic string
}

// Failed reports a permanent failure: the address should not be used
// again until someone fixes it.
func (r DSNRecipient) Failed() bool {
	return r.Action == "failed" && strings.HasPrefix(r.Status, "5")
}

// ErrNotDSN reports a message that is not a delivery status notification.
var ErrNotDSN = errors.New("mail: not a delivery status notification")

// maxDSNPart bounds what is read of a report's status part.
const maxDSNPart = 64 << 10

// ParseDSN reads a delivery status notification: a multipart/report
// message whose report-type is delivery-status. Other messages are
// ErrNotDSN; a report it cannot read is an error naming the problem.
func ParseDSN(r io.Reader) (*DSN, error) {
	e, err := message.Read(r)
	if err != nil && !message.IsUnknownCharset(err) {
		return nil, fmt.Errorf("mail: delivery report: %w", err)
	}
	mt, params, _ := e.Header.ContentType()
	if mt != "multipart/report" || !strings.EqualFold(params["report-type"], "delivery-status") {
		return nil, fmt.Errorf("%w (Content-Type %q)", ErrNotDSN, mt)
	}
	mr := e.MultipartReader()
	if mr == nil {
		return nil, fmt.Errorf("mail: delivery report: %w", ErrNotDSN)
	}
	d := &DSN{}
	found := false
	for n := 0; n < 10; n++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return nil, fmt.Errorf("mail: delivery report part %d: %w", n+1, err)
		}
		pmt, _, _ := p.Header.ContentType()
		b, err := io.ReadAll(io.LimitReader(p.Body, maxDSNPart))
		if err != nil {
			return nil, fmt.Errorf("mail: delivery report part %d: %w", n+1, err)
		}
		switch pmt {
		case "message/delivery-status", "message/global-delivery-status":
			if err := d.readStatus(b); err != nil {
				return nil, err
			}
			found = true
		case "text/rfc822-headers", "message/rfc822", "message/global", "message/global-headers":
			if h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(b))).ReadMIMEHeader(); err == nil || len(h) > 0 {
				hdr := gomail.Header{Header: message.Header{}}
				hdr.Set("Message-Id", h.Get("Message-Id"))
				if id, err := hdr.MessageID(); err == nil {
					d.MessageID = id
				}
			}
		}
	}
	if !found {
		return nil, errors.New("mail: delivery report has no message/delivery-status part")
	}
	if len(d.Recipients) == 0 {
		return nil, errors.New("mail: delivery report names no recipient")
	}
	return d, nil
}

// readStatus reads the status part: the per-message fields, then one
// block of fields per recipient, blocks separated by blank lines.
func (d *DSN) readStatus(b []byte) error {
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	blocks := strings.Split(strings.TrimSpace(text), "\n\n")
	for i, blk := range blocks {
		blk = strings.TrimSpace(blk)
		if blk == "" {
			continue
		}
		h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(blk + "\n\n"))).ReadMIMEHeader()
		if err != nil && len(h) == 0 {
			return fmt.Errorf("mail: delivery report block %d: %w", i+1, err)
		}
		if i == 0 {
			d.ReportingMTA = typedValue(h.Get("Reporting-Mta"))
			continue
		}
		addr := typedValue(h.Get("Final-Recipient"))
		if addr == "" {
			addr = typedValue(h.Get("Original-Recipient"))
		}
		if addr == "" {
			continue
		}
		d.Recipients = append(d.Recipients, DSNRecipient{
			Address:    strings.ToLower(strings.Trim(addr, "<> ")),
			Action:     strings.ToLower(strings.TrimSpace(h.Get("Action"))),
			Status:     firstField(h.Get("Status")),
			Diagnostic: typedValue(h.Get("Diagnostic-Code")),
		})
	}
	return nil
}

// typedValue drops the type of "rfc822; user@example.org" or
// "smtp; 550 5.1.1 ...".
func typedValue(s string) string {
	if _, v, ok := strings.Cut(s, ";"); ok {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(s)
}

// firstField is the first space-separated word of s, or "".
func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}
