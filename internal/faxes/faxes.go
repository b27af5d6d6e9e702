// Package faxes is the heart of the service: the faxes an account sends
// and receives. It takes a send request, renders it into fax pages and
// queues it durably; a job places the call through a carrier; inbound faxes
// from a carrier land in the inbox and go out by email.
//
// Fax content is stored only as fax pages (TIFF Class F), sealed with the
// account's key; the PDF a user opens is made from them on demand, without
// re-coding the pages. The uploaded documents themselves are not kept.
package faxes

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/faxhaven/faxhaven/fax/render"
	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/carrier"
	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/numbers"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Direction says whether a fax was sent or received.
type Direction string

// The two directions.
const (
	Out Direction = "out"
	In  Direction = "in"
)

// Status is where a fax stands.
type Status string

// Statuses. Delivered, Failed and Received are final.
const (
	Queued    Status = "queued"
	Sending   Status = "sending"
	Delivered Status = "delivered"
	Failed    Status = "failed"
	Received  Status = "received"
)

// Final reports whether the status can no longer change.
func (s Status) Final() bool { return s == Delivered || s == Failed || s == Received }

// Fax is one fax, sent or received.
type Fax struct {
	ID           int64
	AccountID    int64
	Direction    Direction
	Status       Status
	LocalNumber  string // the account's number
	RemoteNumber string // the other side's number
	RemoteID     string // the other side's fax identity (CSI/TSI)
	Pages        int
	Resolution   string
	CoverNote    string
	Attempts     int
	// ReasonCode is a carrier.Status name or an internal code; ReasonDetail
	// is the protocol particulars, for support.
	ReasonCode, ReasonDetail string
	CreatedAt, UpdatedAt     time.Time
	CompletedAt              time.Time
}

// ErrNotFound reports a fax that does not exist or is not the caller's.
// Both look the same, so fax IDs reveal nothing.
var ErrNotFound = errors.New("faxes: no such fax")

// ErrBlocked refuses an inbound fax from a sender the account or its
// brand blocked (J1).
// It wraps carrier.ErrRefused, so the carrier rejects the call for good.
var ErrBlocked = fmt.Errorf("faxes: the recipient has blocked this sender: %w", carrier.ErrRefused)

// Content stores fax content sealed with the owning account's key.
type Content interface {
	Put(ctx context.Context, accountID int64, key string, r io.Reader) (int64, error)
	Get(ctx context.Context, accountID int64, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
}

// Queue inserts jobs inside a caller's transaction.
type Queue interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args JobArgs) error
}

// JobArgs is a job for the queue: SendJob or EmailJob.
type JobArgs interface{ Kind() string }

// Mailer queues an email inside a caller's transaction.
type Mailer interface {
	EnqueueTx(ctx context.Context, tx *sql.Tx, accountID int64, m *Email) error
}

// Email is a message the service sends about a fax.
type Email struct {
	From, To    string
	ReturnPath  string // envelope sender for bounces (email_in.go); From when ""
	Subject     string
	Text        string
	Attachments []Attachment
}

// Attachment is a file attached to an Email.
type Attachment struct {
	Name, ContentType string
	Data              []byte
}

// Service sends and receives faxes for accounts.
type Service struct {
	DB      *store.DB
	Clock   clock.Clock
	Content Content
	Queue   Queue
	Mail    Mailer
	Numbers *numbers.Service
	Brands  *brands.Service
	Carrier carrier.Carrier
	Logger  *slog.Logger

	// Blocked, if set, reports whether the account refuses faxes from the
	// caller number or fax ID (privacy, J1); Deliver refuses them with
	// ErrBlocked before storing anything.
	Blocked func(ctx context.Context, accountID int64, from, remoteID string) (bool, error)

	// Render holds the rendering defaults (PDFium cache, limits).
	Render render.Options
	// MaxUpload bounds the total size of one send request, in bytes.
	MaxUpload int64
	// MaxPages bounds the pages of one fax, cover page included.
	MaxPages int
	// SendAttempts is how often a fax is tried before it fails for good.
	SendAttempts int
	// RetryOn says which call outcomes are tried again (until
	// SendAttempts); nil means carrier.Status.Retryable.
	RetryOn func(carrier.Status) bool

	// Email to fax (email_in.go): Sealer seals accepted messages with the
	// account's key; EmailRateLimit bounds messages per account per hour.
	Sealer         Sealer
	EmailRateLimit int
	// BounceKey keys the tags of fax-to-email return paths
	// (recipients.go); every node must share it (store.DB.Secret).
	BounceKey []byte
}

