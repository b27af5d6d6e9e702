package terminal

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/fax/t38"
)

// FuzzReceive feeds arbitrary datagrams to a Terminal. It must never panic,
// and the events it reports must be well formed: frames carry octets and
// carriers go down only after they came up.
func FuzzReceive(f *testing.F) {
	enc, err := t38.NewEncoder(t38.EncoderConfig{Recovery: t38.RecoveryRedundancy, Depth: 2})
	if err != nil {
		f.Fatal(err)
	}
	var dgs [][]byte
	for _, p := range []t38.IFP{
		{Kind: t38.KindIndicator, Indicator: t38.IndV21Preamble},
		{Kind: t38.KindData, DataType: t38.DataV21, Fields: []t38.Field{{Type: t38.FieldHDLCData, Data: []byte{0xFF, 0xC8, 0x01}}, {Type: t38.FieldHDLCFCSOKSigEnd}}},
		{Kind: t38.KindData, DataType: t38.DataV17_14400, Fields: []t38.Field{{Type: t38.FieldT4NonECMData, Data: []byte{0, 0, 1}}, {Type: t38.FieldT4NonECMSigEnd}}},
	} {
		b, err := t38.AppendIFP(nil, p, 2)
		if err != nil {
			f.Fatal(err)
		}
		dg, err := enc.Encode(nil, b)
		if err != nil {
			f.Fatal(err)
		}
		dgs = append(dgs, dg)
	}
	f.Add(dgs[0], dgs[1], dgs[2])
	f.Add(dgs[2], dgs[0], dgs[1])
	f.Fuzz(func(t *testing.T, d1, d2, d3 []byte) {
		clk := t30.NewVirtualClock(epoch)
		term, err := New(Config{Clock: clk, Version: 2}, &netLink{clk: clk, net: &netem{rng: rand.New(rand.NewPCG(1, 1))}, to: nopReceiver{}})
		if err != nil {
			t.Fatal(err)
		}
		up := false
		term.SetHandler(func(e t30.Event) {
			switch e.Kind {
			case t30.EventCarrier:
				up = true
			case t30.EventCarrierDown:
				if !up {
					t.Fatal("carrier down without a carrier")
				}
				up = false
			case t30.EventFrame:
				if len(e.Data) == 0 {
					t.Fatal("empty frame reported")
				}
			}
		})
		term.Receive(d1)
		term.Receive(d2)
		clk.Advance(time.Second)
		term.Receive(d3)
		clk.Advance(time.Second)
	})
}
