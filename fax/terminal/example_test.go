package terminal_test

import (
	"fmt"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/fax/t38"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
	"github.com/faxhaven/faxhaven/fax/terminal"
)

// Two T.30 sessions, each behind a Terminal, joined by an in-memory T.38
// pipe and run on a virtual clock: a whole fax call in a few milliseconds.
func Example() {
	clk := t30.NewVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	pipe := t38.NewPipe(clk, 20*time.Millisecond)

	caller, _ := terminal.New(terminal.Config{Clock: clk, Version: 2, Redundancy: 2}, pipe.End(0))
	answerer, _ := terminal.New(terminal.Config{Clock: clk, Version: 2, Redundancy: 2}, pipe.End(1))
	pipe.End(0).SetReceiver(caller)
	pipe.End(1).SetReceiver(answerer)

	pg, _ := t4test.Page("text", page.WidthA4, 400, 1)
	pg.Res = page.Fine
	sender, _ := t30.New(t30.Config{Role: t30.Calling, Ident: "+31 20 555 0100", Pages: []*page.Page{pg}, Clock: clk}, caller)
	receiver, _ := t30.New(t30.Config{Role: t30.Answering, Ident: "+31 20 555 0199", Clock: clk,
		OnPage: func(p t30.ReceivedPage) {
			fmt.Printf("received page %d: %dx%d, %v, ECM %v, identical %v\n",
				p.Number, p.Page.Width, p.Page.Height, p.Encoding, p.ECM, p.Page.Equal(pg))
		}}, answerer)
	caller.SetHandler(sender.Handle)
	answerer.SetHandler(receiver.Handle)

	sender.Start()
	receiver.Start()
	for clk.Step() {
		// Run until both sessions have nothing left to do.
	}
	r := sender.Result()
	fmt.Printf("sender: %s; %d page confirmed by %q at %d bit/s\n", r.Message(), r.Confirmed(), r.RemoteID, r.Pages[0].Mod.Rate())
	// Output:
	// received page 1: 1728x400, MMR, ECM true, identical true
	// sender: the fax went through; 1 page confirmed by "+31 20 555 0199" at 14400 bit/s
}
