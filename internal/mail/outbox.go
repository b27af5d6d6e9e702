package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/jobs"
	"github.com/faxhaven/faxhaven/internal/keys"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Status is where a stored message stands.
type Status string

// The message statuses.
const (
	// Queued messages wait for (another) delivery attempt.
	Queued Status = "queued"
	// Sent messages were accepted by the relay.
	Sent Status = "sent"
	// Kept messages stay in the local outbox because no relay is set.
	Kept Status = "kept"
	// Failed messages were refused for good or ran out of attempts;
	// LastError says why.
	Failed Status = "failed"
	// Bounced messages were accepted and later returned (reserved for
	// bounce processing).
	Bounced Status = "bounced"
)

// Config configures outbound mail. The zero value keeps every message in
// the local outbox.
type Config struct {
	// Relay is the SMTP relay; with an empty Relay.Host nothing leaves
	// the machine and messages are kept for the admin portal.
	Relay RelayConfig
	// Queue is the job queue name deliveries run on. Default "default".
	Queue string
	// MaxAttempts bounds delivery attempts before a message is marked
	// failed. Default 20; the spacing is the queue's backoff for the kind
	// "mail_deliver" (jobs.Config.Kinds).
	MaxAttempts int
	// Clock stamps messages. Default clock.System.
	Clock clock.Clock
	// DKIM returns the key that signs mail from domain, or nil to send it
	// unsigned. q is the transaction the message is queued in.
	DKIM func(ctx context.Context, q store.Querier, domain string) (*DKIMKey, error)
	// Refused, when set, hears of a message the relay refused for good
	// (a 5xx reply): its recipients and the reply. Fax-to-email messages
	// have one recipient each, so the failing address is known; with
	// several, all are named and the reply says which it was.
	Refused func(ctx context.Context, recipients []string, reason string) error
}

// Outbox queues, stores and delivers outbound mail.
type Outbox struct {
	db    *store.DB
	keys  *keys.Keyring
	queue *jobs.Queue
	cfg   Config
	clock clock.Clock
}

