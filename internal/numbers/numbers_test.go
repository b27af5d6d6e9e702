package numbers_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/numbers"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// account inserts a bare account row for number assignment tests.
func account(t *testing.T, db *store.DB, brandID int64, n string) int64 {
	t.Helper()
	var id int64
	err := db.QueryRow(`INSERT INTO accounts (brand_id, account_number, name, email, password_hash, marketing_opt_in,
		policy_version, policy_accepted_at, created_at, updated_at) VALUES ($1, $2, 'T', $3, 'x', FALSE, 'v1', 1, 1, 1) RETURNING id`,
		brandID, n, n+"@example.org").Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAssignFromPool(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
		b, err := (&brands.Service{DB: db, Clock: clk}).EnsureDefault(ctx, "localhost", "fax.localhost")
		if err != nil {
			t.Fatal(err)
		}
		s := &numbers.Service{DB: db, Clock: clk}
		if err := s.AddPool(ctx, b.ID, "+3197010", "loopback", 2); err != nil {
			t.Fatal(err)
		}
		if err := s.AddPool(ctx, b.ID, "+3197010", "loopback", 2); err != nil {
			t.Fatalf("adding the same pool twice: %v", err)
		}
		a1, a2, a3 := account(t, db, b.ID, "1001"), account(t, db, b.ID, "1002"), account(t, db, b.ID, "1003")
		assign := func(acc int64) (*numbers.Number, error) {
			var n *numbers.Number
			err := db.Tx(ctx, func(tx *sql.Tx) (err error) {
				n, err = s.AssignTx(ctx, tx, b.ID, acc)
				return err
			})
			return n, err
		}
		n1, err := assign(a1)
		if err != nil || n1.E164 != "+31970100000" {
			t.Fatalf("first assignment = %+v, %v", n1, err)
		}
		again, err := assign(a1)
		if err != nil || again.E164 != n1.E164 {
			t.Fatalf("assigning twice gave %+v, %v; want the same number", again, err)
		}
		n2, err := assign(a2)
		if err != nil || n2.E164 != "+31970100001" {
			t.Fatalf("second assignment = %+v, %v", n2, err)
		}
		if _, err := assign(a3); !errors.Is(err, numbers.ErrPoolEmpty) {
			t.Fatalf("assignment from an empty pool: %v", err)
		}
		got, err := s.Lookup(ctx, "+31970100001")
		if err != nil || got.AccountID != a2 {
			t.Fatalf("Lookup = %+v, %v", got, err)
		}
		if _, err := s.Lookup(ctx, "+31201234567"); !errors.Is(err, numbers.ErrNotFound) {
			t.Fatalf("Lookup of a foreign number: %v", err)
		}
		if err := db.Tx(ctx, func(tx *sql.Tx) error { return s.ReleaseTx(ctx, tx, a1) }); err != nil {
			t.Fatal(err)
		}
		// A released number rests before a stranger gets it.
		clk.Advance(numbers.DefaultQuarantine - time.Hour)
		if n, err := assign(a3); !errors.Is(err, numbers.ErrPoolEmpty) {
			t.Fatalf("during the quarantine, assignment = %+v, %v; want an empty pool", n, err)
		}
		clk.Advance(2 * time.Hour)
		n3, err := assign(a3)
		if err != nil || n3.E164 != n1.E164 {
			t.Fatalf("after the quarantine, assignment = %+v, %v; want the released number", n3, err)
		}
	})
}
