// Command t38 measures how much CPU paced T.38 traffic costs: it runs N
// paced streams of V.17 14400 bit/s non-ECM data, each between two
// fax/t38 Terminals on loopback UDP in real time, and reports CPU seconds
// per stream-second and the number of such streams one core sustains.
//
//	go run ./bench/t38 -streams 200 -duration 10s
//
// Run it with GOMAXPROCS=1 to measure one core.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/faxhaven/faxhaven/fax/t38"
)

type counter struct{ bytes atomic.Int64 }

func (c *counter) HandleIndicator(t38.Indicator) {}
func (c *counter) HandleLoss(int)                {}
func (c *counter) HandleData(_ t38.DataType, f t38.Field) {
	c.bytes.Add(int64(len(f.Data)))
}

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func listen() net.PacketConn {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	return c
}

func main() {
	streams := flag.Int("streams", 100, "paced streams to run at once")
	duration := flag.Duration("duration", 10*time.Second, "air time of data each stream sends")
	redundancy := flag.Int("redundancy", 2, "UDPTL redundancy depth")
	flag.Parse()

	const rate = 14400
	payload := make([]byte, int(duration.Seconds()*rate/8))
	var counters []*counter
	var conns []net.PacketConn
	var senders []*t38.Terminal
	for range *streams {
		a, b := listen(), listen()
		conns = append(conns, a, b)
		ta := t38.NewConnTransport(a, b.LocalAddr())
		tb := t38.NewConnTransport(b, a.LocalAddr())
		cnt := &counter{}
		cfg := t38.TerminalConfig{Version: 2, Recovery: t38.RecoveryRedundancy, Depth: *redundancy}
		snd, err := t38.NewTerminal(cfg, ta, &counter{})
		if err != nil {
			log.Fatal(err)
		}
		rcv, err := t38.NewTerminal(cfg, tb, cnt)
		if err != nil {
			log.Fatal(err)
		}
		go ta.Serve(snd)
		go tb.Serve(rcv)
		counters = append(counters, cnt)
		senders = append(senders, snd)
	}
	runtime.GC()
	c0, w0 := cpu(), time.Now()
	for _, s := range senders {
		s.SendIndicator(t38.IndV17Training14400Short)
		s.SendData(t38.DataV17_14400, t38.FieldT4NonECMSigEnd, payload)
	}
	// Wait until everything arrived (or, if datagrams were dropped or
	// the machine cannot keep up, until twice the air time has passed).
	want := int64(len(payload)) * int64(*streams)
	var got int64
	for deadline := w0.Add(2 * *duration); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got = 0
		for _, c := range counters {
			got += c.bytes.Load()
		}
		if got == want {
			break
		}
	}
	c1, w1 := cpu(), time.Now()
	for _, c := range conns {
		c.Close()
	}
	used := c1 - c0
	perStreamSecond := used.Seconds() / (float64(*streams) * duration.Seconds())
	fmt.Printf("streams=%d duration=%v GOMAXPROCS=%d wall=%.2fs cpu=%.2fs delivered=%.1f%%\n",
		*streams, *duration, runtime.GOMAXPROCS(0), w1.Sub(w0).Seconds(), used.Seconds(), 100*float64(got)/float64(want))
	fmt.Printf("cpu per stream-second: %.3f ms (both ends: sender and receiver Terminal)\n", perStreamSecond*1000)
	fmt.Printf("paced 14400 bit/s streams one core sustains: %.0f", 1/perStreamSecond)
	if got != want {
		fmt.Printf(" (not valid: only %.1f%% delivered in time; the machine fell behind or dropped datagrams)", 100*float64(got)/float64(want))
	}
	fmt.Println()
}
