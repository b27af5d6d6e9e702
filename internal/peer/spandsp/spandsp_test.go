package spandsp

import (
	"path/filepath"
	"testing"
)

// TestLockstepDirect runs two SpanDSP terminals against each other with the
// IFP packets passed straight through: the peer itself must work before
// anything is tested against it.
func TestLockstepDirect(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in.tif")
	dst := filepath.Join(dir, "out.tif")
	MakeTIFF(t, src, 2)
	tx := StartLockstep(t, Options{Role: Send, File: src, ECM: true, Ident: "SENDER", Version: 2})
	rx := StartLockstep(t, Options{Role: Receive, File: dst, ECM: true, Ident: "RECEIVER", Version: 2})
	peers := [2]*Lockstep{tx, rx}
	var seq [2]uint16
	type pkt struct {
		to  int
		seq uint16
		ifp []byte
	}
	var queue []pkt
	send := func(from int, ps []Packet) {
		for _, p := range ps {
			for range p.Count {
				queue = append(queue, pkt{1 - from, seq[from], p.IFP})
				seq[from]++
			}
		}
	}
	const tick = 160 // 20 ms
	for n := 0; n < 300*50 && !(tx.Done() && rx.Done()); n++ {
		for i, p := range peers {
			ps, err := p.Advance(tick)
			if err != nil {
				t.Fatal(err)
			}
			send(i, ps)
		}
		for len(queue) > 0 {
			q := queue[0]
			queue = queue[1:]
			ps, err := peers[q.to].Receive(q.seq, q.ifp)
			if err != nil {
				t.Fatal(err)
			}
			send(q.to, ps)
		}
	}
	rt, err := tx.Finish()
	if err != nil {
		t.Fatal(err)
	}
	rr, err := rx.Finish()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sender %+v", rt)
	t.Logf("receiver %+v", rr)
	if !rt.OK() || !rr.OK() {
		t.Fatalf("call failed: sender %q, receiver %q", rt.Text, rr.Text)
	}
	if rt.PagesTx != 2 || rr.PagesRx != 2 {
		t.Fatalf("pages sent %d, received %d, want 2", rt.PagesTx, rr.PagesRx)
	}
	if rr.RemoteID != "SENDER" || rt.RemoteID != "RECEIVER" {
		t.Fatalf("identities %q/%q", rr.RemoteID, rt.RemoteID)
	}
	if c := CompareTIFF(t, src, dst); !c.Equal || c.Pages != 2 {
		t.Fatalf("received document differs: %+v", c)
	}
}
