// Package terminal runs a T.30 fax session over T.38: it implements the
// t30.Modem interface with T.38 IFP packets (indicators for tones and
// trainings, HDLC data with FCS-OK and sig-end for control and ECM frames,
// T.4 non-ECM data for TCF and the image), paced at modem speed on a
// t30.Clock.
//
// A Terminal sits between a t30.Session and a packet transport. It hands
// every IFP packet it makes to Config.Send and takes the packets the far end
// sent through Receive, in sequence order (a UDPTL decoder restores the
// order and repairs loss; Lost reports what it could not repair).
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
	// Send puts one IFP packet on the wire. It is called from the
	// goroutine of the Clock's timers and must not block for long.
	Send func(ifp []byte) error
	// IndicatorRepeat sends each indicator this many times, since an
	// indicator has no redundancy of its own in some links; 0 means 1.
	IndicatorRepeat int
	// Tick is the time of modem data per packet; 0 means 30 ms.
	Tick time.Duration
}

// Terminal is a t30.Modem over T.38.
type Terminal struct {
	cfg     Config
	clk     t30.Clock
	handler func(t30.Event)

	mu     sync.Mutex
	closed bool
	queue  []step // pending transmit steps
	timer  t30.Timer

	// receive side
	rxMu      sync.Mutex
	rxMod     t30.Modulation
	rxUp      bool // a carrier is up
	lastInd   t38.Indicator
	indFresh  bool // lastInd was the last thing received
	frame     []byte
	frameBad  bool
	frameBusy bool
}

// step is one packet (or event) of a paced transmission, due delay after
// the step before it.
type step struct {
	delay time.Duration
	ifp   *t38.IFP // nil: the end of a signal, report EventSent
	count int
}

