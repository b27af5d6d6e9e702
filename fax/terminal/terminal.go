// Package terminal runs a T.30 fax session over T.38. Its Terminal
// implements t30.Modem on the paced packet layer of fax/t38: indicators for
// tones and trainings, HDLC data with FCS-OK and sig-end for control and
// ECM frames, T.4 non-ECM data for TCF and the image.
//
// A Terminal sits between a t30.Session and a datagram transport: it sends
// UDPTL datagrams through a t38.Sender and takes the datagrams of the far
// end through Receive. CallUDP runs a whole call over UDP.
package terminal

import (
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"time"

	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/fax/t38"
)

// Config sets up a Terminal.
type Config struct {
	// Clock paces the packets; nil means t30.SystemClock.
	Clock t30.Clock
	// Version is the negotiated T.38 version.
	Version t38.Version
	// Redundancy is the UDPTL redundancy depth sent; 0 sends none.
	Redundancy int
	// MaxDatagram is the far end's T38FaxMaxDatagram; 0 for no limit.
	MaxDatagram int
	// IndicatorCopies is how often each indicator goes out; 0 means 3.
	IndicatorCopies int
	// Chunk is the air time of the data in one packet; 0 means 30 ms.
	Chunk time.Duration
}

// Terminal is a t30.Modem over T.38.
type Terminal struct {
	clk     t30.Clock
	t38     *t38.Terminal
	handler func(t30.Event)

	mu     sync.Mutex
	closed bool
	hold   t30.Timer // the tone being "played"

	// receive side, touched only from the t38.Terminal's handler calls
	rxMod    t30.Modulation
	rxUp     bool // a carrier is up
	frame    []byte
	frameBad bool
}

