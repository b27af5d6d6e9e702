package staff

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/faxhaven/faxhaven/internal/store"
)

// Actions a staff member can take through Open. Each names what is seen.
const (
	ActionViewAccount = "view_account" // a user's personal data
	ActionViewOutbox  = "view_outbox"  // the local mail outbox (addresses and content)
	// Privacy (issue 7): the steps of a legal case (L1-L5) and the rare
	// opening of a fax's content on a recorded ground (U2).
	ActionLegalCase      = "legal_case"
	ActionViewFaxContent = "view_fax_content"
	// ActionRunPrivacy covers the privacy tasks that speak for the whole
	// brand: reviewing the junk block list, service announcements, policy
	// change and business transfer notices.
	ActionRunPrivacy = "run_privacy"
)

// may lists which roles may take each action. Billing and support need a
// person's data for their tasks, legal for lawful requests, admins to run
// the service; the outbox holds every user's mail, so only admins see it.
var may = map[string][]Role{
	ActionViewAccount: {Admin, Support, Billing, Legal},
	ActionViewOutbox:  {Admin},
	// Issue 7: legal requests are the legal role's task; fax content is
	// opened only by legal or an admin, never by support or billing.
	ActionLegalCase:      {Admin, Legal},
	ActionViewFaxContent: {Admin, Legal},
	ActionRunPrivacy:     {Admin},
}

// Allowed reports whether role may take action.
func Allowed(role Role, action string) bool {
	for _, r := range may[action] {
		if r == role {
			return true
		}
	}
	return false
}

// Access describes one look at personal data.
type Access struct {
	Action      string // one of the Action constants
	SubjectKind string // "account", "outbox", ...
	SubjectID   int64
	// Ground is why: a ticket reference or a short reason, in the staff
	// member's words. It is required.
	Ground string
	// Detail says what was shown, e.g. the fields.
	Detail string
}

// Ground limits.
const (
	MinGroundLen = 3
	MaxGroundLen = 500
)

// Open is the one door through which staff see personal data (Sec1, U2).
// It checks that the member's role allows the action and that a ground is
// given, writes the audit record (who, what, when, why) and runs read, all
// in one transaction: the data is read only if the record is written, and
// the record stays only if the read succeeds. Every staff view of a
// person's data goes through here.
func (s *Service) Open(ctx context.Context, actor *Member, a Access, read func(tx *sql.Tx) error) error {
	if actor == nil || actor.Disabled {
		return ErrForbidden
	}
	if !Allowed(actor.Role, a.Action) {
		return fmt.Errorf("%w: %s may not %s", ErrForbidden, actor.Role, a.Action)
	}
	a.Ground = strings.TrimSpace(a.Ground)
	if utf8.RuneCountInString(a.Ground) < MinGroundLen {
		return ErrGroundRequired
	}
	if utf8.RuneCountInString(a.Ground) > MaxGroundLen {
		return fmt.Errorf("%w (at most %d characters)", ErrGroundRequired, MaxGroundLen)
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_kind, actor_id, action, subject_kind, subject_id, ground, detail)
			VALUES ($1, 'staff', $2, $3, $4, $5, $6, $7)`, store.Micros(s.Clock.Now()), actor.ID, a.Action,
			a.SubjectKind, a.SubjectID, a.Ground, a.Detail); err != nil {
			return fmt.Errorf("staff: audit record: %w", err)
		}
		return read(tx)
	})
}

// AuditEntry is one audit record.
type AuditEntry struct {
	At          time.Time
	ActorKind   string
	ActorID     int64
	Action      string
	SubjectKind string
	SubjectID   int64
	Ground      string
	Detail      string
}

// AuditTrail returns the audit records about one subject, newest first.
func (s *Service) AuditTrail(ctx context.Context, subjectKind string, subjectID int64) ([]AuditEntry, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT at, actor_kind, actor_id, action, subject_kind, subject_id, ground, detail
		FROM audit_log WHERE subject_kind = $1 AND subject_id = $2 ORDER BY at DESC, id DESC`, subjectKind, subjectID)
	if err != nil {
		return nil, fmt.Errorf("staff: audit trail: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&at, &e.ActorKind, &e.ActorID, &e.Action, &e.SubjectKind, &e.SubjectID, &e.Ground, &e.Detail); err != nil {
			return nil, fmt.Errorf("staff: audit trail: %w", err)
		}
		e.At = store.Time(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
