package t38

import (
	"bytes"
	"math/bits"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/peer/spandsp"
)

// reverse converts HDLC octets between T.38's wire order (first bit on
// the line in the most significant bit) and the T.30 tables' convention
// (first bit in the least significant bit).
func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = bits.Reverse8(c)
	}
	return out
}

// hdlcFrames rebuilds the HDLC frames in a recorder's events (hdlc-data
// bytes up to each hdlc-fcs-OK field), in T.30 bit order.
func hdlcFrames(ev []event) [][]byte {
	var frames [][]byte
	var cur []byte
	for _, e := range ev {
		if e.isInd || e.lost > 0 || e.dt != DataV21 {
			continue
		}
		switch e.f.Type {
		case FieldHDLCData:
			cur = append(cur, e.f.Data...)
		case FieldHDLCFCSOK, FieldHDLCFCSOKSigEnd:
			frames = append(frames, reverse(cur))
			cur = nil
		case FieldHDLCFCSBad, FieldHDLCFCSBadSigEnd:
			cur = nil
		}
	}
	return frames
}

// findFrame returns the first frame whose FCF (third byte, less the X bit)
// is fcf.
func findFrame(frames [][]byte, fcf byte) []byte {
	for _, f := range frames {
		if len(f) >= 3 && f[0] == 0xff && f[2]&0xfe == fcf {
			return f
		}
	}
	return nil
}

// T.30 frame control fields, with the X bit clear.
const (
	fcfDIS = 0x80
	fcfCSI = 0x40
	fcfDCS = 0x82
)

// lockstepBridge connects one of our Terminals to a lockstep SpanDSP peer
// under a VirtualClock: the peer's clock ticks every 20 ms of virtual time,
// its packets are framed as UDPTL (as its far end would) and fed to our
// Terminal, and our datagrams are decoded and fed to the peer.
func lockstepBridge(t *testing.T, peer *spandsp.Lockstep, v Version) (*VirtualClock, *Terminal, *recorder) {
	clock := NewVirtualClock(epoch)
	rec := &recorder{clock: clock, start: epoch}
	farEnc, _ := NewEncoder(EncoderConfig{Recovery: RecoveryRedundancy})
	farDec, _ := NewDecoder(DecoderConfig{Version: v})
	var term *Terminal
	var fromPeer func([]spandsp.Packet)
	fromPeer = func(ps []spandsp.Packet) {
		for _, p := range ps {
			for range p.Count {
				dg, err := farEnc.Encode(nil, p.IFP)
				if err != nil {
					t.Fatal(err)
				}
				// Deliver from the clock, not from inside our own send.
				clock.AfterFunc(0, func() {
					if err := term.Receive(dg); err != nil {
						t.Errorf("our terminal refused SpanDSP's datagram: %v", err)
					}
				})
			}
		}
	}
	toPeer := senderFunc(func(dg []byte) error {
		ds, err := farDec.Receive(dg)
		if err != nil {
			t.Fatalf("our datagram does not decode: %v", err)
		}
		for _, d := range ds {
			ps, err := peer.Receive(d.Seq, d.IFP)
			if err != nil {
				t.Fatal(err)
			}
			fromPeer(ps)
		}
		return nil
	})
	var err error
	term, err = NewTerminal(TerminalConfig{Version: v, Clock: clock, Recovery: RecoveryRedundancy}, toPeer, rec)
	if err != nil {
		t.Fatal(err)
	}
	var tick func()
	tick = func() {
		ps, err := peer.Advance(160)
		if err != nil {
			t.Fatal(err)
		}
		fromPeer(ps)
		clock.AfterFunc(20*time.Millisecond, tick)
	}
	clock.AfterFunc(0, tick)
	return clock, term, rec
}

type senderFunc func([]byte) error

func (f senderFunc) Send(b []byte) error { return f(b) }

