package terminal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/fax/t38"
)

// LoopbackResult is the outcome of a call run by Loopback: what each end
// saw, and the pages the receiving end accepted.
type LoopbackResult struct {
	Sender, Receiver t30.Result
	Pages            []t30.ReceivedPage
}

// MaxLoopbackCall bounds the virtual length of a Loopback call. T.30's own
// timers end any call long before; this is a guard against a stuck clock.
const MaxLoopbackCall = 4 * time.Hour

// Loopback runs a whole fax call between two Sessions in this process: the
// calling end with send, the answering end with recv, each behind a
// Terminal, joined by UDPTL with redundancy, on a virtual clock. Nothing
// is lost on the way, so the call exercises the real protocol in
// milliseconds of CPU however long it would take on a line. The Clock and
// OnPage fields of the configs are set by Loopback.
func Loopback(ctx context.Context, send, recv t30.Config) (*LoopbackResult, error) {
	clk := t30.NewVirtualClock(time.Now())
	start := clk.Now()
	send.Clock, recv.Clock = clk, clk
	send.Role, recv.Role = t30.Calling, t30.Answering
	res := &LoopbackResult{}
	recv.OnPage = func(p t30.ReceivedPage) { res.Pages = append(res.Pages, p) }

	pipe := t38.NewPipe(clk, 20*time.Millisecond)
	ta, err := New(Config{Clock: clk, Version: 2, Redundancy: 2}, pipe.End(0))
	if err != nil {
		return nil, err
	}
	tb, err := New(Config{Clock: clk, Version: 2, Redundancy: 2}, pipe.End(1))
	if err != nil {
		return nil, err
	}
	pipe.End(0).SetReceiver(ta)
	pipe.End(1).SetReceiver(tb)
	sa, err := t30.New(send, ta)
	if err != nil {
		return nil, fmt.Errorf("terminal: sender: %w", err)
	}
	sb, err := t30.New(recv, tb)
	if err != nil {
		return nil, fmt.Errorf("terminal: receiver: %w", err)
	}
	ta.SetHandler(sa.Handle)
	tb.SetHandler(sb.Handle)
	sa.Start()
	sb.Start()
	for !(finished(sa) && finished(sb)) {
		if err := ctx.Err(); err != nil {
			ta.Hangup()
			tb.Hangup()
			return nil, err
		}
		if clk.Now().Sub(start) > MaxLoopbackCall || !clk.Step() {
			ta.Hangup()
			tb.Hangup()
			return nil, errors.New("terminal: loopback call stalled")
		}
	}
	res.Sender, res.Receiver = sa.Result(), sb.Result()
	return res, nil
}

func finished(s *t30.Session) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}
