package t38

import (
	"net"
	"testing"
	"time"
)

type collect chan []byte

func (c collect) Receive(b []byte) error {
	c <- append([]byte(nil), b...)
	return nil
}

// TestConnTransportLatch checks symmetric UDPTL: with Latch, a far end
// that sends from another port of the same host is heard and answered
// there; without it, it is ignored.
func TestConnTransportLatch(t *testing.T) {
	for _, latch := range []bool{false, true} {
		local, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		// The SDP names one port; the peer really sends from another.
		sdpPort, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		natted, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		tr := NewConnTransport(local, sdpPort.LocalAddr())
		tr.Latch = latch
		got := make(collect, 4)
		go tr.Serve(got)

		natted.WriteTo([]byte("from behind NAT"), local.LocalAddr())
		select {
		case b := <-got:
			if !latch {
				t.Fatalf("without Latch a datagram from another port was taken: %q", b)
			}
		case <-time.After(300 * time.Millisecond):
			if latch {
				t.Fatal("with Latch the datagram from the NAT port was not taken")
			}
		}
		if err := tr.Send([]byte("reply")); err != nil {
			t.Fatal(err)
		}
		want := sdpPort
		if latch {
			want = natted
		}
		want.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 64)
		n, _, err := want.ReadFrom(buf)
		if err != nil || string(buf[:n]) != "reply" {
			t.Fatalf("latch=%v: the reply did not reach %v: %v", latch, want.LocalAddr(), err)
		}
		local.Close()
		sdpPort.Close()
		natted.Close()
	}
}
