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

	var ta, tb *Terminal
	ab, err := newLoopbackLink(clk, func(ifp []byte) { tb.Receive(ifp) }, func() { tb.Lost() })
	if err != nil {
		return nil, err
	}
	ba, err := newLoopbackLink(clk, func(ifp []byte) { ta.Receive(ifp) }, func() { ta.Lost() })
	if err != nil {
		return nil, err
	}
	if ta, err = New(Config{Clock: clk, Version: 2, Send: ab.send, IndicatorRepeat: 3}); err != nil {
		return nil, err
	}
	if tb, err = New(Config{Clock: clk, Version: 2, Send: ba.send, IndicatorRepeat: 3}); err != nil {
		return nil, err
	}
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

// loopbackLink carries IFP packets one way through a UDPTL encoder and
// decoder, with a fixed network delay on the virtual clock.
type loopbackLink struct {
	clk   *t30.VirtualClock
	enc   *t38.Encoder
	dec   *t38.Decoder
	ifp   func([]byte)
	lost  func()
	delay time.Duration
}

func newLoopbackLink(clk *t30.VirtualClock, ifp func([]byte), lost func()) (*loopbackLink, error) {
	enc, err := t38.NewEncoder(t38.EncoderConfig{Recovery: t38.RecoveryRedundancy, Depth: 2})
	if err != nil {
		return nil, err
	}
	dec, err := t38.NewDecoder(t38.DecoderConfig{Version: 2})
	if err != nil {
		return nil, err
	}
	return &loopbackLink{clk: clk, enc: enc, dec: dec, ifp: ifp, lost: lost, delay: 20 * time.Millisecond}, nil
}

func (l *loopbackLink) send(ifp []byte) error {
	dg, err := l.enc.Encode(nil, ifp)
	if err != nil {
		return err
	}
	l.clk.AfterFunc(l.delay, func() {
		ds, err := l.dec.Receive(dg)
		if err != nil {
			return
		}
		for _, d := range ds {
			if d.Lost {
				l.lost()
				continue
			}
			l.ifp(d.IFP)
		}
	})
	return nil
}
