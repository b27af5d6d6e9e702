package privacy

import (
	"context"
	"fmt"
	"strings"

	"github.com/faxhaven/faxhaven/internal/store"
)

// Schema reads the tables of db and their columns, leaving out the job
// queue's own tables (river_*), whose rows hold job arguments that carry
// IDs only.
func Schema(ctx context.Context, db *store.DB) (map[string][]string, error) {
	q := `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
	if db.Dialect == store.SQLite {
		q = `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("privacy: read schema: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, fmt.Errorf("privacy: read schema: %w", err)
		}
		if strings.HasPrefix(t, "river_") {
			continue
		}
		out[t] = append(out[t], c)
	}
	return out, rows.Err()
}
