package faxes

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/numbers"
	"github.com/faxhaven/faxhaven/internal/store"
)

// EmailIn is an email that asks for faxes, as the SMTP edge read it.
type EmailIn struct {
	// BrandID is the brand whose fax domain the message was addressed to.
	BrandID int64
	// Sender is the address in the message's From field.
	Sender string
	// Authenticated reports that the message passed DMARC: SPF or DKIM
	// vouches for the From domain. AuthProblem says why not, in plain words.
	Authenticated bool
	AuthProblem   string
	// Numbers are the recipients' fax numbers as written before the @,
	// in the order of the envelope; each becomes one fax.
	Numbers []string
	// Subject is the message subject; it becomes the cover page subject.
	Subject string
	// Body is the plain text of the message, or "" when it has none.
	Body string
	// Files are the attachments, in the order of the message.
	Files []Upload
}

// Settings for email to fax, per account.
type EmailSettings struct {
	// TokenHash is the hex SHA-256 of the secret a subject must carry, or
	// "" when no secret is required.
	TokenHash string
	// BodyNote is when the body becomes the cover note: "auto" (when it has
	// text), "always" or "never".
	BodyNote string
}

// EmailRateLimit bounds the messages one account may send to fax per
// hour (J1): an account that goes over is asked to try again later.
// Zero means DefaultEmailRateLimit.
const DefaultEmailRateLimit = 60

// maxRefusalNotices bounds the notices of refused mail an account owner
// gets per hour.
const maxRefusalNotices = 5

// EmailFaxJob turns one accepted email into faxes.
type EmailFaxJob struct {
	InboundID int64 `json:"inbound_id"`
}

// Kind names the job in the queue.
func (EmailFaxJob) Kind() string { return "email_fax" }

// emailPayload is what is kept, sealed, of an accepted message.
type emailPayload struct {
	Numbers []string
	Subject string
	Note    string
	Cover   bool
	Files   []Upload
}

func payloadAAD(id int64) []byte {
	return []byte("faxhaven email_inbound.payload\x00" + strconv.FormatInt(id, 10))
}

// emailOrigin ties a fax to the email it was sent for.
type emailOrigin struct {
	inboundID int64
	sender    string
}

// senderAccount finds the active account of brandID that registered
// address as a sending address.
func (s *Service) senderAccount(ctx context.Context, brandID int64, address string) (int64, error) {
	var id int64
	err := s.DB.QueryRowContext(ctx, `SELECT a.id FROM email_senders e JOIN accounts a ON a.id = e.account_id
		WHERE e.address = $1 AND a.brand_id = $2 AND a.status = 'active' ORDER BY a.id LIMIT 1`,
		strings.ToLower(address), brandID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("faxes: email sender: %w", err)
	}
	return id, nil
}

// EmailSettingsOf returns the account's email-to-fax settings.
func (s *Service) EmailSettingsOf(ctx context.Context, q store.Querier, accountID int64) (EmailSettings, error) {
	st := EmailSettings{BodyNote: "auto"}
	err := q.QueryRowContext(ctx, "SELECT token_hash, body_note FROM email_fax_settings WHERE account_id = $1", accountID).
		Scan(&st.TokenHash, &st.BodyNote)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("faxes: email settings: %w", err)
	}
	return st, nil
}