// New returns a Terminal. SetHandler must be called before use.
func New(cfg Config) (*Terminal, error) {
	if cfg.Send == nil {
		return nil, errors.New("terminal: Config.Send is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = t30.SystemClock()
	}
	if cfg.IndicatorRepeat <= 0 {
		cfg.IndicatorRepeat = 1
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 30 * time.Millisecond
	}
	return &Terminal{cfg: cfg, clk: cfg.Clock, lastInd: t38.IndNoSignal}, nil
}

// SetHandler sets where received events and EventSent go, normally
// (*t30.Session).Handle.
func (t *Terminal) SetHandler(h func(t30.Event)) { t.handler = h }

// indicatorFor maps a modulation to its T.38 training indicator.
func indicatorFor(m t30.Modulation, long bool) t38.Indicator {
	switch m {
	case t30.V21:
		return t38.IndV21Preamble
	case t30.V27ter2400:
		return t38.IndV27Training2400
	case t30.V27ter4800:
		return t38.IndV27Training4800
	case t30.V29_7200:
		return t38.IndV29Training7200
	case t30.V29_9600:
		return t38.IndV29Training9600
	case t30.V17_7200:
		if long {
			return t38.IndV17Training7200Long
		}
		return t38.IndV17Training7200Short
	case t30.V17_9600:
		if long {
			return t38.IndV17Training9600Long
		}
		return t38.IndV17Training9600Short
	case t30.V17_12000:
		if long {
			return t38.IndV17Training12000Long
		}
		return t38.IndV17Training12000Short
	case t30.V17_14400:
		if long {
			return t38.IndV17Training14400Long
		}
		return t38.IndV17Training14400Short
	}
	return t38.IndNoSignal
}

// modFromIndicator maps a training indicator back to a modulation.
func modFromIndicator(i t38.Indicator) (t30.Modulation, bool) {
	switch i {
	case t38.IndV21Preamble:
		return t30.V21, true
	case t38.IndV27Training2400:
		return t30.V27ter2400, true
	case t38.IndV27Training4800:
		return t30.V27ter4800, true
	case t38.IndV29Training7200:
		return t30.V29_7200, true
	case t38.IndV29Training9600:
		return t30.V29_9600, true
	case t38.IndV17Training7200Short, t38.IndV17Training7200Long:
		return t30.V17_7200, true
	case t38.IndV17Training9600Short, t38.IndV17Training9600Long:
		return t30.V17_9600, true
	case t38.IndV17Training12000Short, t38.IndV17Training12000Long:
		return t30.V17_12000, true
	case t38.IndV17Training14400Short, t38.IndV17Training14400Long:
		return t30.V17_14400, true
	}
	return 0, false
}

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

// trainTime is how long each modulation's training (or the V.21 preamble)
// lasts on an analogue line; the pacing keeps it so that a gateway at the
// far end has time to play it.
func trainTime(m t30.Modulation, long bool) time.Duration {
	switch m {
	case t30.V21:
		return time.Second
	case t30.V27ter2400:
		return 943 * time.Millisecond
	case t30.V27ter4800:
		return 708 * time.Millisecond
	case t30.V29_7200, t30.V29_9600:
		return 253 * time.Millisecond
	}
	if long {
		return 1393 * time.Millisecond
	}
	return 142 * time.Millisecond
}

func bitTime(n int, rate int) time.Duration {
	return time.Duration(int64(n) * 8 * int64(time.Second) / int64(rate))
}

// chunk is the number of octets per data packet at m.
func (t *Terminal) chunk(m t30.Modulation) int {
	n := int(int64(m.Rate()) * int64(t.cfg.Tick) / int64(time.Second) / 8)
	if n < 1 {
		n = 1
	}
	return n
}

func indicator(i t38.Indicator) *t38.IFP {
	return &t38.IFP{Kind: t38.KindIndicator, Indicator: i}
}

func data(m t30.Modulation, fs ...t38.Field) *t38.IFP {
	return &t38.IFP{Kind: t38.KindData, DataType: dataTypes[m], Fields: fs}
}

// SendTone sends the CNG or CED indicator and reports the end after d.
func (t *Terminal) SendTone(tone t30.Tone, d time.Duration) error {
	ind := t38.IndCNG
	if tone == t30.CED {
		ind = t38.IndCED
	}
	return t.start([]step{
		{ifp: indicator(ind), count: t.cfg.IndicatorRepeat},
		{delay: d, ifp: indicator(t38.IndNoSignal), count: t.cfg.IndicatorRepeat},
		{},
	})
}

// SendFrames sends HDLC frames: preamble or training indicator, the frame
// octets in hdlc-data fields, FCS-OK after each frame, sig-end after the
// last.
func (t *Terminal) SendFrames(m t30.Modulation, frames [][]byte) error {
	if _, ok := dataTypes[m]; !ok {
		return fmt.Errorf("terminal: unknown modulation %v", m)
	}
	steps := []step{{ifp: indicator(indicatorFor(m, false)), count: t.cfg.IndicatorRepeat}}
	delay := trainTime(m, false)
	n := t.chunk(m)
	for i, f := range frames {
		wire := make([]byte, len(f))
		for j, c := range f {
			wire[j] = bits.Reverse8(c) // T.38 carries HDLC octets first bit in the MSB
		}
		for len(wire) > 0 {
			k := min(n, len(wire))
			steps = append(steps, step{delay: delay, ifp: data(m, t38.Field{Type: t38.FieldHDLCData, Data: wire[:k]})})
			delay = bitTime(k, m.Rate())
			wire = wire[k:]
		}
		ft, count := t38.FieldHDLCFCSOK, 1
		if i == len(frames)-1 {
			// Repeated like an indicator: nothing follows to carry
			// it in redundancy.
			ft, count = t38.FieldHDLCFCSOKSigEnd, t.cfg.IndicatorRepeat
		}
		steps = append(steps, step{delay: delay + bitTime(2, m.Rate()), ifp: data(m, t38.Field{Type: ft}), count: count})
		delay = 0
	}
	if m != t30.V21 {
		steps = append(steps, step{ifp: indicator(t38.IndNoSignal), count: t.cfg.IndicatorRepeat})
	}
	steps = append(steps, step{delay: bitTime(2, m.Rate())})
	return t.start(steps)
}

// SendTCF sends the long training and 1.5 s of zeros.
func (t *Terminal) SendTCF(m t30.Modulation) error {
	return t.sendNonECM(m, make([]byte, int(int64(m.Rate())*int64(t30.TCFDuration)/int64(time.Second)/8)), true)
}

// SendImage sends non-ECM image data after a short training.
func (t *Terminal) SendImage(m t30.Modulation, image []byte) error {
	return t.sendNonECM(m, image, false)
}

func (t *Terminal) sendNonECM(m t30.Modulation, d []byte, long bool) error {
	if _, ok := dataTypes[m]; !ok || m == t30.V21 {
		return fmt.Errorf("terminal: cannot send image data at %v", m)
	}
	steps := []step{{ifp: indicator(indicatorFor(m, long)), count: t.cfg.IndicatorRepeat}}
	delay := trainTime(m, long)
	n := t.chunk(m)
	for len(d) > 0 {
		k := min(n, len(d))
		steps = append(steps, step{delay: delay, ifp: data(m, t38.Field{Type: t38.FieldT4NonECMData, Data: append([]byte(nil), d[:k]...)})})
		delay = bitTime(k, m.Rate())
		d = d[k:]
	}
	// The end of the signal carries no data so that its repeats, which
	// guard against loss, add nothing twice.
	steps = append(steps,
		step{delay: delay, ifp: data(m, t38.Field{Type: t38.FieldT4NonECMSigEnd}), count: t.cfg.IndicatorRepeat},
		step{ifp: indicator(t38.IndNoSignal), count: t.cfg.IndicatorRepeat},
		step{})
	return t.start(steps)
}

// Listen does nothing: T.38 says what comes with indicators.
func (t *Terminal) Listen(t30.Modulation, bool) error { return nil }

// Hangup stops all transmission.
func (t *Terminal) Hangup() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	t.queue = nil
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	return nil
}

