package privacy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"strconv"
	"time"

	"github.com/faxhaven/faxhaven/internal/store"
)

// Purposes a user consents to, each recorded in the consent ledger.
const (
	PurposeMarketing     = "marketing"      // offers matched to interests (O1)
	PurposeNewsletters   = "newsletters"    // news, tips and surveys (M1)
	PurposePartnerOffers = "partner_offers" // vetted partner offers (O2)
	PurposeOpenTracking  = "open_tracking"  // clear GIFs in email (C6)
)

// How a choice was given.
const (
	MethodRegistration = "registration"
	MethodPortal       = "portal"
	MethodUnsubscribe  = "unsubscribe_link"
	MethodEmail        = "email_reply"
	MethodSupport      = "support"
)

// Contact channels for customer service (M3).
const (
	ContactEmail = "email"
	ContactPhone = "phone"
)

// Choices are a user's current choices (O1-O4, C6, M3) and their fax
// retention setting (RT1).
type Choices struct {
	Newsletters   bool
	PartnerOffers bool
	OpenTracking  bool
	Contact       string // ContactEmail or ContactPhone
	Phone         string // for ContactPhone
	// FaxRetentionDays keeps faxes this many days; 0 means the default.
	FaxRetentionDays int
}

// ConsentRecord is one line of the consent ledger.
type ConsentRecord struct {
	Purpose       string
	Granted       bool
	PolicyVersion string
	Method        string
	At            time.Time
}

// ChoicesOf returns the account's choices; a user who never chose has
// everything optional off, contact by email.
func (s *Service) ChoicesOf(ctx context.Context, accountID int64) (Choices, error) {
	return choicesOf(ctx, s.DB, accountID)
}

func choicesOf(ctx context.Context, q store.Querier, accountID int64) (Choices, error) {
	c := Choices{Contact: ContactEmail}
	err := q.QueryRowContext(ctx, `SELECT newsletters, partner_offers, open_tracking, contact_channel, phone, fax_retention_days
		FROM privacy_choices WHERE account_id = $1`, accountID).Scan(&c.Newsletters, &c.PartnerOffers, &c.OpenTracking, &c.Contact, &c.Phone, &c.FaxRetentionDays)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("privacy: choices: %w", err)
	}
	return c, nil
}

// Retention bounds a user may choose for their faxes, in days.
const (
	MinFaxRetentionDays = 1
	MaxFaxRetentionDays = 3650
)