// Sealer encrypts values with an account's key (keys.Keyring).
type Sealer interface {
	SealTx(ctx context.Context, q store.Querier, accountID int64, plaintext, aad []byte) ([]byte, error)
	Open(ctx context.Context, accountID int64, sealed, aad []byte) ([]byte, error)
}

const faxCols = `id, account_id, direction, status, local_number, remote_number, remote_id, pages, resolution,
	cover_note, attempts, reason_code, reason_detail, created_at, updated_at, completed_at`

func scanFax(row interface{ Scan(...any) error }) (*Fax, error) {
	var f Fax
	var created, updated, completed int64
	err := row.Scan(&f.ID, &f.AccountID, &f.Direction, &f.Status, &f.LocalNumber, &f.RemoteNumber, &f.RemoteID,
		&f.Pages, &f.Resolution, &f.CoverNote, &f.Attempts, &f.ReasonCode, &f.ReasonDetail, &created, &updated, &completed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("faxes: %w", err)
	}
	f.CreatedAt, f.UpdatedAt, f.CompletedAt = store.Time(created), store.Time(updated), store.Time(completed)
	return &f, nil
}

// Get returns the account's fax id. A fax of another account is
// ErrNotFound: authorization is part of the query.
func (s *Service) Get(ctx context.Context, accountID, id int64) (*Fax, error) {
	return scanFax(s.DB.QueryRowContext(ctx, "SELECT "+faxCols+" FROM faxes WHERE id = $1 AND account_id = $2 AND deleted_at = 0", id, accountID))
}

// List returns the account's faxes in one direction, newest first, at most
// limit of them, created before the given fax ID (0 for the newest).
func (s *Service) List(ctx context.Context, accountID int64, dir Direction, beforeID int64, limit int) ([]*Fax, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := "SELECT " + faxCols + " FROM faxes WHERE account_id = $1 AND direction = $2 AND deleted_at = 0"
	args := []any{accountID, string(dir)}
	if beforeID > 0 {
		q += " AND id < $3"
		args = append(args, beforeID)
	}
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT %d", limit)
	rows, err := s.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("faxes: list: %w", err)
	}
	defer rows.Close()
	var out []*Fax
	for rows.Next() {
		f, err := scanFax(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// pagesKey is the blob key of a fax's pages.
func pagesKey(dir Direction, token string) string { return string(dir) + "/" + token + "/pages.tiff" }

// file is a row of fax_files.
type file struct {
	kind, name, contentType, blobKey string
	size                             int64
}

func (s *Service) files(ctx context.Context, q store.Querier, faxID int64) ([]file, error) {
	rows, err := q.QueryContext(ctx, "SELECT kind, name, content_type, size, blob_key FROM fax_files WHERE fax_id = $1 ORDER BY kind, seq", faxID)
	if err != nil {
		return nil, fmt.Errorf("faxes: files: %w", err)
	}
	defer rows.Close()
	var out []file
	for rows.Next() {
		var f file
		if err := rows.Scan(&f.kind, &f.name, &f.contentType, &f.size, &f.blobKey); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Delete removes a fax from the account: its content is deleted from the
// blob store and the identifying fields of its row are cleared. A fax that
// is still being sent cannot be deleted yet.
func (s *Service) Delete(ctx context.Context, accountID, id int64) error {
	f, err := s.Get(ctx, accountID, id)
	if err != nil {
		return err
	}
	if !f.Status.Final() {
		return &Error{Code: "fax.err.busy", Msg: "the fax is still being sent; delete it when it has finished"}
	}
	files, err := s.files(ctx, s.DB, id)
	if err != nil {
		return err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM fax_files WHERE fax_id = $1", id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE faxes SET deleted_at = $1, remote_number = '', remote_id = '', cover_note = '',
			reason_detail = '' WHERE id = $2 AND account_id = $3`, store.Micros(s.Clock.Now()), id, accountID)
		return err
	})
	if err != nil {
		return fmt.Errorf("faxes: delete: %w", err)
	}
	// The row no longer points at the content, so a failure here leaves
	// unreachable sealed bytes, never a fax without its pages.
	for _, fl := range files {
		if err := s.Content.Delete(ctx, fl.blobKey); err != nil {
			s.Logger.Warn("faxes: content left after delete", "fax", id, "err", err)
		}
	}
	return nil
}

// Error is a problem with what the user asked for. Code is a catalog key
// the portal translates; Msg says the same in English, naming the cause.
type Error struct {
	Code string
	Msg  string
	Args []any // values for the catalog text, such as a file name
}

func (e *Error) Error() string { return e.Msg }
