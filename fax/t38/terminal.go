package t38

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Sender puts a UDPTL datagram on the wire towards the far end. Send must
// not call back into a Terminal before it returns (deliver on another
// goroutine or from the Clock, as Pipe does): a Terminal sends while it
// holds its transmit lock.
type Sender interface {
	Send(datagram []byte) error
}

// Receiver takes a UDPTL datagram that arrived from the far end.
type Receiver interface {
	Receive(datagram []byte) error
}

// Handler receives the IFP events of a Terminal, in order. Calls come from
// one goroutine at a time; a Handler may call the Terminal's Send methods.
type Handler interface {
	// HandleIndicator reports a new indicator. Repeated copies of the
	// same indicator are reported once.
	HandleIndicator(ind Indicator)
	// HandleData reports one data field.
	HandleData(dt DataType, f Field)
	// HandleLoss reports n consecutive IFP packets that were lost and
	// could not be recovered.
	HandleLoss(n int)
}

// TerminalConfig configures a Terminal with what the session negotiated.
type TerminalConfig struct {
	Version Version
	// Recovery, Depth, Span and Entries choose the UDPTL error recovery
	// sent (see EncoderConfig). The receive side handles every scheme.
	Recovery        ErrorRecovery
	Depth           int
	Span, Entries   int
	MaxDatagram     int // T38FaxMaxDatagram; 0 for no limit
	IndicatorCopies int // times each indicator packet is sent; default 3
	// Chunk is the air time of the data in one data packet. Default 30 ms.
	Chunk time.Duration
	// FlushDelay is how long received packets may wait behind a gap for
	// recovery before the gap is reported lost. Default 100 ms.
	FlushDelay time.Duration
	// Clock paces the terminal; default SystemClock.
	Clock Clock
}

// TerminalStats counts a Terminal's traffic.
type TerminalStats struct {
	DatagramsSent, DatagramsReceived int
	Recovered, Lost, Malformed       int
}

// Terminal is the paced T.38 terminal layer: it sends indicators and data
// at the speed of the modulation they belong to and turns received UDPTL
// datagrams into ordered IFP events. It knows nothing of T.30.
//
// Send methods queue their packets and return at once; the packets go out
// on the Clock, each data packet after the air time of the one before, each
// training indicator followed by the training time of its modem. AfterSent
// tells when everything queued has gone out.
type Terminal struct {
	cfg TerminalConfig
	tx  Sender
	h   Handler

	mu        sync.Mutex // guards the fields below
	enc       *Encoder
	busyUntil time.Time
	queue     []queued
	timer     Timer
	err       error
	stats     TerminalStats
	closed    bool

	txMu sync.Mutex // keeps datagrams in order on the wire

	rxMu    sync.Mutex // serialises delivery to the Handler
	dec     *Decoder
	flush   Timer
	lastInd int // last indicator reported, -1 after data or loss
}

type queued struct {
	at     time.Time
	ifp    []byte
	copies int
	done   func()
}

