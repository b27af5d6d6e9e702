// Package carrier is the service's door to the telephone network: place an
// outbound fax call and get its result, or be handed an inbound fax.
//
// The service speaks to every carrier through these few types. The loopback
// carrier routes the service's own demo numbers in-process; SIP trunks come
// later behind the same interface.
package carrier

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4"
)

// Outbound is a fax call to place.
type Outbound struct {
	// CallID identifies the fax across attempts; a receiver that sees the
	// same CallID twice keeps one copy.
	CallID string
	From   string // E.164 number the call comes from
	To     string // E.164 number to call
	Ident  string // the sender's fax identity (TSI), at most 20 characters
	Pages  []*page.Page
}

// Status is how a call ended.
type Status int

// Call outcomes. Their names are stable: they are stored with the fax.
const (
	Delivered    Status = iota // every page confirmed
	Busy                       // the line was busy
	NoAnswer                   // nobody answered
	Rejected                   // the network or the callee refused the call
	NoSuchNumber               // the number does not exist
	NotFax                     // a person or a modem answered, not a fax machine
	TrunkDown                  // no carrier route could be used
	Failed                     // the fax session failed; Reason says how
)

var statusNames = [...]string{"delivered", "busy", "no_answer", "rejected", "no_such_number", "not_fax", "trunk_down", "failed"}

// String returns the status's stable name, such as "no_answer".
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown"
}

// ParseStatus reads a status by its stable name.
func ParseStatus(name string) (Status, error) {
	for i, n := range statusNames {
		if n == name {
			return Status(i), nil
		}
	}
	return 0, fmt.Errorf("carrier: unknown call outcome %q (want one of %s)", name, strings.Join(statusNames[:], ", "))
}

// Retryable reports whether calling again later may succeed; it is the
// default choice of which outcomes a fax is tried again after.
func (s Status) Retryable() bool {
	switch s {
	case Busy, NoAnswer, TrunkDown, Failed:
		return true
	}
	return false
}

// Result is the outcome of an outbound call.
type Result struct {
	Status    Status
	PagesSent int // pages the receiver confirmed
	RemoteID  string
	// Reason is the outcome in plain words ("page 3 was not confirmed"),
	// and Detail the protocol particulars (SIP code, T.30 detail) for
	// support.
	Reason, Detail string
	Duration       time.Duration
}

// ReceivedPage is one page of an inbound fax.
type ReceivedPage struct {
	Page *page.Page
	// Coded is the page as it came off the line, kept so the stored fax is
	// exactly what was received. It may be nil, in which case the page is
	// coded afresh from Page.
	Coded *t4.CodedPage
}

// Inbound is a fax received on one of the service's numbers.
type Inbound struct {
	CallID   string // unique per call; delivery is idempotent on it
	From     string // caller's number, or "" when withheld
	To       string // the service's number that was called
	RemoteID string // the sender's fax identity (TSI)
	Pages    []ReceivedPage
	Received time.Time
}

// ErrRefused is what a Sink returns (wrapped) for a fax it will not take
// from this sender at all, such as a blocked junk-fax sender: the call is
// rejected and not tried again.
var ErrRefused = errors.New("carrier: the callee refuses faxes from this sender")

// Sink takes inbound faxes. Deliver returns nil only once the fax is stored
// durably; a carrier acknowledges the call to the far end only after that.
type Sink interface {
	Deliver(ctx context.Context, in *Inbound) error
}

// Carrier places outbound fax calls.
type Carrier interface {
	Send(ctx context.Context, out *Outbound) (*Result, error)
}
