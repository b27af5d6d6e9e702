package faxes

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/riverqueue/river"

	"github.com/faxhaven/faxhaven/internal/carrier"
	"github.com/faxhaven/faxhaven/internal/store"
)

// SendJob places the call for one outbound fax.
type SendJob struct {
	FaxID int64 `json:"fax_id"`
}

// Kind names the job in the queue.
func (SendJob) Kind() string { return "fax_send" }

// SendWorker runs SendJob.
type SendWorker struct {
	river.WorkerDefaults[SendJob]
	Service *Service
}

// ErrRetry wraps the outcome of an attempt that failed in a way a later
// attempt may not; the queue tries again after its backoff.
var ErrRetry = errors.New("faxes: will try again")

// Work sends the fax. It is safe to run more than once for the same fax: a
// fax in a final state is left alone, and the carrier call carries the
// fax's ID so a receiver that got it already keeps one copy.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendJob]) error {
	final, err := w.Service.attempt(ctx, job.Args.FaxID, job.Attempt >= job.MaxAttempts)
	if err != nil || final {
		return err
	}
	return ErrRetry
}

// attempt makes one attempt at sending and reports whether the fax reached
// a final state.
func (s *Service) attempt(ctx context.Context, id int64, last bool) (final bool, err error) {
	f, err := scanFax(s.DB.QueryRowContext(ctx, "SELECT "+faxCols+" FROM faxes WHERE id = $1", id))
	if errors.Is(err, ErrNotFound) {
		return true, nil // deleted account or fax: nothing left to do
	}
	if err != nil {
		return false, err
	}
	if f.Status.Final() {
		return true, nil
	}
	now := s.Clock.Now()
	if _, err := s.DB.ExecContext(ctx, "UPDATE faxes SET status = 'sending', attempts = attempts + 1, updated_at = $1 WHERE id = $2",
		store.Micros(now), id); err != nil {
		return false, fmt.Errorf("faxes: mark sending: %w", err)
	}
	files, err := s.files(ctx, s.DB, id)
	if err != nil {
		return false, err
	}
	var blobKey string
	for _, fl := range files {
		if fl.kind == "pages" {
			blobKey = fl.blobKey
		}
	}
	if blobKey == "" {
		return true, s.finish(ctx, f, Failed, "content_missing", "the fax pages are missing", 0, "")
	}
	rc, err := s.Content.Get(ctx, f.AccountID, blobKey)
	if err != nil {
		return false, fmt.Errorf("faxes: read pages: %w", err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return false, fmt.Errorf("faxes: read pages: %w", err)
	}
	pages, err := decodeTIFF(data)
	if err != nil {
		return true, s.finish(ctx, f, Failed, "content_damaged", err.Error(), 0, "")
	}
	ident := f.LocalNumber
	if len(ident) > 20 {
		ident = ident[:20]
	}
	res, err := s.Carrier.Send(ctx, &carrier.Outbound{
		CallID: fmt.Sprintf("fax-%d", id), From: f.LocalNumber, To: f.RemoteNumber, Ident: ident, Pages: pages,
	})
	if err != nil {
		// The carrier itself failed (not the call): record it and retry.
		res = &carrier.Result{Status: carrier.TrunkDown, Reason: "the call could not be placed", Detail: err.Error()}
	}
	switch {
	case res.Status == carrier.Delivered:
		return true, s.finish(ctx, f, Delivered, "", "", res.PagesSent, res.RemoteID)
	case !s.retries(res.Status) || last:
		return true, s.finish(ctx, f, Failed, res.Status.String(), joinReason(res), res.PagesSent, res.RemoteID)
	}
	_, err = s.DB.ExecContext(ctx, "UPDATE faxes SET status = 'queued', reason_code = $1, reason_detail = $2, updated_at = $3 WHERE id = $4",
		res.Status.String(), joinReason(res), store.Micros(s.Clock.Now()), id)
	if err != nil {
		return false, fmt.Errorf("faxes: record attempt: %w", err)
	}
	s.Logger.Info("fax attempt failed, will retry", "fax", id, "status", res.Status.String())
	return false, nil
}

// retries reports whether a call that ended with st is tried again.
func (s *Service) retries(st carrier.Status) bool {
	if s.RetryOn != nil {
		return s.RetryOn(st)
	}
	return st.Retryable()
}

func joinReason(r *carrier.Result) string {
	if r.Detail == "" {
		return r.Reason
	}
	return r.Reason + " (" + r.Detail + ")"
}

// finish puts the fax in its final state.
func (s *Service) finish(ctx context.Context, f *Fax, st Status, code, detail string, pages int, remoteID string) error {
	now := store.Micros(s.Clock.Now())
	// A fax that came by email: its sender is told the outcome, queued in
	// the same transaction as the final state (notify.go).
	notice, err := s.senderOutcome(ctx, f, st, code, detail)
	if err != nil {
		return err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		q := `UPDATE faxes SET status = $1, reason_code = $2, reason_detail = $3, remote_id = $4, updated_at = $5, completed_at = $5`
		args := []any{string(st), code, detail, remoteID, now}
		if st == Delivered {
			q += ", pages = $7"
			args = append(args, f.ID, pages)
		} else {
			args = append(args, f.ID)
		}
		if _, err := tx.ExecContext(ctx, q+" WHERE id = $6", args...); err != nil {
			return err
		}
		return notice.send(ctx, s, tx, f)
	})
	if err != nil {
		return fmt.Errorf("faxes: finish: %w", err)
	}
	s.Logger.Info("fax finished", "fax", f.ID, "status", string(st), "reason", code)
	return nil
}
