package t30

import (
	"testing"
	"time"
)

// FuzzReceiver feeds a receiving session an arbitrary sequence of modem
// events built from the input. Whatever arrives, the session must not
// panic and must end within T.30's timers.
func FuzzReceiver(f *testing.F) {
	dcs := Frame{FCF: DCS, X: true, Final: true, Info: Params{Receive: true, Mod: V17_14400, Encoding: MH, ECM: true}.Marshal()}.Marshal()
	pps := Frame{FCF: PPS, X: true, Final: true, Info: []byte{byte(EOP), 0, 0, 0}}.Marshal()
	fcd := Frame{FCF: FCD, Info: []byte{0, 0x80, 0x00, 0x01}}.Marshal()
	seed := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	op := func(kind byte, data []byte) []byte { return append([]byte{kind, byte(len(data))}, data...) }
	f.Add(seed(op(0, nil), op(1, dcs), op(2, nil), op(3, []byte{8}), op(4, make([]byte, 200)), op(2, nil)))
	f.Add(seed(op(0, nil), op(1, dcs), op(2, nil), op(5, []byte{30}), op(3, []byte{8}), op(1, fcd), op(2, nil), op(0, nil), op(1, pps), op(2, nil)))
	f.Add([]byte{1, 3, 0xFF, 0x13, 0xFB})
	f.Fuzz(func(t *testing.T, in []byte) {
		clk := NewVirtualClock(epoch)
		a, _ := newMemPair(clk)
		s, err := New(Config{Role: Answering, Clock: clk}, a)
		if err != nil {
			t.Fatal(err)
		}
		a.handler = s.Handle
		s.Start()
		for len(in) >= 2 {
			kind, n := in[0], int(in[1])
			in = in[2:]
			if n > len(in) {
				n = len(in)
			}
			data := in[:n]
			in = in[n:]
			switch kind % 6 {
			case 0:
				s.Handle(Event{Kind: EventCarrier, Mod: V21})
			case 1:
				s.Handle(Event{Kind: EventFrame, Data: data, FCSOK: kind&8 == 0})
			case 2:
				s.Handle(Event{Kind: EventCarrierDown})
			case 3:
				m := V17_14400
				if len(data) > 0 {
					m = Modulation(1 + int(data[0])%8)
				}
				s.Handle(Event{Kind: EventCarrier, Mod: m})
			case 4:
				s.Handle(Event{Kind: EventData, Data: data})
			case 5:
				if len(data) > 0 {
					clk.Advance(time.Duration(data[0]) * 100 * time.Millisecond)
				}
			}
		}
		for !isDone(s) {
			if clk.Now().Sub(epoch) > callLimit {
				t.Fatalf("receiver still running after %v", callLimit)
			}
			if !clk.Step() {
				t.Fatal("receiver stalled with nothing scheduled")
			}
		}
		if s.Result().Message() == "" {
			t.Fatal("ended without a message")
		}
	})
}
