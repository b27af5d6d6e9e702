package jobs

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/faxhaven/faxhaven/internal/store"
)

// riverMigrationLock is the PostgreSQL advisory lock that serialises River's
// migrations when several nodes start at once ("FXRV").
const riverMigrationLock = 0x46585256

// Migrate brings River's tables (river_job and friends) up to date. The
// serve command runs it after the service's own migrations. It is safe to
// run on several nodes at once.
func Migrate(ctx context.Context, db *store.DB) error {
	var driver riverdriver.Driver[*sql.Tx]
	if db.Dialect == store.SQLite {
		driver = riversqlite.New(db.DB)
	} else {
		driver = riverdatabasesql.New(db.DB)
	}
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if db.Dialect == store.SQLite {
		// One immediate transaction: a second process waits for the
		// write lock, then finds nothing to do.
		return db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
				return fmt.Errorf("jobs: migrate: %w", err)
			}
			return nil
		})
	}
	// PostgreSQL: River's migrations add enum values that later ones use,
	// which must be committed first, so each runs in its own transaction
	// while a session advisory lock held on a side connection keeps other
	// nodes out.
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", riverMigrationLock); err != nil {
		return fmt.Errorf("jobs: migrate: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", riverMigrationLock)
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}
