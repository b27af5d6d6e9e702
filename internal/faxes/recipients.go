package faxes

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/store"
)

// BounceLocal is the local part, at a brand's fax domain, of the address
// fax-to-email mail is sent from in the envelope; delivery reports to it
// reach the inbound SMTP server (mailin.Config.BounceLocal).
const BounceLocal = "bounces"

// The forms a received fax takes in email.
const (
	FormatPDF    = "pdf"    // the fax as a PDF attachment (the default)
	FormatTIFF   = "tiff"   // the fax pages as a TIFF attachment
	FormatNotice = "notice" // no content: a notice with a link to the portal
)

// Recipient is an address a number's received faxes are emailed to.
type Recipient struct {
	ID      int64
	Number  string // the account's number, E.164
	Address string
	Format  string // FormatPDF, FormatTIFF or FormatNotice
	// FailingSince is set when a delivery report said mail to the
	// address failed; Reason is what the report said.
	FailingSince time.Time
	Reason       string
}

// Recipients returns the account's fax-to-email recipients, by number.
func (s *Service) Recipients(ctx context.Context, accountID int64) ([]Recipient, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT id, number, address, format, failing_at, failing_reason
		FROM fax_email_recipients WHERE account_id = $1 ORDER BY number, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("faxes: recipients: %w", err)
	}
	defer rows.Close()
	var out []Recipient
	for rows.Next() {
		var r Recipient
		var failing int64
		if err := rows.Scan(&r.ID, &r.Number, &r.Address, &r.Format, &failing, &r.Reason); err != nil {
			return nil, fmt.Errorf("faxes: recipients: %w", err)
		}
		r.FailingSince = store.Time(failing)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetRecipient adds address as a recipient of number's faxes, or changes
// its format. Saving an address again clears its failing mark: the user
// says it works now.
func (s *Service) SetRecipient(ctx context.Context, accountID int64, number, address, format string) error {
	a, err := netmail.ParseAddress(address)
	if err != nil || !strings.Contains(a.Address, "@") {
		return &Error{Code: "email.err.address", Msg: fmt.Sprintf("%q is not an email address", address), Args: []any{address}}
	}
	switch format {
	case "":
		format = FormatPDF
	case FormatPDF, FormatTIFF, FormatNotice:
	default:
		return &Error{Code: "email.err.format", Msg: "choose PDF, TIFF or notice only"}
	}
	if err := s.ownsNumber(ctx, accountID, number); err != nil {
		return err
	}
	addr := strings.ToLower(a.Address)
	_, err = s.DB.ExecContext(ctx, `INSERT INTO fax_email_recipients (account_id, number, address, format, created_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (number, address) DO UPDATE SET format = excluded.format, failing_at = 0, failing_reason = ''`,
		accountID, number, addr, format, store.Micros(s.Clock.Now()))
	if err != nil {
		return fmt.Errorf("faxes: set recipient: %w", err)
	}
	return nil
}

// RemoveRecipient removes one of the account's recipients.
func (s *Service) RemoveRecipient(ctx context.Context, accountID, id int64) error {
	if _, err := s.DB.ExecContext(ctx, "DELETE FROM fax_email_recipients WHERE id = $1 AND account_id = $2", id, accountID); err != nil {
		return fmt.Errorf("faxes: remove recipient: %w", err)
	}
	return nil
}

func (s *Service) ownsNumber(ctx context.Context, accountID int64, number string) error {
	nums, err := s.Numbers.ForAccount(ctx, s.DB, accountID)
	if err != nil {
		return err
	}
	for _, n := range nums {
		if n.E164 == number {
			return nil
		}
	}
	return &Error{Code: "email.err.not_your_number", Msg: fmt.Sprintf("%s is not one of your numbers", number), Args: []any{number}}
}

// bounceTag is the tag of address in its return path: a keyed hash
// (Service.BounceKey), so that nobody else can make a report that names it.
func (s *Service) bounceTag(address string) string {
	m := hmac.New(sha256.New, s.BounceKey)
	m.Write([]byte(strings.ToLower(address)))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(m.Sum(nil)[:10]))
}

// MarkFailingTagged is MarkFailing for a delivery report that came to
// the return path tagged tag: only the address the tag was made for is
// marked. It reports whether the tag fitted.
func (s *Service) MarkFailingTagged(ctx context.Context, address, tag, reason string) (bool, error) {
	want := s.bounceTag(address)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(tag))) {
		return false, nil
	}
	_, err := s.MarkFailing(ctx, address, reason)
	return err == nil, err
}

