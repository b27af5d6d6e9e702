package mailin

import (
	"context"
	"errors"
	"strings"

	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/faxes"
	"github.com/faxhaven/faxhaven/internal/mail"
)

// BrandDomains finds fax domains among the brands.
type BrandDomains struct{ Brands *brands.Service }

// FaxDomain implements Domains.
func (b BrandDomains) FaxDomain(ctx context.Context, domain string) (int64, bool, error) {
	br, err := b.Brands.ByFaxDomain(ctx, domain)
	if errors.Is(err, brands.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return br.ID, true, nil
}

// FailingRecipients marks fax-to-email recipients failing when a delivery
// report says mail to them failed for good. Only a recipient whose tag
// the report's return path carries is marked, so a forged report cannot
// mark addresses it guesses. Delays and successes change nothing.
type FailingRecipients struct{ Faxes *faxes.Service }

// Bounce implements Bounces.
func (f FailingRecipients) Bounce(ctx context.Context, tag string, d *mail.DSN) error {
	if tag == "" {
		return nil
	}
	for _, r := range d.Recipients {
		if !r.Failed() {
			continue
		}
		reason := strings.TrimSpace(r.Status + " " + r.Diagnostic)
		if _, err := f.Faxes.MarkFailingTagged(ctx, r.Address, tag, reason); err != nil {
			return err
		}
	}
	return nil
}
