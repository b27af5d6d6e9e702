package t38

import (
	"bytes"
	"fmt"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/faxhaven/faxhaven/internal/peer/spandsp"
)

// relayLeg carries one direction of a call between two SpanDSP peers over
// our UDPTL encoder, a lossy "network" and our UDPTL decoder, checking on
// the way that our codecs reproduce every packet byte for byte.
type relayLeg struct {
	t        *testing.T
	version  Version
	enc      *Encoder
	dec      *Decoder
	rng      *rand.Rand
	lossRate float64
	idle     int // ticks since the last datagram

	sent, dropped, recovered, lost int
}

func newRelayLeg(t *testing.T, v Version, rc ErrorRecovery, loss float64, seed int64) *relayLeg {
	enc, err := NewEncoder(EncoderConfig{Recovery: rc, Depth: 2, Span: 3, Entries: 3, MaxDatagram: 400})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder(DecoderConfig{Version: v})
	if err != nil {
		t.Fatal(err)
	}
	return &relayLeg{t: t, version: v, enc: enc, dec: dec, rng: rand.New(rand.NewSource(seed)), lossRate: loss}
}

// carry frames a packet from the peer and returns what the far decoder
// delivers.
func (l *relayLeg) carry(p spandsp.Packet) []Delivery {
	t := l.t
	ifp, err := DecodeIFP(p.IFP, l.version)
	if err != nil {
		t.Fatalf("SpanDSP sent an IFP packet we cannot decode: %x: %v", p.IFP, err)
	}
	if captured != nil {
		captured[fmt.Sprintf("v%d %x", l.version, p.IFP)] = true
	}
	again, err := AppendIFP(nil, ifp, l.version)
	if err != nil || !bytes.Equal(again, p.IFP) {
		t.Fatalf("IFP %x (%v) re-encodes as %x (%v)", p.IFP, ifp, again, err)
	}
	var out []Delivery
	for range max(p.Count, 1) {
		dg, err := l.enc.Encode(nil, p.IFP)
		if err != nil {
			t.Fatalf("UDPTL encode: %v", err)
		}
		u, err := DecodeUDPTL(dg)
		if err != nil {
			t.Fatalf("UDPTL decode of our own datagram %x: %v", dg, err)
		}
		if re, err := AppendUDPTL(nil, &u); err != nil || !bytes.Equal(re, dg) {
			t.Fatalf("UDPTL %x re-encodes as %x (%v)", dg, re, err)
		}
		l.sent++
		if l.rng.Float64() < l.lossRate {
			l.dropped++
			continue
		}
		l.idle = 0
		ds, err := l.dec.Receive(dg)
		if err != nil {
			t.Fatalf("UDPTL receive: %v", err)
		}
		out = append(out, l.count(ds)...)
	}
	return out
}

// tick flushes the decoder once the line has been quiet for a while, so a
// gap at the end of a burst does not hold the packets behind it forever.
func (l *relayLeg) tick() []Delivery {
	l.idle++
	if l.idle == 3 {
		return l.count(l.dec.Flush())
	}
	return nil
}

func (l *relayLeg) count(ds []Delivery) []Delivery {
	for _, d := range ds {
		if d.Lost {
			l.lost++
		} else if d.Recovered {
			l.recovered++
		}
	}
	return ds
}

type callCase struct {
	ecm      bool
	rate     int
	pages    int
	loss     float64
	recovery ErrorRecovery
	version  Version
}

func (c callCase) String() string {
	return fmt.Sprintf("ecm=%v/rate=%d/pages=%d/loss=%g%%/%v/v%d", c.ecm, c.rate, c.pages, c.loss*100, c.recovery, c.version)
}