// New returns a Terminal that sends its datagrams through tx. SetHandler
// must be called before the call starts.
func New(cfg Config, tx t38.Sender) (*Terminal, error) {
	if tx == nil {
		return nil, errors.New("terminal: a t38.Sender is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = t30.SystemClock()
	}
	t := &Terminal{clk: cfg.Clock}
	tc := t38.TerminalConfig{
		Version:         cfg.Version,
		MaxDatagram:     cfg.MaxDatagram,
		IndicatorCopies: cfg.IndicatorCopies,
		Chunk:           cfg.Chunk,
		Clock:           cfg.Clock,
	}
	if cfg.Redundancy > 0 {
		tc.Recovery, tc.Depth = t38.RecoveryRedundancy, cfg.Redundancy
	}
	var err error
	t.t38, err = t38.NewTerminal(tc, tx, (*rxHandler)(t))
	if err != nil {
		return nil, fmt.Errorf("terminal: %w", err)
	}
	return t, nil
}

// SetHandler sets where received events and EventSent go, normally
// (*t30.Session).Handle.
func (t *Terminal) SetHandler(h func(t30.Event)) { t.handler = h }

// Receive takes a UDPTL datagram from the far end. It makes Terminal a
// t38.Receiver.
func (t *Terminal) Receive(datagram []byte) error { return t.t38.Receive(datagram) }

// Stats returns the traffic counters of the T.38 layer.
func (t *Terminal) Stats() t38.TerminalStats { return t.t38.Stats() }

var dataTypes = map[t30.Modulation]t38.DataType{
	t30.V21: t38.DataV21, t30.V27ter2400: t38.DataV27ter2400, t30.V27ter4800: t38.DataV27ter4800,
	t30.V29_7200: t38.DataV29_7200, t30.V29_9600: t38.DataV29_9600,
	t30.V17_7200: t38.DataV17_7200, t30.V17_9600: t38.DataV17_9600,
	t30.V17_12000: t38.DataV17_12000, t30.V17_14400: t38.DataV17_14400,
}

func modFromDataType(d t38.DataType) (t30.Modulation, bool) {
	for m, dt := range dataTypes {
		if dt == d {
			return m, true
		}
	}
	return 0, false
}

// training returns the indicator that starts a signal at m: the V.21
// preamble, or the modem's training (long for TCF, short otherwise).
func training(m t30.Modulation, long bool) (t38.DataType, t38.Indicator, error) {
	dt, ok := dataTypes[m]
	if !ok {
		return 0, 0, fmt.Errorf("terminal: unknown modulation %v", m)
	}
	if m == t30.V21 {
		return dt, t38.IndV21Preamble, nil
	}
	ind, ok := dt.Training(long)
	if !ok {
		return 0, 0, fmt.Errorf("terminal: no training indicator for %v", m)
	}
	return dt, ind, nil
}

// sent arranges EventSent once everything queued has gone out. The event
// is delivered from the clock, never from inside the call that queued it:
// the Session calls the Modem with its lock held.
func (t *Terminal) sent() {
	t.t38.AfterSent(func() {
		t.clk.AfterFunc(0, func() {
			if h := t.handler; h != nil && !t.isClosed() {
				h(t30.Event{Kind: t30.EventSent})
			}
		})
	})
}

func (t *Terminal) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

func (t *Terminal) check() error {
	if t.isClosed() {
		return errors.New("terminal: the call is over")
	}
	return t.t38.Err()
}

// SendTone sends the CNG or CED indicator, holds it for d, then sends
// no-signal.
func (t *Terminal) SendTone(tone t30.Tone, d time.Duration) error {
	if err := t.check(); err != nil {
		return err
	}
	ind := t38.IndCNG
	if tone == t30.CED {
		ind = t38.IndCED
	}
	if err := t.t38.SendIndicator(ind); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hold = t.clk.AfterFunc(d, func() {
		if t.isClosed() {
			return
		}
		t.t38.SendIndicator(t38.IndNoSignal)
		t.sent()
	})
	return nil
}

// SendFrames sends HDLC frames after the preamble or training: each
// frame's octets as hdlc-data, ended by FCS-OK, the last by FCS-OK-sig-end.
func (t *Terminal) SendFrames(m t30.Modulation, frames [][]byte) error {
	if err := t.check(); err != nil {
		return err
	}
	dt, ind, err := training(m, false)
	if err != nil {
		return err
	}
	if err := t.t38.SendIndicator(ind); err != nil {
		return err
	}
	for i, f := range frames {
		wire := make([]byte, len(f))
		for j, c := range f {
			wire[j] = bits.Reverse8(c) // T.38 carries HDLC octets first bit in the MSB
		}
		ft := t38.FieldHDLCFCSOK
		if i == len(frames)-1 {
			ft = t38.FieldHDLCFCSOKSigEnd
		}
		if err := t.t38.SendData(dt, ft, wire); err != nil {
			return err
		}
	}
	// no-signal ends the carrier, and its copies carry the sig-end
	// packet in their redundancy: nothing else follows it for a while.
	if err := t.t38.SendIndicator(t38.IndNoSignal); err != nil {
		return err
	}
	t.sent()
	return nil
}

// SendTCF sends the long training and 1.5 s of zeros.
func (t *Terminal) SendTCF(m t30.Modulation) error {
	zeros := make([]byte, int(int64(m.Rate())*int64(t30.TCFDuration)/int64(time.Second)/8))
	return t.sendNonECM(m, zeros, true)
}

// SendImage sends non-ECM image data after a short training.
func (t *Terminal) SendImage(m t30.Modulation, image []byte) error {
	return t.sendNonECM(m, image, false)
}

func (t *Terminal) sendNonECM(m t30.Modulation, d []byte, long bool) error {
	if err := t.check(); err != nil {
		return err
	}
	if m == t30.V21 {
		return errors.New("terminal: image data cannot go at V.21")
	}
	dt, ind, err := training(m, long)
	if err != nil {
		return err
	}
	if err := t.t38.SendIndicator(ind); err != nil {
		return err
	}
	if err := t.t38.SendData(dt, t38.FieldT4NonECMSigEnd, d); err != nil {
		return err
	}
	if err := t.t38.SendIndicator(t38.IndNoSignal); err != nil {
		return err
	}
	t.sent()
	return nil
}

// Listen does nothing: T.38 says what comes with indicators.
func (t *Terminal) Listen(t30.Modulation, bool) error { return nil }

// Hangup stops all transmission. The T.38 layer is closed from the clock,
// since Hangup may be called from inside one of its handler calls.
func (t *Terminal) Hangup() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	if t.hold != nil {
		t.hold.Stop()
	}
	t.mu.Unlock()
	t.clk.AfterFunc(0, func() { t.t38.Close() })
	return nil
}

// rxHandler is the t38.Handler side of a Terminal: it turns IFP events
// into t30 events.
type rxHandler Terminal

