package terminal

import (
	"math/rand/v2"
	"time"

	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/fax/t38"
)

// netem decides the fate of each datagram on the in-memory network.
type netem struct {
	rng      *rand.Rand
	loss     float64 // independent loss probability
	burstP   float64 // probability a burst of losses starts
	burstLen int
	dup      float64 // probability of a duplicate
	reorder  float64 // probability a datagram is held back
	inBurst  int
	sent     int
	dropped  int
}

// copies returns the delays at which the datagram arrives (none if lost).
func (n *netem) copies() []time.Duration {
	n.sent++
	base := 20 * time.Millisecond
	if n.inBurst > 0 {
		n.inBurst--
		n.dropped++
		return nil
	}
	if n.burstP > 0 && n.rng.Float64() < n.burstP {
		n.inBurst = n.burstLen - 1
		n.dropped++
		return nil
	}
	if n.rng.Float64() < n.loss {
		n.dropped++
		return nil
	}
	d := []time.Duration{base}
	if n.rng.Float64() < n.reorder {
		d[0] += 45 * time.Millisecond
	}
	if n.rng.Float64() < n.dup {
		d = append(d, base+5*time.Millisecond)
	}
	return d
}

// udptlLink carries IFP packets from one Terminal to another through UDPTL
// with redundancy, over a lossy in-memory network on virtual time.
type udptlLink struct {
	clk *t30.VirtualClock
	enc *t38.Encoder
	dec *t38.Decoder
	// onIFP and onLost receive the recovered packet stream.
	onIFP  func(seq uint16, ifp []byte)
	onLost func(seq uint16)
	net    *netem
	quiet  t30.Timer
	lost   int
}

func newLink(clk *t30.VirtualClock, depth int, net *netem) *udptlLink {
	rec := t38.RecoveryRedundancy
	if depth == 0 {
		rec = t38.RecoveryNone
	}
	enc, err := t38.NewEncoder(t38.EncoderConfig{Recovery: rec, Depth: depth})
	if err != nil {
		panic(err)
	}
	dec, err := t38.NewDecoder(t38.DecoderConfig{Version: 2})
	if err != nil {
		panic(err)
	}
	return &udptlLink{clk: clk, enc: enc, dec: dec, net: net}
}

// send is the Config.Send of the sending Terminal.
func (l *udptlLink) send(ifp []byte) error {
	dg, err := l.enc.Encode(nil, ifp)
	if err != nil {
		return err
	}
	for _, d := range l.net.copies() {
		l.clk.AfterFunc(d, func() { l.arrive(dg) })
	}
	return nil
}

func (l *udptlLink) arrive(dg []byte) {
	ds, err := l.dec.Receive(dg)
	if err != nil {
		return
	}
	l.deliver(ds)
	// When the stream pauses, stop waiting for the gaps.
	if l.quiet != nil {
		l.quiet.Stop()
	}
	l.quiet = l.clk.AfterFunc(150*time.Millisecond, func() { l.deliver(l.dec.Flush()) })
}

func (l *udptlLink) deliver(ds []t38.Delivery) {
	for _, d := range ds {
		if d.Lost {
			l.lost++
			if l.onLost != nil {
				l.onLost(d.Seq)
			}
			continue
		}
		l.onIFP(d.Seq, d.IFP)
	}
}

// feed makes l deliver to a Terminal.
func (l *udptlLink) feed(t *Terminal) {
	l.onIFP = func(_ uint16, ifp []byte) { t.Receive(ifp) }
	l.onLost = func(uint16) { t.Lost() }
}
