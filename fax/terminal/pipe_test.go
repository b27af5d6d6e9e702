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

// netLink is a t38.Sender that carries datagrams over a lossy in-memory
// network on virtual time to a t38.Receiver.
type netLink struct {
	clk *t30.VirtualClock
	net *netem
	to  t38.Receiver
}

func (l *netLink) Send(dg []byte) error {
	dg = append([]byte(nil), dg...)
	for _, d := range l.net.copies() {
		l.clk.AfterFunc(d, func() { l.to.Receive(dg) })
	}
	return nil
}

// ifpReceiver adapts a function to t38.Receiver by decoding UDPTL with
// its own Decoder: it hands on each IFP packet with its sequence number,
// in order, and skips the ones lost beyond repair.
type ifpReceiver struct {
	clk   *t30.VirtualClock
	dec   *t38.Decoder
	f     func(seq uint16, ifp []byte)
	flush t30.Timer
}

func newIFPReceiver(clk *t30.VirtualClock, f func(seq uint16, ifp []byte)) *ifpReceiver {
	dec, err := t38.NewDecoder(t38.DecoderConfig{Version: 2})
	if err != nil {
		panic(err)
	}
	return &ifpReceiver{clk: clk, dec: dec, f: f}
}

func (r *ifpReceiver) Receive(dg []byte) error {
	ds, err := r.dec.Receive(dg)
	r.deliver(ds)
	if r.flush != nil {
		r.flush.Stop()
	}
	r.flush = r.clk.AfterFunc(100*time.Millisecond, func() { r.deliver(r.dec.Flush()) })
	return err
}

func (r *ifpReceiver) deliver(ds []t38.Delivery) {
	for _, d := range ds {
		if !d.Lost {
			r.f(d.Seq, d.IFP)
		}
	}
}

// ifpSender frames IFP packets as UDPTL with redundancy and sends them.
type ifpSender struct {
	enc *t38.Encoder
	tx  t38.Sender
}

func newIFPSender(depth int, tx t38.Sender) *ifpSender {
	enc, err := t38.NewEncoder(t38.EncoderConfig{Recovery: t38.RecoveryRedundancy, Depth: depth})
	if err != nil {
		panic(err)
	}
	return &ifpSender{enc: enc, tx: tx}
}

func (s *ifpSender) send(ifp []byte) error {
	dg, err := s.enc.Encode(nil, ifp)
	if err != nil {
		return err
	}
	return s.tx.Send(dg)
}