func (r *rxHandler) emit(evs ...t30.Event) {
	t := (*Terminal)(r)
	h := t.handler
	if h == nil || t.isClosed() {
		return
	}
	for _, ev := range evs {
		h(ev)
	}
}

// HandleIndicator reports tones and the start of carriers.
func (r *rxHandler) HandleIndicator(ind t38.Indicator) {
	switch ind {
	case t38.IndCNG:
		r.emit(t30.Event{Kind: t30.EventTone, Tone: t30.CNG})
		return
	case t38.IndCED:
		r.emit(t30.Event{Kind: t30.EventTone, Tone: t30.CED})
		return
	case t38.IndNoSignal:
		r.emit(r.carrierDown()...)
		return
	}
	m, ok := modFromIndicator(ind)
	if !ok {
		return
	}
	evs := r.carrierDown()
	r.rxMod, r.rxUp = m, true
	r.frame, r.frameBad = r.frame[:0], false
	r.emit(append(evs, t30.Event{Kind: t30.EventCarrier, Mod: m})...)
}

// HandleData reports frames, image data and the end of carriers.
func (r *rxHandler) HandleData(dt t38.DataType, f t38.Field) {
	m, ok := modFromDataType(dt)
	if !ok {
		return
	}
	var evs []t30.Event
	if !r.rxUp || m != r.rxMod {
		// The indicator was lost: the data says what carrier this is.
		evs = append(evs, r.carrierDown()...)
		r.rxMod, r.rxUp = m, true
		evs = append(evs, t30.Event{Kind: t30.EventCarrier, Mod: m})
	}
	switch f.Type {
	case t38.FieldHDLCData:
		for _, c := range f.Data {
			r.frame = append(r.frame, bits.Reverse8(c))
		}
	case t38.FieldHDLCFCSOK, t38.FieldHDLCFCSBad, t38.FieldHDLCFCSOKSigEnd, t38.FieldHDLCFCSBadSigEnd:
		for _, c := range f.Data {
			r.frame = append(r.frame, bits.Reverse8(c))
		}
		if len(r.frame) > 0 {
			ok := !r.frameBad && (f.Type == t38.FieldHDLCFCSOK || f.Type == t38.FieldHDLCFCSOKSigEnd)
			evs = append(evs, t30.Event{Kind: t30.EventFrame, Data: append([]byte(nil), r.frame...), FCSOK: ok})
		}
		r.frame, r.frameBad = r.frame[:0], false
		if f.Type == t38.FieldHDLCFCSOKSigEnd || f.Type == t38.FieldHDLCFCSBadSigEnd {
			evs = append(evs, r.carrierDown()...)
		}
	case t38.FieldHDLCSigEnd:
		evs = append(evs, r.carrierDown()...)
	case t38.FieldT4NonECMData, t38.FieldT4NonECMSigEnd:
		if len(f.Data) > 0 {
			evs = append(evs, t30.Event{Kind: t30.EventData, Data: append([]byte(nil), f.Data...)})
		}
		if f.Type == t38.FieldT4NonECMSigEnd {
			evs = append(evs, r.carrierDown()...)
		}
	}
	r.emit(evs...)
}

// HandleLoss marks an HDLC frame under way as damaged, so that it is
// reported with a bad FCS.
func (r *rxHandler) HandleLoss(n int) {
	if len(r.frame) > 0 || r.rxUp {
		r.frameBad = true
	}
}

// carrierDown ends the received carrier, reporting a frame cut short as
// damaged.
func (r *rxHandler) carrierDown() []t30.Event {
	var evs []t30.Event
	if len(r.frame) > 0 {
		evs = append(evs, t30.Event{Kind: t30.EventFrame, Data: append([]byte(nil), r.frame...), FCSOK: false})
	}
	r.frame, r.frameBad = r.frame[:0], false
	if r.rxUp {
		r.rxUp = false
		evs = append(evs, t30.Event{Kind: t30.EventCarrierDown})
	}
	return evs
}

// modFromIndicator maps a training indicator to its modulation.
func modFromIndicator(i t38.Indicator) (t30.Modulation, bool) {
	if i == t38.IndV21Preamble {
		return t30.V21, true
	}
	for m, dt := range dataTypes {
		for _, long := range []bool{false, true} {
			if ind, ok := dt.Training(long); ok && ind == i && m != t30.V21 {
				return m, true
			}
		}
	}
	return 0, false
}
