package t30

import (
	"fmt"
	"time"
)

// Modulation is a fax modulation and speed.
type Modulation int

// The modulations of Group 3 fax. V21 carries the control frames; the others
// carry training, image data and, with ECM, the image frames.
const (
	V21 Modulation = iota // 300 bit/s FSK, control frames
	V27ter2400
	V27ter4800
	V29_7200
	V29_9600
	V17_7200
	V17_9600
	V17_12000
	V17_14400
)

// Rate returns the bit rate of m in bit/s.
func (m Modulation) Rate() int {
	switch m {
	case V21:
		return 300
	case V27ter2400:
		return 2400
	case V27ter4800:
		return 4800
	case V29_7200, V17_7200:
		return 7200
	case V29_9600, V17_9600:
		return 9600
	case V17_12000:
		return 12000
	case V17_14400:
		return 14400
	}
	return 0
}

// Family returns "V.21", "V.27ter", "V.29" or "V.17".
func (m Modulation) Family() string {
	switch m {
	case V21:
		return "V.21"
	case V27ter2400, V27ter4800:
		return "V.27ter"
	case V29_7200, V29_9600:
		return "V.29"
	case V17_7200, V17_9600, V17_12000, V17_14400:
		return "V.17"
	}
	return "unknown"
}

// String returns e.g. "V.17 14400".
func (m Modulation) String() string {
	if m.Rate() == 0 {
		return fmt.Sprintf("Modulation(%d)", int(m))
	}
	return fmt.Sprintf("%s %d", m.Family(), m.Rate())
}

// Tone is a call-establishment tone of phase A.
type Tone int

const (
	// CNG is the calling tone, 1100 Hz, sent by a calling fax machine.
	CNG Tone = iota + 1
	// CED is the answer tone, 2100 Hz, sent by an answering fax machine.
	CED
)

// String returns "CNG" or "CED".
func (t Tone) String() string {
	switch t {
	case CNG:
		return "CNG"
	case CED:
		return "CED"
	}
	return fmt.Sprintf("Tone(%d)", int(t))
}

// TCFDuration is how long the training check (TCF) lasts: 1.5 s of zeros.
const TCFDuration = 1500 * time.Millisecond

// Modem is the physical layer under a Session: a T.38 packet link or an
// audio modem. Transmit methods start a signal and return at once. The
// Modem reports what it hears, and the end of every transmission (exactly
// one EventSent per transmit call, in order), by calling the Session's
// Handle method, never from inside one of its own methods: the Session
// calls them with its lock held. The Session starts a new signal only
// after the EventSent of the last one, except that a calling station
// listens for DIS while its CNG plays.
//
// HDLC frames are passed without the flags and the FCS, as address, control,
// FCF and FIF octets, each octet holding its first transmitted bit in the
// least significant position (the way T.30 writes FCF values, so DIS is
// 0x80). Image data, both non-ECM data and TCF, is a bit stream packed with
// the first bit in the most significant position of each octet.
//
// An audio modem inserts the silence T.30 requires between signals (75 ms
// after a received signal, before a new one) itself; a T.38 link need not.
type Modem interface {
	// SendTone sends a phase A tone for d.
	SendTone(t Tone, d time.Duration) error
	// SendFrames sends the frames in one carrier of modulation m: a V.21
	// preamble (or high-speed training for ECM image frames) then each
	// frame with its FCS, then carrier off. The last frame carries the
	// final-frame control octet (0x13); the Session sets it.
	SendFrames(m Modulation, frames [][]byte) error
	// SendTCF sends the training check: long training for m then
	// TCFDuration of zeros.
	SendTCF(m Modulation) error
	// SendImage sends non-ECM image data at m after its training.
	SendImage(m Modulation, data []byte) error
	// Listen tells the modem which signal to expect next: V21 frames,
	// or high-speed training, data or frames at m. A T.38 link can
	// ignore it; an audio modem needs it.
	Listen(m Modulation, frames bool) error
	// Hangup releases the line. No event follows.
	Hangup() error
}

// EventKind says what a modem event reports.
type EventKind int

// Modem event kinds.
const (
	// EventSent: the signal started by the last transmit method ended.
	EventSent EventKind = iota + 1
	// EventTone: a phase A tone was detected (Tone).
	EventTone
	// EventCarrier: a carrier or training started (Mod).
	EventCarrier
	// EventFrame: an HDLC frame ended (Data, FCSOK).
	EventFrame
	// EventData: non-ECM image or TCF data arrived (Data).
	EventData
	// EventCarrierDown: the received signal ended.
	EventCarrierDown
	// EventHangup: the line is gone (the other side hung up or the
	// transport failed). Err may say why.
	EventHangup
)

// String names the event kind for logs.
func (k EventKind) String() string {
	switch k {
	case EventSent:
		return "sent"
	case EventTone:
		return "tone"
	case EventCarrier:
		return "carrier"
	case EventFrame:
		return "frame"
	case EventData:
		return "data"
	case EventCarrierDown:
		return "carrier-down"
	case EventHangup:
		return "hangup"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one report from a Modem to a Session.
type Event struct {
	Kind  EventKind
	Tone  Tone       // EventTone
	Mod   Modulation // EventCarrier
	Data  []byte     // EventFrame, EventData; the Session copies what it keeps
	FCSOK bool       // EventFrame: the frame check sequence was correct
	Err   error      // EventHangup
}
