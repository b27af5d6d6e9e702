package privacy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/faxhaven/faxhaven/internal/blobs"
	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/keys"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Service carries out the privacy policy on the service's data. DB, Clock,
// Keys and Blobs are required.
type Service struct {
	DB    *store.DB
	Clock clock.Clock
	Keys  *keys.Keyring
	// Blobs is the raw blob store: erasure and retention delete content
	// from it, export writes the sealed zip to it.
	Blobs  blobs.Store
	Logger *slog.Logger
	// Secret keys the hashes of child blocks and referrals; all nodes must
	// share it (store.DB.Secret).
	Secret []byte
	// Mailer sends the notices the policy promises; Staff is the audited
	// door of legal cases and content access.
	Mailer Mailer
	Staff  *staff.Service
	// Faxes gives the PDFs an export carries; nil exports data only.
	Faxes FaxPDFs
	// Prune, if set, runs with each retention pass: the accounts service's
	// pruning of sessions, login failures and used tokens.
	Prune func(context.Context) error
}

// ErrNotFound means the account does not exist (any more).
var ErrNotFound = errors.New("privacy: no such account")

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// keyedHash is the hex HMAC-SHA-256 of v under the service secret, so a
// stored hash cannot be reversed by hashing guessed addresses without it.
func (s *Service) keyedHash(v string) string {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(v))))
	return hex.EncodeToString(m.Sum(nil))
}

// held reports whether a legal hold that is not released names the account.
func held(ctx context.Context, q store.Querier, accountID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM legal_holds WHERE account_id = $1 AND released_at = 0", accountID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("privacy: legal holds: %w", err)
	}
	return n > 0, nil
}

// Held reports whether a legal hold suspends erasure and retention for the
// account.
func (s *Service) Held(ctx context.Context, accountID int64) (bool, error) {
	return held(ctx, s.DB, accountID)
}

// accountBlobs lists the blob keys of everything stored for the account.
func accountBlobs(ctx context.Context, q store.Querier, accountID int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT blob_key FROM fax_files WHERE fax_id IN (SELECT id FROM faxes WHERE account_id = $1)
		UNION ALL SELECT blob_key FROM privacy_exports WHERE account_id = $1`, accountID)
	if err != nil {
		return nil, fmt.Errorf("privacy: list content: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (s *Service) deleteBlobs(ctx context.Context, list []string) {
	for _, k := range list {
		if err := s.Blobs.Delete(ctx, k); err != nil && !errors.Is(err, blobs.ErrNotFound) {
			// The content is sealed with a destroyed key or its row is gone:
			// unreadable either way; the log names the key, not the person.
			s.logger().Warn("privacy: blob left after deletion", "key", k, "err", err)
		}
	}
}