// start queues a transmission. The first step goes out at once.
func (t *Terminal) start(steps []step) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return errors.New("terminal: the call is over")
	}
	if len(t.queue) > 0 {
		return errors.New("terminal: a signal is still being sent")
	}
	t.queue = steps
	t.schedule()
	return nil
}

// schedule arms the timer for the next step; the caller holds t.mu.
func (t *Terminal) schedule() {
	if len(t.queue) == 0 {
		return
	}
	t.timer = t.clk.AfterFunc(t.queue[0].delay, t.runStep)
}

// runStep sends every step that is due and arms the timer for the next.
func (t *Terminal) runStep() {
	t.mu.Lock()
	if t.closed || len(t.queue) == 0 {
		t.mu.Unlock()
		return
	}
	s := t.queue[0]
	t.queue = t.queue[1:]
	t.mu.Unlock()
	if s.ifp == nil {
		// The queue is empty now: the Session may start the next
		// signal from inside the handler.
		if h := t.handler; h != nil {
			h(t30.Event{Kind: t30.EventSent})
		}
		return
	}
	b, err := t38.AppendIFP(nil, *s.ifp, t.cfg.Version)
	if err != nil {
		t.lineLost(fmt.Errorf("terminal: encode %v: %w", s.ifp, err))
		return
	}
	for i := 0; i < max(1, s.count); i++ {
		if err := t.cfg.Send(b); err != nil {
			t.lineLost(fmt.Errorf("terminal: send: %w", err))
			return
		}
	}
	// Arm the next step only now, so that packets leave in order even
	// when the clock runs timers concurrently.
	t.mu.Lock()
	if !t.closed {
		t.schedule()
	}
	t.mu.Unlock()
}

func (t *Terminal) lineLost(err error) {
	t.Hangup()
	if h := t.handler; h != nil {
		h(t30.Event{Kind: t30.EventHangup, Err: err})
	}
}

// Receive takes one IFP packet from the far end, in sequence order, and
// reports what it carries to the handler.
func (t *Terminal) Receive(ifp []byte) error {
	p, err := t38.DecodeIFP(ifp, t.cfg.Version)
	if err != nil {
		// A damaged packet is as good as a lost one.
		t.Lost()
		return fmt.Errorf("terminal: %w", err)
	}
	t.rxMu.Lock()
	evs := t.receive(p)
	t.rxMu.Unlock()
	h := t.handler
	if h == nil {
		return nil
	}
	for _, ev := range evs {
		h(ev)
	}
	return nil
}

