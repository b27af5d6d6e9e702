package carrier

import (
	"context"
	"errors"
	"fmt"

	"github.com/faxhaven/faxhaven/fax/t4"
	"github.com/faxhaven/faxhaven/internal/clock"
)

// Loopback routes faxes between the service's own numbers without leaving
// the process: the demo numbers of the embedded setup. Every page crosses
// the real coding path: it is coded as the sender's machine would send it
// and decoded as the receiver's machine would, so what reaches the inbox is
// a real fax page.
type Loopback struct {
	// Owns reports whether the loopback routes the number, and whether it
	// exists at all.
	Owns func(ctx context.Context, e164 string) (bool, error)
	// Sink takes the faxes it delivers.
	Sink  Sink
	Clock clock.Clock
}

// Send places out on the loopback.
func (l *Loopback) Send(ctx context.Context, out *Outbound) (*Result, error) {
	start := l.Clock.Now()
	ok, err := l.Owns(ctx, out.To)
	if err != nil {
		return nil, fmt.Errorf("loopback: look up %s: %w", out.To, err)
	}
	if !ok {
		return &Result{Status: NoSuchNumber, Reason: "the number does not exist", Detail: "loopback: not a demo number"}, nil
	}
	if len(out.Pages) == 0 {
		return nil, errors.New("loopback: a fax needs at least one page")
	}
	in := &Inbound{CallID: out.CallID, From: out.From, To: out.To, RemoteID: out.Ident, Received: start}
	for i, p := range out.Pages {
		// MMR is what two modern machines with ECM agree on.
		coded, err := t4.Encode(p, t4.Options{Format: t4.MMR, EndOfPage: true})
		if err != nil {
			return &Result{Status: Failed, Reason: "a page could not be encoded", Detail: fmt.Sprintf("page %d: %v", i+1, err)}, nil
		}
		got, stats, err := coded.Decode()
		if err != nil {
			return &Result{Status: Failed, Reason: fmt.Sprintf("page %d was not confirmed", i+1), Detail: err.Error()}, nil
		}
		coded.Stats = &stats
		in.Pages = append(in.Pages, ReceivedPage{Page: got, Coded: coded})
	}
	// The receiving side stores the fax before the call is confirmed.
	if err := l.Sink.Deliver(ctx, in); err != nil {
		return &Result{Status: Failed, Reason: "the receiving side could not store the fax", Detail: err.Error()}, nil
	}
	return &Result{Status: Delivered, PagesSent: len(in.Pages), Reason: "the fax went through", Duration: l.Clock.Now().Sub(start)}, nil
}
