package terminal

import (
	"context"
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
	// IndicatorRepeat is Config.IndicatorCopies; 0 means 3.
	IndicatorRepeat int
	// MaxDatagram is the far end's T38FaxMaxDatagram; 0 for no limit.
	MaxDatagram int
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
	tr := t38.NewConnTransport(conn, remote)
	term, err := New(Config{Version: u.Version, Redundancy: u.Redundancy, IndicatorCopies: u.IndicatorRepeat, MaxDatagram: u.MaxDatagram}, tr)
	if err != nil {
		return t30.Result{}, err
	}
	cfg.Clock = t30.SystemClock()
	s, err := t30.New(cfg, term)
	if err != nil {
		return t30.Result{}, err
	}
	term.SetHandler(s.Handle)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Serve ends with an error when the read deadline below stops
		// it, or with nil when the connection closes.
		tr.Serve(term)
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
	term.Hangup()
	// Unblock the reader: a past deadline makes the read return.
	conn.SetReadDeadline(time.Now())
	wg.Wait()
	conn.SetReadDeadline(time.Time{})
	return s.Result(), nil
}
