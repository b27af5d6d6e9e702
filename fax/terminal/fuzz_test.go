package terminal

import (
	"testing"

	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/fax/t38"
)

// FuzzReceive feeds arbitrary packets to a Terminal. It must never panic,
// and the events it reports must be well formed: frames carry octets and
// carriers go down only after they came up.
func FuzzReceive(f *testing.F) {
	for _, p := range []t38.IFP{
		{Kind: t38.KindIndicator, Indicator: t38.IndV21Preamble},
		{Kind: t38.KindData, DataType: t38.DataV21, Fields: []t38.Field{{Type: t38.FieldHDLCData, Data: []byte{0xFF, 0xC8, 0x01}}, {Type: t38.FieldHDLCFCSOKSigEnd}}},
		{Kind: t38.KindData, DataType: t38.DataV17_14400, Fields: []t38.Field{{Type: t38.FieldT4NonECMData, Data: []byte{0, 0, 1}}, {Type: t38.FieldT4NonECMSigEnd}}},
	} {
		b, err := t38.AppendIFP(nil, p, 2)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, b)
	}
	f.Fuzz(func(t *testing.T, p1, p2 []byte) {
		term, err := New(Config{Version: 2, Send: func([]byte) error { return nil }})
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
		term.Receive(p1)
		term.Lost()
		term.Receive(p2)
		term.Receive(p1)
	})
}
