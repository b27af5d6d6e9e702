package sip

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/fax/tiff"
	"github.com/faxhaven/faxhaven/internal/carrier"
	"github.com/faxhaven/faxhaven/internal/peer/spandsp"
)

// The media of these calls comes from SpanDSP's t38_terminal on the UDPTL
// address that sipp announces in its SDP: SIP from one independent peer,
// T.38 and T.30 from another.

// A fax sent by SpanDSP through an inbound call, with a session refresh
// mid-fax, is delivered with the pixels SpanDSP sent (compared by libtiff).
func TestInboundFromSpanDSP(t *testing.T) {
	t.Parallel()
	spandsp.Peer(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src.tif")
	spandsp.MakeTIFF(t, src, 2)
	u, s := newUA(t, []Trunk{localTrunk("local", 5999)}, nil)
	t38port := freePort(t)
	r := startSipp(t, "inbound_fax_refresh.xml", "-m", "1", "-s", did, "-p", strconv.Itoa(freePort(t)),
		"-set", "t38port", strconv.Itoa(t38port), "-d", "3000", u.Addr().String())
	c := waitCall(t, u)
	p := spandsp.StartUDP(t, spandsp.Options{Role: spandsp.Send, File: src, ECM: true, Ident: "+31201234567"},
		spandsp.UDPOptions{Local: net.JoinHostPort("127.0.0.1", strconv.Itoa(t38port)), Remote: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port())), Redundancy: 2, Timeout: 90 * time.Second})
	res, err := p.Wait()
	if err != nil || !res.OK() {
		t.Fatalf("SpanDSP: %v %+v", err, res)
	}
	r.wait(t)
	var in *carrier.Inbound
	select {
	case in = <-s.ch:
	case <-time.After(10 * time.Second):
		t.Fatal("the fax was not delivered")
	}
	if in.To != did || in.RemoteID != "+31201234567" || len(in.Pages) != 2 {
		t.Fatalf("delivered to %q from %q with %d pages", in.To, in.RemoteID, len(in.Pages))
	}
	var buf bytes.Buffer
	w := tiff.NewWriter(&buf, nil)
	for _, pg := range in.Pages {
		if err := w.WritePage(pg.Page); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := filepath.Join(dir, "got.tif")
	if err := os.WriteFile(got, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if cmp := spandsp.CompareTIFF(t, src, got); !cmp.Equal || cmp.Pages != 2 {
		t.Errorf("delivered pages differ from SpanDSP's: %+v", cmp)
	}
	c.mu.Lock()
	n := c.refreshes
	c.mu.Unlock()
	if n < 1 {
		t.Error("the session refresh was not seen")
	}
	waitIdle(t, u)
}

// An outbound fax lands at SpanDSP, behind a trunk that answers with T.38
// and a 2 s session timer that Faxhaven refreshes mid-fax, pixel for pixel.
func TestOutboundToSpanDSP(t *testing.T) {
	t.Parallel()
	spandsp.Peer(t)
	dir := t.TempDir()
	src, out := filepath.Join(dir, "src.tif"), filepath.Join(dir, "out.tif")
	spandsp.MakeTIFF(t, src, 2)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := tiff.Read(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	port, t38port := freePort(t), freePort(t)
	r := startSipp(t, "uas_t38.xml", "-m", "1", "-p", strconv.Itoa(port), "-set", "t38port", strconv.Itoa(t38port), "-set", "se", "2")
	u, _ := newUA(t, []Trunk{localTrunk("local", port)}, nil)
	type sent struct {
		res *carrier.Result
		err error
	}
	done := make(chan sent, 1)
	go func() {
		res, err := u.Send(context.Background(), &carrier.Outbound{To: "+31201234567", Ident: "+31970100001", Pages: pages})
		done <- sent{res, err}
	}()
	c := waitCall(t, u)
	p := spandsp.StartUDP(t, spandsp.Options{Role: spandsp.Receive, File: out, ECM: true, Ident: "+31201234567"},
		spandsp.UDPOptions{Local: net.JoinHostPort("127.0.0.1", strconv.Itoa(t38port)), Remote: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port())), Redundancy: 2, Timeout: 90 * time.Second})
	pr, err := p.Wait()
	if err != nil || !pr.OK() || pr.PagesRx != 2 {
		t.Fatalf("SpanDSP: %v %+v", err, pr)
	}
	s := <-done
	if s.err != nil || s.res.Status != carrier.Delivered || s.res.PagesSent != 2 || s.res.RemoteID != "+31201234567" {
		t.Fatalf("send: %v %+v", s.err, s.res)
	}
	if cmp := spandsp.CompareTIFF(t, src, out); !cmp.Equal || cmp.Pages != 2 {
		t.Errorf("SpanDSP received other pixels: %+v", cmp)
	}
	c.mu.Lock()
	n := c.refreshes
	c.mu.Unlock()
	if n < 1 {
		t.Error("no session refresh during the fax")
	}
	r.wait(t)
	waitIdle(t, u)
}
