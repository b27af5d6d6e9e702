package t38_test

import (
	"fmt"
	"time"

	"github.com/faxhaven/faxhaven/fax/t38"
)

type printer struct{ clock t38.Clock }

func (p printer) HandleIndicator(i t38.Indicator) {
	fmt.Printf("%v indicator %v\n", p.clock.Now().Format("05.000"), i)
}

func (p printer) HandleData(dt t38.DataType, f t38.Field) {
	fmt.Printf("%v %v %v %d bytes\n", p.clock.Now().Format("05.000"), dt, f.Type, len(f.Data))
}

func (p printer) HandleLoss(n int) { fmt.Println("lost", n) }

// Two Terminals on an in-memory pipe under a virtual clock: a training
// indicator, then 90 bytes of V.29 9600 data, paced 36 bytes (30 ms) per
// packet after the 253 ms training.
func ExampleTerminal() {
	clock := t38.NewVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	pipe := t38.NewPipe(clock, 0)
	cfg := t38.TerminalConfig{Version: 2, Recovery: t38.RecoveryRedundancy, Clock: clock}
	a, _ := t38.NewTerminal(cfg, pipe.End(0), printer{clock})
	b, _ := t38.NewTerminal(cfg, pipe.End(1), printer{clock})
	pipe.End(0).SetReceiver(a)
	pipe.End(1).SetReceiver(b)

	a.SendIndicator(t38.IndV29Training9600)
	a.SendData(t38.DataV29_9600, t38.FieldT4NonECMSigEnd, make([]byte, 90))
	a.AfterSent(func() { a.SendIndicator(t38.IndNoSignal) })
	clock.Advance(time.Second)
	// Output:
	// 00.000 indicator v29-9600-training
	// 00.253 v29-9600 t4-non-ecm-data 36 bytes
	// 00.283 v29-9600 t4-non-ecm-data 36 bytes
	// 00.313 v29-9600 t4-non-ecm-data 18 bytes
	// 00.313 v29-9600 t4-non-ecm-sig-end 0 bytes
	// 00.328 indicator no-signal
}
