package privacy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"

	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/store"
)

// ErrAlreadyInvited means the friend was invited before: a friend gets
// exactly one invitation (R1).
var ErrAlreadyInvited = errors.New("privacy: this address has been invited already; a friend gets one invitation only")

// Refer sends a friend exactly one invitation (R1). Their name and address
// are kept sealed with the referrer's key, beside a keyed hash of the
// address that tells whether they joined; Retain removes both when the
// referral window ends. It returns the referral's ID.
func (s *Service) Refer(ctx context.Context, accountID int64, friendName, friendEmail string) (int64, error) {
	if s.Mailer == nil {
		return 0, errors.New("privacy: referrals need a mailer")
	}
	friendEmail = strings.ToLower(strings.TrimSpace(friendEmail))
	if a, err := mail.ParseAddress(friendEmail); err != nil || a.Address != friendEmail {
		return 0, fmt.Errorf("privacy: refer: %q is not an email address", friendEmail)
	}
	friendName = strings.TrimSpace(friendName)
	// Sealing may create the account's key: do it before the transaction,
	// which on SQLite holds the one write lock.
	sealed, err := s.Keys.Seal(ctx, accountID, []byte(friendName+"\n"+friendEmail), []byte("referral"))
	if err != nil {
		return 0, fmt.Errorf("privacy: refer: %w", err)
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var brandID int64
		var name, lang, brand, host string
		if err := tx.QueryRowContext(ctx, `SELECT a.brand_id, a.name, a.language, b.name, b.host FROM accounts a JOIN brands b ON b.id = a.brand_id
			WHERE a.id = $1`, accountID).Scan(&brandID, &name, &lang, &brand, &host); err != nil {
			return fmt.Errorf("privacy: refer: %w", err)
		}
		var members int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM accounts WHERE brand_id = $1 AND email = $2", brandID, friendEmail).Scan(&members); err != nil {
			return err
		}
		if members > 0 {
			return ErrAlreadyInvited // already a user: no invitation at all
		}
		now := s.Clock.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO referrals (account_id, brand_id, friend_sealed, friend_hash, sent_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, accountID, brandID, sealed, s.keyedHash(friendEmail),
			store.Micros(now), store.Micros(now.Add(ReferralWindow))).Scan(&id); err != nil {
			if store.IsUniqueViolation(err) {
				return ErrAlreadyInvited
			}
			return fmt.Errorf("privacy: refer: %w", err)
		}
		greet := friendName
		if greet == "" {
			greet = friendEmail
		}
		days := int(ReferralWindow.Hours() / 24)
		return s.Mailer.EnqueueTx(ctx, tx, accountID, Mail{To: friendEmail, Kind: "referral",
			Subject: i18n.T(lang, "mail.referral.subject", name, brand),
			Text:    i18n.T(lang, "mail.referral.body", greet, name, brand, "https://"+host+"/register?ref="+strconv.FormatInt(id, 10), days)})
	})
	return id, err
}

// Joined marks the referral of the address as successful, if there is one
// within its window; registration calls it.
func (s *Service) Joined(ctx context.Context, brandID int64, email string) error {
	_, err := s.DB.ExecContext(ctx, "UPDATE referrals SET joined_at = $1 WHERE brand_id = $2 AND friend_hash = $3 AND joined_at = 0",
		store.Micros(s.Clock.Now()), brandID, s.keyedHash(email))
	return err
}

// ReferralStats counts an account's referrals that are still kept.
func (s *Service) ReferralStats(ctx context.Context, accountID int64) (sent, joined int, err error) {
	err = s.DB.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(CASE WHEN joined_at > 0 THEN 1 END) FROM referrals WHERE account_id = $1",
		accountID).Scan(&sent, &joined)
	return sent, joined, err
}