// AcceptEmail checks an email sent to fax numbers and, when it may be
// sent, stores it sealed and queues the job that makes the faxes, in one
// transaction: a nil error means the message is durable and the SMTP edge
// may say 250. Problems are *Error values whose Code names them (see
// the email.err.* catalog keys); nothing is stored for them. A message
// that fails authentication is not bounced to its (perhaps forged) sender:
// the account owner is told instead.
func (s *Service) AcceptEmail(ctx context.Context, in *EmailIn) error {
	if len(in.Numbers) == 0 {
		return &Error{Code: "email.err.no_recipient", Msg: "the message names no fax number; address it to <number>@<fax domain>"}
	}
	// One query finds the sender's account and its settings: this runs
	// for every message, before the server may answer.
	var accountID int64
	acct := &accountInfo{brandID: in.BrandID}
	settings := EmailSettings{}
	err := s.DB.QueryRowContext(ctx, `SELECT a.id, a.name, a.email, a.language, COALESCE(st.token_hash, ''), COALESCE(st.body_note, 'auto')
		FROM email_senders e JOIN accounts a ON a.id = e.account_id LEFT JOIN email_fax_settings st ON st.account_id = a.id
		WHERE e.address = $1 AND a.brand_id = $2 AND a.status = 'active' ORDER BY a.id LIMIT 1`,
		strings.ToLower(in.Sender), in.BrandID).Scan(&accountID, &acct.name, &acct.email, &acct.lang, &settings.TokenHash, &settings.BodyNote)
	if errors.Is(err, sql.ErrNoRows) {
		return &Error{Code: "email.err.unknown_sender", Msg: "the sender " + in.Sender + " is not registered to send faxes by email; add it in the portal under email to fax"}
	}
	if err != nil {
		return fmt.Errorf("faxes: email sender: %w", err)
	}
	subject := in.Subject
	problem := ""
	switch {
	case !in.Authenticated:
		problem = in.AuthProblem
		if problem == "" {
			problem = "the message did not pass DMARC"
		}
	case settings.TokenHash != "":
		var ok bool
		if subject, ok = takeToken(subject, settings.TokenHash); !ok {
			problem = "the subject did not carry the account's secret"
		}
	}
	if problem != "" {
		// Tell the owner, never the address in From: it may be forged. A
		// few notices an hour say enough; more would let a forger flood
		// the owner's mailbox.
		if err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			now := s.Clock.Now()
			var recent int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM email_inbound WHERE account_id = $1
				AND status = 'refused' AND created_at > $2 LIMIT $3) AS recent`,
				accountID, store.Micros(now.Add(-time.Hour)), maxRefusalNotices).Scan(&recent); err != nil {
				return err
			}
			// A refused message is remembered without its content.
			if _, err := tx.ExecContext(ctx, `INSERT INTO email_inbound (account_id, sender, payload, status, error, created_at, done_at)
				VALUES ($1, $2, $3, 'refused', $4, $5, $5)`, accountID, strings.ToLower(in.Sender), []byte{}, problem, store.Micros(now)); err != nil {
				return err
			}
			if recent >= maxRefusalNotices {
				return nil
			}
			return s.Mail.EnqueueTx(ctx, tx, accountID, s.refusedEmail(ctx, acct, in.Sender, problem))
		}); err != nil {
			return fmt.Errorf("faxes: tell the owner of a refused email: %w", err)
		}
		s.Logger.Warn("email to fax refused", "account", accountID, "problem", problem)
		return &Error{Code: "email.err.not_authenticated", Msg: "the message could not be verified as coming from " + in.Sender + ": " + problem}
	}

	country := countryOfLang(acct.lang)
	var nums []string
	for _, n := range in.Numbers {
		// An address holds an E.164 number with or without its +; a
		// number that starts with 0 is in the account's national format.
		if !strings.HasPrefix(n, "+") && !strings.HasPrefix(n, "0") {
			n = "+" + n
		}
		if _, err := numbers.Parse(n, country); err != nil {
			return &Error{Code: "email.err.number", Msg: fmt.Sprintf("the fax number %q is not valid: %v", n, err), Args: []any{n}}
		}
		nums = append(nums, n)
	}
	note := ""
	switch settings.BodyNote {
	case "always":
		note = strings.TrimSpace(in.Body)
	case "auto":
		if strings.TrimSpace(in.Body) != "" {
			note = strings.TrimSpace(in.Body)
		}
	}
	if len([]rune(note)) > MaxCoverNote {
		note = string([]rune(note)[:MaxCoverNote])
	}
	subject = strings.TrimSpace(subject)
	if len(in.Files) == 0 && note == "" {
		return &Error{Code: "email.err.nothing_to_send", Msg: "the message has no attachment and no text to fax; attach a document or write a note"}
	}
	var total int64
	for _, f := range in.Files {
		total += int64(len(f.Data))
	}
	if s.MaxUpload > 0 && total > s.MaxUpload {
		return &Error{Code: "fax.err.upload_too_large", Msg: fmt.Sprintf("the attachments add up to %d MB; the limit is %d MB", mb(total), mb(s.MaxUpload)),
			Args: []any{mb(total), mb(s.MaxUpload)}}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(emailPayload{
		Numbers: nums, Subject: subject, Note: note, Cover: subject != "" || note != "", Files: in.Files,
	}); err != nil {
		return fmt.Errorf("faxes: email: %w", err)
	}

	limit := s.EmailRateLimit
	if limit <= 0 {
		limit = DefaultEmailRateLimit
	}
	now := s.Clock.Now()
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var recent int
		// Counted up to the limit only, from the index alone.
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM email_inbound WHERE account_id = $1
			AND status IN ('queued', 'done', 'failed') AND created_at > $2 LIMIT $3) AS recent`,
			accountID, store.Micros(now.Add(-time.Hour)), limit).Scan(&recent); err != nil {
			return err
		}
		if recent >= limit {
			return &Error{Code: "email.err.rate_limited", Msg: fmt.Sprintf("the account sent %d messages to fax in the last hour, the most it may; try again later", recent), Args: []any{recent}}
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO email_inbound (account_id, sender, payload, status, created_at)
			VALUES ($1, $2, $3, 'queued', $4) RETURNING id`, accountID, strings.ToLower(in.Sender), []byte{}, store.Micros(now)).Scan(&id); err != nil {
			return err
		}
		sealed, err := s.Sealer.SealTx(ctx, tx, accountID, buf.Bytes(), payloadAAD(id))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE email_inbound SET payload = $1 WHERE id = $2", sealed, id); err != nil {
			return err
		}
		return s.Queue.InsertTx(ctx, tx, EmailFaxJob{InboundID: id})
	})
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	if err != nil {
		return fmt.Errorf("faxes: accept email: %w", err)
	}
	return nil
}

// takeToken looks for a word of subject whose SHA-256 is hash and returns
// the subject without it.
func takeToken(subject, hash string) (string, bool) {
	want, err := hex.DecodeString(hash)
	if err != nil {
		return subject, false
	}
	words := strings.Fields(subject)
	for i, w := range words {
		sum := sha256.Sum256([]byte(w))
		if subtle.ConstantTimeCompare(sum[:], want) == 1 {
			return strings.Join(append(words[:i:i], words[i+1:]...), " "), true
		}
	}
	return subject, false
}

// countryOfLang is the country whose national number formats an account
// writes, by its language.
func countryOfLang(lang string) string {
	if lang == i18n.Dutch {
		return "NL"
	}
	return ""
}

// EmailFaxWorker runs EmailFaxJob.
type EmailFaxWorker struct {
	river.WorkerDefaults[EmailFaxJob]
	Service *Service
}

// Work sends one fax per recipient of the message. It is safe to run more
// than once: each fax carries an idempotency key made of the message and
// the recipient, so a retried job finds the faxes it already queued.
func (w *EmailFaxWorker) Work(ctx context.Context, job *river.Job[EmailFaxJob]) error {
	s := w.Service
	id := job.Args.InboundID
	var accountID int64
	var sender, status string
	var sealed []byte
	err := s.DB.QueryRowContext(ctx, "SELECT account_id, sender, payload, status FROM email_inbound WHERE id = $1", id).
		Scan(&accountID, &sender, &sealed, &status)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && status != "queued") {
		return nil // deleted with its account, or done already
	}
	if err != nil {
		return fmt.Errorf("faxes: email %d: %w", id, err)
	}
	raw, err := s.Sealer.Open(ctx, accountID, sealed, payloadAAD(id))
	if err != nil {
		return river.JobCancel(fmt.Errorf("faxes: email %d: open: %w", id, err))
	}
	var p emailPayload
	if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&p); err != nil {
		return river.JobCancel(fmt.Errorf("faxes: email %d: decode: %w", id, err))
	}
	acct, err := s.account(ctx, accountID)
	if err != nil {
		return river.JobCancel(err)
	}
	type refusal struct{ number, reason string }
	var refused []refusal
	for i, n := range p.Numbers {
		_, err := s.Send(ctx, accountID, SendRequest{
			To: n, Country: countryOfLang(acct.lang), Files: p.Files, Cover: p.Cover, Subject: p.Subject,
			CoverNote: p.Note, Lang: acct.lang, IdempotencyKey: fmt.Sprintf("email:%d:%d", id, i),
			origin: &emailOrigin{inboundID: id, sender: sender},
		})
		var fe *Error
		switch {
		case errors.As(err, &fe):
			refused = append(refused, refusal{n, i18n.T(acct.lang, fe.Code, fe.Args...)})
		case err != nil:
			return fmt.Errorf("faxes: email %d: %w", id, err) // retried
		}
	}
	state, errText := "done", ""
	if len(refused) == len(p.Numbers) {
		state = "failed"
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, r := range refused {
			errText += r.number + ": " + r.reason + "\n"
			if err := s.Mail.EnqueueTx(ctx, tx, accountID, s.notSentEmail(ctx, acct, sender, r.number, r.reason)); err != nil {
				return err
			}
		}
		// The content is not kept once the faxes hold it.
		_, err := tx.ExecContext(ctx, "UPDATE email_inbound SET status = $1, error = $2, payload = $3, done_at = $4 WHERE id = $5 AND status = 'queued'",
			state, strings.TrimSpace(errText), []byte{}, store.Micros(s.Clock.Now()), id)
		return err
	})
}

// recordOrigin notes, inside the transaction that queues a fax, that it
// was sent for an email.
func recordOrigin(ctx context.Context, tx *sql.Tx, faxID int64, o *emailOrigin) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO fax_email_origin (fax_id, inbound_id, sender) VALUES ($1, $2, $3)", faxID, o.inboundID, o.sender)
	return err
}
