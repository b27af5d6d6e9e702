package privacy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/faxhaven/faxhaven/internal/staff"
)

// Ground is why staff open a fax's content (U2): nothing else allows it.
type Ground string

// The three grounds of U2.
const (
	GroundLegalObligation Ground = "legal obligation"
	GroundProtectService  Ground = "protecting the service's rights"
	GroundUrgentSafety    Ground = "urgent personal safety"
)

// ErrNoGround refuses content access without one of the three grounds
// and a case or ticket reference.
var ErrNoGround = errors.New("privacy: fax content opens only on a ground (legal obligation, protecting the service, urgent safety) tied to a case or ticket")

// OpenFaxContent gives staff a fax's PDF (U2) through the audited door:
// the ground and the case or ticket it rests on are recorded before the
// content is read, in the same transaction.
func (s *Service) OpenFaxContent(ctx context.Context, actor *staff.Member, accountID, faxID int64, ground Ground, reference string) ([]byte, error) {
	switch ground {
	case GroundLegalObligation, GroundProtectService, GroundUrgentSafety:
	default:
		return nil, ErrNoGround
	}
	if len(strings.TrimSpace(reference)) < 3 {
		return nil, ErrNoGround
	}
	if s.Faxes == nil {
		return nil, errors.New("privacy: no fax service to read content from")
	}
	var pdf []byte
	err := s.Staff.Open(ctx, actor, staff.Access{Action: staff.ActionViewFaxContent, SubjectKind: "fax", SubjectID: faxID,
		Ground: string(ground) + ": " + strings.TrimSpace(reference), Detail: fmt.Sprintf("content of fax %d of account %d", faxID, accountID)},
		func(*sql.Tx) error {
			var err error
			pdf, err = s.Faxes.PDF(ctx, accountID, faxID)
			return err
		})
	return pdf, err
}
