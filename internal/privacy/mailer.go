package privacy

import (
	"context"
	"database/sql"
)

// Mail is a message the privacy service sends: to a user (notices of
// legal requests, policy changes, transfers, announcements) or to a
// friend a user invited.
type Mail struct {
	To      string
	Subject string
	Text    string
	Kind    string // "legal_notice", "policy_change", "transfer", "referral", "announcement", "code"
}

// Mailer stores outbound mail durably in the caller's transaction. The
// service's outbox implements it; accountID is whose key seals the mail.
type Mailer interface {
	EnqueueTx(ctx context.Context, tx *sql.Tx, accountID int64, m Mail) error
}
