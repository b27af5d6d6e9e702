package faxes

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/store"
)

// brandMail returns the From address and name of an account's brand.
func (s *Service) brandMail(ctx context.Context, brandID int64) (from, name string) {
	if b, err := s.Brands.ByID(ctx, brandID); err == nil {
		return b.MailFrom, b.Name
	}
	return "no-reply@localhost", "Faxhaven"
}

// refusedEmail tells an account owner that a message sent to fax in the
// name of one of their addresses was refused, and why.
func (s *Service) refusedEmail(ctx context.Context, acct *accountInfo, sender, problem string) *Email {
	from, brand := s.brandMail(ctx, acct.brandID)
	return &Email{
		From: from, To: acct.email,
		Subject: i18n.T(acct.lang, "mail.email_refused.subject", sender),
		Text:    i18n.T(acct.lang, "mail.email_refused.body", acct.name, sender, problem, brand),
	}
}

// notSentEmail tells the sender of an accepted message that one of its
// faxes could not be made, and why.
func (s *Service) notSentEmail(ctx context.Context, acct *accountInfo, sender, number, reason string) *Email {
	from, brand := s.brandMail(ctx, acct.brandID)
	return &Email{
		From: from, To: sender,
		Subject: i18n.T(acct.lang, "mail.email_fax.failed.subject", number),
		Text:    i18n.T(acct.lang, "mail.email_fax.not_sent.body", number, reason, brand),
	}
}

// outcome is the confirmation for the sender of a fax that came by email,
// prepared before the transaction that records the final state.
type outcome struct {
	email *Email
}

// senderOutcome prepares the confirmation email for a fax that reaches
// state st, or returns nil when the fax did not come by email or its
// sender was told already. The first page is attached as a PDF so the
// sender sees what went out.
func (s *Service) senderOutcome(ctx context.Context, f *Fax, st Status, code, detail string) (*outcome, error) {
	var sender string
	var attempts int // f was read before this attempt was counted
	err := s.DB.QueryRowContext(ctx, `SELECT o.sender, f.attempts FROM fax_email_origin o JOIN faxes f ON f.id = o.fax_id
		WHERE o.fax_id = $1 AND o.notified_at = 0`, f.ID).Scan(&sender, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("faxes: email origin: %w", err)
	}
	acct, err := s.account(ctx, f.AccountID)
	if err != nil {
		return nil, err
	}
	from, brand := s.brandMail(ctx, acct.brandID)
	lang := acct.lang
	e := &Email{From: from, To: sender}
	if st == Delivered {
		e.Subject = i18n.T(lang, "mail.email_fax.delivered.subject", f.RemoteNumber)
		e.Text = i18n.T(lang, "mail.email_fax.delivered.body", f.RemoteNumber, f.Pages, brand)
	} else {
		e.Subject = i18n.T(lang, "mail.email_fax.failed.subject", f.RemoteNumber)
		e.Text = i18n.T(lang, "mail.email_fax.failed.body", f.RemoteNumber, reasonWords(lang, code, detail), attempts, brand)
	}
	if pdf := s.firstPage(ctx, f); pdf != nil {
		e.Attachments = []Attachment{{Name: fmt.Sprintf("fax-%d-page-1.pdf", f.ID), ContentType: "application/pdf", Data: pdf}}
	}
	return &outcome{email: e}, nil
}

// send queues the confirmation inside tx, once: the origin row is marked
// in the same transaction.
func (o *outcome) send(ctx context.Context, s *Service, tx *sql.Tx, f *Fax) error {
	if o == nil {
		return nil
	}
	res, err := tx.ExecContext(ctx, "UPDATE fax_email_origin SET notified_at = $1 WHERE fax_id = $2 AND notified_at = 0",
		store.Micros(s.Clock.Now()), f.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return s.Mail.EnqueueTx(ctx, tx, f.AccountID, o.email)
}

// firstPage returns the fax's first page as a PDF, or nil when it cannot
// be read; the confirmation goes out without it then.
func (s *Service) firstPage(ctx context.Context, f *Fax) []byte {
	files, err := s.files(ctx, s.DB, f.ID)
	if err != nil {
		return nil
	}
	for _, fl := range files {
		if fl.kind != "pages" {
			continue
		}
		rc, err := s.Content.Get(ctx, f.AccountID, fl.blobKey)
		if err != nil {
			return nil
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil
		}
		pages, err := decodeTIFF(data)
		if err != nil || len(pages) == 0 {
			return nil
		}
		one, err := encodeTIFF([]*page.Page{pages[0]}, nil)
		if err != nil {
			return nil
		}
		pdf, err := pdfFromTIFF(one)
		if err != nil {
			return nil
		}
		return pdf
	}
	return nil
}

// reasonWords says why a fax failed in plain words: the catalog's text for
// the reason code, with the particulars after it.
func reasonWords(lang, code, detail string) string {
	key := "email.reason." + code
	if !i18n.Has(key) {
		key = "email.reason.failed"
	}
	w := i18n.T(lang, key)
	if detail != "" {
		w += " (" + detail + ")"
	}
	return w
}
