package privacy

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/store"
)

// EmailChangeTTL is how long the confirmation link of a new address works.
const EmailChangeTTL = 24 * time.Hour

// Errors of an email change.
var (
	ErrEmailInvalid = errors.New("privacy: the new email address is not valid")
	ErrEmailTaken   = errors.New("privacy: the new email address belongs to another account")
	ErrEmailLink    = errors.New("privacy: the confirmation link is unknown or has expired; ask for the change again")
)

// RequestEmailChange starts changing the account's email address (D1): a
// link goes to the new address, and nothing changes until it is followed.
// link makes the link's URL from its token. The caller has confirmed the
// user (Confirm).
func (s *Service) RequestEmailChange(ctx context.Context, accountID int64, newEmail string, link func(token string) string) error {
	newEmail = strings.ToLower(strings.TrimSpace(newEmail))
	if a, err := mail.ParseAddress(newEmail); err != nil || a.Address != newEmail || !strings.Contains(newEmail[strings.IndexByte(newEmail, '@'):], ".") {
		return ErrEmailInvalid
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var brandID int64
		var name, lang string
		if err := tx.QueryRowContext(ctx, "SELECT brand_id, name, language FROM accounts WHERE id = $1", accountID).Scan(&brandID, &name, &lang); err != nil {
			return fmt.Errorf("privacy: email change: %w", err)
		}
		var taken int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM accounts WHERE brand_id = $1 AND email = $2", brandID, newEmail).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return ErrEmailTaken
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO email_changes (account_id, new_email, token_hash, expires_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (account_id) DO UPDATE SET new_email = $2, token_hash = $3, expires_at = $4`,
			accountID, newEmail, accounts.HashToken(token), store.Micros(s.Clock.Now().Add(EmailChangeTTL))); err != nil {
			return fmt.Errorf("privacy: email change: %w", err)
		}
		return s.Mailer.EnqueueTx(ctx, tx, accountID, Mail{To: newEmail, Kind: "email_change",
			Subject: i18n.T(lang, "mail.email_change.subject"), Text: i18n.T(lang, "mail.email_change.body", name, link(token))})
	})
}

// ConfirmEmailChange follows the link: the account's address becomes the
// new one, and the old address is told.
func (s *Service) ConfirmEmailChange(ctx context.Context, accountID int64, token string) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var newEmail string
		err := tx.QueryRowContext(ctx, "SELECT new_email FROM email_changes WHERE account_id = $1 AND token_hash = $2 AND expires_at > $3",
			accountID, accounts.HashToken(token), store.Micros(s.Clock.Now())).Scan(&newEmail)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrEmailLink
		}
		if err != nil {
			return fmt.Errorf("privacy: email change: %w", err)
		}
		var old, name, lang string
		if err := tx.QueryRowContext(ctx, "SELECT email, name, language FROM accounts WHERE id = $1", accountID).Scan(&old, &name, &lang); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET email = $1, email_verified_at = $2, updated_at = $2 WHERE id = $3",
			newEmail, store.Micros(s.Clock.Now()), accountID); err != nil {
			if store.IsUniqueViolation(err) {
				return ErrEmailTaken
			}
			return fmt.Errorf("privacy: email change: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM email_changes WHERE account_id = $1", accountID); err != nil {
			return err
		}
		return s.Mailer.EnqueueTx(ctx, tx, accountID, Mail{To: old, Kind: "email_changed",
			Subject: i18n.T(lang, "mail.email_changed.subject"), Text: i18n.T(lang, "mail.email_changed.body", name, newEmail)})
	})
}
