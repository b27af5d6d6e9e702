package jobs

import (
	"context"
	"database/sql"
	"strconv"
	"testing"

	"github.com/riverqueue/river"

	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// The anchor is the transaction a caller pays for anyway: one small row
// inserted and committed. BenchmarkInsertTx adds a job to that same
// transaction, so the difference is what durable follow-up work costs.

func benchDBs(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.Open(b, storetest.SQLiteURL(b))) })
	b.Run("postgres", func(b *testing.B) { fn(b, storetest.Open(b, storetest.PostgresURL(b))) })
}

func benchRow(ctx context.Context, tx *sql.Tx, i int) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key_hash, at) VALUES ($1, $2)`, strconv.Itoa(i), i)
	return err
}

func BenchmarkInsertTx(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		if err := Migrate(ctx, db); err != nil {
			b.Fatal(err)
		}
		q, err := New(db, testConfig())
		if err != nil {
			b.Fatal(err)
		}
		if err := Register(q, river.Worker[markArgs](&markWorker{})); err != nil {
			b.Fatal(err)
		}
		defer q.Stop(ctx)
		i := 0
		for b.Loop() {
			err := db.Tx(ctx, func(tx *sql.Tx) error {
				if err := benchRow(ctx, tx, i); err != nil {
					return err
				}
				_, err := q.InsertTx(ctx, tx, markArgs{Mark: "bench"}, nil)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkAnchorRowTx(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		i := 0
		for b.Loop() {
			if err := db.Tx(ctx, func(tx *sql.Tx) error { return benchRow(ctx, tx, i) }); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
