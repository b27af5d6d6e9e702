package t30

import (
	"fmt"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
)

// Phase is a phase of a T.30 call.
type Phase int

// The phases of T.30.
const (
	PhaseA Phase = iota + 1 // call set-up: tones
	PhaseB                  // pre-message: capabilities and training
	PhaseC                  // message: image transfer
	PhaseD                  // post-message: confirmation
	PhaseE                  // call release
)

// String returns "phase A" ... "phase E".
func (p Phase) String() string {
	if p >= PhaseA && p <= PhaseE {
		return "phase " + string(rune('A'+p-PhaseA))
	}
	return fmt.Sprintf("Phase(%d)", int(p))
}

// Reason says why a call ended. The zero value means it succeeded.
type Reason int

// Reasons a call ends. Result.Message turns them into plain words.
const (
	ReasonOK               Reason = iota
	ReasonNoFax                   // the remote side never spoke T.30 (T1 expired)
	ReasonIncompatible            // the remote machine cannot take what we have, or has nothing for us
	ReasonTrainingFailed          // FTT at the lowest rate, or no usable rate
	ReasonNoResponse              // a command went unanswered three times
	ReasonPageNotConfirmed        // a page was refused (RTN) too often or ECM could not correct it
	ReasonRemoteHangup            // the remote sent DCN before the end
	ReasonLineLost                // the modem or transport reported the line gone
	ReasonRemoteSilent            // the sender went silent (T2 expired)
	ReasonProtocol                // an unexpected or malformed signal
	ReasonImage                   // our own page could not be coded
	ReasonCanceled                // ended locally with Session.Cancel
)

var reasonText = map[Reason]string{
	ReasonOK:               "the fax went through",
	ReasonNoFax:            "the remote machine did not answer as a fax",
	ReasonIncompatible:     "the remote machine cannot handle this fax",
	ReasonTrainingFailed:   "training failed",
	ReasonNoResponse:       "the remote machine stopped responding",
	ReasonPageNotConfirmed: "a page was not confirmed",
	ReasonRemoteHangup:     "the remote machine hung up",
	ReasonLineLost:         "the connection was lost",
	ReasonRemoteSilent:     "the sending machine went silent",
	ReasonProtocol:         "the remote machine broke the fax protocol",
	ReasonImage:            "a page image could not be coded or decoded",
	ReasonCanceled:         "the call was cancelled",
}

// String returns the reason in plain English.
func (r Reason) String() string {
	if s, ok := reasonText[r]; ok {
		return s
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// PageResult describes one page sent or received.
type PageResult struct {
	Number    int // 1-based
	Mod       Modulation
	Res       page.Resolution
	Encoding  Encoding
	Width     int // pixels
	ECM       bool
	BadRows   int  // rows the receiver could not decode (non-ECM)
	Confirmed bool // the receiver answered MCF or RTP
}

// Result is the outcome of a call.
type Result struct {
	Reason   Reason
	Phase    Phase  // where the call ended when it failed
	Page     int    // the page concerned, 1-based, or 0
	Rate     int    // the rate concerned (training failures), bit/s
	Signal   FCF    // the T.30 signal concerned, if any
	Detail   string // the T.30 detail, for logs and support
	RemoteID string // CSI, TSI or CIG of the remote machine
	// Subaddress and Password are the SUB and SID/PWD the remote sent.
	Subaddress, Password string
	Pages                []PageResult
	Start, End           time.Time
}

// OK reports whether the call succeeded.
func (r Result) OK() bool { return r.Reason == ReasonOK }

// Duration is the length of the call.
func (r Result) Duration() time.Duration { return r.End.Sub(r.Start) }

// Confirmed counts the pages the receiver confirmed.
func (r Result) Confirmed() int {
	n := 0
	for _, p := range r.Pages {
		if p.Confirmed {
			n++
		}
	}
	return n
}

// Message is the reason in plain words with its particulars, e.g.
// "training failed at 2400 bit/s" or "page 3 was not confirmed".
func (r Result) Message() string {
	switch r.Reason {
	case ReasonTrainingFailed:
		if r.Rate > 0 {
			return fmt.Sprintf("training failed at %d bit/s", r.Rate)
		}
	case ReasonPageNotConfirmed:
		if r.Page > 0 {
			return fmt.Sprintf("page %d was not confirmed", r.Page)
		}
	case ReasonRemoteHangup:
		return fmt.Sprintf("the remote machine hung up (DCN) during %s", r.Phase)
	case ReasonLineLost, ReasonRemoteSilent, ReasonNoResponse:
		return fmt.Sprintf("%s during %s", r.Reason, r.Phase)
	}
	return r.Reason.String()
}

// Err returns nil for a successful call, else an error carrying the message
// and the detail.
func (r Result) Err() error {
	if r.OK() {
		return nil
	}
	if r.Detail == "" {
		return fmt.Errorf("t30: %s", r.Message())
	}
	return fmt.Errorf("t30: %s (%s)", r.Message(), r.Detail)
}
