package accounts

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"time"

	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Token purposes, as stored in account_tokens.purpose.
const (
	purposeVerify = "verify"
	purposeReset  = "reset"
)

// Token errors. Each carries a catalog key through TokenErrorKey.
var (
	ErrTokenInvalid = errors.New("accounts: the link is not valid; copy the whole link from the email, or ask for a new one")
	ErrTokenExpired = errors.New("accounts: the link has expired; ask for a new one")
	ErrTokenUsed    = errors.New("accounts: the link was used already; log in, or ask for a new one")
)

// TokenErrorKey returns the catalog key that explains err to a user, or ""
// when err is not a token error.
func TokenErrorKey(err error) string {
	switch {
	case errors.Is(err, ErrTokenExpired):
		return "err.token_expired"
	case errors.Is(err, ErrTokenUsed):
		return "err.token_used"
	case errors.Is(err, ErrTokenInvalid):
		return "err.token_invalid"
	}
	return ""
}

// newToken returns a random 32-byte token in URL-safe base64 and the hex
// SHA-256 hash under which it is stored.
func newToken(r io.Reader) (token, hash string, err error) {
	var b [32]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", "", fmt.Errorf("accounts: token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token), nil
}

// HashToken returns the stored form of a token: hex SHA-256. Tokens carry
// 256 random bits, so a fast unsalted hash is enough to make a stolen
// database useless for logging in.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// sendTokenTx creates a single-use token for a and mails the link to it.
func (s *Service) sendTokenTx(ctx context.Context, tx *sql.Tx, b *brands.Brand, a *Account, purpose string) error {
	token, hash, err := newToken(s.rand())
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	ttl, path, kind := VerifyTokenTTL, "/verify", "verify"
	if purpose == purposeReset {
		ttl, path, kind = ResetTokenTTL, "/reset", "reset"
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO account_tokens (token_hash, account_id, purpose, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, hash, a.ID, purpose, store.Micros(now), store.Micros(now.Add(ttl))); err != nil {
		return fmt.Errorf("accounts: store %s token: %w", purpose, err)
	}
	link := s.URL(b, path+"?"+url.Values{"token": {token}}.Encode())
	lang := a.Language
	msg := Message{To: a.Email, From: b.MailFrom, Kind: kind}
	hours := int(ttl / time.Hour)
	if purpose == purposeVerify {
		msg.Subject = i18n.T(lang, "mail.verify.subject", b.Name)
		msg.Text = i18n.T(lang, "mail.verify.body", a.Name, b.Name, link, hours)
	} else {
		msg.Subject = i18n.T(lang, "mail.reset.subject", b.Name)
		msg.Text = i18n.T(lang, "mail.reset.body", a.Name, b.Name, link, int(ttl/time.Minute))
	}
	if err := s.Mailer.EnqueueTx(ctx, tx, a.ID, msg); err != nil {
		return fmt.Errorf("accounts: enqueue %s mail: %w", kind, err)
	}
	return nil
}

// useToken marks the token single-used in tx and returns its account ID.
func (s *Service) useToken(ctx context.Context, tx *sql.Tx, token, purpose string) (int64, error) {
	if token == "" || len(token) > 100 {
		return 0, ErrTokenInvalid
	}
	hash := HashToken(token)
	var accountID, expires, used int64
	var gotPurpose string
	err := tx.QueryRowContext(ctx, "SELECT account_id, purpose, expires_at, used_at FROM account_tokens WHERE token_hash = $1",
		hash).Scan(&accountID, &gotPurpose, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && gotPurpose != purpose) {
		return 0, ErrTokenInvalid
	}
	if err != nil {
		return 0, fmt.Errorf("accounts: token: %w", err)
	}
	now := store.Micros(s.Clock.Now())
	if used != 0 {
		return 0, ErrTokenUsed
	}
	if now >= expires {
		return 0, ErrTokenExpired
	}
	// The used_at = 0 condition makes two concurrent uses end with one
	// winner.
	res, err := tx.ExecContext(ctx, "UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at = 0", now, hash)
	if err != nil {
		return 0, fmt.Errorf("accounts: use token: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return 0, ErrTokenUsed
	}
	return accountID, nil
}

// CheckToken reports whether a reset or verification token can still be
// used, without using it, so a page can say so before the user types.
func (s *Service) CheckToken(ctx context.Context, token string, reset bool) error {
	purpose := purposeVerify
	if reset {
		purpose = purposeReset
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.useToken(ctx, tx, token, purpose); err != nil {
			return err
		}
		return errRollback
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

var errRollback = errors.New("rollback")

// Verify confirms the email address behind a verification token, assigns the
// account a fax number and mails the welcome message (M1), in one
// transaction.
func (s *Service) Verify(ctx context.Context, token string) (*Account, error) {
	var a *Account
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		id, err := s.useToken(ctx, tx, token, purposeVerify)
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET email_verified_at = $1, updated_at = $1 WHERE id = $2 AND email_verified_at = 0",
			store.Micros(now), id); err != nil {
			return fmt.Errorf("accounts: verify: %w", err)
		}
		if a, err = byID(ctx, tx, id); err != nil {
			return err
		}
		b, err := s.Brands.ByID(ctx, a.BrandID)
		if err != nil {
			return fmt.Errorf("accounts: verify: %w", err)
		}
		number := ""
		if s.Numbers != nil {
			if number, err = s.Numbers.AssignTx(ctx, tx, a.BrandID, a.ID); err != nil {
				return fmt.Errorf("accounts: verify: assign fax number: %w", err)
			}
		}
		return s.Mailer.EnqueueTx(ctx, tx, a.ID, welcomeMessage(b, a, number))
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// welcomeMessage confirms the user's fax number and login data (M1). It
// never holds the password: the service does not know it.
func welcomeMessage(b *brands.Brand, a *Account, number string) Message {
	lang := a.Language
	if number == "" {
		number = i18n.T(lang, "mail.welcome.no_number")
	}
	return Message{
		To: a.Email, From: b.MailFrom, Kind: "welcome",
		Subject: i18n.T(lang, "mail.welcome.subject", b.Name),
		Text:    i18n.T(lang, "mail.welcome.body", a.Name, b.Name, number, a.Email, a.Number, b.FaxDomain),
	}
}

// MaxMailsPerHour caps the verification or reset mails one account gets in
// an hour, so the forms cannot be used to flood someone's inbox.
const MaxMailsPerHour = 3

// tooManyMails reports whether the account had MaxMailsPerHour tokens of
// the purpose made within the last hour.
func (s *Service) tooManyMails(ctx context.Context, accountID int64, purpose string) (bool, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM account_tokens WHERE account_id = $1 AND purpose = $2 AND created_at > $3",
		accountID, purpose, store.Micros(s.Clock.Now().Add(-time.Hour))).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("accounts: count mails: %w", err)
	}
	return n >= MaxMailsPerHour, nil
}

// ResendVerification mails a new verification link to an account whose
// address is not confirmed yet, for a user whose first link expired or got
// lost. Earlier links stay valid until they expire.
func (s *Service) ResendVerification(ctx context.Context, accountID int64) error {
	a, err := s.ByID(ctx, accountID)
	if err != nil {
		return err
	}
	if a.Verified() {
		return nil
	}
	if many, err := s.tooManyMails(ctx, a.ID, purposeVerify); err != nil || many {
		return err
	}
	b, err := s.Brands.ByID(ctx, a.BrandID)
	if err != nil {
		return fmt.Errorf("accounts: resend verification: %w", err)
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error { return s.sendTokenTx(ctx, tx, b, a, purposeVerify) })
}

// RequestReset mails a password reset link to the brand's account with the
// given email. It returns nil for an unknown address too, so the answer does
// not tell who has an account, and when the account had MaxMailsPerHour
// links in the last hour (then no mail is sent).
func (s *Service) RequestReset(ctx context.Context, brandID int64, email string) error {
	a, err := s.ByEmail(ctx, brandID, email)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if a.Status != StatusActive {
		return nil
	}
	if many, err := s.tooManyMails(ctx, a.ID, purposeReset); err != nil || many {
		return err
	}
	b, err := s.Brands.ByID(ctx, a.BrandID)
	if err != nil {
		return fmt.Errorf("accounts: reset: %w", err)
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error { return s.sendTokenTx(ctx, tx, b, a, purposeReset) })
}

// ResetPassword sets a new password through a reset token and ends every
// session of the account.
func (s *Service) ResetPassword(ctx context.Context, token, password string) (*Account, error) {
	var a *Account
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		id, err := s.useToken(ctx, tx, token, purposeReset)
		if err != nil {
			return err
		}
		if a, err = byID(ctx, tx, id); err != nil {
			return err
		}
		if k := CheckPasswordStrength(password, a.Email); k != "" {
			return invalid("password", k)
		}
		return s.setPasswordTx(ctx, tx, a.ID, password, "")
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// ChangePassword replaces the password after checking the current one, and
// ends every other session of the account; keepSession is the token of the
// session making the change.
func (s *Service) ChangePassword(ctx context.Context, accountID int64, current, next, keepSession string) error {
	a, err := s.ByID(ctx, accountID)
	if err != nil {
		return err
	}
	var hash string
	if err := s.DB.QueryRowContext(ctx, "SELECT password_hash FROM accounts WHERE id = $1", accountID).Scan(&hash); err != nil {
		return fmt.Errorf("accounts: change password: %w", err)
	}
	ok, err := CheckPassword(hash, current)
	if err != nil {
		return fmt.Errorf("accounts: change password: %w", err)
	}
	if !ok {
		return invalid("current", "err.password_wrong")
	}
	if k := CheckPasswordStrength(next, a.Email); k != "" {
		return invalid("password", k)
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error { return s.setPasswordTx(ctx, tx, accountID, next, keepSession) })
}

func (s *Service) setPasswordTx(ctx context.Context, tx *sql.Tx, accountID int64, password, keepSession string) error {
	hash, err := HashPassword(password, s.params())
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3",
		hash, store.Micros(s.Clock.Now()), accountID); err != nil {
		return fmt.Errorf("accounts: set password: %w", err)
	}
	keep := ""
	if keepSession != "" {
		keep = HashToken(keepSession)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE subject_kind = $1 AND subject_id = $2 AND token_hash <> $3",
		SubjectAccount, accountID, keep); err != nil {
		return fmt.Errorf("accounts: end sessions: %w", err)
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
