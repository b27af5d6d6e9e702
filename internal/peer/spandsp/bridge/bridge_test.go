package bridge

import (
	"math/bits"
	"path/filepath"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/fax/t38"
	"github.com/faxhaven/faxhaven/internal/peer/spandsp"
)

type frames struct {
	cur []byte
	all [][]byte
	ind []t38.Indicator
}

func (f *frames) HandleIndicator(i t38.Indicator) { f.ind = append(f.ind, i) }
func (f *frames) HandleLoss(int)                  { f.cur = nil }
func (f *frames) HandleData(dt t38.DataType, fl t38.Field) {
	switch fl.Type {
	case t38.FieldHDLCData:
		f.cur = append(f.cur, fl.Data...)
	case t38.FieldHDLCFCSOK, t38.FieldHDLCFCSOKSigEnd:
		fr := make([]byte, len(f.cur))
		for i, c := range f.cur {
			fr[i] = bits.Reverse8(c)
		}
		f.all = append(f.all, fr)
		f.cur = nil
	}
}

// TestBridgeCarriesDIS lets SpanDSP answer, with some datagrams lost, and
// checks that its DIS reaches our Terminal through the bridge.
func TestBridgeCarriesDIS(t *testing.T) {
	clock := t38.NewVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	peer := spandsp.StartLockstep(t, spandsp.Options{Role: spandsp.Receive, File: filepath.Join(t.TempDir(), "rx.tif"), Version: 2})
	n := 0
	br := New(t, peer, clock, Config{Version: 2, Drop: func(bool, []byte) bool { n++; return n%9 == 0 }})
	h := &frames{}
	term, err := t38.NewTerminal(t38.TerminalConfig{Clock: clock, Version: 2}, br, h)
	if err != nil {
		t.Fatal(err)
	}
	br.Attach(term)
	clock.Advance(8 * time.Second)
	br.Stop()
	for _, f := range h.all {
		if len(f) >= 3 && f[0] == 0xff && f[2]&0xfe == 0x80 {
			if st := term.Stats(); st.Recovered == 0 {
				t.Errorf("nothing recovered though every ninth datagram was dropped: %+v", st)
			}
			return
		}
	}
	t.Fatalf("no DIS; indicators %v, frames %x", h.ind, h.all)
}