// TestTerminalReceivesSpanDSPAnswer lets a SpanDSP terminal answer a call
// and checks that our Terminal delivers its CED, V.21 preamble and the
// CSI and DIS frames, with the identity SpanDSP was given.
func TestTerminalReceivesSpanDSPAnswer(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "rx.tif")
	peer := spandsp.StartLockstep(t, spandsp.Options{Role: spandsp.Receive, File: dst, Version: 3, Ident: "SPANDSP RX"})
	clock, _, rec := lockstepBridge(t, peer, 3)
	clock.Advance(8 * time.Second)
	var inds []Indicator
	for _, e := range rec.ev {
		if e.isInd && e.ind != IndNoSignal {
			inds = append(inds, e.ind)
		}
	}
	if len(inds) < 2 || inds[0] != IndCED || inds[1] != IndV21Preamble {
		t.Fatalf("indicators %v, want ced then the V.21 preamble", inds)
	}
	frames := hdlcFrames(rec.ev)
	dis := findFrame(frames, fcfDIS)
	if dis == nil || dis[1] != 0x13 {
		t.Fatalf("no final DIS frame among %x", frames)
	}
	csi := findFrame(frames, fcfCSI)
	if csi == nil {
		t.Fatalf("no CSI frame among %x", frames)
	}
	// T.30 sends the identity reversed, padded with spaces.
	id := make([]byte, 0, 20)
	for i := len(csi) - 1; i >= 3; i-- {
		id = append(id, csi[i])
	}
	if got := string(bytes.TrimSpace(id)); got != "SPANDSP RX" {
		t.Errorf("CSI identity %q, want %q", got, "SPANDSP RX")
	}
	if s := rec; len(s.ev) == 0 {
		t.Fatal("no events")
	}
}

// TestSpanDSPAnswersOurDIS plays the answering side with our Terminal: CED,
// then a DIS frame paced at V.21. SpanDSP, calling to send a page, must
// accept it and answer with DCS.
func TestSpanDSPAnswersOurDIS(t *testing.T) {
	for v := Version(0); v <= MaxVersion; v++ {
		t.Run("v"+string(rune('0'+v)), func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "tx.tif")
			spandsp.MakeTIFF(t, src, 1)
			peer := spandsp.StartLockstep(t, spandsp.Options{Role: spandsp.Send, File: src, Version: int(v), ECM: false})
			clock, term, rec := lockstepBridge(t, peer, v)
			// DIS: T.4 receiver, V.27ter and V.29, fine resolution,
			// 215 mm, A4, 0 ms scan line time (T.30 Table 2 bits
			// 10-12, 15, 21-23).
			dis := []byte{0xff, 0x13, fcfDIS, 0x00, 0x4e, 0x70}
			clock.AfterFunc(200*time.Millisecond, func() { term.SendIndicator(IndCED) })
			clock.AfterFunc(3200*time.Millisecond, func() {
				term.SendIndicator(IndV21Preamble)
				term.SendData(DataV21, FieldHDLCFCSOKSigEnd, reverse(dis))
				term.AfterSent(func() { term.SendIndicator(IndNoSignal) })
			})
			clock.Advance(10 * time.Second)
			dcs := findFrame(hdlcFrames(rec.ev), fcfDCS)
			if dcs == nil {
				t.Fatalf("SpanDSP did not answer our DIS with DCS; frames %x", hdlcFrames(rec.ev))
			}
			// It must pick a modem our DIS offered: V.29 or V.27ter,
			// so training indicators of those follow.
			trained := false
			for _, e := range rec.ev {
				if e.isInd && e.ind >= IndV27Training2400 && e.ind <= IndV29Training9600 {
					trained = true
				}
				if e.isInd && e.ind >= IndV17Training7200Short && e.ind <= IndV17Training14400Long {
					t.Fatalf("SpanDSP trained V.17 (%v), which our DIS did not offer", e.ind)
				}
			}
			if !trained {
				t.Error("no V.27ter or V.29 training (TCF) after DCS")
			}
		})
	}
}

