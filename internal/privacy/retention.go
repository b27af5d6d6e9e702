package privacy

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/faxhaven/faxhaven/internal/store"
)

// RetentionReport counts what one retention run deleted.
type RetentionReport struct {
	Faxes, Mail, Unverified, Referrals, Exports, Inbound, JunkReports, Surveys, Erasures int
}

// Retain deletes every category of data whose retention period has ended
// (RT1, C5): faxes after the user's chosen period (else the brand's, else
// DefaultFaxRetention),
// sent mail, accounts never verified, referral details after the window,
// exports, finished email-to-fax messages, old junk reports and survey
// answers; and it completes erasures that waited for a legal hold. Data of
// accounts under a legal hold is left alone. Prune, if set, runs too
// (sessions and login limits: accounts.Service.Prune).
func (s *Service) Retain(ctx context.Context) (*RetentionReport, error) {
	now := s.Clock.Now()
	r := &RetentionReport{}
	notHeld := "account_id NOT IN (SELECT account_id FROM legal_holds WHERE released_at = 0)"
	cut := func(d time.Duration) int64 { return store.Micros(now.Add(-d)) }

	// Faxes: the user's period, else the brand's, else the default.
	rows, err := s.DB.QueryContext(ctx, `SELECT f.id, f.account_id FROM faxes f JOIN accounts a ON a.id = f.account_id
		JOIN brands b ON b.id = a.brand_id LEFT JOIN privacy_choices c ON c.account_id = f.account_id
		WHERE f.`+notHeld+` AND f.status IN ('delivered', 'failed', 'received')
		AND f.created_at < $1 - (CASE WHEN c.fax_retention_days > 0 THEN c.fax_retention_days
			WHEN b.fax_retention_days > 0 THEN b.fax_retention_days ELSE $2 END) * 86400000000`,
		store.Micros(now), int64(DefaultFaxRetention/(24*time.Hour)))
	if err != nil {
		return nil, fmt.Errorf("privacy: retention: faxes: %w", err)
	}
	type fax struct{ id, account int64 }
	var old []fax
	for rows.Next() {
		var f fax
		if err := rows.Scan(&f.id, &f.account); err != nil {
			rows.Close()
			return nil, err
		}
		old = append(old, f)
	}
	rows.Close()
	for _, f := range old {
		var content []string
		err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			rs, err := tx.QueryContext(ctx, "SELECT blob_key FROM fax_files WHERE fax_id = $1", f.id)
			if err != nil {
				return err
			}
			for rs.Next() {
				var k string
				rs.Scan(&k)
				content = append(content, k)
			}
			rs.Close()
			for _, q := range []string{"DELETE FROM fax_files WHERE fax_id = $1", "DELETE FROM fax_email_origin WHERE fax_id = $1",
				"DELETE FROM junk_reports WHERE fax_id = $1", "DELETE FROM faxes WHERE id = $1"} {
				if _, err := tx.ExecContext(ctx, q, f.id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("privacy: retention: fax %d: %w", f.id, err)
		}
		s.deleteBlobs(ctx, content)
		r.Faxes++
	}

	// Exports: the blob first goes with its row.
	rows, err = s.DB.QueryContext(ctx, "SELECT blob_key FROM privacy_exports WHERE expires_at <= $1", store.Micros(now))
	if err != nil {
		return nil, fmt.Errorf("privacy: retention: exports: %w", err)
	}
	var exports []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		exports = append(exports, k)
	}
	rows.Close()
	if _, err := s.DB.ExecContext(ctx, "DELETE FROM privacy_exports WHERE expires_at <= $1", store.Micros(now)); err != nil {
		return nil, fmt.Errorf("privacy: retention: exports: %w", err)
	}
	s.deleteBlobs(ctx, exports)
	r.Exports = len(exports)

	for _, d := range []struct {
		n    *int
		what string
		q    string
		arg  int64
	}{
		{&r.Mail, "mail", "DELETE FROM mail_messages WHERE status <> 'queued' AND created_at < $1 AND (account_id = 0 OR " + notHeld + ")", cut(MailRetention)},
		{&r.Referrals, "referrals", "DELETE FROM referrals WHERE expires_at <= $1", store.Micros(now)},
		{&r.Inbound, "email to fax", "DELETE FROM email_inbound WHERE status <> 'queued' AND created_at < $1 AND " + notHeld, cut(InboundMailRetention)},
		{&r.JunkReports, "junk reports", "DELETE FROM junk_reports WHERE at < $1", cut(Lookup("junk_reports").Period)},
		{&r.Surveys, "survey answers", "DELETE FROM survey_answers WHERE at < $1", cut(Lookup("survey_answers").Period)},
		{new(int), "email changes", "DELETE FROM email_changes WHERE expires_at <= $1", store.Micros(now)},
	} {
		res, err := s.DB.ExecContext(ctx, d.q, d.arg)
		if err != nil {
			return nil, fmt.Errorf("privacy: retention: %s: %w", d.what, err)
		}
		n, _ := res.RowsAffected()
		*d.n = int(n)
	}

	// Accounts never verified are erased whole.
	rows, err = s.DB.QueryContext(ctx, "SELECT id FROM accounts WHERE email_verified_at = 0 AND created_at < $1 AND id NOT IN (SELECT account_id FROM legal_holds WHERE released_at = 0)",
		cut(UnverifiedRetention))
	if err != nil {
		return nil, fmt.Errorf("privacy: retention: unverified accounts: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if _, err := s.Erase(ctx, id); err != nil {
			return nil, err
		}
		r.Unverified++
	}
	if r.Erasures, err = s.finishPending(ctx); err != nil {
		return nil, err
	}
	if s.Prune != nil {
		if err := s.Prune(ctx); err != nil {
			return nil, err
		}
	}
	s.logger().Info("retention run", "faxes", r.Faxes, "mail", r.Mail, "unverified", r.Unverified, "referrals", r.Referrals,
		"exports", r.Exports, "inbound", r.Inbound, "junk", r.JunkReports, "surveys", r.Surveys, "erasures", r.Erasures)
	return r, nil
}

// RetentionJob is the periodic job that runs Retain.
type RetentionJob struct{}

// Kind names the job in the queue.
func (RetentionJob) Kind() string { return "privacy_retention" }

// RetentionWorker runs RetentionJob.
type RetentionWorker struct {
	river.WorkerDefaults[RetentionJob]
	Privacy *Service
}

// Work runs one retention pass.
func (w *RetentionWorker) Work(ctx context.Context, _ *river.Job[RetentionJob]) error {
	_, err := w.Privacy.Retain(ctx)
	return err
}

// RetentionPeriodic schedules the retention job every interval (an hour is
// a good default); the queue's leader inserts it once per period across
// the cluster.
func RetentionPeriodic(every time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return RetentionJob{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// SetBrandFaxRetention sets how many days a brand keeps faxes when the
// user chose nothing; 0 means DefaultFaxRetention.
func (s *Service) SetBrandFaxRetention(ctx context.Context, brandID int64, days int) error {
	if days != 0 && (days < MinFaxRetentionDays || days > MaxFaxRetentionDays) {
		return fmt.Errorf("privacy: brand fax retention of %d days: choose between %d and %d, or 0 for the default", days, MinFaxRetentionDays, MaxFaxRetentionDays)
	}
	if _, err := s.DB.ExecContext(ctx, "UPDATE brands SET fax_retention_days = $1 WHERE id = $2", days, brandID); err != nil {
		return fmt.Errorf("privacy: brand fax retention: %w", err)
	}
	return nil
}
