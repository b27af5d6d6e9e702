package privacy

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
)

// ErrChildBlocked refuses a registration with the address of a deleted
// child's account (K1).
var ErrChildBlocked = fmt.Errorf("privacy: the service is not for children under 13: %w", accounts.ErrAddressRefused)

// FlagChild handles an account found to belong to a child under 13 (K1):
// it keeps only a keyed hash of the address, so the address cannot
// register again, and erases the account. Staff act through the audited
// door.
func (s *Service) FlagChild(ctx context.Context, actor *staff.Member, accountID int64, ground string) error {
	var brandID int64
	var email string
	err := s.Staff.Open(ctx, actor, staff.Access{Action: staff.ActionViewAccount, SubjectKind: "account", SubjectID: accountID,
		Ground: ground, Detail: "K1: account of a child under 13 flagged for deletion"}, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT brand_id, email FROM accounts WHERE id = $1", accountID).Scan(&brandID, &email); err != nil {
			return fmt.Errorf("privacy: flag child: %w", err)
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO child_blocks (brand_id, email_hash, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
			brandID, s.keyedHash(email), store.Micros(s.Clock.Now()))
		return err
	})
	if err != nil {
		return err
	}
	_, err = s.Erase(ctx, accountID)
	return err
}

// CheckRegistration refuses an address that belonged to a deleted child's
// account; registration calls it.
func (s *Service) CheckRegistration(ctx context.Context, brandID int64, email string) error {
	var n int
	if err := s.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM child_blocks WHERE brand_id = $1 AND email_hash = $2",
		brandID, s.keyedHash(email)).Scan(&n); err != nil {
		return fmt.Errorf("privacy: check registration: %w", err)
	}
	if n > 0 {
		return ErrChildBlocked
	}
	return nil
}

// Registered runs in the transaction that creates an account: it records
// the marketing choice made at registration as the consent ledger's first
// entry (O1) and marks a referral of the address as successful (R1).
func (s *Service) Registered(ctx context.Context, tx *sql.Tx, accountID, brandID int64, email string, marketing bool) error {
	if err := s.recordTx(ctx, tx, accountID, PurposeMarketing, marketing, MethodRegistration); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE referrals SET joined_at = $1 WHERE brand_id = $2 AND friend_hash = $3 AND joined_at = 0",
		store.Micros(s.Clock.Now()), brandID, s.keyedHash(email)); err != nil {
		return fmt.Errorf("privacy: referral joined: %w", err)
	}
	return nil
}