// New returns an outbox and registers its delivery worker on queue, so it
// must be called before the queue is first used.
func New(db *store.DB, keyring *keys.Keyring, queue *jobs.Queue, cfg Config) (*Outbox, error) {
	if cfg.Relay.Host != "" {
		var err error
		if cfg.Relay, err = cfg.Relay.withDefaults(); err != nil {
			return nil, err
		}
	}
	if cfg.Queue == "" {
		cfg.Queue = river.QueueDefault
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 20
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	o := &Outbox{db: db, keys: keyring, queue: queue, cfg: cfg, clock: cfg.Clock}
	if err := jobs.Register(queue, river.Worker[deliverArgs](&deliverWorker{o: o})); err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return o, nil
}

// deliverArgs is the delivery job of one stored message.
type deliverArgs struct {
	MessageID int64 `json:"message_id"`
}

// Kind implements river.JobArgs.
func (deliverArgs) Kind() string { return "mail_deliver" }

// rawAAD and subjectAAD tie sealed values to their row and column.
func rawAAD(id int64) []byte {
	return []byte("faxhaven mail_messages.raw\x00" + strconv.FormatInt(id, 10))
}

func subjectAAD(id int64) []byte {
	return []byte("faxhaven mail_messages.subject\x00" + strconv.FormatInt(id, 10))
}

// EnqueueTx builds msg, stores it and queues its delivery, all inside tx:
// if tx rolls back, nothing was queued; once it commits, the message will
// be delivered (or kept). With accountID != 0 the stored message and its
// subject are sealed with that account's key, so destroying the key
// destroys them. It returns the message's id.
func (o *Outbox) EnqueueTx(ctx context.Context, tx *sql.Tx, accountID int64, msg *Message) (int64, error) {
	from, to, err := msg.Envelope()
	if err != nil {
		return 0, err
	}
	now := o.clock.Now()
	raw, err := msg.Build(now)
	if err != nil {
		return 0, err
	}
	// Signed once, when queued: every attempt sends the same signed bytes.
	if o.cfg.DKIM != nil {
		author, err := netmail.ParseAddress(msg.From)
		if err != nil {
			return 0, fmt.Errorf("mail: From %q: %w", msg.From, err)
		}
		// d= is the From domain, which DMARC aligns with.
		k, err := o.cfg.DKIM(ctx, tx, author.Address[strings.LastIndexByte(author.Address, '@')+1:])
		if err != nil {
			return 0, err
		}
		if k != nil {
			if raw, err = k.Sign(raw); err != nil {
				return 0, err
			}
		}
	}
	sealed := accountID != 0
	clearSubject := msg.Subject
	if sealed {
		clearSubject = ""
	}
	// Recipients are stored one per line: an address may hold a comma
	// (in a quoted local part) but never a line break.
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO mail_messages
		(account_id, sender, recipients, subject, raw, sealed, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		accountID, from, strings.Join(to, "\n"), clearSubject, []byte{}, sealed, string(Queued), store.Micros(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("mail: store message: %w", err)
	}
	var subject []byte
	if sealed {
		// The id is part of the sealed data, so values cannot be
		// swapped between rows or columns.
		if raw, err = o.keys.SealTx(ctx, tx, accountID, raw, rawAAD(id)); err != nil {
			return 0, fmt.Errorf("mail: seal message %d: %w", id, err)
		}
		if subject, err = o.keys.SealTx(ctx, tx, accountID, []byte(msg.Subject), subjectAAD(id)); err != nil {
			return 0, fmt.Errorf("mail: seal message %d: %w", id, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE mail_messages SET raw = $1, subject_sealed = $2 WHERE id = $3`, raw, subject, id); err != nil {
		return 0, fmt.Errorf("mail: store message %d: %w", id, err)
	}
	_, err = o.queue.InsertTx(ctx, tx, deliverArgs{MessageID: id}, &river.InsertOpts{
		Queue:       o.cfg.Queue,
		MaxAttempts: o.cfg.MaxAttempts,
	})
	if err != nil {
		return 0, fmt.Errorf("mail: queue delivery of message %d: %w", id, err)
	}
	return id, nil
}

// Summary is a stored message without its content.
type Summary struct {
	ID         int64     // the message's id
	AccountID  int64     // the owning account; 0 for service mail
	From       string    // envelope sender address
	Recipients []string  // envelope recipient addresses
	Subject    string    // subject as given, not encoded; "" once shredded
	Shredded   bool      // the account's key was destroyed: content is gone
	Status     Status    // where delivery stands
	Attempts   int       // delivery attempts made
	LastError  string    // why the last attempt failed, or ""
	CreatedAt  time.Time // when it was queued
	SentAt     time.Time // when the relay accepted it; zero until then
}

// Stored is a stored message with its content.
type Stored struct {
	Summary
	// Raw is the RFC 5322 message as built (and as sent).
	Raw []byte
}

// Filter selects messages for List. Zero fields do not filter.
type Filter struct {
	// Status keeps messages with this status.
	Status Status
	// AccountID keeps one account's messages.
	AccountID int64
	// BeforeID keeps messages older than this id, for paging.
	BeforeID int64
	// Limit caps the result; default 50, at most 500.
	Limit int
}

const summaryCols = `id, account_id, sender, recipients, subject, subject_sealed, status, attempts, last_error, created_at, sent_at`

// scanSummary reads summaryCols (and extra columns after them) and unseals
// the subject of account mail.
func (o *Outbox) scanSummary(ctx context.Context, sc interface{ Scan(...any) error }, extra ...any) (Summary, error) {
	var s Summary
	var rcpts, status string
	var subject []byte
	var created, sent int64
	dest := append([]any{&s.ID, &s.AccountID, &s.From, &rcpts, &s.Subject, &subject, &status, &s.Attempts, &s.LastError, &created, &sent}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return s, err
	}
	s.Recipients = strings.Split(rcpts, "\n")
	s.Status = Status(status)
	s.CreatedAt, s.SentAt = store.Time(created), store.Time(sent)
	if len(subject) > 0 {
		pt, err := o.keys.Open(ctx, s.AccountID, subject, subjectAAD(s.ID))
		if errors.Is(err, keys.ErrKeyDestroyed) {
			s.Shredded = true
			return s, nil
		}
		if err != nil {
			return s, err
		}
		s.Subject = string(pt)
	}
	return s, nil
}

// List returns stored messages, newest first, without their content.
func (o *Outbox) List(ctx context.Context, f Filter) ([]Summary, error) {
	q := `SELECT ` + summaryCols + ` FROM mail_messages WHERE 1 = 1`
	var args []any
	arg := func(cond string, v any) {
		args = append(args, v)
		q += " AND " + strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1)
	}
	if f.Status != "" {
		arg("status = ?", string(f.Status))
	}
	if f.AccountID != 0 {
		arg("account_id = ?", f.AccountID)
	}
	if f.BeforeID != 0 {
		arg("id < ?", f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	q += " ORDER BY id DESC LIMIT " + strconv.Itoa(limit)
	rows, err := o.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("mail: list outbox: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		s, err := o.scanSummary(ctx, rows)
		if err != nil {
			return nil, fmt.Errorf("mail: list outbox: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mail: list outbox: %w", err)
	}
	return out, nil
}

// ErrNotFound is returned by Get for an unknown id.
var ErrNotFound = errors.New("mail: no such message")

// Get returns a stored message with its content, unsealed. If the account's
// key was destroyed the error wraps keys.ErrKeyDestroyed; List still shows
// what is left of the message (Shredded set).
func (o *Outbox) Get(ctx context.Context, id int64) (*Stored, error) {
	return o.get(ctx, o.db, id)
}

func (o *Outbox) get(ctx context.Context, q store.Querier, id int64) (*Stored, error) {
	var raw []byte
	var sealed bool
	s, err := o.scanSummary(ctx, q.QueryRowContext(ctx, `SELECT `+summaryCols+`, raw, sealed FROM mail_messages WHERE id = $1`, id), &raw, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("mail: message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("mail: message %d: %w", id, err)
	}
	if s.Shredded {
		return nil, fmt.Errorf("mail: message %d: %w", id, keys.ErrKeyDestroyed)
	}
	if sealed {
		if raw, err = o.keys.Open(ctx, s.AccountID, raw, rawAAD(id)); err != nil {
			return nil, fmt.Errorf("mail: message %d: %w", id, err)
		}
	}
	return &Stored{Summary: s, Raw: raw}, nil
}

// deliverWorker runs delivery jobs.
type deliverWorker struct {
	river.WorkerDefaults[deliverArgs]
	o *Outbox
}

// Work delivers one message. A message that is no longer queued (already
// sent, kept or failed) is left alone, so a retried or rescued job never
// sends it twice. A relay that accepted the message just before a crash
// will see it again, though: SMTP has no way to ask.
func (w *deliverWorker) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	o := w.o
	id := job.Args.MessageID
	m, err := o.get(ctx, o.db, id)
	if errors.Is(err, keys.ErrKeyDestroyed) {
		o.finish(ctx, id, Failed, "the account's key was destroyed; the message no longer exists")
		return river.JobCancel(err)
	}
	if errors.Is(err, ErrNotFound) {
		return river.JobCancel(err) // deleted with its account
	}
	if err != nil {
		return err
	}
	if m.Status != Queued {
		return nil
	}
	if o.cfg.Relay.Host == "" {
		return o.finish(ctx, id, Kept, "")
	}
	err = o.cfg.Relay.send(ctx, m.From, m.Recipients, m.Raw)
	// A counter for the portal; a lost increment is harmless.
	o.db.ExecContext(context.WithoutCancel(ctx), `UPDATE mail_messages SET attempts = attempts + 1 WHERE id = $1`, id)
	var perm permanentError
	switch {
	case err == nil:
		return o.finish(ctx, id, Sent, "")
	case errors.As(err, &perm):
		if ferr := o.finish(ctx, id, Failed, err.Error()); ferr != nil {
			return ferr
		}
		if o.cfg.Refused != nil {
			if herr := o.cfg.Refused(ctx, m.Recipients, err.Error()); herr != nil {
				return herr // retried: the message is failed already and is not sent again
			}
		}
		return river.JobCancel(err)
	case job.Attempt >= job.MaxAttempts:
		msg := fmt.Sprintf("gave up after %d attempts: %v", job.Attempt, err)
		if ferr := o.finish(ctx, id, Failed, msg); ferr != nil {
			return ferr
		}
		return river.JobCancel(err)
	default:
		o.db.ExecContext(ctx, `UPDATE mail_messages SET last_error = $1 WHERE id = $2`, err.Error(), id)
		return err // River retries with backoff
	}
}

// finish records a final status, once: only a queued message changes.
func (o *Outbox) finish(ctx context.Context, id int64, st Status, lastErr string) error {
	var sentAt int64
	if st == Sent {
		sentAt = store.Micros(o.clock.Now())
	}
	_, err := o.db.ExecContext(context.WithoutCancel(ctx), `UPDATE mail_messages SET status = $1, last_error = $2, sent_at = $3
		WHERE id = $4 AND status = $5`, string(st), lastErr, sentAt, id, string(Queued))
	if err != nil {
		return fmt.Errorf("mail: message %d: record %s: %w", id, st, err)
	}
	return nil
}
