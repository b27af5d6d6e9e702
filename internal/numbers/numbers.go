// Package numbers holds the fax numbers of each brand: the pool they are
// assigned from, who owns which, and how a typed number becomes E.164.
package numbers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Number is one fax number.
type Number struct {
	ID        int64
	BrandID   int64
	E164      string
	Carrier   string // which carrier routes it: "loopback", or a SIP trunk name
	AccountID int64  // 0 while unassigned
}

// ErrNotFound reports a number the service does not own.
var ErrNotFound = errors.New("numbers: the service has no such number")

// ErrPoolEmpty reports a brand with no free number left.
var ErrPoolEmpty = errors.New("numbers: no free fax number left in the brand's pool")

// DefaultQuarantine is how long a number given back to the pool rests
// before another account may get it.
const DefaultQuarantine = 90 * 24 * time.Hour

// Service manages number pools and assignments.
type Service struct {
	DB    *store.DB
	Clock clock.Clock
	// Quarantine is how long a released number rests before it is given
	// out again, so that faxes for its old holder do not reach a stranger;
	// zero means DefaultQuarantine.
	Quarantine time.Duration
}

// AddPool puts count numbers into a brand's pool: prefix followed by a
// zero-padded index (prefix "+3197010", count 1000 gives +31970100000 to
// +31970100999). Numbers that exist already are left alone.
func (s *Service) AddPool(ctx context.Context, brandID int64, prefix, carrier string, count int) error {
	width := len(fmt.Sprint(count - 1))
	if width < 4 {
		width = 4
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var have int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM numbers WHERE brand_id = $1 AND carrier = $2", brandID, carrier).Scan(&have); err != nil {
			return fmt.Errorf("numbers: add pool: %w", err)
		}
		if have >= count {
			return nil
		}
		for i := 0; i < count; i++ {
			n := fmt.Sprintf("%s%0*d", prefix, width, i)
			if !Valid(n) {
				return fmt.Errorf("numbers: pool prefix %q makes %q, which is not a valid E.164 number", prefix, n)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO numbers (brand_id, e164, carrier) VALUES ($1, $2, $3)
				ON CONFLICT (e164) DO NOTHING`, brandID, n, carrier)
			if err != nil {
				return fmt.Errorf("numbers: add pool: %w", err)
			}
		}
		return nil
	})
}

// AssignTx gives the account the lowest free number of its brand's pool,
// inside the caller's transaction, and returns it. An account that has a
// number already gets that one back.
func (s *Service) AssignTx(ctx context.Context, tx *sql.Tx, brandID, accountID int64) (*Number, error) {
	if n, err := first(ctx, tx, "account_id = $1", accountID); err == nil {
		return n, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	for try := 0; try < 5; try++ {
		q := s.Quarantine
		if q == 0 {
			q = DefaultQuarantine
		}
		rested := store.Micros(s.Clock.Now().Add(-q))
		n, err := first(ctx, tx, "brand_id = $1 AND account_id IS NULL AND released_at <= $2", brandID, rested)
		if errors.Is(err, ErrNotFound) {
			return nil, ErrPoolEmpty
		}
		if err != nil {
			return nil, err
		}
		res, err := tx.ExecContext(ctx, "UPDATE numbers SET account_id = $1, assigned_at = $2 WHERE id = $3 AND account_id IS NULL",
			accountID, store.Micros(s.Clock.Now()), n.ID)
		if err != nil {
			return nil, fmt.Errorf("numbers: assign: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 1 {
			n.AccountID = accountID
			return n, nil
		}
		// Another transaction took it first; take the next one.
	}
	return nil, errors.New("numbers: assign: the pool is too contended; try again")
}

// Lookup returns the number e164 if the service owns it.
func (s *Service) Lookup(ctx context.Context, e164 string) (*Number, error) {
	return first(ctx, s.DB, "e164 = $1", e164)
}

// ForAccount returns the numbers assigned to an account.
func (s *Service) ForAccount(ctx context.Context, q store.Querier, accountID int64) ([]*Number, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, brand_id, e164, carrier, COALESCE(account_id, 0) FROM numbers WHERE account_id = $1 ORDER BY e164", accountID)
	if err != nil {
		return nil, fmt.Errorf("numbers: %w", err)
	}
	defer rows.Close()
	var out []*Number
	for rows.Next() {
		var n Number
		if err := rows.Scan(&n.ID, &n.BrandID, &n.E164, &n.Carrier, &n.AccountID); err != nil {
			return nil, err
		}
		out = append(out, &n)
	}
	return out, rows.Err()
}

// ReleaseTx returns an account's numbers to the pool, where they rest for
// the quarantine before anyone else gets them.
func (s *Service) ReleaseTx(ctx context.Context, tx *sql.Tx, accountID int64) error {
	_, err := tx.ExecContext(ctx, ReleaseSQL, accountID, store.Micros(s.Clock.Now()))
	if err != nil {
		return fmt.Errorf("numbers: release: %w", err)
	}
	return nil
}

// ReleaseSQL gives an account's numbers back to the pool: $1 is the
// account, $2 the time of release in stored form. Erasure runs it too.
const ReleaseSQL = "UPDATE numbers SET account_id = NULL, assigned_at = 0, released_at = $2 WHERE account_id = $1"

func first(ctx context.Context, q store.Querier, where string, args ...any) (*Number, error) {
	var n Number
	err := q.QueryRowContext(ctx, "SELECT id, brand_id, e164, carrier, COALESCE(account_id, 0) FROM numbers WHERE "+where+" ORDER BY e164 LIMIT 1", args...).
		Scan(&n.ID, &n.BrandID, &n.E164, &n.Carrier, &n.AccountID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("numbers: %w", err)
	}
	return &n, nil
}
