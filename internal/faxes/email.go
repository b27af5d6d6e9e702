package faxes

import (
	"context"
	"fmt"

	"github.com/faxhaven/faxhaven/internal/i18n"
)

// faxEmail is the fax-to-email message for a received fax: the PDF
// attached, and the sender, pages and time in the account's language.
func (s *Service) faxEmail(ctx context.Context, acct *accountInfo, f *Fax, pdf []byte) *Email {
	lang := acct.lang
	from := "no-reply@localhost"
	brandName := "Faxhaven"
	if b, err := s.Brands.ByID(ctx, acct.brandID); err == nil {
		from, brandName = b.MailFrom, b.Name
	}
	sender := f.RemoteNumber
	if sender == "" {
		sender = i18n.T(lang, "fax.sender_unknown")
	}
	when := f.CreatedAt.Format("2006-01-02 15:04 MST")
	return &Email{
		From:    from,
		To:      acct.email,
		Subject: i18n.T(lang, "mail.fax.subject", sender, f.Pages),
		Text:    i18n.T(lang, "mail.fax.body", acct.name, sender, f.RemoteID, f.LocalNumber, f.Pages, when, brandName),
		Attachments: []Attachment{{
			Name:        fmt.Sprintf("fax-%s-%d.pdf", f.CreatedAt.Format("20060102-1504"), f.ID),
			ContentType: "application/pdf",
			Data:        pdf,
		}},
	}
}
