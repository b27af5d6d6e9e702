package t38

import (
	"errors"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/peer/spandsp"
)

// udpRelayLeg reads UDPTL framed by a SpanDSP peer, drops some datagrams,
// recovers with our Decoder, and frames the IFP packets again with our
// Encoder towards the other peer.
type udpRelayLeg struct {
	in       net.PacketConn
	out      net.PacketConn
	to       net.Addr
	version  Version
	loss     float64
	seed     int64
	mu       sync.Mutex
	received int
	dropped  int
	recov    int
	lost     int
	err      error
}

func (l *udpRelayLeg) run() {
	rng := rand.New(rand.NewSource(l.seed))
	dec, _ := NewDecoder(DecoderConfig{Version: l.version})
	enc, _ := NewEncoder(EncoderConfig{Recovery: RecoveryRedundancy, Depth: 2})
	buf := make([]byte, 4096)
	forward := func(ds []Delivery) {
		for _, d := range ds {
			if d.Lost {
				l.lost++
				continue
			}
			if d.Recovered {
				l.recov++
			}
			if _, err := DecodeIFP(d.IFP, l.version); err != nil && l.err == nil {
				l.err = err
			}
			dg, err := enc.Encode(nil, d.IFP)
			if err != nil && l.err == nil {
				l.err = err
			}
			l.out.WriteTo(dg, l.to)
		}
	}
	for {
		l.in.SetReadDeadline(time.Now().Add(60 * time.Millisecond))
		n, _, err := l.in.ReadFrom(buf)
		l.mu.Lock()
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			forward(dec.Flush())
		case err != nil:
			l.mu.Unlock()
			return
		default:
			l.received++
			if rng.Float64() < l.loss {
				l.dropped++
				break
			}
			ds, err := dec.Receive(buf[:n])
			if err != nil && l.err == nil {
				l.err = err
			}
			forward(ds)
		}
		l.mu.Unlock()
	}
}

// TestRelayUDPRealTime runs a whole fax in real time between two SpanDSP
// peers in UDP mode, through a relay that reads their UDPTL with our
// decoder (2% of datagrams dropped first) and re-frames it with our
// encoder.
func TestRelayUDPRealTime(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time test (about 20 s)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "in.tif")
	dst := filepath.Join(dir, "out.tif")
	spandsp.MakeTIFF(t, src, 1)
	listen := func() net.PacketConn {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	freePort := func() string {
		c := listen()
		defer c.Close()
		return c.LocalAddr().String()
	}
	facingTx, facingRx := listen(), listen()
	defer facingTx.Close()
	defer facingRx.Close()
	txAddr, rxAddr := freePort(), freePort()
	txUDP, _ := net.ResolveUDPAddr("udp", txAddr)
	rxUDP, _ := net.ResolveUDPAddr("udp", rxAddr)
	const v = 2
	legs := []*udpRelayLeg{
		{in: facingTx, out: facingRx, to: rxUDP, version: v, loss: 0.02, seed: 1},
		{in: facingRx, out: facingTx, to: txUDP, version: v, loss: 0.02, seed: 2},
	}
	for _, l := range legs {
		go l.run()
	}
	rx := spandsp.StartUDP(t, spandsp.Options{Role: spandsp.Receive, File: dst, ECM: true, Version: v, Ident: "UDP RX"},
		spandsp.UDPOptions{Local: rxAddr, Remote: facingRx.LocalAddr().String(), Timeout: 90 * time.Second})
	tx := spandsp.StartUDP(t, spandsp.Options{Role: spandsp.Send, File: src, ECM: true, Version: v, Ident: "UDP TX"},
		spandsp.UDPOptions{Local: txAddr, Remote: facingTx.LocalAddr().String(), Timeout: 90 * time.Second})
	rt, err := tx.Wait()
	if err != nil {
		t.Fatal(err)
	}
	rr, err := rx.Wait()
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range legs {
		l.mu.Lock()
		t.Logf("leg %d: %d datagrams, %d dropped, %d recovered, %d lost", i, l.received, l.dropped, l.recov, l.lost)
		if l.err != nil {
			t.Errorf("leg %d: %v", i, l.err)
		}
		l.mu.Unlock()
	}
	t.Logf("sender %+v; receiver %+v", rt, rr)
	if !rt.OK() || !rr.OK() || rr.PagesRx != 1 {
		t.Fatalf("call failed: sender %q, receiver %q", rt.Text, rr.Text)
	}
	if cmp := spandsp.CompareTIFF(t, src, dst); !cmp.Equal {
		t.Fatalf("received page differs: %s", cmp.Detail)
	}
}
