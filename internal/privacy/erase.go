package privacy

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/faxhaven/faxhaven/internal/store"
)

// Kept is something erasure leaves in place, and why.
type Kept struct {
	What   string // a table name
	Reason string
}

// Erasure is the outcome of deleting an account (D1).
type Erasure struct {
	AccountID int64
	// Pending is true when a legal hold names the account: it is closed
	// and logged out now, and erased by the retention job once every hold
	// is released.
	Pending bool
	Kept    []Kept
}

// Erase deletes an account and its personal data (D1, K1): every row the
// registry ties to the account except those with a declared reason to
// stay, the account's content in the blob store, its sessions, and its
// data key, so sealed copies in backups are unreadable too. The caller
// has made the user prove who they are. Under a legal hold the account is
// closed and its sessions ended, and the rest waits for the hold's
// release. Erase is idempotent.
func (s *Service) Erase(ctx context.Context, accountID int64) (*Erasure, error) {
	now := store.Micros(s.Clock.Now())
	e := &Erasure{AccountID: accountID}
	for _, t := range Registry {
		if t.Owner != "" && t.Kept != "" {
			e.Kept = append(e.Kept, Kept{What: t.Name, Reason: t.Kept})
		}
	}
	var content []string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		h, err := held(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if h {
			e.Pending = true
			e.Kept = append(e.Kept, Kept{What: "everything", Reason: "a legal hold names the account; erasure follows its release"})
			if _, err := tx.ExecContext(ctx, "UPDATE accounts SET status = 'closed', updated_at = $1 WHERE id = $2", now, accountID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE subject_kind = 'account' AND subject_id = $1", accountID); err != nil {
				return err
			}
			return recordErasure(ctx, tx, accountID, now, 0, e.Kept)
		}
		if content, err = accountBlobs(ctx, tx, accountID); err != nil {
			return err
		}
		// Children are declared after their parents: erase in reverse.
		for i := len(Registry) - 1; i >= 0; i-- {
			t := &Registry[i]
			if t.Owner == "" || t.Kept != "" {
				continue
			}
			q := t.Erase
			if q == "" {
				q = "DELETE FROM " + t.Name + " WHERE " + t.Owner
			}
			args := []any{accountID}
			if strings.Contains(q, "$2") {
				args = append(args, now)
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("%s: %w", t.Name, err)
			}
		}
		return recordErasure(ctx, tx, accountID, now, now, e.Kept)
	})
	if err != nil {
		return nil, fmt.Errorf("privacy: erase account %d: %w", accountID, err)
	}
	if e.Pending {
		return e, nil
	}
	if err := s.Keys.Destroy(ctx, accountID); err != nil {
		return nil, fmt.Errorf("privacy: erase account %d: destroy key: %w", accountID, err)
	}
	s.deleteBlobs(ctx, content)
	return e, nil
}

// recordErasure writes the erasure's proof, or completes a pending one.
func recordErasure(ctx context.Context, tx *sql.Tx, accountID, requested, done int64, kept []Kept) error {
	var b strings.Builder
	for _, k := range kept {
		fmt.Fprintf(&b, "%s: %s\n", k.What, k.Reason)
	}
	res, err := tx.ExecContext(ctx, "UPDATE erasures SET done_at = $1, kept = $2 WHERE account_id = $3 AND done_at = 0", done, b.String(), accountID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO erasures (account_id, requested_at, done_at, kept) VALUES ($1, $2, $3, $4)",
		accountID, requested, done, b.String())
	return err
}

// finishPending erases the accounts whose erasure waited for a legal hold
// that is now released, and returns how many it erased.
func (s *Service) finishPending(ctx context.Context) (int, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT account_id FROM erasures WHERE done_at = 0 AND account_id NOT IN
		(SELECT account_id FROM legal_holds WHERE released_at = 0)`)
	if err != nil {
		return 0, fmt.Errorf("privacy: pending erasures: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if _, err := s.Erase(ctx, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}
