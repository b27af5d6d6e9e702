package carrier

import (
	"context"
	"errors"
	"fmt"

	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/fax/terminal"
	"github.com/faxhaven/faxhaven/internal/clock"
)

// Loopback routes faxes between the service's own numbers without leaving
// the process: the demo numbers of the embedded setup. Every fax is a real
// call: a T.30 session on each end, speaking T.38 over UDPTL to each other
// on a virtual clock (fax/terminal), so the pages are coded, trained,
// transmitted, confirmed and decoded exactly as on a line, in milliseconds.
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
	call, err := terminal.Loopback(ctx, t30.Config{Ident: Ident(out.Ident), Pages: out.Pages}, t30.Config{Ident: Ident(out.To)})
	if err != nil {
		return nil, fmt.Errorf("loopback: %w", err)
	}
	res := ResultOf(call.Sender)
	if len(call.Pages) == 0 {
		return res, nil
	}
	in := &Inbound{CallID: out.CallID, From: out.From, To: out.To, RemoteID: call.Receiver.RemoteID, Received: start}
	for _, p := range call.Pages {
		in.Pages = append(in.Pages, ReceivedPage{Page: p.Page, Coded: p.Coded()})
	}
	// The fax counts as delivered only once the receiving side has stored
	// it; a receiver that cannot store it fails the send, which is retried.
	if err := l.Sink.Deliver(ctx, in); errors.Is(err, ErrRefused) {
		return &Result{Status: Rejected, Reason: "the recipient does not accept faxes from this sender", Detail: err.Error()}, nil
	} else if err != nil {
		return &Result{Status: Failed, Reason: "the receiving side could not store the fax", Detail: err.Error()}, nil
	}
	return res, nil
}

// ResultOf turns the sending session's result into a carrier result.
func ResultOf(r t30.Result) *Result {
	res := &Result{PagesSent: r.Confirmed(), RemoteID: r.RemoteID, Reason: r.Message(), Detail: r.Detail, Duration: r.Duration()}
	switch {
	case r.OK():
		res.Status = Delivered
	case r.Reason == t30.ReasonNoFax:
		res.Status = NotFax
	default:
		res.Status = Failed
	}
	return res
}

// Ident makes a T.30 identity (TSI, CSI) of a number: its digits, "+" and
// spaces, at most 20 characters. Every carrier uses it for both ends.
func Ident(s string) string {
	b := make([]byte, 0, 20)
	for i := 0; i < len(s) && len(b) < 20; i++ {
		if c := s[i]; c == '+' || c == ' ' || c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b)
}
