// Package bridge connects a lockstep SpanDSP peer to a fax/t38 Terminal
// under a t38.VirtualClock, so a test can run our stack against SpanDSP
// for a whole call in virtual time. It is test support.
//
//	clock := t38.NewVirtualClock(start)
//	peer := spandsp.StartLockstep(t, spandsp.Options{Role: spandsp.Receive, File: out, Version: 2})
//	br := bridge.New(t, peer, clock, bridge.Config{Version: 2})
//	term, _ := t38.NewTerminal(t38.TerminalConfig{Clock: clock, Version: 2}, br, handler)
//	br.Attach(term)
//	for !peer.Done() && clock.Now().Before(deadline) {
//		clock.Advance(20 * time.Millisecond)
//	}
//
// The peer's clock ticks every 20 ms of virtual time. Its packets are
// framed as UDPTL (as its network side would) and handed to the Terminal;
// the Terminal's datagrams are decoded and handed to the peer. A Drop
// function can lose datagrams in either direction.
package bridge

import (
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/fax/t38"
	"github.com/faxhaven/faxhaven/internal/peer/spandsp"
)

// Tick is how often the peer's time advances.
const Tick = 20 * time.Millisecond

// Config says how the SpanDSP side frames its packets.
type Config struct {
	Version  t38.Version
	Recovery t38.ErrorRecovery // default redundancy
	Depth    int               // redundancy depth, default 2
	// Drop, when set, is asked about every datagram: toPeer is true for
	// ours going to SpanDSP. Returning true loses the datagram.
	Drop func(toPeer bool, datagram []byte) bool
}

// Bridge is the link between the peer and a Terminal. It is the Terminal's
// t38.Sender.
type Bridge struct {
	t     testing.TB
	peer  *spandsp.Lockstep
	clock t38.Clock
	cfg   Config
	enc   *t38.Encoder
	dec   *t38.Decoder
	term  t38.Receiver
	stop  bool
}

// New starts ticking peer on clock.
func New(t testing.TB, peer *spandsp.Lockstep, clock t38.Clock, cfg Config) *Bridge {
	t.Helper()
	if cfg.Recovery == t38.RecoveryNone {
		cfg.Recovery = t38.RecoveryRedundancy
	}
	enc, err := t38.NewEncoder(t38.EncoderConfig{Recovery: cfg.Recovery, Depth: cfg.Depth})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := t38.NewDecoder(t38.DecoderConfig{Version: cfg.Version})
	if err != nil {
		t.Fatal(err)
	}
	b := &Bridge{t: t, peer: peer, clock: clock, cfg: cfg, enc: enc, dec: dec}
	var tick func()
	tick = func() {
		if b.stop {
			return
		}
		ps, err := peer.Advance(int(Tick / (time.Second / 8000)))
		if err != nil {
			t.Error(err)
			return
		}
		b.fromPeer(ps)
		clock.AfterFunc(Tick, tick)
	}
	clock.AfterFunc(0, tick)
	return b
}

// Attach sets the Terminal (or any Receiver) the peer's datagrams go to.
func (b *Bridge) Attach(r t38.Receiver) { b.term = r }

// Stop stops ticking the peer.
func (b *Bridge) Stop() { b.stop = true }

// Send takes a datagram from our side and hands its IFP packets to the
// peer.
func (b *Bridge) Send(dg []byte) error {
	if b.cfg.Drop != nil && b.cfg.Drop(true, dg) {
		return nil
	}
	ds, err := b.dec.Receive(dg)
	if err != nil {
		b.t.Errorf("bridge: our datagram %x does not decode: %v", dg, err)
		return nil
	}
	for _, d := range ds {
		if d.Lost {
			continue
		}
		ps, err := b.peer.Receive(d.Seq, d.IFP)
		if err != nil {
			b.t.Error(err)
			return err
		}
		b.fromPeer(ps)
	}
	return nil
}

func (b *Bridge) fromPeer(ps []spandsp.Packet) {
	for _, p := range ps {
		for range max(p.Count, 1) {
			dg, err := b.enc.Encode(nil, p.IFP)
			if err != nil {
				b.t.Errorf("bridge: frame SpanDSP packet %x: %v", p.IFP, err)
				continue
			}
			if b.cfg.Drop != nil && b.cfg.Drop(false, dg) {
				continue
			}
			// Deliver from the clock, never from inside our own Send.
			b.clock.AfterFunc(0, func() {
				if b.term != nil {
					b.term.Receive(dg)
				}
			})
		}
	}
}
