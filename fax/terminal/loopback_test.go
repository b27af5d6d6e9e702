package terminal

import (
	"context"
	"testing"

	"github.com/faxhaven/faxhaven/fax/t30"
)

func TestLoopbackCarriesPagesExactly(t *testing.T) {
	for _, ecm := range []bool{true, false} {
		pages := testPages(t, 3)
		res, err := Loopback(context.Background(),
			t30.Config{Ident: "+31970100000", Pages: pages, DisableECM: !ecm},
			t30.Config{Ident: "+31970100001", DisableECM: !ecm})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Sender.OK() || !res.Receiver.OK() {
			t.Fatalf("ecm=%v: sender %v, receiver %v", ecm, res.Sender.Err(), res.Receiver.Err())
		}
		if res.Sender.RemoteID != "+31970100001" || res.Receiver.RemoteID != "+31970100000" {
			t.Errorf("ecm=%v: remote IDs %q and %q", ecm, res.Sender.RemoteID, res.Receiver.RemoteID)
		}
		if len(res.Pages) != len(pages) {
			t.Fatalf("ecm=%v: received %d pages, want %d", ecm, len(res.Pages), len(pages))
		}
		for i, p := range res.Pages {
			if !p.Page.Equal(pages[i]) || p.ECM != ecm {
				t.Errorf("ecm=%v: page %d differs (ECM %v)", ecm, i+1, p.ECM)
			}
		}
	}
}

func TestLoopbackStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Loopback(ctx, t30.Config{Pages: testPages(t, 1)}, t30.Config{}); err == nil {
		t.Fatal("a cancelled loopback call succeeded")
	}
}
