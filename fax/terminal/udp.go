package terminal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/fax/t38"
)

// UDPConfig sets up UDPTL over UDP for one call.
type UDPConfig struct {
	// Local is the address to bind, Remote where to send (host:port).
	Local, Remote string
	// Conn, if set, is used instead of binding Local; the call does not
	// close it.
	Conn *net.UDPConn
	// Redundancy is the UDPTL redundancy depth; 0 sends no redundancy.
	Redundancy int
	// Version is the T.38 version; both ends must agree.
	Version t38.Version
	// IndicatorRepeat is Config.IndicatorRepeat; 0 means 3.
	IndicatorRepeat int
}

// quietFlush is how long the receive side waits for missing datagrams once
// the stream pauses before it gives them up.
const quietFlush = 150 * time.Millisecond

// udpLink carries one Terminal's IFP packets as UDPTL datagrams.
type udpLink struct {
	conn   *net.UDPConn
	remote *net.UDPAddr
	term   *Terminal

	encMu sync.Mutex
	enc   *t38.Encoder

	decMu sync.Mutex
	dec   *t38.Decoder
	quiet *time.Timer
}

func (l *udpLink) send(ifp []byte) error {
	l.encMu.Lock()
	dg, err := l.enc.Encode(nil, ifp)
	l.encMu.Unlock()
	if err != nil {
		return err
	}
	_, err = l.conn.WriteToUDP(dg, l.remote)
	return err
}

// deliver hands decoded packets to the terminal; the caller holds decMu.
func (l *udpLink) deliver(ds []t38.Delivery) {
	for _, d := range ds {
		if d.Lost {
			l.term.Lost()
			continue
		}
		l.term.Receive(d.IFP)
	}
}

func (l *udpLink) read(ctx context.Context) {
	buf := make([]byte, 65536)
	for ctx.Err() == nil {
		n, from, err := l.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if !from.IP.Equal(l.remote.IP) || from.Port != l.remote.Port {
			continue // not our peer
		}
		dg := append([]byte(nil), buf[:n]...)
		l.decMu.Lock()
		ds, err := l.dec.Receive(dg)
		if err == nil {
			l.deliver(ds)
		}
		if l.quiet != nil {
			l.quiet.Stop()
		}
		l.quiet = time.AfterFunc(quietFlush, func() {
			l.decMu.Lock()
			defer l.decMu.Unlock()
			l.deliver(l.dec.Flush())
		})
		l.decMu.Unlock()
	}
}

// CallUDP runs one T.30 call over UDPTL/UDP in real time and returns its
// result. cfg.Clock is ignored: the call runs on the system clock. The call
// ends early, with ReasonCanceled, when ctx is done.
func CallUDP(ctx context.Context, cfg t30.Config, u UDPConfig) (t30.Result, error) {
	remote, err := net.ResolveUDPAddr("udp", u.Remote)
	if err != nil {
		return t30.Result{}, fmt.Errorf("terminal: remote address %q: %w", u.Remote, err)
	}
	conn := u.Conn
	if conn == nil {
		local, err := net.ResolveUDPAddr("udp", u.Local)
		if err != nil {
			return t30.Result{}, fmt.Errorf("terminal: local address %q: %w", u.Local, err)
		}
		conn, err = net.ListenUDP("udp", local)
		if err != nil {
			return t30.Result{}, fmt.Errorf("terminal: bind %s: %w", u.Local, err)
		}
		defer conn.Close()
	}
	rec := t38.RecoveryRedundancy
	if u.Redundancy <= 0 {
		rec = t38.RecoveryNone
	}
	enc, err := t38.NewEncoder(t38.EncoderConfig{Recovery: rec, Depth: u.Redundancy})
	if err != nil {
		return t30.Result{}, fmt.Errorf("terminal: %w", err)
	}
	dec, err := t38.NewDecoder(t38.DecoderConfig{Version: u.Version})
	if err != nil {
		return t30.Result{}, fmt.Errorf("terminal: %w", err)
	}
	link := &udpLink{conn: conn, remote: remote, enc: enc, dec: dec}
	if u.IndicatorRepeat <= 0 {
		u.IndicatorRepeat = 3
	}
	term, err := New(Config{Version: u.Version, Send: link.send, IndicatorRepeat: u.IndicatorRepeat})
	if err != nil {
		return t30.Result{}, err
	}
	link.term = term
	cfg.Clock = t30.SystemClock()
	s, err := t30.New(cfg, term)
	if err != nil {
		return t30.Result{}, err
	}
	term.SetHandler(s.Handle)
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		link.read(rctx)
	}()
	s.Start()
	select {
	case <-s.Done():
	case <-ctx.Done():
		s.Cancel()
		select {
		case <-s.Done():
		case <-time.After(5 * time.Second):
		}
	}
	stop()
	// Unblock the reader: a past deadline makes ReadFromUDP return.
	conn.SetReadDeadline(time.Now())
	wg.Wait()
	conn.SetReadDeadline(time.Time{})
	link.decMu.Lock()
	if link.quiet != nil {
		link.quiet.Stop()
	}
	link.decMu.Unlock()
	return s.Result(), nil
}
