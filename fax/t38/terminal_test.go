package t38

import (
	"bytes"
	"math/rand"
	"net"
	"testing"
	"time"
)

// event is one thing a Terminal reported, with the virtual time it came.
type event struct {
	at    time.Duration
	ind   Indicator
	isInd bool
	dt    DataType
	f     Field
	lost  int
}

type recorder struct {
	clock Clock
	start time.Time
	ev    []event
}

func (r *recorder) now() time.Duration { return r.clock.Now().Sub(r.start) }
func (r *recorder) HandleIndicator(i Indicator) {
	r.ev = append(r.ev, event{at: r.now(), ind: i, isInd: true})
}
func (r *recorder) HandleData(dt DataType, f Field) {
	f.Data = append([]byte(nil), f.Data...)
	r.ev = append(r.ev, event{at: r.now(), dt: dt, f: f})
}
func (r *recorder) HandleLoss(n int) { r.ev = append(r.ev, event{at: r.now(), lost: n}) }

// data returns the concatenated bytes of the data events of type ft.
func (r *recorder) data(ft FieldType) []byte {
	var b []byte
	for _, e := range r.ev {
		if !e.isInd && e.lost == 0 && e.f.Type == ft {
			b = append(b, e.f.Data...)
		}
	}
	return b
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// pair makes two Terminals joined by a Pipe under a VirtualClock.
func pair(t *testing.T, cfg TerminalConfig, latency time.Duration) (*VirtualClock, *Pipe, [2]*Terminal, [2]*recorder) {
	clock := NewVirtualClock(epoch)
	cfg.Clock = clock
	p := NewPipe(clock, latency)
	var terms [2]*Terminal
	var recs [2]*recorder
	for i := range 2 {
		recs[i] = &recorder{clock: clock, start: epoch}
		term, err := NewTerminal(cfg, p.End(i), recs[i])
		if err != nil {
			t.Fatal(err)
		}
		p.End(i).SetReceiver(term)
		terms[i] = term
	}
	return clock, p, terms, recs
}

func TestTerminalPacesNonECMData(t *testing.T) {
	clock, _, terms, recs := pair(t, TerminalConfig{Version: 2, Recovery: RecoveryRedundancy}, 10*time.Millisecond)
	page := make([]byte, 5400) // 3 s at 14400 bit/s
	rand.New(rand.NewSource(1)).Read(page)
	var sentAt time.Duration
	if err := terms[0].SendIndicator(IndV17Training14400Long); err != nil {
		t.Fatal(err)
	}
	if err := terms[0].SendData(DataV17_14400, FieldT4NonECMSigEnd, page); err != nil {
		t.Fatal(err)
	}
	terms[0].AfterSent(func() { sentAt = clock.Now().Sub(epoch) })
	clock.Advance(10 * time.Second)

	training := 1393 * time.Millisecond
	if want := training + 3*time.Second; sentAt != want {
		t.Errorf("AfterSent ran at %v, want %v", sentAt, want)
	}
	got := recs[1].data(FieldT4NonECMData)
	if !bytes.Equal(got, page) {
		t.Fatalf("received %d bytes, want the %d sent", len(got), len(page))
	}
	ev := recs[1].ev
	if !ev[0].isInd || ev[0].ind != IndV17Training14400Long || ev[0].at != 10*time.Millisecond {
		t.Fatalf("first event %+v, want the training indicator at 10ms", ev[0])
	}
	// 54 bytes (30 ms at 14400 bit/s) per packet, one every 30 ms after
	// the training, arriving 10 ms later.
	for k, e := range ev[1 : len(ev)-1] {
		if len(e.f.Data) != 54 {
			t.Fatalf("chunk %d has %d bytes, want 54", k, len(e.f.Data))
		}
		if want := training + time.Duration(k)*30*time.Millisecond + 10*time.Millisecond; e.at != want {
			t.Fatalf("chunk %d arrived at %v, want %v", k, e.at, want)
		}
	}
	last := ev[len(ev)-1]
	if last.f.Type != FieldT4NonECMSigEnd || len(last.f.Data) != 0 {
		t.Fatalf("last event %+v, want t4-non-ecm-sig-end", last)
	}
	// Three copies of the indicator and 100 data packets.
	if s := terms[0].Stats(); s.DatagramsSent != 103 {
		t.Errorf("sent %d datagrams, want 103", s.DatagramsSent)
	}
	if s := terms[1].Stats(); s.DatagramsReceived != 103 || s.Lost != 0 {
		t.Errorf("receiver stats %+v", s)
	}
}

func TestTerminalPacesHDLC(t *testing.T) {
	clock, _, terms, recs := pair(t, TerminalConfig{Version: 0, IndicatorCopies: 1}, 0)
	frame := []byte{0xff, 0x13, 0x80, 0x00, 0x0e, 0x70}
	terms[1].SendIndicator(IndV21Preamble)
	terms[1].SendData(DataV21, FieldHDLCFCSOKSigEnd, frame)
	var sentAt time.Duration
	terms[1].AfterSent(func() { sentAt = clock.Now().Sub(epoch) })
	clock.Advance(5 * time.Second)
	// One second of flags, then 48 bits at 300 bit/s.
	if want := time.Second + 160*time.Millisecond; sentAt != want {
		t.Errorf("AfterSent ran at %v, want %v", sentAt, want)
	}
	if got := recs[0].data(FieldHDLCData); !bytes.Equal(got, frame) {
		t.Fatalf("frame %x, want %x", got, frame)
	}
	ev := recs[0].ev
	if len(ev) != 1+6+1 || ev[7].f.Type != FieldHDLCFCSOKSigEnd {
		t.Fatalf("events %+v", ev)
	}
	if terms[1].Stats().DatagramsSent != 7 {
		t.Errorf("sent %d datagrams, want 7 (V.21 packs one byte per 30 ms)", terms[1].Stats().DatagramsSent)
	}
}

func TestTerminalRecoversAndReportsLoss(t *testing.T) {
	for _, rc := range []ErrorRecovery{RecoveryRedundancy, RecoveryFEC} {
		t.Run(rc.String(), func(t *testing.T) {
			clock, p, terms, recs := pair(t, TerminalConfig{Version: 3, Recovery: rc, Depth: 2, Span: 1, Entries: 2}, 5*time.Millisecond)
			n := 0
			p.Drop = func(from int, b []byte) bool {
				n++
				// Isolated losses, and one burst of five (50..54).
				return n%7 == 3 || (n >= 50 && n < 55)
			}
			page := make([]byte, 9600/8*2) // 2 s at 9600
			rand.New(rand.NewSource(2)).Read(page)
			terms[0].SendIndicator(IndV29Training9600)
			terms[0].SendData(DataV29_9600, FieldT4NonECMSigEnd, page)
			clock.Advance(5 * time.Second)
			st := terms[1].Stats()
			if st.Recovered == 0 {
				t.Errorf("nothing recovered: %+v", st)
			}
			// The burst of five outruns a recovery depth of two.
			if st.Lost != 3 {
				t.Errorf("lost %d packets, want 3: %+v", st.Lost, st)
			}
			reported := 0
			for _, e := range recs[1].ev {
				reported += e.lost
			}
			if reported != 3 {
				t.Errorf("handler told of %d lost packets, want 3", reported)
			}
			got := recs[1].data(FieldT4NonECMData)
			if want := len(page) - 3*36; len(got) != want {
				t.Errorf("received %d bytes, want %d", len(got), want)
			}
		})
	}
}

func TestTerminalMaxDatagram(t *testing.T) {
	clock, p, terms, _ := pair(t, TerminalConfig{Version: 1, Recovery: RecoveryRedundancy, Depth: 3, MaxDatagram: 48}, 0)
	biggest := 0
	p.Drop = func(_ int, b []byte) bool {
		biggest = max(biggest, len(b))
		return false
	}
	terms[0].SendIndicator(IndV17Training14400Short)
	terms[0].SendData(DataV17_14400, FieldT4NonECMData, make([]byte, 1000))
	clock.Advance(3 * time.Second)
	if biggest > 48 || biggest < 40 {
		t.Errorf("largest datagram %d bytes, want 40..48", biggest)
	}
	if err := terms[0].Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewTerminal(TerminalConfig{MaxDatagram: 20}, nil, nil); err == nil {
		t.Error("tiny MaxDatagram accepted")
	}
}

func TestTerminalVersionChecks(t *testing.T) {
	_, _, terms, _ := pair(t, TerminalConfig{Version: 0}, 0)
	if err := terms[0].SendIndicator(IndV8ANSAM); err == nil {
		t.Error("v8-ansam accepted in version 0")
	}
	if err := terms[0].SendData(DataV21, FieldCMMessage, []byte{1}); err == nil {
		t.Error("cm-message accepted in version 0")
	}
	if err := terms[0].Close(); err != nil {
		t.Fatal(err)
	}
	if err := terms[0].SendIndicator(IndCNG); err != ErrClosed {
		t.Errorf("send after close: %v", err)
	}
}

func TestTerminalOverUDP(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time test")
	}
	var conns [2]net.PacketConn
	for i := range conns {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	var terms [2]*Terminal
	got := make(chan []byte, 100)
	for i := range 2 {
		tr := NewConnTransport(conns[i], conns[1-i].LocalAddr())
		term, err := NewTerminal(TerminalConfig{Version: 2, Recovery: RecoveryRedundancy}, tr, chanHandler(got))
		if err != nil {
			t.Fatal(err)
		}
		terms[i] = term
		go tr.Serve(term)
	}
	data := bytes.Repeat([]byte{0x12, 0x34, 0x56}, 300) // 0.5 s at 14400
	start := time.Now()
	terms[0].SendIndicator(IndV17Training14400Short)
	terms[0].SendData(DataV17_14400, FieldT4NonECMSigEnd, data)
	var all []byte
	for len(all) < len(data) {
		select {
		case b := <-got:
			all = append(all, b...)
		case <-time.After(5 * time.Second):
			t.Fatalf("received %d of %d bytes", len(all), len(data))
		}
	}
	if !bytes.Equal(all, data) {
		t.Fatal("data corrupted over UDP")
	}
	// Paced: the data cannot arrive before its air time has passed.
	if el := time.Since(start); el < 500*time.Millisecond {
		t.Errorf("0.5 s of data arrived after only %v", el)
	}
}

type chanHandler chan []byte

func (c chanHandler) HandleIndicator(Indicator) {}
func (c chanHandler) HandleData(_ DataType, f Field) {
	if len(f.Data) > 0 {
		c <- append([]byte(nil), f.Data...)
	}
}
func (c chanHandler) HandleLoss(int) {}
