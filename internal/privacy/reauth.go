package privacy

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Actions that need the user to prove who they are again (D1).
const (
	ActionExport = "export"
	ActionErase  = "erase"
)

// CodeTTL is how long an emailed confirmation code is valid.
const CodeTTL = 15 * time.Minute

// ErrNotConfirmed is the one answer to a wrong password or code.
var ErrNotConfirmed = errors.New("privacy: the password or code is not correct, or the code has expired; ask for a new code")

func codeHash(accountID int64, action, code string) string {
	return accounts.HashToken(strconv.FormatInt(accountID, 10) + ":" + action + ":" + code)
}

// SendCode mails the user a one-time code that confirms action, for users
// who prefer it to typing their password again.
func (s *Service) SendCode(ctx context.Context, accountID int64, action string) error {
	if action != ActionExport && action != ActionErase {
		return fmt.Errorf("privacy: no confirmation code for %q", action)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	now := s.Clock.Now()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var name, email, lang string
		if err := tx.QueryRowContext(ctx, "SELECT name, email, language FROM accounts WHERE id = $1", accountID).Scan(&name, &email, &lang); err != nil {
			return fmt.Errorf("privacy: send code: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM account_tokens WHERE account_id = $1 AND purpose = $2", accountID, "privacy_"+action); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO account_tokens (token_hash, account_id, purpose, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, codeHash(accountID, action, code), accountID, "privacy_"+action, store.Micros(now), store.Micros(now.Add(CodeTTL))); err != nil {
			return fmt.Errorf("privacy: send code: %w", err)
		}
		return s.Mailer.EnqueueTx(ctx, tx, accountID, Mail{To: email, Kind: "code", Subject: i18n.T(lang, "mail.code.subject"),
			Text: i18n.T(lang, "mail.code.body", name, i18n.T(lang, "privacy.action."+action), code)})
	})
}

// Confirm checks that the user proved who they are for action: with their
// current password, or with the code SendCode mailed (used once).
func (s *Service) Confirm(ctx context.Context, accountID int64, action, password, code string) error {
	if password != "" {
		var hash string
		if err := s.DB.QueryRowContext(ctx, "SELECT password_hash FROM accounts WHERE id = $1", accountID).Scan(&hash); err != nil {
			return ErrNotConfirmed
		}
		if ok, err := accounts.CheckPassword(hash, password); err != nil || !ok {
			return ErrNotConfirmed
		}
		return nil
	}
	if code == "" {
		return ErrNotConfirmed
	}
	res, err := s.DB.ExecContext(ctx, `UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND account_id = $3 AND purpose = $4
		AND used_at = 0 AND expires_at > $1`, store.Micros(s.Clock.Now()), codeHash(accountID, action, code), accountID, "privacy_"+action)
	if err != nil {
		return fmt.Errorf("privacy: confirm: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrNotConfirmed
	}
	return nil
}