// SetChoices stores the user's choices and appends each changed consent to
// the ledger with the policy version the account accepted, the time and
// the method.
func (s *Service) SetChoices(ctx context.Context, accountID int64, c Choices, method string) error {
	switch {
	case c.Contact != ContactEmail && c.Contact != ContactPhone:
		return fmt.Errorf("privacy: contact channel %q: choose %q or %q", c.Contact, ContactEmail, ContactPhone)
	case c.Contact == ContactPhone && len(c.Phone) < 6:
		return errors.New("privacy: contact by phone needs a phone number")
	case c.FaxRetentionDays != 0 && (c.FaxRetentionDays < MinFaxRetentionDays || c.FaxRetentionDays > MaxFaxRetentionDays):
		return fmt.Errorf("privacy: fax retention of %d days: choose between %d and %d", c.FaxRetentionDays, MinFaxRetentionDays, MaxFaxRetentionDays)
	}
	now := store.Micros(s.Clock.Now())
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := choicesOf(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_choices (account_id, newsletters, partner_offers, open_tracking, contact_channel, phone, fax_retention_days, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (account_id) DO UPDATE SET newsletters = $2, partner_offers = $3,
			open_tracking = $4, contact_channel = $5, phone = $6, fax_retention_days = $7, updated_at = $8`,
			accountID, c.Newsletters, c.PartnerOffers, c.OpenTracking, c.Contact, c.Phone, c.FaxRetentionDays, now); err != nil {
			return fmt.Errorf("privacy: set choices: %w", err)
		}
		for _, ch := range []struct {
			purpose  string
			old, new bool
		}{{PurposeNewsletters, old.Newsletters, c.Newsletters}, {PurposePartnerOffers, old.PartnerOffers, c.PartnerOffers},
			{PurposeOpenTracking, old.OpenTracking, c.OpenTracking}} {
			if ch.old != ch.new {
				if err := s.recordTx(ctx, tx, accountID, ch.purpose, ch.new, method); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// SetMarketing records the user's marketing choice (O1) on the account and
// in the ledger.
func (s *Service) SetMarketing(ctx context.Context, accountID int64, optIn bool, method string) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET marketing_opt_in = $1, updated_at = $2 WHERE id = $3",
			optIn, store.Micros(s.Clock.Now()), accountID); err != nil {
			return fmt.Errorf("privacy: marketing choice: %w", err)
		}
		return s.recordTx(ctx, tx, accountID, PurposeMarketing, optIn, method)
	})
}

// Record appends one consent to the ledger under the account's accepted
// policy version.
func (s *Service) Record(ctx context.Context, accountID int64, purpose string, granted bool, method string) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error { return s.recordTx(ctx, tx, accountID, purpose, granted, method) })
}

func (s *Service) recordTx(ctx context.Context, tx *sql.Tx, accountID int64, purpose string, granted bool, method string) error {
	var version string
	if err := tx.QueryRowContext(ctx, "SELECT policy_version FROM accounts WHERE id = $1", accountID).Scan(&version); err != nil {
		return fmt.Errorf("privacy: consent for account %d: %w", accountID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO consent_ledger (account_id, purpose, granted, policy_version, method, at)
		VALUES ($1, $2, $3, $4, $5, $6)`, accountID, purpose, granted, version, method, store.Micros(s.Clock.Now())); err != nil {
		return fmt.Errorf("privacy: consent ledger: %w", err)
	}
	return nil
}

// Ledger returns the account's consent history, oldest first.
func (s *Service) Ledger(ctx context.Context, accountID int64) ([]ConsentRecord, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT purpose, granted, policy_version, method, at FROM consent_ledger
		WHERE account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("privacy: ledger: %w", err)
	}
	defer rows.Close()
	var out []ConsentRecord
	for rows.Next() {
		var r ConsentRecord
		var at int64
		if err := rows.Scan(&r.Purpose, &r.Granted, &r.PolicyVersion, &r.Method, &at); err != nil {
			return nil, err
		}
		r.At = store.Time(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Consented reports whether the account's latest word on purpose is a yes
// given under policy version (N1: a new use needs consent under the
// version that introduced it). An empty version accepts any.
func (s *Service) Consented(ctx context.Context, accountID int64, purpose, version string) (bool, error) {
	var granted bool
	var v string
	err := s.DB.QueryRowContext(ctx, `SELECT granted, policy_version FROM consent_ledger WHERE account_id = $1 AND purpose = $2
		ORDER BY id DESC LIMIT 1`, accountID, purpose).Scan(&granted, &v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("privacy: consent: %w", err)
	}
	return granted && (version == "" || v == version), nil
}

// Pixel returns the open-tracking image for a mail to the account (C6), or
// "" when the user has not switched tracking on: then the mail carries no
// pixel at all. The image's URL names a keyed hash of the mail, never the
// person or their address.
func (s *Service) Pixel(ctx context.Context, accountID, mailID int64, base string) (template.HTML, error) {
	c, err := s.ChoicesOf(ctx, accountID)
	if err != nil || !c.OpenTracking {
		return "", err
	}
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte("open:" + strconv.FormatInt(mailID, 10)))
	tag := base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
	return template.HTML(`<img src="` + template.HTMLEscapeString(base) + `/o/` + tag + `.gif" width="1" height="1" alt="">`), nil
}

// PartnerOfferRecipients lists the accounts of a brand that may receive
// partner offers (O2): free accounts, active, whose latest word on partner
// offers is yes. Nobody gets them by default; upgrading to a paid plan or
// closing the account stops them, and so does withdrawing consent.
func (s *Service) PartnerOfferRecipients(ctx context.Context, brandID int64) ([]int64, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT a.id FROM accounts a JOIN privacy_choices c ON c.account_id = a.id
		WHERE a.brand_id = $1 AND a.plan = 'free' AND a.status = 'active' AND c.partner_offers ORDER BY a.id`, brandID)
	if err != nil {
		return nil, fmt.Errorf("privacy: partner offer recipients: %w", err)
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
