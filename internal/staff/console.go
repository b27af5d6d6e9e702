package staff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/internal/store"
)

// AccountRow is one line of the staff console's account list. It holds no
// personal data: no name, no email, no fax content.
type AccountRow struct {
	ID        int64
	Number    string // account number
	Brand     string // brand slug
	CreatedAt time.Time
	Status    string
	Verified  bool
	Plan      string
}

// ListAccounts returns up to limit accounts, newest first, optionally only
// those whose account number starts with numberPrefix. Any role may list.
func (s *Service) ListAccounts(ctx context.Context, actor *Member, numberPrefix string, limit, offset int) ([]AccountRow, error) {
	if actor == nil || actor.Disabled {
		return nil, ErrForbidden
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	numberPrefix = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, numberPrefix)
	rows, err := s.DB.QueryContext(ctx, `SELECT a.id, a.account_number, b.slug, a.created_at, a.status, a.email_verified_at, a.plan
		FROM accounts a JOIN brands b ON b.id = a.brand_id
		WHERE a.account_number LIKE $1 ORDER BY a.created_at DESC, a.id DESC LIMIT $2 OFFSET $3`,
		numberPrefix+"%", limit, offset)
	if err != nil {
		return nil, fmt.Errorf("staff: list accounts: %w", err)
	}
	defer rows.Close()
	var out []AccountRow
	for rows.Next() {
		var r AccountRow
		var created, verified int64
		if err := rows.Scan(&r.ID, &r.Number, &r.Brand, &created, &r.Status, &verified, &r.Plan); err != nil {
			return nil, fmt.Errorf("staff: list accounts: %w", err)
		}
		r.CreatedAt, r.Verified = store.Time(created), verified != 0
		out = append(out, r)
	}
	return out, rows.Err()
}

// Field is one piece of personal data shown to staff: a catalog key for its
// label and its value.
type Field struct {
	Label string // catalog key
	Value string
}

// PersonalData is what a staff member sees of one account.
type PersonalData struct {
	AccountID int64
	Number    string
	Fields    []Field
}

// roleFields says which fields each role sees: what its task needs and no
// more. Support and admins help with the account itself; billing needs
// who to bill and the plan; legal needs the full record for lawful
// requests, including the policy accepted.
var roleFields = map[Role][]string{
	Admin:   {"name", "email", "language", "verified", "fax_number", "plan", "status", "marketing"},
	Support: {"name", "email", "language", "verified", "fax_number", "plan", "status", "marketing"},
	Billing: {"name", "email", "plan", "status"},
	Legal: {"name", "email", "language", "verified", "fax_number", "plan", "status", "marketing",
		"policy_version", "policy_accepted_at", "gender", "occupation", "income_band", "created_at"},
}

// ViewAccount opens one account's personal data for a staff member through
// Open, so the view is refused without a ground and recorded with it.
func (s *Service) ViewAccount(ctx context.Context, actor *Member, accountID int64, ground string) (*PersonalData, error) {
	if actor == nil {
		return nil, ErrForbidden
	}
	fields := roleFields[actor.Role]
	pd := &PersonalData{AccountID: accountID}
	err := s.Open(ctx, actor, Access{Action: ActionViewAccount, SubjectKind: "account", SubjectID: accountID,
		Ground: ground, Detail: "fields=" + strings.Join(fields, ",")}, func(tx *sql.Tx) error {
		var name, email, lang, plan, status, policy, gender, occupation, income string
		var verified, accepted, created int64
		var marketing bool
		err := tx.QueryRowContext(ctx, `SELECT account_number, name, email, language, email_verified_at, plan, status,
			marketing_opt_in, policy_version, policy_accepted_at, gender, occupation, income_band, created_at
			FROM accounts WHERE id = $1`, accountID).Scan(&pd.Number, &name, &email, &lang, &verified, &plan, &status,
			&marketing, &policy, &accepted, &gender, &occupation, &income, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("staff: view account: %w", err)
		}
		var number string
		err = tx.QueryRowContext(ctx, "SELECT e164 FROM numbers WHERE account_id = $1 ORDER BY id LIMIT 1", accountID).Scan(&number)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("staff: view account: %w", err)
		}
		stamp := func(us int64) string {
			if us == 0 {
				return "-"
			}
			return store.Time(us).Format("2006-01-02 15:04 MST")
		}
		yesNo := func(b bool) string {
			if b {
				return "yes"
			}
			return "no"
		}
		all := map[string]string{
			"name": name, "email": email, "language": lang, "verified": stamp(verified), "fax_number": number,
			"plan": plan, "status": status, "marketing": yesNo(marketing), "policy_version": policy,
			"policy_accepted_at": stamp(accepted), "gender": gender, "occupation": occupation,
			"income_band": income, "created_at": stamp(created),
		}
		for _, f := range fields {
			pd.Fields = append(pd.Fields, Field{Label: "field." + f, Value: all[f]})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pd, nil
}