// Lost tells the Terminal that a packet could not be recovered: an HDLC
// frame under way is marked damaged so that it is reported with a bad FCS.
func (t *Terminal) Lost() {
	t.rxMu.Lock()
	defer t.rxMu.Unlock()
	if t.frameBusy || len(t.frame) > 0 {
		t.frameBad = true
	}
	t.indFresh = false
}

// receive turns one packet into events; the caller holds rxMu.
func (t *Terminal) receive(p t38.IFP) []t30.Event {
	var evs []t30.Event
	if p.Kind == t38.KindIndicator {
		if t.indFresh && p.Indicator == t.lastInd {
			return nil // a repeat of the same indicator
		}
		t.lastInd, t.indFresh = p.Indicator, true
		switch p.Indicator {
		case t38.IndCNG:
			return append(evs, t30.Event{Kind: t30.EventTone, Tone: t30.CNG})
		case t38.IndCED:
			return append(evs, t30.Event{Kind: t30.EventTone, Tone: t30.CED})
		case t38.IndNoSignal:
			if t.rxUp {
				evs = append(evs, t.carrierDown()...)
			}
			return evs
		}
		if m, ok := modFromIndicator(p.Indicator); ok {
			if t.rxUp {
				evs = append(evs, t.carrierDown()...)
			}
			t.rxMod, t.rxUp = m, true
			t.frame, t.frameBad, t.frameBusy = t.frame[:0], false, false
			evs = append(evs, t30.Event{Kind: t30.EventCarrier, Mod: m})
		}
		return evs
	}
	t.indFresh = false
	m, ok := modFromDataType(p.DataType)
	if !ok {
		return nil
	}
	if !t.rxUp || m != t.rxMod {
		// The indicator was lost: the data says what carrier this is.
		if t.rxUp {
			evs = append(evs, t.carrierDown()...)
		}
		t.rxMod, t.rxUp = m, true
		evs = append(evs, t30.Event{Kind: t30.EventCarrier, Mod: m})
	}
	for _, f := range p.Fields {
		switch f.Type {
		case t38.FieldHDLCData:
			t.frameBusy = true
			for _, c := range f.Data {
				t.frame = append(t.frame, bits.Reverse8(c))
			}
		case t38.FieldHDLCFCSOK, t38.FieldHDLCFCSBad, t38.FieldHDLCFCSOKSigEnd, t38.FieldHDLCFCSBadSigEnd:
			for _, c := range f.Data {
				t.frame = append(t.frame, bits.Reverse8(c))
			}
			if len(t.frame) > 0 {
				ok := !t.frameBad && (f.Type == t38.FieldHDLCFCSOK || f.Type == t38.FieldHDLCFCSOKSigEnd)
				evs = append(evs, t30.Event{Kind: t30.EventFrame, Data: append([]byte(nil), t.frame...), FCSOK: ok})
			}
			t.frame, t.frameBad, t.frameBusy = t.frame[:0], false, false
			if f.Type == t38.FieldHDLCFCSOKSigEnd || f.Type == t38.FieldHDLCFCSBadSigEnd {
				evs = append(evs, t.carrierDown()...)
			}
		case t38.FieldHDLCSigEnd:
			evs = append(evs, t.carrierDown()...)
		case t38.FieldT4NonECMData, t38.FieldT4NonECMSigEnd:
			if len(f.Data) > 0 {
				evs = append(evs, t30.Event{Kind: t30.EventData, Data: append([]byte(nil), f.Data...)})
			}
			if f.Type == t38.FieldT4NonECMSigEnd {
				evs = append(evs, t.carrierDown()...)
			}
		}
	}
	return evs
}

// carrierDown ends the received carrier, reporting a frame cut short as
// damaged.
func (t *Terminal) carrierDown() []t30.Event {
	var evs []t30.Event
	if len(t.frame) > 0 {
		evs = append(evs, t30.Event{Kind: t30.EventFrame, Data: append([]byte(nil), t.frame...), FCSOK: false})
	}
	t.frame, t.frameBad, t.frameBusy = t.frame[:0], false, false
	if t.rxUp {
		t.rxUp = false
		evs = append(evs, t30.Event{Kind: t30.EventCarrierDown})
	}
	return evs
}
