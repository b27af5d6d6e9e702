package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"
)

// Secret returns the 32-byte secret called name, creating it on first use.
// Every node that shares the database gets the same bytes.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("store: secret %s: %w", name, err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
		name, fresh, Micros(time.Now())); err != nil {
		return nil, fmt.Errorf("store: secret %s: %w", name, err)
	}
	var v []byte
	if err := db.QueryRowContext(ctx, "SELECT value FROM secrets WHERE name = $1", name).Scan(&v); err != nil {
		return nil, fmt.Errorf("store: secret %s: %w", name, err)
	}
	return v, nil
}