// runRelayedCall runs one fax between two SpanDSP terminals through two
// relay legs and checks the outcome.
func runRelayedCall(t *testing.T, c callCase, seed int64) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in.tif")
	dst := filepath.Join(dir, "out.tif")
	spandsp.MakeTIFF(t, src, c.pages)
	compress := "1d,2d"
	if c.ecm {
		compress = "1d,2d,t6"
	}
	peers := [2]*spandsp.Lockstep{
		spandsp.StartLockstep(t, spandsp.Options{Role: spandsp.Send, File: src, ECM: c.ecm, MaxRate: c.rate, Compress: compress, Version: int(c.version), Ident: "FAXHAVEN TX"}),
		spandsp.StartLockstep(t, spandsp.Options{Role: spandsp.Receive, File: dst, ECM: c.ecm, MaxRate: c.rate, Compress: compress, Version: int(c.version), Ident: "FAXHAVEN RX"}),
	}
	legs := [2]*relayLeg{
		newRelayLeg(t, c.version, c.recovery, c.loss, seed),
		newRelayLeg(t, c.version, c.recovery, c.loss, seed+1),
	}
	type inflight struct {
		to int
		d  Delivery
	}
	var queue []inflight
	send := func(from int, ps []spandsp.Packet) {
		for _, p := range ps {
			for _, d := range legs[from].carry(p) {
				queue = append(queue, inflight{1 - from, d})
			}
		}
	}
	const tick = 160 // 20 ms at 8000 samples/s
	const limit = 400 * 50
	n := 0
	for ; n < limit && !(peers[0].Done() && peers[1].Done()); n++ {
		for i, p := range peers {
			ps, err := p.Advance(tick)
			if err != nil {
				t.Fatal(err)
			}
			send(i, ps)
			for _, d := range legs[i].tick() {
				queue = append(queue, inflight{1 - i, d})
			}
		}
		for len(queue) > 0 {
			q := queue[0]
			queue = queue[1:]
			if q.d.Lost {
				continue
			}
			ps, err := peers[q.to].Receive(q.d.Seq, q.d.IFP)
			if err != nil {
				t.Fatal(err)
			}
			send(q.to, ps)
		}
	}
	rt, err := peers[0].Finish()
	if err != nil {
		t.Fatal(err)
	}
	rr, err := peers[1].Finish()
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range legs {
		t.Logf("leg %d: %d datagrams, %d dropped, %d recovered, %d lost", i, l.sent, l.dropped, l.recovered, l.lost)
	}
	t.Logf("%.1f s of call time; sender %+v; receiver %+v", float64(n)/50, rt, rr)
	if !rt.OK() || !rr.OK() {
		t.Fatalf("call failed: sender %q, receiver %q", rt.Text, rr.Text)
	}
	if rt.PagesTx != c.pages || rr.PagesRx != c.pages {
		t.Fatalf("pages sent %d, received %d, want %d", rt.PagesTx, rr.PagesRx, c.pages)
	}
	if rt.BitRate > c.rate || rt.ECM != c.ecm {
		t.Errorf("negotiated %d bit/s ECM %v, want at most %d and ECM %v", rt.BitRate, rt.ECM, c.rate, c.ecm)
	}
	if rr.RemoteID != "FAXHAVEN TX" {
		t.Errorf("receiver saw remote ID %q", rr.RemoteID)
	}
	if cmp := spandsp.CompareTIFF(t, src, dst); !cmp.Equal {
		t.Fatalf("received pages differ from the sent ones: %s", cmp.Detail)
	}
	if c.loss > 0 && legs[0].dropped > 0 && legs[0].recovered == 0 {
		t.Errorf("dropped %d datagrams but recovered none", legs[0].dropped)
	}
}

// TestRelayBetweenSpanDSPPeers sends faxes between two SpanDSP terminals
// through our IFP and UDPTL codecs, with loss injected between our UDPTL
// encoder and decoder.
func TestRelayBetweenSpanDSPPeers(t *testing.T) {
	spandsp.Peer(t)
	var cases []callCase
	i := 0
	for _, ecm := range []bool{true, false} {
		for _, rate := range []int{14400, 9600, 4800} {
			for _, loss := range []float64{0, 0.01, 0.05} {
				for _, rc := range []ErrorRecovery{RecoveryRedundancy, RecoveryFEC} {
					pages := 1 // alternate one and three pages across both recovery modes
					if (i/2+i)%2 == 1 {
						pages = 3
					}
					cases = append(cases, callCase{ecm, rate, pages, loss, rc, Version(i % 4)})
					i++
				}
			}
		}
	}
	for k, c := range cases {
		t.Run(c.String(), func(t *testing.T) {
			if testing.Short() && k%6 != 0 {
				t.Skip("short mode runs one case in six")
			}
			runRelayedCall(t, c, int64(1000+k))
		})
	}
}
