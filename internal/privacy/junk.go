package privacy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/faxhaven/faxhaven/internal/store"
)

// BrandBlockThreshold is how many accounts must report a sender before it
// is proposed for the brand's block list, which an admin then reviews (J1).
const BrandBlockThreshold = 3

// Statuses of the brand block list.
const (
	BlockProposed  = "proposed"
	BlockActive    = "blocked"
	BlockDismissed = "dismissed"
)

// ReportJunk records a received fax as junk (J1) and, with block, blocks
// its sender for the account. Reports from several accounts propose the
// sender for the brand's block list.
func (s *Service) ReportJunk(ctx context.Context, accountID, faxID int64, block bool) error {
	now := store.Micros(s.Clock.Now())
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var brandID int64
		var remote, remoteID, dir string
		err := tx.QueryRowContext(ctx, `SELECT a.brand_id, f.remote_number, f.remote_id, f.direction FROM faxes f
			JOIN accounts a ON a.id = f.account_id WHERE f.id = $1 AND f.account_id = $2`, faxID, accountID).Scan(&brandID, &remote, &remoteID, &dir)
		if errors.Is(err, sql.ErrNoRows) || dir != "in" {
			return errors.New("privacy: report junk: no such received fax")
		}
		if err != nil {
			return fmt.Errorf("privacy: report junk: %w", err)
		}
		sender := senderKey(remote, remoteID)
		if sender == "" {
			return errors.New("privacy: report junk: the fax came without a caller number or fax ID, so its sender cannot be blocked")
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO junk_reports (account_id, fax_id, sender, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
			accountID, faxID, sender, now); err != nil {
			return fmt.Errorf("privacy: report junk: %w", err)
		}
		if block {
			if err := blockTx(ctx, tx, accountID, sender, now); err != nil {
				return err
			}
		}
		var reporters int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT r.account_id) FROM junk_reports r JOIN accounts a ON a.id = r.account_id
			WHERE r.sender = $1 AND a.brand_id = $2`, sender, brandID).Scan(&reporters); err != nil {
			return err
		}
		if reporters >= BrandBlockThreshold {
			_, err := tx.ExecContext(ctx, `INSERT INTO brand_blocklist (brand_id, sender, status, reports, updated_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (brand_id, sender) DO UPDATE SET reports = $4, updated_at = $5`, brandID, sender, BlockProposed, reporters, now)
			return err
		}
		return nil
	})
}

// senderKey names a sender by caller number, else by fax ID.
func senderKey(number, faxID string) string {
	if n := strings.TrimSpace(number); n != "" {
		return "tel:" + n
	}
	if id := strings.TrimSpace(faxID); id != "" {
		return "csi:" + strings.ToUpper(id)
	}
	return ""
}

func blockTx(ctx context.Context, tx *sql.Tx, accountID int64, sender string, now int64) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO blocked_senders (account_id, sender, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
		accountID, sender, now)
	if err != nil {
		return fmt.Errorf("privacy: block sender: %w", err)
	}
	return nil
}

// Block blocks a caller number or fax ID for the account.
func (s *Service) Block(ctx context.Context, accountID int64, number, faxID string) error {
	sender := senderKey(number, faxID)
	if sender == "" {
		return errors.New("privacy: block: give a caller number or a fax ID")
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error { return blockTx(ctx, tx, accountID, sender, store.Micros(s.Clock.Now())) })
}

// Unblock removes a block the account set.
func (s *Service) Unblock(ctx context.Context, accountID int64, number, faxID string) error {
	_, err := s.DB.ExecContext(ctx, "DELETE FROM blocked_senders WHERE account_id = $1 AND sender = $2", accountID, senderKey(number, faxID))
	return err
}

// Blocked reports whether a fax from number (caller) with fax ID faxID to
// the account must be refused: the account blocked it, or the brand's
// reviewed block list holds it.
func (s *Service) Blocked(ctx context.Context, accountID int64, number, faxID string) (bool, error) {
	keys := []string{}
	for _, k := range []string{senderKey(number, ""), senderKey("", faxID)} {
		if k != "" {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		var n int
		err := s.DB.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM blocked_senders WHERE account_id = $1 AND sender = $2) +
			(SELECT COUNT(*) FROM brand_blocklist l JOIN accounts a ON a.brand_id = l.brand_id WHERE a.id = $1 AND l.sender = $2 AND l.status = $3)`,
			accountID, k, BlockActive).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("privacy: blocked: %w", err)
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// BlockProposal is a sender on a brand's block list.
type BlockProposal struct {
	Sender  string
	Status  string
	Reports int
}

// Proposals lists a brand's block list for admins to review.
func (s *Service) Proposals(ctx context.Context, brandID int64) ([]BlockProposal, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT sender, status, reports FROM brand_blocklist WHERE brand_id = $1 ORDER BY reports DESC, sender", brandID)
	if err != nil {
		return nil, fmt.Errorf("privacy: block list: %w", err)
	}
	defer rows.Close()
	var out []BlockProposal
	for rows.Next() {
		var p BlockProposal
		if err := rows.Scan(&p.Sender, &p.Status, &p.Reports); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Review sets a proposal's status: BlockActive refuses the sender's faxes
// brand-wide, BlockDismissed keeps them coming.
func (s *Service) Review(ctx context.Context, brandID int64, sender, status string) error {
	if status != BlockActive && status != BlockDismissed {
		return fmt.Errorf("privacy: review: status %q: choose %q or %q", status, BlockActive, BlockDismissed)
	}
	res, err := s.DB.ExecContext(ctx, "UPDATE brand_blocklist SET status = $1, updated_at = $2 WHERE brand_id = $3 AND sender = $4",
		status, store.Micros(s.Clock.Now()), brandID, sender)
	if err != nil {
		return fmt.Errorf("privacy: review: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("privacy: review: %s is not on the brand's block list", sender)
	}
	return nil
}

// BlockedSenders lists the senders the account blocked.
func (s *Service) BlockedSenders(ctx context.Context, accountID int64) ([]string, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT sender FROM blocked_senders WHERE account_id = $1 ORDER BY sender", accountID)
	if err != nil {
		return nil, fmt.Errorf("privacy: blocked senders: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
