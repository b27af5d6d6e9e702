package t38

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Pipe is an in-memory packet link between two ends, timed by a Clock:
// with a VirtualClock two Terminals can run a whole call in virtual time.
type Pipe struct {
	clock   Clock
	latency time.Duration
	ends    [2]*PipeEnd

	mu sync.Mutex
	// Drop, when set, is asked about every datagram; returning true loses
	// it. from is 0 or 1, the end that sent it.
	Drop func(from int, datagram []byte) bool
}

// PipeEnd is one end of a Pipe. It is a Sender; what it sends arrives at
// the Receiver of the other end after the Pipe's latency.
type PipeEnd struct {
	p    *Pipe
	i    int
	mu   sync.Mutex
	recv Receiver
}

// NewPipe returns a Pipe whose datagrams take latency to cross.
func NewPipe(c Clock, latency time.Duration) *Pipe {
	p := &Pipe{clock: c, latency: latency}
	p.ends[0] = &PipeEnd{p: p, i: 0}
	p.ends[1] = &PipeEnd{p: p, i: 1}
	return p
}

// End returns end 0 or 1.
func (p *Pipe) End(i int) *PipeEnd { return p.ends[i] }

// SetReceiver sets where datagrams arriving at this end go.
func (e *PipeEnd) SetReceiver(r Receiver) {
	e.mu.Lock()
	e.recv = r
	e.mu.Unlock()
}

// Send carries a copy of datagram to the other end.
func (e *PipeEnd) Send(datagram []byte) error {
	b := append([]byte(nil), datagram...)
	e.p.mu.Lock()
	drop := e.p.Drop != nil && e.p.Drop(e.i, b)
	e.p.mu.Unlock()
	if drop {
		return nil
	}
	other := e.p.ends[1-e.i]
	e.p.clock.AfterFunc(e.p.latency, func() {
		other.mu.Lock()
		r := other.recv
		other.mu.Unlock()
		if r != nil {
			r.Receive(b) // a malformed datagram is the receiver's to count
		}
	})
	return nil
}

// ConnTransport carries UDPTL over a net.PacketConn (normally UDP) to one
// remote address.
type ConnTransport struct {
	conn net.PacketConn

	// Latch makes the transport follow the far end to the port it really
	// sends from: a NAT in front of it often rewrites the port given in
	// SDP. Datagrams from the remote's host on another port are taken, and
	// from the first of them on, datagrams are sent back there (symmetric
	// UDPTL). Other hosts are never heard.
	Latch bool

	mu     sync.Mutex
	remote net.Addr
}

// NewConnTransport returns a transport that sends to remote over conn.
func NewConnTransport(conn net.PacketConn, remote net.Addr) *ConnTransport {
	return &ConnTransport{conn: conn, remote: remote}
}

// Send writes one datagram to the remote address.
func (c *ConnTransport) Send(datagram []byte) error {
	_, err := c.conn.WriteTo(datagram, c.Remote())
	return err
}

// Remote returns the address datagrams go to.
func (c *ConnTransport) Remote() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.remote
}

// accept reports whether a datagram from is the far end's, latching onto a
// new port of the same host when Latch is set.
func (c *ConnTransport) accept(from net.Addr) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if from.String() == c.remote.String() {
		return true
	}
	if !c.Latch {
		return false
	}
	fu, ok1 := from.(*net.UDPAddr)
	ru, ok2 := c.remote.(*net.UDPAddr)
	if !ok1 || !ok2 || !fu.IP.Equal(ru.IP) {
		return false
	}
	c.remote = from
	return true
}

// Serve reads datagrams until the connection is closed and hands those
// from the remote address to r. It returns nil once the connection is
// closed.
func (c *ConnTransport) Serve(r Receiver) error {
	buf := make([]byte, 65536)
	for {
		n, from, err := c.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("t38: read UDPTL: %w", err)
		}
		if !c.accept(from) {
			continue // not our peer
		}
		r.Receive(buf[:n]) // the Terminal counts malformed datagrams
	}
}
