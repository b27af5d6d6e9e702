package service

import (
	"context"
	"database/sql"
	"strings"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/faxes"
	mailout "github.com/faxhaven/faxhaven/internal/mail"
	"github.com/faxhaven/faxhaven/internal/mailin"
	"github.com/faxhaven/faxhaven/internal/web"
)

// Mail is the service's outbound mail: one outbox, seen through the small
// interface each of its users declares.
type Mail struct {
	*mailout.Outbox
}

func newMail(s *Service) (*Mail, error) {
	cfg := mailout.Config{Clock: s.Clock}
	if c := s.Config; c.SMTPRelayHost != "" {
		tls := map[string]mailout.TLSMode{
			"starttls": mailout.StartTLSRequired, "opportunistic": mailout.StartTLSOpportunistic,
			"tls": mailout.ImplicitTLS, "none": mailout.NoTLS,
		}[c.SMTPRelayTLS]
		cfg.Relay = mailout.RelayConfig{Host: c.SMTPRelayHost, Port: c.SMTPRelayPort, TLS: tls,
			Username: c.SMTPRelayUser, Password: c.SMTPRelayPassword, HeloName: c.SMTPHelo}
	}
	if s.Config.DKIM { // email (issue 6): sign with the brand's key
		cfg.DKIM = s.DKIM.Key
	}
	// Email (issue 6): an address the relay refuses for good is marked
	// failing, as a bounce would mark it.
	cfg.Refused = func(ctx context.Context, rcpts []string, reason string) error {
		for _, a := range rcpts {
			if _, err := s.Faxes.MarkFailing(ctx, a, reason); err != nil {
				return err
			}
		}
		return nil
	}
	o, err := mailout.New(s.DB, s.Keys, s.Queue, cfg)
	if err != nil {
		return nil, err
	}
	return &Mail{o}, nil
}

// accountMail is the outbox as the accounts service uses it.
type accountMail struct{ m *Mail }

func (a accountMail) EnqueueTx(ctx context.Context, tx *sql.Tx, accountID int64, msg accounts.Message) error {
	_, err := a.m.Outbox.EnqueueTx(ctx, tx, accountID, &mailout.Message{
		From: msg.From, To: []string{msg.To}, Subject: msg.Subject, Text: msg.Text,
	})
	return err
}

// faxMail is the outbox as the fax service uses it.
type faxMail struct{ m *Mail }

func (f faxMail) EnqueueTx(ctx context.Context, tx *sql.Tx, accountID int64, e *faxes.Email) error {
	msg := &mailout.Message{From: e.From, To: []string{e.To}, Subject: e.Subject, Text: e.Text,
		ReturnPath: e.ReturnPath} // email (issue 6): bounces reach the inbound server
	for _, a := range e.Attachments {
		msg.Attachments = append(msg.Attachments, mailout.Attachment{Name: a.Name, ContentType: a.ContentType, Data: a.Data})
	}
	_, err := f.m.Outbox.EnqueueTx(ctx, tx, accountID, msg)
	return err
}

// Recent lists the newest messages for the administrators' outbox page,
// with their text part.
func (m *Mail) Recent(ctx context.Context, limit int) ([]web.OutboxMessage, error) {
	list, err := m.Outbox.List(ctx, mailout.Filter{Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]web.OutboxMessage, 0, len(list))
	for _, sum := range list {
		om := web.OutboxMessage{ID: sum.ID, At: sum.CreatedAt, To: strings.Join(sum.Recipients, ", "), Subject: sum.Subject, Status: string(sum.Status)}
		if st, err := m.Outbox.Get(ctx, sum.ID); err == nil {
			om.Text = textPart(st.Raw)
		}
		out = append(out, om)
	}
	return out, nil
}

// textPart returns the plain-text body of a stored message (the text of
// its HTML when it has no plain part), or "" when it cannot be read. The
// inbound mail parser reads outgoing messages as well as incoming ones.
func textPart(raw []byte) string {
	m, err := mailin.Parse(raw)
	if err != nil {
		return ""
	}
	return m.Text
}