// NewTerminal returns a Terminal that sends through tx and reports to h.
// Feed it received datagrams with Receive.
func NewTerminal(cfg TerminalConfig, tx Sender, h Handler) (*Terminal, error) {
	if cfg.IndicatorCopies == 0 {
		cfg.IndicatorCopies = 3
	}
	if cfg.IndicatorCopies < 0 {
		return nil, fmt.Errorf("t38: negative indicator copy count %d", cfg.IndicatorCopies)
	}
	if cfg.Chunk == 0 {
		cfg.Chunk = 30 * time.Millisecond
	}
	if cfg.FlushDelay == 0 {
		cfg.FlushDelay = 100 * time.Millisecond
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.MaxDatagram != 0 && cfg.MaxDatagram < 32 {
		return nil, fmt.Errorf("t38: maximum datagram of %d bytes is too small to carry data (need at least 32)", cfg.MaxDatagram)
	}
	enc, err := NewEncoder(EncoderConfig{Recovery: cfg.Recovery, Depth: cfg.Depth, Span: cfg.Span, Entries: cfg.Entries, MaxDatagram: cfg.MaxDatagram})
	if err != nil {
		return nil, err
	}
	dec, err := NewDecoder(DecoderConfig{Version: cfg.Version})
	if err != nil {
		return nil, err
	}
	return &Terminal{cfg: cfg, tx: tx, h: h, enc: enc, dec: dec, lastInd: -1}, nil
}

// trainingTime is how long the modem signal an indicator announces takes
// before data can follow: the training sequences of V.27ter, V.29 and V.17
// and the one second of flags T.30 puts before V.21 frames.
func trainingTime(ind Indicator) time.Duration {
	switch ind {
	case IndV21Preamble:
		return time.Second
	case IndV27Training2400:
		return 943 * time.Millisecond
	case IndV27Training4800:
		return 708 * time.Millisecond
	case IndV29Training7200, IndV29Training9600:
		return 253 * time.Millisecond
	case IndV17Training7200Short, IndV17Training9600Short, IndV17Training12000Short, IndV17Training14400Short:
		return 142 * time.Millisecond
	case IndV17Training7200Long, IndV17Training9600Long, IndV17Training12000Long, IndV17Training14400Long:
		return 1393 * time.Millisecond
	}
	return 0
}

// ErrClosed is returned by a closed Terminal.
var ErrClosed = errors.New("t38: terminal closed")

// SendIndicator queues an indicator. It goes out when the line is free,
// IndicatorCopies times; a training indicator then holds the line for the
// training time.
func (t *Terminal) SendIndicator(ind Indicator) error {
	b, err := AppendIFP(nil, IFP{Kind: KindIndicator, Indicator: ind}, t.cfg.Version)
	if err != nil {
		return err
	}
	t.mu.Lock()
	if err := t.usable(); err != nil {
		t.mu.Unlock()
		return err
	}
	at := t.lineFree()
	t.queue = append(t.queue, queued{at: at, ifp: b, copies: t.cfg.IndicatorCopies})
	t.busyUntil = at.Add(trainingTime(ind))
	t.mu.Unlock()
	t.pump()
	return nil
}

// SendData queues data of type dt. The bytes are cut into packets of
// Chunk air time (and within MaxDatagram) paced at the bit rate of dt.
// When ft ends something (hdlc-fcs-OK, t4-non-ecm-sig-end, ...) the data
// goes out as plain data (hdlc-data, t4-non-ecm-data) and the last packet
// carries ft as a second field without data, as T.38 peers expect. Data
// may be empty to send a field type alone.
func (t *Terminal) SendData(dt DataType, ft FieldType, data []byte) error {
	if ft.MinVersion() > t.cfg.Version || dt.MinVersion() > t.cfg.Version {
		_, err := AppendIFP(nil, IFP{Kind: KindData, DataType: dt, Fields: []Field{{Type: ft}}}, t.cfg.Version)
		return err
	}
	rate := dt.BitRate()
	size := max(len(data), 1)
	if rate > 0 {
		size = max(1, int(int64(rate)*int64(t.cfg.Chunk)/int64(8*time.Second)))
	}
	if t.cfg.MaxDatagram > 0 {
		// IFP overhead is at most 9 bytes with a trailing end field,
		// UDPTL's 6 with an empty recovery list; the Encoder cuts
		// recovery to fit the rest.
		size = min(size, t.cfg.MaxDatagram-15)
	}
	plain := dataVariant(ft)
	var pkts [][]byte
	var air []time.Duration
	total := 0 // bytes cut so far; air times come from the running total so no rounding accumulates
	for first := true; first || len(data) > 0; first = false {
		n := min(size, len(data))
		chunk := data[:n]
		data = data[n:]
		var fields []Field
		switch {
		case n == 0:
			fields = []Field{{Type: ft}}
		case len(data) > 0:
			fields = []Field{{Type: plain, Data: chunk}}
		case plain == ft:
			fields = []Field{{Type: ft, Data: chunk}}
		default:
			fields = []Field{{Type: plain, Data: chunk}, {Type: ft}}
		}
		b, err := AppendIFP(nil, IFP{Kind: KindData, DataType: dt, Fields: fields}, t.cfg.Version)
		if err != nil {
			return err
		}
		pkts = append(pkts, b)
		var d time.Duration
		if rate > 0 {
			at := func(bytes int) int64 { return int64(bytes) * 8 * int64(time.Second) / int64(rate) }
			d = time.Duration(at(total+n) - at(total))
		}
		total += n
		air = append(air, d)
	}
	t.mu.Lock()
	if err := t.usable(); err != nil {
		t.mu.Unlock()
		return err
	}
	for i, b := range pkts {
		at := t.lineFree()
		t.queue = append(t.queue, queued{at: at, ifp: b, copies: 1})
		t.busyUntil = at.Add(air[i])
	}
	t.mu.Unlock()
	t.pump()
	return nil
}

// dataVariant is the field type for the leading chunks of data whose last
// chunk carries ft.
func dataVariant(ft FieldType) FieldType {
	switch ft {
	case FieldHDLCSigEnd, FieldHDLCFCSOK, FieldHDLCFCSBad, FieldHDLCFCSOKSigEnd, FieldHDLCFCSBadSigEnd:
		return FieldHDLCData
	case FieldT4NonECMSigEnd:
		return FieldT4NonECMData
	}
	return ft
}

// AfterSent calls f (from the Clock) once everything queued so far has
// gone out and its air time has passed.
func (t *Terminal) AfterSent(f func()) {
	t.mu.Lock()
	t.queue = append(t.queue, queued{at: t.lineFree(), done: f})
	t.mu.Unlock()
	t.pump()
}

// BusyUntil returns when the line will be free of what is queued.
func (t *Terminal) BusyUntil() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lineFree()
}

