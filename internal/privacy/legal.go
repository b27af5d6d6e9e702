package privacy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Instrument is the legal basis of a request (L1, L2).
type Instrument string

// The instruments a case can rest on.
const (
	Subpoena   Instrument = "subpoena"
	CourtOrder Instrument = "court_order"
	Warrant    Instrument = "warrant"
	// Network is a request from an upstream network provider to keep the
	// network intact (L1).
	Network Instrument = "network"
)

// Case statuses.
const (
	CaseOpen     = "open"
	CaseHalted   = "halted" // a subscriber objected (L3)
	CaseReleased = "released"
	CaseRefused  = "refused"
)

// NoticePeriod is how long identifying data waits after a request is
// received, so the subscriber can object (L3).
const NoticePeriod = 14 * 24 * time.Hour

// Fees of L4, in US cents.
const (
	FeeResearchPerHour = 9000
	FeePerPage         = 25
	FeeCourier         = 2200
	FeeDue             = 15 * 24 * time.Hour
)

// Errors of the legal process; each names what is missing.
var (
	ErrCaseNotFound = errors.New("privacy: no such legal case")
	ErrNotYet       = errors.New("privacy: the notice period has not ended; identifying data is released no earlier than 14 days after receipt unless an urgent or compelled ground is recorded with its document")
	ErrObjected     = errors.New("privacy: the subscriber formally objected; the case is halted")
	ErrChecks       = errors.New("privacy: the case fails the checks of L2 and L5")
)

// CaseIntake is what legal staff record when a request arrives.
type CaseIntake struct {
	BrandID    int64
	Instrument Instrument
	Reference  string // the court's or authority's reference
	Requester  string
	ReceivedAt time.Time // zero: now
	Accounts   []int64   // the accounts the request names
	// The checks of L2 and L5.
	InstrumentValid bool   // the subpoena, order or warrant is valid
	ComplaintCopy   bool   // a copy of the complaint and supporting documents came with it
	FeesAccepted    bool   // the requester accepted the fee terms (L4)
	ThresholdGround string // why the L5 threshold is met: the requester sued and the suit implicates the customer, or the data is essential
}

// Case is a legal request's file.
type Case struct {
	ID int64
	CaseIntake
	EarlyGround   string
	EarlyDocument string
	Status        string
	ResearchMin   int
	Pages         int
	Courier       bool
}

func (s *Service) audit(ctx context.Context, actor *staff.Member, caseID int64, step string, fn func(tx *sql.Tx) error) error {
	if s.Staff == nil {
		return errors.New("privacy: legal cases need the staff service for their audit trail")
	}
	return s.Staff.Open(ctx, actor, staff.Access{Action: staff.ActionLegalCase, SubjectKind: "legal_case", SubjectID: caseID,
		Ground: "legal case " + step, Detail: step}, fn)
}

