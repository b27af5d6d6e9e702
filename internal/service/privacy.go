package service

import (
	"context"
	"database/sql"

	"github.com/riverqueue/river"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/faxes"
	"github.com/faxhaven/faxhaven/internal/jobs"
	mailout "github.com/faxhaven/faxhaven/internal/mail"
	"github.com/faxhaven/faxhaven/internal/privacy"
)

// newPrivacy builds the privacy service (issue 7) over the node's parts,
// registers its retention job and refuses blocked senders' faxes.
func newPrivacy(ctx context.Context, s *Service) (*privacy.Service, error) {
	secret, err := s.DB.Secret(ctx, "privacy")
	if err != nil {
		return nil, err
	}
	p := &privacy.Service{DB: s.DB, Clock: s.Clock, Keys: s.Keys, Blobs: s.Blobs, Logger: s.Logger, Secret: secret,
		Mailer: privacyMail{s.Mail}, Staff: s.Staff, Faxes: faxPDFs{s.Faxes}, Prune: s.Accounts.Prune}
	if err := jobs.Register(s.Queue, river.Worker[privacy.RetentionJob](&privacy.RetentionWorker{Privacy: p})); err != nil {
		return nil, err
	}
	s.Faxes.Blocked = p.Blocked
	s.Privacy = p
	privacyHooks(s)
	return p, nil
}

// privacyMail is the outbox as the privacy service uses it.
type privacyMail struct{ m *Mail }

func (p privacyMail) EnqueueTx(ctx context.Context, tx *sql.Tx, accountID int64, m privacy.Mail) error {
	var from string
	if err := tx.QueryRowContext(ctx, "SELECT b.mail_from FROM brands b JOIN accounts a ON a.brand_id = b.id WHERE a.id = $1",
		accountID).Scan(&from); err != nil {
		return err
	}
	_, err := p.m.Outbox.EnqueueTx(ctx, tx, accountID, &mailout.Message{From: from, To: []string{m.To}, Subject: m.Subject, Text: m.Text})
	return err
}

// faxPDFs gives the privacy service the PDFs of faxes.
type faxPDFs struct{ f *faxes.Service }

func (f faxPDFs) PDF(ctx context.Context, accountID, faxID int64) ([]byte, error) {
	b, _, err := f.f.PDF(ctx, accountID, faxID)
	return b, err
}

// privacyHooks connects registration to the privacy service (issue 7):
// a deleted child's address is refused (K1), and the marketing choice and
// a referral's success are recorded in the registration's transaction.
func privacyHooks(s *Service) {
	s.Accounts.Screen = s.Privacy.CheckRegistration
	s.Accounts.OnRegister = func(ctx context.Context, tx *sql.Tx, a *accounts.Account) error {
		return s.Privacy.Registered(ctx, tx, a.ID, a.BrandID, a.Email, a.MarketingOptIn)
	}
}