func (t *Terminal) lineFree() time.Time {
	now := t.cfg.Clock.Now()
	if t.busyUntil.After(now) {
		return t.busyUntil
	}
	return now
}

func (t *Terminal) usable() error {
	if t.closed {
		return ErrClosed
	}
	return t.err
}

// pump sends every queued packet that is due and arms the timer for the
// next one.
func (t *Terminal) pump() {
	t.txMu.Lock()
	t.mu.Lock()
	now := t.cfg.Clock.Now()
	var out [][]byte
	var done []func()
	i := 0
	for ; i < len(t.queue) && !t.queue[i].at.After(now); i++ {
		q := t.queue[i]
		if q.done != nil {
			done = append(done, q.done)
			continue
		}
		for range q.copies {
			dg, err := t.enc.Encode(nil, q.ifp)
			if err != nil {
				t.err = fmt.Errorf("t38: terminal: %w", err)
				break
			}
			out = append(out, dg)
		}
	}
	t.queue = t.queue[i:]
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	if len(t.queue) > 0 && !t.closed {
		t.timer = t.cfg.Clock.AfterFunc(t.queue[0].at.Sub(now), t.pump)
	}
	t.stats.DatagramsSent += len(out)
	t.mu.Unlock()
	for _, dg := range out {
		if err := t.tx.Send(dg); err != nil {
			t.mu.Lock()
			if t.err == nil {
				t.err = fmt.Errorf("t38: terminal: send: %w", err)
			}
			t.mu.Unlock()
			break
		}
	}
	t.txMu.Unlock()
	for _, f := range done {
		f()
	}
}

// Receive takes a datagram from the far end and reports the IFP events it
// completes to the Handler. A malformed datagram is counted and returned as
// an error; the stream goes on.
func (t *Terminal) Receive(datagram []byte) error {
	t.rxMu.Lock()
	defer t.rxMu.Unlock()
	ds, err := t.dec.Receive(datagram)
	t.mu.Lock()
	t.stats.DatagramsReceived++
	if err != nil {
		t.stats.Malformed++
	}
	t.mu.Unlock()
	t.dispatch(ds)
	if t.dec.Waiting() {
		if t.flush == nil {
			t.flush = t.cfg.Clock.AfterFunc(t.cfg.FlushDelay, t.flushGap)
		}
	} else if t.flush != nil {
		t.flush.Stop()
		t.flush = nil
	}
	return err
}

func (t *Terminal) flushGap() {
	t.rxMu.Lock()
	defer t.rxMu.Unlock()
	t.flush = nil
	t.dispatch(t.dec.Flush())
}

func (t *Terminal) dispatch(ds []Delivery) {
	lost := 0
	for i, d := range ds {
		if d.Lost {
			lost++
			if i+1 < len(ds) && ds[i+1].Lost {
				continue
			}
			t.count(func(s *TerminalStats) { s.Lost += lost })
			t.lastInd = -1
			t.h.HandleLoss(lost)
			lost = 0
			continue
		}
		if d.Recovered {
			t.count(func(s *TerminalStats) { s.Recovered++ })
		}
		p, err := DecodeIFP(d.IFP, t.cfg.Version)
		if err != nil {
			t.count(func(s *TerminalStats) { s.Malformed++ })
			continue
		}
		if p.Kind == KindIndicator {
			if int(p.Indicator) == t.lastInd {
				continue // a repeated copy
			}
			t.lastInd = int(p.Indicator)
			t.h.HandleIndicator(p.Indicator)
			continue
		}
		t.lastInd = -1
		for _, f := range p.Fields {
			t.h.HandleData(p.DataType, f)
		}
	}
}

func (t *Terminal) count(f func(*TerminalStats)) {
	t.mu.Lock()
	f(&t.stats)
	t.mu.Unlock()
}

// Stats returns the traffic counters.
func (t *Terminal) Stats() TerminalStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stats
}

// Err returns the first send error, if any; after one the Terminal refuses
// to queue more.
func (t *Terminal) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Close drops what is still queued and stops the timers.
func (t *Terminal) Close() error {
	t.mu.Lock()
	t.closed = true
	t.queue = nil
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	t.mu.Unlock()
	t.rxMu.Lock()
	if t.flush != nil {
		t.flush.Stop()
		t.flush = nil
	}
	t.rxMu.Unlock()
	return nil
}
