package faxes

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/render"
	"github.com/faxhaven/faxhaven/internal/numbers"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Upload is one document of a send request.
type Upload struct {
	Name string
	Data []byte
}

// SendRequest is a fax an account asks to send.
type SendRequest struct {
	To        string // as the user typed it
	Country   string // the account's country, for national number formats
	Files     []Upload
	Cover     bool   // add a cover page (always when CoverNote is set)
	CoverTo   string // recipient's name on the cover page
	Subject   string // cover page subject
	CoverNote string
	// Resolution of the fax; the zero value means fine.
	Resolution page.Resolution
	// IdempotencyKey makes a repeated request (a double click, a client
	// retry) return the fax of the first one instead of sending twice.
	IdempotencyKey string
	Lang           string // language of the cover page

	// origin is set for faxes sent on behalf of an email (email_in.go),
	// so the sender hears the outcome.
	origin *emailOrigin
}

// MaxCoverNote bounds the cover note, in characters.
const MaxCoverNote = 4000

// Send validates req, renders its documents into fax pages, stores them
// and queues the fax, all before it returns: a fax it returns is durable.
// Problems with the request are *Error values that name the cause.
func (s *Service) Send(ctx context.Context, accountID int64, req SendRequest) (*Fax, error) {
	if req.IdempotencyKey != "" {
		if f, err := s.byKey(ctx, accountID, req.IdempotencyKey); err == nil {
			return f, nil
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	to, err := numbers.Parse(req.To, req.Country)
	if err != nil {
		return nil, &Error{Code: numberErrorKey(err), Msg: "the recipient's fax number is not valid: " + err.Error()}
	}
	if len(req.Files) == 0 && strings.TrimSpace(req.CoverNote) == "" {
		return nil, &Error{Code: "fax.err.nothing_to_send", Msg: "add a document or write a cover note"}
	}
	if utf8.RuneCountInString(req.CoverNote) > MaxCoverNote {
		return nil, &Error{Code: "fax.err.note_too_long", Msg: fmt.Sprintf("the cover note is longer than %d characters", MaxCoverNote), Args: []any{MaxCoverNote}}
	}
	var total int64
	for _, f := range req.Files {
		if len(f.Data) == 0 {
			return nil, &Error{Code: "fax.err.file_empty", Msg: fmt.Sprintf("the file %q is empty", f.Name), Args: []any{f.Name}}
		}
		total += int64(len(f.Data))
	}
	if s.MaxUpload > 0 && total > s.MaxUpload {
		return nil, &Error{Code: "fax.err.upload_too_large", Msg: fmt.Sprintf("the files add up to %d MB; the limit is %d MB", mb(total), mb(s.MaxUpload)),
			Args: []any{mb(total), mb(s.MaxUpload)}}
	}
	acct, err := s.account(ctx, accountID)
	if err != nil {
		return nil, err
	}
	nums, err := s.Numbers.ForAccount(ctx, s.DB, accountID)
	if err != nil {
		return nil, err
	}
	if len(nums) == 0 {
		return nil, &Error{Code: "fax.err.no_number", Msg: "your account has no fax number yet; verify your email address first"}
	}
	from := nums[0].E164

	ropts := s.Render
	if req.Resolution != (page.Resolution{}) {
		ropts.Resolution = req.Resolution
	}
	if ropts.Resolution == (page.Resolution{}) {
		ropts.Resolution = page.Fine
	}
	var pages []*page.Page
	for _, f := range req.Files {
		if _, err := render.Detect(f.Data); err != nil {
			return nil, &Error{Code: "fax.err.file_type", Msg: fmt.Sprintf("the file %q: %v", f.Name, err), Args: []any{f.Name}}
		}
		ps, err := render.Document(ctx, f.Data, ropts)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &Error{Code: "fax.err.file_unreadable", Msg: fmt.Sprintf("the file %q could not be read: %v", f.Name, err), Args: []any{f.Name, err.Error()}}
		}
		pages = append(pages, ps...)
		if s.MaxPages > 0 && len(pages) > s.MaxPages {
			return nil, &Error{Code: "fax.err.too_many_pages", Msg: fmt.Sprintf("the fax has more than %d pages", s.MaxPages), Args: []any{s.MaxPages}}
		}
	}
	now := s.Clock.Now()
	brandName := ""
	if b, err := s.Brands.ByID(ctx, acct.brandID); err == nil {
		brandName = b.Name
	}
	if req.Cover || strings.TrimSpace(req.CoverNote) != "" {
		cover, err := render.Cover(render.CoverSheet{
			Lang: req.Lang, To: req.CoverTo, ToFax: to, From: acct.name, FromFax: from,
			Subject: req.Subject, Note: req.CoverNote, Pages: len(pages) + 1, Date: now, Brand: brandName,
		}, ropts)
		if err != nil {
			return nil, fmt.Errorf("faxes: cover page: %w", err)
		}
		pages = append([]*page.Page{cover}, pages...)
	}
	if s.MaxPages > 0 && len(pages) > s.MaxPages {
		return nil, &Error{Code: "fax.err.too_many_pages", Msg: fmt.Sprintf("the fax has more than %d pages", s.MaxPages), Args: []any{s.MaxPages}}
	}
	if err := render.Headers(pages, render.HeaderLine{Time: now, From: from, To: to, Name: brandName}); err != nil {
		return nil, fmt.Errorf("faxes: header line: %w", err)
	}
	tiffData, err := encodeTIFF(pages, nil)
	if err != nil {
		return nil, fmt.Errorf("faxes: store pages: %w", err)
	}

	key := req.IdempotencyKey
	if key == "" {
		key = token()
	}
	key = fmt.Sprintf("out:%d:%s", accountID, key)
	blobKey := pagesKey(Out, token())
	if _, err := s.Content.Put(ctx, accountID, blobKey, bytes.NewReader(tiffData)); err != nil {
		return nil, fmt.Errorf("faxes: store pages: %w", err)
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO faxes (account_id, direction, status, local_number, remote_number, pages,
			resolution, cover_note, idempotency_key, created_at, updated_at)
			VALUES ($1, 'out', 'queued', $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
			accountID, from, to, len(pages), ropts.Resolution.String(), req.CoverNote, key, store.Micros(now)).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO fax_files (fax_id, kind, seq, name, content_type, size, blob_key)
			VALUES ($1, 'pages', 1, 'pages.tiff', 'image/tiff', $2, $3)`, id, len(tiffData), blobKey); err != nil {
			return err
		}
		if req.origin != nil { // a fax for an email: remember whom to tell
			if err := recordOrigin(ctx, tx, id, req.origin); err != nil {
				return err
			}
		}
		return s.Queue.InsertTx(ctx, tx, SendJob{FaxID: id})
	})
	if err != nil {
		s.Content.Delete(context.WithoutCancel(ctx), blobKey)
		if store.IsUniqueViolation(err) && req.IdempotencyKey != "" {
			// The same request was committed by a concurrent call.
			return s.byKey(ctx, accountID, req.IdempotencyKey)
		}
		return nil, fmt.Errorf("faxes: queue: %w", err)
	}
	s.Logger.Info("fax queued", "fax", id, "pages", len(pages))
	return s.Get(ctx, accountID, id)
}

func (s *Service) byKey(ctx context.Context, accountID int64, key string) (*Fax, error) {
	return scanFax(s.DB.QueryRowContext(ctx, "SELECT "+faxCols+" FROM faxes WHERE idempotency_key = $1 AND account_id = $2",
		fmt.Sprintf("out:%d:%s", accountID, key), accountID))
}

// accountInfo is what the fax side needs to know of an account.
type accountInfo struct {
	brandID           int64
	name, email, lang string
}

func (s *Service) account(ctx context.Context, id int64) (*accountInfo, error) {
	var a accountInfo
	err := s.DB.QueryRowContext(ctx, "SELECT brand_id, name, email, language FROM accounts WHERE id = $1 AND status = 'active'", id).
		Scan(&a.brandID, &a.name, &a.email, &a.lang)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("faxes: account %d is not active", id)
	}
	if err != nil {
		return nil, fmt.Errorf("faxes: account: %w", err)
	}
	return &a, nil
}

func token() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func mb(n int64) int64 { return (n + 1<<20 - 1) >> 20 }

// numberErrorKey maps a number parsing error to its catalog key.
func numberErrorKey(err error) string {
	switch {
	case errors.Is(err, numbers.ErrEmpty):
		return "fax.err.number_empty"
	case errors.Is(err, numbers.ErrCharacters):
		return "fax.err.number_characters"
	case errors.Is(err, numbers.ErrNoCountry):
		return "fax.err.number_no_country"
	case errors.Is(err, numbers.ErrCountryCode):
		return "fax.err.number_country_code"
	}
	return "fax.err.number_length"
}
