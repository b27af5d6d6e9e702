package terminal

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/fax/t38"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const callLimit = 15 * time.Minute

func testPages(t testing.TB, n int) []*page.Page {
	t.Helper()
	gens := []string{"text", "stripes", "edges"}
	var ps []*page.Page
	for i := 0; i < n; i++ {
		p, err := t4test.Page(gens[i%len(gens)], 1728, 400, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		p.Res = page.Fine
		ps = append(ps, p)
	}
	return ps
}

func done(s *t30.Session) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

type goCall struct {
	snd, rcv  t30.Result
	received  []t30.ReceivedPage
	lostAB    int
	sentAB    int
	droppedAB int
	recovered int
}

// runGoToGo runs a Go sender (calling) against a Go receiver (answering)
// over UDPTL with redundancy depth on a simulated network.
func runGoToGo(t *testing.T, pages []*page.Page, ecm bool, depth int, ab, ba *netem) goCall {
	t.Helper()
	clk := t30.NewVirtualClock(epoch)
	lab, lba := &netLink{clk: clk, net: ab}, &netLink{clk: clk, net: ba}
	ta, err := New(Config{Clock: clk, Version: 2, Redundancy: depth}, lab)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := New(Config{Clock: clk, Version: 2, Redundancy: depth}, lba)
	if err != nil {
		t.Fatal(err)
	}
	lab.to, lba.to = tb, ta
	var c goCall
	sa, err := t30.New(t30.Config{Role: t30.Calling, Ident: "GO SENDER", Pages: pages, DisableECM: !ecm, Clock: clk}, ta)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := t30.New(t30.Config{Role: t30.Answering, Ident: "GO RECEIVER", DisableECM: !ecm, Clock: clk,
		OnPage: func(p t30.ReceivedPage) { c.received = append(c.received, p) }}, tb)
	if err != nil {
		t.Fatal(err)
	}
	ta.SetHandler(sa.Handle)
	tb.SetHandler(sb.Handle)
	sa.Start()
	sb.Start()
	for !(done(sa) && done(sb)) {
		if clk.Now().Sub(epoch) > callLimit {
			t.Fatalf("call still running after %v of virtual time", callLimit)
		}
		if !clk.Step() {
			t.Fatal("call stalled with nothing scheduled")
		}
	}
	c.snd, c.rcv = sa.Result(), sb.Result()
	c.lostAB, c.sentAB, c.droppedAB = tb.Stats().Lost, ab.sent, ab.dropped
	return c
}

func TestGoToGoOverT38(t *testing.T) {
	tests := []struct {
		name  string
		depth int
		net   func(seed uint64) *netem
	}{
		{"clean", 2, func(seed uint64) *netem { return &netem{rng: rand.New(rand.NewPCG(seed, 1))} }},
		{"loss1", 2, func(seed uint64) *netem { return &netem{rng: rand.New(rand.NewPCG(seed, 1)), loss: 0.01} }},
		{"loss5", 2, func(seed uint64) *netem { return &netem{rng: rand.New(rand.NewPCG(seed, 1)), loss: 0.05} }},
		{"burst", 2, func(seed uint64) *netem {
			return &netem{rng: rand.New(rand.NewPCG(seed, 1)), burstP: 0.003, burstLen: 5}
		}},
		{"dup+reorder", 2, func(seed uint64) *netem {
			return &netem{rng: rand.New(rand.NewPCG(seed, 1)), dup: 0.05, reorder: 0.05}
		}},
	}
	for _, tt := range tests {
		for _, ecm := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/ecm=%v", tt.name, ecm), func(t *testing.T) {
				pages := testPages(t, 3)
				c := runGoToGo(t, pages, ecm, tt.depth, tt.net(7), tt.net(8))
				t.Logf("a->b: %d datagrams, %d dropped, %d IFP packets lost after recovery; call %v",
					c.sentAB, c.droppedAB, c.lostAB, c.snd.Duration())
				if err := c.snd.Err(); err != nil {
					t.Fatalf("sender: %v", err)
				}
				if err := c.rcv.Err(); err != nil {
					t.Fatalf("receiver: %v", err)
				}
				if c.snd.Confirmed() != len(pages) {
					t.Fatalf("%d pages confirmed, want %d", c.snd.Confirmed(), len(pages))
				}
				if len(c.received) != len(pages) {
					t.Fatalf("received %d pages, want %d", len(c.received), len(pages))
				}
				for i, p := range c.received {
					if p.BadRows == 0 && !p.Page.Equal(pages[i]) {
						t.Errorf("page %d differs although no row was reported bad", i+1)
					}
					if ecm && p.BadRows != 0 {
						t.Errorf("page %d has %d bad rows under ECM", i+1, p.BadRows)
					}
				}
				if c.snd.RemoteID != "GO RECEIVER" || c.rcv.RemoteID != "GO SENDER" {
					t.Errorf("identities: %q, %q", c.snd.RemoteID, c.rcv.RemoteID)
				}
			})
		}
	}
}