// TestTerminalOverUDPWithSpanDSP runs a SpanDSP terminal in real time on
// UDP, framing UDPTL itself, and our Terminal on a net.PacketConn: our
// decoder must read SpanDSP-side UDPTL and deliver its DIS.
func TestTerminalOverUDPWithSpanDSP(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time test")
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Reserve a port for the peer.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	peerAddr := pc.LocalAddr().String()
	pc.Close()
	dst := filepath.Join(t.TempDir(), "rx.tif")
	spandsp.StartUDP(t, spandsp.Options{Role: spandsp.Receive, File: dst, Version: 2, Ident: "UDP PEER"},
		spandsp.UDPOptions{Local: peerAddr, Remote: conn.LocalAddr().String(), Redundancy: 3, Timeout: 20 * time.Second})
	remote, _ := net.ResolveUDPAddr("udp", peerAddr)
	tr := NewConnTransport(conn, remote)
	frames := make(chan []byte, 16)
	h := &frameCollector{out: frames}
	term, err := NewTerminal(TerminalConfig{Version: 2}, tr, h)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	go tr.Serve(term)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f := <-frames:
			if len(f) >= 3 && f[2]&0xfe == fcfDIS {
				if st := term.Stats(); st.DatagramsReceived == 0 || st.Malformed != 0 {
					t.Errorf("stats %+v", st)
				}
				return
			}
		case <-deadline:
			t.Fatalf("no DIS from SpanDSP over UDP within 10 s; stats %+v", term.Stats())
		}
	}
}

type frameCollector struct {
	out chan []byte
	cur []byte
}

func (c *frameCollector) HandleIndicator(Indicator) {}
func (c *frameCollector) HandleLoss(int)            { c.cur = nil }
func (c *frameCollector) HandleData(dt DataType, f Field) {
	switch f.Type {
	case FieldHDLCData:
		c.cur = append(c.cur, f.Data...)
	case FieldHDLCFCSOK, FieldHDLCFCSOKSigEnd:
		c.out <- reverse(c.cur)
		c.cur = nil
	}
}

// callerScript plays the calling side up to the training check: when the
// answering SpanDSP's DIS has arrived it sends DCS, then TCF (1.5 s of
// zeros) paced at V.29 9600 bit/s.
type callerScript struct {
	*recorder
	term  *Terminal
	clock Clock
	cur   []byte
	sent  bool
}

func (c *callerScript) HandleData(dt DataType, f Field) {
	c.recorder.HandleData(dt, f)
	switch f.Type {
	case FieldHDLCData:
		c.cur = append(c.cur, f.Data...)
	case FieldHDLCFCSOK, FieldHDLCFCSOKSigEnd:
		fr := reverse(c.cur)
		c.cur = nil
		if c.sent || len(fr) < 3 || fr[2]&0xfe != fcfDIS {
			return
		}
		c.sent = true
		// DCS: receive, V.29 9600, fine, 215 mm, A4, 0 ms (X bit set
		// as the station that received DIS).
		dcs := []byte{0xff, 0x13, fcfDCS | 1, 0x00, 0x46, 0x70}
		c.clock.AfterFunc(75*time.Millisecond, func() {
			c.term.SendIndicator(IndV21Preamble)
			c.term.SendData(DataV21, FieldHDLCFCSOKSigEnd, reverse(dcs))
			c.term.SendIndicator(IndNoSignal)
			c.term.SendIndicator(IndV29Training9600)
			c.term.SendData(DataV29_9600, FieldT4NonECMSigEnd, make([]byte, 9600*3/2/8))
			c.term.SendIndicator(IndNoSignal)
		})
	}
}

// TestSpanDSPAcceptsOurTCF checks our pacing of non-ECM data against
// SpanDSP's training check: after our DCS, 1.5 s of zeros sent at V.29
// 9600 bit/s must earn a CFR (confirmation to receive), not an FTT.
func TestSpanDSPAcceptsOurTCF(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "rx.tif")
	peer := spandsp.StartLockstep(t, spandsp.Options{Role: spandsp.Receive, File: dst, Version: 1, ECM: false, MaxRate: 9600})
	clock, term, rec := lockstepBridge(t, peer, 1)
	script := &callerScript{recorder: rec, term: term, clock: clock}
	term.h = script
	clock.Advance(15 * time.Second)
	if !script.sent {
		t.Fatal("no DIS arrived")
	}
	frames := hdlcFrames(rec.ev)
	const fcfCFR, fcfFTT = 0x84, 0x44
	if findFrame(frames, fcfFTT) != nil {
		t.Fatalf("SpanDSP rejected our TCF (FTT); frames %x", frames)
	}
	if findFrame(frames, fcfCFR) == nil {
		t.Fatalf("no CFR after our DCS and TCF; frames %x", frames)
	}
}