// MarkFailing records that mail to address failed for good, as a
// delivery report said; the portal shows it, and received faxes are not
// mailed there until the user saves the address again.
func (s *Service) MarkFailing(ctx context.Context, address, reason string) (int64, error) {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	res, err := s.DB.ExecContext(ctx, `UPDATE fax_email_recipients SET failing_at = $1, failing_reason = $2
		WHERE address = $3 AND failing_at = 0`, store.Micros(s.Clock.Now()), reason, strings.ToLower(address))
	if err != nil {
		return 0, fmt.Errorf("faxes: mark %s failing: %w", address, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// faxEmails queues, inside tx, the email of a received fax to each
// recipient of its number in their format. With no recipients set, the
// account's own address gets the PDF. Failing addresses are skipped.
func (s *Service) faxEmails(ctx context.Context, tx *sql.Tx, acct *accountInfo, accountID int64, f *Fax, pdf, tiffData []byte) error {
	rows, err := tx.QueryContext(ctx, "SELECT address, format, failing_at FROM fax_email_recipients WHERE number = $1 AND account_id = $2 ORDER BY id",
		f.LocalNumber, accountID)
	if err != nil {
		return err
	}
	type rcpt struct {
		addr, format string
		failing      int64
	}
	var list []rcpt
	for rows.Next() {
		var r rcpt
		if err := rows.Scan(&r.addr, &r.format, &r.failing); err != nil {
			rows.Close()
			return err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Delivery reports come back to the brand's bounce address, which the
	// inbound SMTP server reads to mark failing recipients. Each address
	// gets its own tagged return path, so that only a report about mail
	// we sent to that address can mark it.
	domain := ""
	if b, err := s.Brands.ByID(ctx, acct.brandID); err == nil {
		domain = b.FaxDomain
	}
	returnPath := func(addr string) (string, error) {
		if domain == "" {
			return "", nil
		}
		return BounceLocal + "+" + s.bounceTag(addr) + "@" + domain, nil
	}
	if len(list) == 0 {
		e := s.faxEmail(ctx, acct, f, pdf)
		if e.ReturnPath, err = returnPath(e.To); err != nil {
			return err
		}
		return s.Mail.EnqueueTx(ctx, tx, accountID, e)
	}
	for _, r := range list {
		if r.failing != 0 {
			continue
		}
		e := s.faxEmail(ctx, acct, f, pdf)
		e.To = r.addr
		if e.ReturnPath, err = returnPath(r.addr); err != nil {
			return err
		}
		switch r.format {
		case FormatTIFF:
			e.Attachments[0].Name = strings.TrimSuffix(e.Attachments[0].Name, ".pdf") + ".tiff"
			e.Attachments[0].ContentType = "image/tiff"
			e.Attachments[0].Data = tiffData
		case FormatNotice:
			// No content leaves the service: only that a fax arrived.
			e.Attachments = nil
			e.Text = i18n.T(acct.lang, "mail.fax.notice_body", f.LocalNumber, f.Pages, f.CreatedAt.Format("2006-01-02 15:04 MST"), s.portal(ctx, acct.brandID))
		}
		if err := s.Mail.EnqueueTx(ctx, tx, accountID, e); err != nil {
			return err
		}
	}
	return nil
}

// portal is the address of the brand's portal, for links in mail.
func (s *Service) portal(ctx context.Context, brandID int64) string {
	if b, err := s.Brands.ByID(ctx, brandID); err == nil {
		return "https://" + b.Host + "/faxes"
	}
	return "/faxes"
}

// Senders returns the account's registered sending addresses.
func (s *Service) Senders(ctx context.Context, accountID int64) ([]string, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT address FROM email_senders WHERE account_id = $1 ORDER BY address", accountID)
	if err != nil {
		return nil, fmt.Errorf("faxes: senders: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AddSender registers address as one the account sends faxes from by
// email. An address another account of the brand registered already is
// refused, so that mail from it has one owner.
func (s *Service) AddSender(ctx context.Context, accountID int64, address string) error {
	a, err := netmail.ParseAddress(address)
	if err != nil || !strings.Contains(a.Address, "@") {
		return &Error{Code: "email.err.address", Msg: fmt.Sprintf("%q is not an email address", address), Args: []any{address}}
	}
	addr := strings.ToLower(a.Address)
	acct, err := s.account(ctx, accountID)
	if err != nil {
		return err
	}
	if owner, err := s.senderAccount(ctx, acct.brandID, addr); err != nil {
		return err
	} else if owner != 0 && owner != accountID {
		return &Error{Code: "email.err.sender_taken", Msg: addr + " is registered by another account", Args: []any{addr}}
	}
	_, err = s.DB.ExecContext(ctx, `INSERT INTO email_senders (account_id, address, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (account_id, address) DO NOTHING`, accountID, addr, store.Micros(s.Clock.Now()))
	if err != nil {
		return fmt.Errorf("faxes: add sender: %w", err)
	}
	return nil
}

// RemoveSender removes a sending address of the account.
func (s *Service) RemoveSender(ctx context.Context, accountID int64, address string) error {
	if _, err := s.DB.ExecContext(ctx, "DELETE FROM email_senders WHERE account_id = $1 AND address = $2", accountID, strings.ToLower(address)); err != nil {
		return fmt.Errorf("faxes: remove sender: %w", err)
	}
	return nil
}

// SetEmailSettings stores when the body becomes the cover note ("auto",
// "always" or "never"). With newToken it also makes a new subject secret
// and returns it (only its hash is kept, so this is the one time it can
// be shown); with clearToken no secret is required any more.
func (s *Service) SetEmailSettings(ctx context.Context, accountID int64, bodyNote string, newToken, clearToken bool) (token string, err error) {
	switch bodyNote {
	case "auto", "always", "never":
	default:
		return "", &Error{Code: "email.err.body_note", Msg: "choose when the message text becomes the cover note"}
	}
	cur, err := s.EmailSettingsOf(ctx, s.DB, accountID)
	if err != nil {
		return "", err
	}
	hash := cur.TokenHash
	switch {
	case newToken:
		var b [10]byte
		rand.Read(b[:])
		token = "fh-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
		sum := sha256.Sum256([]byte(token))
		hash = hex.EncodeToString(sum[:])
	case clearToken:
		hash = ""
	}
	_, err = s.DB.ExecContext(ctx, `INSERT INTO email_fax_settings (account_id, token_hash, body_note, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id) DO UPDATE SET token_hash = excluded.token_hash, body_note = excluded.body_note, updated_at = excluded.updated_at`,
		accountID, hash, bodyNote, store.Micros(s.Clock.Now()))
	if err != nil {
		return "", fmt.Errorf("faxes: email settings: %w", err)
	}
	return token, nil
}
