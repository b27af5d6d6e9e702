package privacy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
)

type recipient struct {
	id                int64
	name, email, lang string
}

func (s *Service) recipients(ctx context.Context, q store.Querier, where string, args ...any) ([]recipient, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, name, email, language FROM accounts WHERE "+where+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("privacy: recipients: %w", err)
	}
	defer rows.Close()
	var out []recipient
	for rows.Next() {
		var r recipient
		if err := rows.Scan(&r.id, &r.name, &r.email, &r.lang); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// NotifyPolicyChange emails the brand's users who opted in about a
// material change of the policy version (N1); users who opted out or
// closed their account are not contacted. It returns how many it mailed.
// A version that is not material mails nobody: it is shown on the site.
func (s *Service) NotifyPolicyChange(ctx context.Context, brandID int64, version, link string) (int, error) {
	var material bool
	var brand string
	err := s.DB.QueryRowContext(ctx, `SELECT p.material, b.name FROM policy_versions p JOIN brands b ON b.id = p.brand_id
		WHERE p.brand_id = $1 AND p.version = $2`, brandID, version).Scan(&material, &brand)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("privacy: policy version %q of brand %d is not published", version, brandID)
	}
	if err != nil || !material {
		return 0, err
	}
	n := 0
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		list, err := s.recipients(ctx, tx, "brand_id = $1 AND status = 'active' AND marketing_opt_in AND email_verified_at > 0", brandID)
		if err != nil {
			return err
		}
		for _, r := range list {
			if err := s.Mailer.EnqueueTx(ctx, tx, r.id, Mail{To: r.email, Kind: "policy_change",
				Subject: i18n.T(r.lang, "mail.policy.subject", brand), Text: i18n.T(r.lang, "mail.policy.body", r.name, version, link)}); err != nil {
				return err
			}
		}
		n = len(list)
		return nil
	})
	return n, err
}

// MayUseNewly lists the brand's active accounts whose data may be used for
// a purpose that policy version introduced (N1): only those who consented
// to it under that version. Everyone else's data stays under the version
// it was collected under.
func (s *Service) MayUseNewly(ctx context.Context, brandID int64, purpose, version string) ([]int64, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT a.id FROM accounts a WHERE a.brand_id = $1 AND a.status = 'active' AND EXISTS (
		SELECT 1 FROM consent_ledger l WHERE l.account_id = a.id AND l.purpose = $2 AND l.policy_version = $3 AND l.granted
		AND l.id = (SELECT MAX(id) FROM consent_ledger m WHERE m.account_id = a.id AND m.purpose = $2)) ORDER BY a.id`, brandID, purpose, version)
	if err != nil {
		return nil, fmt.Errorf("privacy: new use: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// ConsentToNewUse records a user's consent to a new use under the brand's
// current policy version, which the account then accepts (N1).
func (s *Service) ConsentToNewUse(ctx context.Context, accountID int64, purpose, version string, granted bool, method string) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET policy_version = $1, policy_accepted_at = $2 WHERE id = $3",
			version, store.Micros(s.Clock.Now()), accountID); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, accountID, purpose, granted, method)
	})
}

// ErrTransferTooSoon means no transfer notice has reached every user, or
// its date has not come.
var ErrTransferTooSoon = errors.New("privacy: personal data may not move yet: every user must be notified first and the notice's date must have passed (B1)")

// AnnounceTransfer tells every user of the brand (active or closed and
// not yet erased) that their data will move to a new owner or policy on
// moveAfter (B1), and records the notice.
func (s *Service) AnnounceTransfer(ctx context.Context, actor *staff.Member, brandID int64, text string, moveAfter time.Time, link string) (int, error) {
	if len(text) < 20 {
		return 0, errors.New("privacy: a transfer notice must say who the new owner is and what changes")
	}
	n := 0
	err := s.Staff.Open(ctx, actor, staff.Access{Action: staff.ActionViewAccount, SubjectKind: "brand", SubjectID: brandID,
		Ground: "B1 business transfer notice", Detail: "email addresses of every user"}, func(tx *sql.Tx) error {
		list, err := s.recipients(ctx, tx, "brand_id = $1", brandID)
		if err != nil {
			return err
		}
		for _, r := range list {
			if err := s.Mailer.EnqueueTx(ctx, tx, r.id, Mail{To: r.email, Kind: "transfer", Subject: i18n.T(r.lang, "mail.transfer.subject", brandName(ctx, tx, brandID)),
				Text: i18n.T(r.lang, "mail.transfer.body", r.name, text, moveAfter.UTC().Format("2006-01-02"), link)}); err != nil {
				return err
			}
		}
		n = len(list)
		_, err = tx.ExecContext(ctx, "INSERT INTO transfer_notices (brand_id, sent_at, move_after, recipients) VALUES ($1, $2, $3, $4)",
			brandID, store.Micros(s.Clock.Now()), store.Micros(moveAfter), n)
		return err
	})
	return n, err
}

// TransferMayProceed reports whether the brand's data may move now: a
// notice went out, its date has passed, and no account exists that was
// created after it (and so was never told).
func (s *Service) TransferMayProceed(ctx context.Context, brandID int64) error {
	var sent, after int64
	err := s.DB.QueryRowContext(ctx, "SELECT sent_at, move_after FROM transfer_notices WHERE brand_id = $1 ORDER BY id DESC LIMIT 1", brandID).Scan(&sent, &after)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrTransferTooSoon
	}
	if err != nil {
		return err
	}
	var late int
	if err := s.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM accounts WHERE brand_id = $1 AND created_at > $2", brandID, sent).Scan(&late); err != nil {
		return err
	}
	if late > 0 || s.Clock.Now().Before(store.Time(after)) {
		return ErrTransferTooSoon
	}
	return nil
}

// Announcement kinds (M2): strictly about the service.
var announcementKinds = map[string]bool{"maintenance": true, "outage": true, "security": true, "service_change": true}

// Announce sends a service announcement to every active user of the brand
// (M2), whatever their marketing choices: it must be about the service
// (kind maintenance, outage, security or service_change), carries no
// promotion, and its footer says why it cannot be switched off.
func (s *Service) Announce(ctx context.Context, brandID int64, kind, subject, text string) (int, error) {
	if !announcementKinds[kind] {
		return 0, fmt.Errorf("privacy: announcement kind %q: service announcements are maintenance, outage, security or service_change; anything else is marketing and needs consent", kind)
	}
	n := 0
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		list, err := s.recipients(ctx, tx, "brand_id = $1 AND status = 'active' AND email_verified_at > 0", brandID)
		if err != nil {
			return err
		}
		for _, r := range list {
			if err := s.Mailer.EnqueueTx(ctx, tx, r.id, Mail{To: r.email, Kind: "announcement", Subject: subject,
				Text: text + i18n.T(r.lang, "mail.announcement.footer")}); err != nil {
				return err
			}
		}
		n = len(list)
		return nil
	})
	return n, err
}

func brandName(ctx context.Context, q store.Querier, brandID int64) string {
	var n string
	q.QueryRowContext(ctx, "SELECT name FROM brands WHERE id = $1", brandID).Scan(&n)
	return n
}
