package privacy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/keys"
	"github.com/faxhaven/faxhaven/internal/store"
)

// FaxPDFs gives the PDF of an account's fax; the fax service implements
// it.
type FaxPDFs interface {
	PDF(ctx context.Context, accountID, faxID int64) ([]byte, error)
}

// ErrExportExpired means the link is unknown or past its lifetime.
var ErrExportExpired = errors.New("privacy: this export link has expired or is unknown; ask for a new export in your privacy centre")

// notExported are columns an export leaves out: secrets that prove
// nothing to the user and would weaken their account if leaked, and
// sealed copies whose content the export carries as files or text.
var notExported = map[string]bool{
	"password_hash": true, "token_hash": true, "key_hash": true, "wrapped": true,
	"raw": true, "payload": true, "subject_sealed": true, "friend_sealed": true, "email_hash": true,
}

// Export gathers everything stored about the account (D1) into a zip: a
// data.json with every registry table's rows for the account, and each
// fax as a PDF. The zip is sealed with the account's key in the blob
// store; the returned token is the download link's secret, valid for
// ExportLifetime. The caller has confirmed the user (Confirm).
func (s *Service) Export(ctx context.Context, accountID int64) (string, error) {
	data := map[string][]map[string]any{}
	for _, t := range Registry {
		if t.Owner == "" {
			continue
		}
		rows, err := s.DB.QueryContext(ctx, "SELECT * FROM "+t.Name+" WHERE "+t.Owner, accountID)
		if err != nil {
			return "", fmt.Errorf("privacy: export %s: %w", t.Name, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return "", err
			}
			rec := map[string]any{}
			for i, c := range cols {
				if notExported[c] {
					continue
				}
				if b, ok := vals[i].([]byte); ok {
					rec[c] = string(b)
				} else {
					rec[c] = vals[i]
				}
			}
			data[t.Name] = append(data[t.Name], rec)
		}
		rows.Close()
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("data.json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{
		"about":  "Everything Faxhaven stores about your account, table by table. Times are microseconds since 1970 (UTC). Secrets such as password hashes are left out; sealed copies of mail are in your mailbox.",
		"tables": data,
	}); err != nil {
		return "", err
	}
	if s.Faxes != nil {
		for _, f := range data["faxes"] {
			id, _ := strconv.ParseInt(fmt.Sprint(f["id"]), 10, 64)
			if del, _ := strconv.ParseInt(fmt.Sprint(f["deleted_at"]), 10, 64); del > 0 {
				continue
			}
			pdf, err := s.Faxes.PDF(ctx, accountID, id)
			if err != nil {
				return "", fmt.Errorf("privacy: export fax %d: %w", id, err)
			}
			w, _ := zw.Create(fmt.Sprintf("faxes/%s-%d.pdf", f["direction"], id))
			w.Write(pdf)
		}
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	key := "privacy/exports/" + accounts.HashToken(token)[:32] + ".zip"
	if _, err := (keys.Blobs{Store: s.Blobs, Keys: s.Keys}).Put(ctx, accountID, key, &buf); err != nil {
		return "", fmt.Errorf("privacy: store export: %w", err)
	}
	now := s.Clock.Now()
	if _, err := s.DB.ExecContext(ctx, `INSERT INTO privacy_exports (account_id, token_hash, blob_key, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, accountID, accounts.HashToken(token), key, store.Micros(now), store.Micros(now.Add(ExportLifetime))); err != nil {
		s.deleteBlobs(ctx, []string{key})
		return "", fmt.Errorf("privacy: record export: %w", err)
	}
	return token, nil
}

// Download opens the export of a link's token. The caller streams it to
// the user and closes it.
func (s *Service) Download(ctx context.Context, accountID int64, token string) (io.ReadCloser, error) {
	var key string
	var expires int64
	err := s.DB.QueryRowContext(ctx, "SELECT blob_key, expires_at FROM privacy_exports WHERE token_hash = $1 AND account_id = $2",
		accounts.HashToken(token), accountID).Scan(&key, &expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !s.Clock.Now().Before(store.Time(expires))) {
		return nil, ErrExportExpired
	}
	if err != nil {
		return nil, fmt.Errorf("privacy: download: %w", err)
	}
	return keys.Blobs{Store: s.Blobs, Keys: s.Keys}.Get(ctx, accountID, key)
}