// OpenCase records a request and, in the same transaction, mails each
// named subscriber a notice that says when identifying data could be
// released and how to object (L3). The intake is audit-logged.
func (s *Service) OpenCase(ctx context.Context, actor *staff.Member, in CaseIntake) (*Case, error) {
	switch in.Instrument {
	case Subpoena, CourtOrder, Warrant, Network:
	default:
		return nil, fmt.Errorf("privacy: instrument %q: choose subpoena, court_order, warrant or network", in.Instrument)
	}
	if strings.TrimSpace(in.Reference) == "" || strings.TrimSpace(in.Requester) == "" {
		return nil, errors.New("privacy: a legal case needs the requester and their reference")
	}
	if len(in.Accounts) == 0 {
		return nil, errors.New("privacy: a legal case must name at least one account")
	}
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = s.Clock.Now()
	}
	c := &Case{CaseIntake: in, Status: CaseOpen}
	err := s.audit(ctx, actor, 0, "intake "+in.Reference, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO legal_cases (brand_id, instrument, reference, requester, received_at,
			instrument_valid, complaint_copy, fees_accepted, threshold_ground, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			in.BrandID, string(in.Instrument), in.Reference, in.Requester, store.Micros(in.ReceivedAt), in.InstrumentValid,
			in.ComplaintCopy, in.FeesAccepted, in.ThresholdGround, CaseOpen).Scan(&c.ID); err != nil {
			return fmt.Errorf("privacy: open case: %w", err)
		}
		for _, id := range in.Accounts {
			if _, err := tx.ExecContext(ctx, "INSERT INTO legal_case_accounts (case_id, account_id, notified_at) VALUES ($1, $2, $3)",
				c.ID, id, store.Micros(s.Clock.Now())); err != nil {
				return fmt.Errorf("privacy: open case: account %d: %w", id, err)
			}
			if err := s.noticeTx(ctx, tx, c, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Service) noticeTx(ctx context.Context, tx *sql.Tx, c *Case, accountID int64) error {
	if s.Mailer == nil {
		return errors.New("privacy: no mailer: the subscriber must be notified (L3)")
	}
	var name, email, lang, brand string
	if err := tx.QueryRowContext(ctx, `SELECT a.name, a.email, a.language, b.name FROM accounts a JOIN brands b ON b.id = a.brand_id
		WHERE a.id = $1`, accountID).Scan(&name, &email, &lang, &brand); err != nil {
		return fmt.Errorf("privacy: notify account %d: %w", accountID, err)
	}
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	return s.Mailer.EnqueueTx(ctx, tx, accountID, Mail{To: email, Kind: "legal_notice",
		Subject: i18n.T(lang, "mail.legal.subject", brand),
		Text: i18n.T(lang, "mail.legal.body", name, day(c.ReceivedAt), i18n.T(lang, "legal.instrument."+string(c.Instrument)),
			c.Requester, c.Reference, day(c.ReceivedAt.Add(NoticePeriod)))})
}

// CaseByID returns a case.
func (s *Service) CaseByID(ctx context.Context, id int64) (*Case, error) {
	return caseByID(ctx, s.DB, id)
}

func caseByID(ctx context.Context, q store.Querier, id int64) (*Case, error) {
	c := &Case{ID: id}
	var inst string
	var recv int64
	err := q.QueryRowContext(ctx, `SELECT brand_id, instrument, reference, requester, received_at, instrument_valid, complaint_copy,
		fees_accepted, threshold_ground, early_ground, early_document, status, research_minutes, pages, courier FROM legal_cases WHERE id = $1`, id).
		Scan(&c.BrandID, &inst, &c.Reference, &c.Requester, &recv, &c.InstrumentValid, &c.ComplaintCopy, &c.FeesAccepted,
			&c.ThresholdGround, &c.EarlyGround, &c.EarlyDocument, &c.Status, &c.ResearchMin, &c.Pages, &c.Courier)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrCaseNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("privacy: case %d: %w", id, err)
	}
	c.Instrument, c.ReceivedAt = Instrument(inst), store.Time(recv)
	rows, err := q.QueryContext(ctx, "SELECT account_id FROM legal_case_accounts WHERE case_id = $1 ORDER BY account_id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a int64
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		c.Accounts = append(c.Accounts, a)
	}
	return c, rows.Err()
}

// RecordChecks updates the checks of L2 and L5 as documents arrive.
func (s *Service) RecordChecks(ctx context.Context, actor *staff.Member, caseID int64, valid, complaint, fees bool, threshold string) error {
	return s.audit(ctx, actor, caseID, "checks", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE legal_cases SET instrument_valid = $1, complaint_copy = $2, fees_accepted = $3,
			threshold_ground = $4 WHERE id = $5`, valid, complaint, fees, threshold, caseID)
		return err
	})
}

// RecordEarlyGround records why identifying data may be released before
// the notice period ends: urgency or a law or gag order that compels it
// (L3). The document (its name in the case file) is required.
func (s *Service) RecordEarlyGround(ctx context.Context, actor *staff.Member, caseID int64, ground, document string) error {
	if len(strings.TrimSpace(ground)) < 10 || strings.TrimSpace(document) == "" {
		return errors.New("privacy: an early release needs its ground in words and the document that compels it")
	}
	return s.audit(ctx, actor, caseID, "early ground", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE legal_cases SET early_ground = $1, early_document = $2 WHERE id = $3", ground, document, caseID)
		return err
	})
}

// Object records a subscriber's formal objection, which halts the case
// (L3).
func (s *Service) Object(ctx context.Context, actor *staff.Member, caseID, accountID int64) error {
	return s.audit(ctx, actor, caseID, fmt.Sprintf("objection by account %d", accountID), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE legal_case_accounts SET objected_at = $1 WHERE case_id = $2 AND account_id = $3",
			store.Micros(s.Clock.Now()), caseID, accountID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("privacy: case %d does not name account %d", caseID, accountID)
		}
		_, err = tx.ExecContext(ctx, "UPDATE legal_cases SET status = $1 WHERE id = $2", CaseHalted, caseID)
		return err
	})
}

// RecordWork records the research time and pages the fee invoice bills.
func (s *Service) RecordWork(ctx context.Context, actor *staff.Member, caseID int64, minutes, pages int, courier bool) error {
	return s.audit(ctx, actor, caseID, "work", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE legal_cases SET research_minutes = $1, pages = $2, courier = $3 WHERE id = $4",
			minutes, pages, courier, caseID)
		return err
	})
}

// Disclosure is a released package: a zip holding manifest.json and the
// released records.
type Disclosure struct {
	Zip      []byte
	Manifest Manifest
}

// Manifest lists what a disclosure holds and on what ground.
type Manifest struct {
	Case        int64      `json:"case"`
	Reference   string     `json:"reference"`
	Requester   string     `json:"requester"`
	Instrument  Instrument `json:"instrument"`
	ReceivedAt  time.Time  `json:"received_at"`
	ReleasedAt  time.Time  `json:"released_at"`
	EarlyGround string     `json:"early_ground,omitempty"`
	Files       []string   `json:"files"`
}

// Release produces the disclosure package for a case through the audited
// door, if the case passes every check: a valid instrument and accepted
// fees (L2), for civil subpoenas a complaint copy and the threshold ground
// (L5), no objection, and the notice period over unless an early ground
// is recorded (L3).
func (s *Service) Release(ctx context.Context, actor *staff.Member, caseID int64) (*Disclosure, error) {
	c, err := s.CaseByID(ctx, caseID)
	if err != nil {
		return nil, err
	}
	switch {
	case c.Status == CaseHalted:
		return nil, ErrObjected
	case !c.InstrumentValid:
		return nil, fmt.Errorf("%w: the instrument is not recorded as valid", ErrChecks)
	case c.Instrument != Network && !c.FeesAccepted:
		return nil, fmt.Errorf("%w: the requester has not accepted the fee terms", ErrChecks)
	case c.Instrument == Subpoena && (!c.ComplaintCopy || strings.TrimSpace(c.ThresholdGround) == ""):
		return nil, fmt.Errorf("%w: a subpoena needs a copy of the complaint and the ground that meets the threshold", ErrChecks)
	case s.Clock.Now().Before(c.ReceivedAt.Add(NoticePeriod)) && (c.EarlyGround == "" || c.EarlyDocument == ""):
		return nil, ErrNotYet
	}
	now := s.Clock.Now()
	m := Manifest{Case: c.ID, Reference: c.Reference, Requester: c.Requester, Instrument: c.Instrument, ReceivedAt: c.ReceivedAt,
		ReleasedAt: now, EarlyGround: c.EarlyGround}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err = s.Staff.Open(ctx, actor, staff.Access{Action: staff.ActionViewAccount, SubjectKind: "legal_case", SubjectID: c.ID,
		Ground: "legal obligation: case " + c.Reference, Detail: "disclosure: account number, name, email, fax numbers"}, func(tx *sql.Tx) error {
		for _, id := range c.Accounts {
			var rec struct {
				Account string   `json:"account_number"`
				Name    string   `json:"name"`
				Email   string   `json:"email"`
				Numbers []string `json:"fax_numbers"`
			}
			if err := tx.QueryRowContext(ctx, "SELECT account_number, name, email FROM accounts WHERE id = $1", id).Scan(&rec.Account, &rec.Name, &rec.Email); err != nil {
				return fmt.Errorf("privacy: disclose account %d: %w", id, err)
			}
			rows, err := tx.QueryContext(ctx, "SELECT e164 FROM numbers WHERE account_id = $1 ORDER BY e164", id)
			if err != nil {
				return err
			}
			for rows.Next() {
				var n string
				rows.Scan(&n)
				rec.Numbers = append(rec.Numbers, n)
			}
			rows.Close()
			name := fmt.Sprintf("subscriber-%d.json", len(m.Files)+1)
			w, _ := zw.Create(name)
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rec); err != nil {
				return err
			}
			m.Files = append(m.Files, name)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE legal_cases SET status = $1 WHERE id = $2", CaseReleased, c.ID); err != nil {
			return err
		}
		w, _ := zw.Create("manifest.json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
	if err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return &Disclosure{Zip: buf.Bytes(), Manifest: m}, nil
}

// Invoice is the fee invoice of a case (L4), in US cents.
type Invoice struct {
	Case          int64
	ResearchCents int64
	PageCents     int64
	CourierCents  int64
	TotalCents    int64
	Issued        time.Time
	Due           time.Time
}

// Invoice bills a case at 90.00 per research hour (by the minute), 0.25 per
// page and 22.00 for a courier, payable within 15 days of issue.
func (s *Service) Invoice(ctx context.Context, caseID int64) (*Invoice, error) {
	c, err := s.CaseByID(ctx, caseID)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	inv := &Invoice{Case: c.ID, ResearchCents: int64(c.ResearchMin) * FeeResearchPerHour / 60, PageCents: int64(c.Pages) * FeePerPage,
		Issued: now, Due: now.Add(FeeDue)}
	if c.Courier {
		inv.CourierCents = FeeCourier
	}
	inv.TotalCents = inv.ResearchCents + inv.PageCents + inv.CourierCents
	return inv, nil
}

// String renders the invoice as text.
func (inv *Invoice) String() string {
	money := func(c int64) string { return fmt.Sprintf("USD %d.%02d", c/100, c%100) }
	return fmt.Sprintf("Invoice for legal case %d\nResearch (90.00/hour): %s\nPages (0.25/page): %s\nCourier: %s\nTotal: %s\nIssued: %s\nDue: %s\n",
		inv.Case, money(inv.ResearchCents), money(inv.PageCents), money(inv.CourierCents), money(inv.TotalCents),
		inv.Issued.Format("2006-01-02"), inv.Due.Format("2006-01-02"))
}

// Hold places a legal hold on an account's data for a case: retention and
// erasure leave it alone until released.
func (s *Service) Hold(ctx context.Context, actor *staff.Member, caseID, accountID int64) error {
	return s.audit(ctx, actor, caseID, fmt.Sprintf("hold on account %d", accountID), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO legal_holds (case_id, account_id, placed_at) VALUES ($1, $2, $3)",
			caseID, accountID, store.Micros(s.Clock.Now()))
		return err
	})
}

// ReleaseHolds releases every hold of a case.
func (s *Service) ReleaseHolds(ctx context.Context, actor *staff.Member, caseID int64) error {
	return s.audit(ctx, actor, caseID, "holds released", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE legal_holds SET released_at = $1 WHERE case_id = $2 AND released_at = 0",
			store.Micros(s.Clock.Now()), caseID)
		return err
	})
}

// TransparencyRow is one line of the transparency report: counts only.
type TransparencyRow struct {
	Instrument Instrument
	Received   int
	Released   int
	Halted     int
	Accounts   int
}

// Transparency counts a brand's cases received in [from, to) by
// instrument. It names no person, requester or reference.
func (s *Service) Transparency(ctx context.Context, brandID int64, from, to time.Time) ([]TransparencyRow, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT c.instrument, COUNT(DISTINCT c.id),
		COUNT(DISTINCT CASE WHEN c.status = 'released' THEN c.id END), COUNT(DISTINCT CASE WHEN c.status = 'halted' THEN c.id END),
		COUNT(a.account_id) FROM legal_cases c LEFT JOIN legal_case_accounts a ON a.case_id = c.id
		WHERE c.brand_id = $1 AND c.received_at >= $2 AND c.received_at < $3 GROUP BY c.instrument ORDER BY c.instrument`,
		brandID, store.Micros(from), store.Micros(to))
	if err != nil {
		return nil, fmt.Errorf("privacy: transparency report: %w", err)
	}
	defer rows.Close()
	var out []TransparencyRow
	for rows.Next() {
		var r TransparencyRow
		var inst string
		if err := rows.Scan(&inst, &r.Received, &r.Released, &r.Halted, &r.Accounts); err != nil {
			return nil, err
		}
		r.Instrument = Instrument(inst)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Cases lists a brand's legal cases, newest first.
func (s *Service) Cases(ctx context.Context, brandID int64) ([]*Case, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT id FROM legal_cases WHERE brand_id = $1 ORDER BY received_at DESC, id DESC", brandID)
	if err != nil {
		return nil, fmt.Errorf("privacy: cases: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := make([]*Case, 0, len(ids))
	for _, id := range ids {
		c, err := s.CaseByID(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// AccountIDs resolves the account numbers a request names to account IDs
// of the brand; it names the numbers it cannot find.
func (s *Service) AccountIDs(ctx context.Context, brandID int64, numbers []string) ([]int64, error) {
	var ids []int64
	for _, n := range numbers {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		var id int64
		err := s.DB.QueryRowContext(ctx, "SELECT id FROM accounts WHERE brand_id = $1 AND account_number = $2", brandID, n).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("privacy: no account with number %s; check the number in the request", n)
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// AddDocument files a document (the instrument, the complaint, a gag
// order) with a case; its content goes to the blob store.
func (s *Service) AddDocument(ctx context.Context, actor *staff.Member, caseID int64, kind, name string, r io.Reader) error {
	if kind == "" || strings.TrimSpace(name) == "" {
		return errors.New("privacy: a case document needs its kind and name")
	}
	var b [8]byte
	rand.Read(b[:])
	key := fmt.Sprintf("legal/%d/%s", caseID, hex.EncodeToString(b[:]))
	if _, err := s.Blobs.Put(ctx, key, r); err != nil {
		return fmt.Errorf("privacy: store case document: %w", err)
	}
	return s.audit(ctx, actor, caseID, "document "+kind, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO legal_case_documents (case_id, kind, name, blob_key, added_at) VALUES ($1, $2, $3, $4, $5)",
			caseID, kind, name, key, store.Micros(s.Clock.Now()))
		return err
	})
}

// Documents lists the names and kinds of a case's documents.
func (s *Service) Documents(ctx context.Context, caseID int64) ([][2]string, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT kind, name FROM legal_case_documents WHERE case_id = $1 ORDER BY id", caseID)
	if err != nil {
		return nil, fmt.Errorf("privacy: case documents: %w", err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var d [2]string
		if err := rows.Scan(&d[0], &d[1]); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
