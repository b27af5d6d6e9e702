// Package store opens the service's SQL database, SQLite or PostgreSQL, and
// keeps its schema current.
//
// Both databases run the same migrations and the same queries. Queries use
// PostgreSQL's $1 placeholders, which the SQLite driver also accepts; the few
// schema differences (identity columns, binary type) are written once in the
// migration files as macros that Migrate expands per dialect. Times are
// stored as integer microseconds since the Unix epoch, UTC, so comparisons
// behave the same on both.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect is the SQL database family behind a DB.
type Dialect int

// The supported dialects.
const (
	SQLite Dialect = iota
	Postgres
)

// String names the dialect.
func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is an open service database.
type DB struct {
	*sql.DB
	Dialect Dialect
	// DSN is the driver connection string, for components (such as the job
	// queue) that open their own pool on the same database.
	DSN string
}

// Open opens the database named by rawURL: a postgres:// or postgresql://
// URL for PostgreSQL; sqlite:PATH, file:PATH or a bare path for SQLite. The
// directory of a SQLite file is created if missing.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	d, dsn, err := parse(rawURL)
	if err != nil {
		return nil, err
	}
	driver := "sqlite"
	if d == Postgres {
		driver = "pgx"
	}
	sdb, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d, err)
	}
	if d == SQLite {
		// SQLite allows one writer at a time; WAL lets readers go on, and
		// the busy timeout makes writers queue instead of failing.
		sdb.SetMaxOpenConns(8)
	} else {
		sdb.SetMaxOpenConns(20)
	}
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sdb.PingContext(pctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", d, err)
	}
	return &DB{DB: sdb, Dialect: d, DSN: dsn}, nil
}

func parse(rawURL string) (Dialect, string, error) {
	switch {
	case rawURL == "":
		return 0, "", errors.New("store: no database URL given")
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		if _, err := url.Parse(rawURL); err != nil {
			return 0, "", fmt.Errorf("store: database URL: %w", err)
		}
		return Postgres, rawURL, nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		return 0, "", fmt.Errorf("store: database URL %q names no file", rawURL)
	}
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return 0, "", fmt.Errorf("store: create database directory: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return SQLite, "file:" + path + "?" + q.Encode(), nil
}

// Tx runs fn in a transaction and commits it if fn returns nil.
func (db *DB) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// Querier is what both *sql.DB and *sql.Tx offer, so data functions can run
// inside or outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Time converts a stored timestamp to a time.Time in UTC. Zero stays zero.
func Time(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// Micros converts a time.Time to its stored form. The zero time is 0.
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either database.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || // SQLite
		strings.Contains(s, "SQLSTATE 23505") // PostgreSQL
}

// nowFunc stamps bookkeeping rows such as applied migrations.
var nowFunc = time.Now
