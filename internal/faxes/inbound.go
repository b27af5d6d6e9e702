package faxes

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/faxhaven/faxhaven/internal/carrier"
	"github.com/faxhaven/faxhaven/internal/numbers"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Deliver stores an inbound fax in the inbox of the account that owns the
// called number and queues its email, in one transaction. It returns nil
// only when the fax is durable; delivering the same call twice keeps one.
func (s *Service) Deliver(ctx context.Context, in *carrier.Inbound) error {
	if len(in.Pages) == 0 {
		return errors.New("faxes: an inbound fax without pages")
	}
	num, err := s.Numbers.Lookup(ctx, in.To)
	if err != nil {
		return fmt.Errorf("faxes: inbound to %s: %w", in.To, err)
	}
	if num.AccountID == 0 {
		return fmt.Errorf("faxes: inbound: %w", numbers.ErrNotFound)
	}
	// Junk fax (J1): a blocked sender's fax is refused, not stored.
	if s.Blocked != nil {
		blocked, err := s.Blocked(ctx, num.AccountID, in.From, in.RemoteID)
		if err != nil {
			return fmt.Errorf("faxes: inbound: %w", err)
		}
		if blocked {
			return ErrBlocked
		}
	}
	acct, err := s.account(ctx, num.AccountID)
	if err != nil {
		return err
	}
	key := "in:" + in.CallID
	var exists int
	if err := s.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM faxes WHERE idempotency_key = $1", key).Scan(&exists); err != nil {
		return fmt.Errorf("faxes: inbound: %w", err)
	}
	if exists > 0 {
		return nil
	}
	tiffData, err := encodeTIFF(nil, in.Pages)
	if err != nil {
		return fmt.Errorf("faxes: inbound: store pages: %w", err)
	}
	pdfData, err := pdfFromTIFF(tiffData)
	if err != nil {
		return fmt.Errorf("faxes: inbound: make PDF: %w", err)
	}
	// The blob key follows from the call, so a replayed delivery overwrites
	// its own earlier attempt instead of leaving a second copy.
	sum := sha256.Sum256([]byte(key))
	blobKey := pagesKey(In, hex.EncodeToString(sum[:16]))
	if _, err := s.Content.Put(ctx, num.AccountID, blobKey, bytes.NewReader(tiffData)); err != nil {
		return fmt.Errorf("faxes: inbound: store pages: %w", err)
	}
	var id int64
	res := in.Pages[0].Page.Res
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Micros(in.Received)
		if now == 0 {
			now = store.Micros(s.Clock.Now())
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO faxes (account_id, direction, status, local_number, remote_number, remote_id,
			pages, resolution, idempotency_key, created_at, updated_at, completed_at)
			VALUES ($1, 'in', 'received', $2, $3, $4, $5, $6, $7, $8, $8, $8) RETURNING id`,
			num.AccountID, in.To, in.From, in.RemoteID, len(in.Pages), res.String(), key, now).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO fax_files (fax_id, kind, seq, name, content_type, size, blob_key)
			VALUES ($1, 'pages', 1, 'pages.tiff', 'image/tiff', $2, $3)`, id, len(tiffData), blobKey); err != nil {
			return err
		}
		f := &Fax{ID: id, RemoteNumber: in.From, RemoteID: in.RemoteID, Pages: len(in.Pages), LocalNumber: in.To, CreatedAt: store.Time(now)}
		// Each fax-to-email recipient of the number in their format
		// (recipients.go); the account's address when none is set.
		return s.faxEmails(ctx, tx, acct, num.AccountID, f, pdfData, tiffData)
	})
	if store.IsUniqueViolation(err) {
		return nil // a concurrent delivery of the same call won
	}
	if err != nil {
		return fmt.Errorf("faxes: inbound: %w", err)
	}
	s.Logger.Info("fax received", "fax", id, "pages", len(in.Pages))
	return nil
}

// PDF returns the account's fax as a PDF, made from its stored pages.
func (s *Service) PDF(ctx context.Context, accountID, id int64) ([]byte, *Fax, error) {
	f, err := s.Get(ctx, accountID, id)
	if err != nil {
		return nil, nil, err
	}
	files, err := s.files(ctx, s.DB, id)
	if err != nil {
		return nil, nil, err
	}
	for _, fl := range files {
		if fl.kind != "pages" {
			continue
		}
		rc, err := s.Content.Get(ctx, accountID, fl.blobKey)
		if err != nil {
			return nil, nil, fmt.Errorf("faxes: read pages: %w", err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("faxes: read pages: %w", err)
		}
		pdf, err := pdfFromTIFF(data)
		if err != nil {
			return nil, nil, fmt.Errorf("faxes: make PDF: %w", err)
		}
		return pdf, f, nil
	}
	return nil, nil, ErrNotFound
}