// TestReceiveMapping checks the IFP to event mapping on a hand-made packet
// sequence: repeated indicators count once, HDLC octets are bit-reversed,
// a packet lost beyond repair damages the frame under way.
func TestReceiveMapping(t *testing.T) {
	clk := t30.NewVirtualClock(epoch)
	term, err := New(Config{Clock: clk, Version: 2}, &netLink{clk: clk, net: &netem{rng: rand.New(rand.NewPCG(1, 1))}, to: nopReceiver{}})
	if err != nil {
		t.Fatal(err)
	}
	var evs []t30.Event
	term.SetHandler(func(e t30.Event) { evs = append(evs, e) })
	enc, err := t38.NewEncoder(t38.EncoderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	feed := func(p t38.IFP) {
		b, err := t38.AppendIFP(nil, p, 2)
		if err != nil {
			t.Fatal(err)
		}
		dg, err := enc.Encode(nil, b)
		if err != nil {
			t.Fatal(err)
		}
		if err := term.Receive(dg); err != nil {
			t.Fatal(err)
		}
	}
	skip := func() { enc.Encode(nil, []byte{0}) } // a datagram that never arrives
	ind := t38.IFP{Kind: t38.KindIndicator, Indicator: t38.IndV21Preamble}
	feed(ind)
	feed(ind)
	// DIS on the T.38 wire: FF C8 01 (0x13 and 0x80 bit-reversed).
	feed(t38.IFP{Kind: t38.KindData, DataType: t38.DataV21, Fields: []t38.Field{{Type: t38.FieldHDLCData, Data: []byte{0xFF, 0xC8, 0x01}}}})
	feed(t38.IFP{Kind: t38.KindData, DataType: t38.DataV21, Fields: []t38.Field{{Type: t38.FieldHDLCFCSOK}}})
	feed(t38.IFP{Kind: t38.KindData, DataType: t38.DataV21, Fields: []t38.Field{{Type: t38.FieldHDLCData, Data: []byte{0xFF, 0xC8}}}})
	skip()
	feed(t38.IFP{Kind: t38.KindData, DataType: t38.DataV21, Fields: []t38.Field{{Type: t38.FieldHDLCFCSOKSigEnd}}})
	clk.Advance(time.Second) // let the receiver give up on the gap
	want := []string{"carrier", "frame ff 13 80 ok", "frame ff 13 bad", "carrier-down"}
	var got []string
	for _, e := range evs {
		switch e.Kind {
		case t30.EventFrame:
			s := fmt.Sprintf("frame % x", e.Data)
			if e.FCSOK {
				s += " ok"
			} else {
				s += " bad"
			}
			got = append(got, s)
		default:
			got = append(got, e.Kind.String())
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

type nopReceiver struct{}

func (nopReceiver) Receive([]byte) error { return nil }
