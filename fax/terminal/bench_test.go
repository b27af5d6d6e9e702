package terminal

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/fax/tiff"
	"github.com/faxhaven/faxhaven/internal/peer/spandsp"
)

// cpuTime returns the CPU time (user+system) used so far by this process
// (who = RUSAGE_SELF) or by its waited-for children (RUSAGE_CHILDREN).
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchPage returns SpanDSP's own test page, read with fax/tiff, so that
// both stacks send the same image.
func benchPage(b *testing.B) (string, []*page.Page) {
	b.Helper()
	file := filepath.Join(b.TempDir(), "page.tif")
	spandsp.MakeTIFF(b, file, 1)
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	pages, err := tiff.Read(data, nil)
	if err != nil {
		b.Fatal(err)
	}
	return file, pages
}

// BenchmarkCallVsSpanDSP sends the same page at 14400 bit/s with ECM from
// one terminal to another on virtual time, first Go to Go, then SpanDSP to
// SpanDSP (both in lockstep), and reports the CPU time each terminal spends
// per second of call, and the call time each stack takes.
func BenchmarkCallVsSpanDSP(b *testing.B) {
	spandsp.Peer(b)
	file, pages := benchPage(b)
	var goCPU, goCall, spCPU, spCall time.Duration
	for i := 0; i < b.N; i++ {
		// Go to Go.
		c0 := cpuTime(syscall.RUSAGE_SELF)
		clk := t30.NewVirtualClock(epoch)
		lab := &netLink{clk: clk, net: &netem{rng: rand.New(rand.NewPCG(1, 1))}}
		lba := &netLink{clk: clk, net: &netem{rng: rand.New(rand.NewPCG(2, 1))}}
		ta, _ := New(Config{Clock: clk, Version: 2, Redundancy: 2}, lab)
		tb, _ := New(Config{Clock: clk, Version: 2, Redundancy: 2}, lba)
		lab.to, lba.to = tb, ta
		sa, err := t30.New(t30.Config{Role: t30.Calling, Pages: pages, Clock: clk}, ta)
		if err != nil {
			b.Fatal(err)
		}
		sb, _ := t30.New(t30.Config{Role: t30.Answering, Clock: clk}, tb)
		ta.SetHandler(sa.Handle)
		tb.SetHandler(sb.Handle)
		sa.Start()
		sb.Start()
		for !(done(sa) && done(sb)) && clk.Step() {
		}
		r := sa.Result()
		if !r.OK() || !sb.Result().OK() {
			b.Fatalf("go call failed: %v / %v", r.Err(), sb.Result().Err())
		}
		goCPU += (cpuTime(syscall.RUSAGE_SELF) - c0) / 2
		goCall += r.Duration()

		// SpanDSP to SpanDSP.
		out := filepath.Join(b.TempDir(), "out.tif")
		c0 = cpuTime(syscall.RUSAGE_CHILDREN)
		tx := spandsp.StartLockstep(b, spandsp.Options{Role: spandsp.Send, File: file, ECM: true, Version: 2})
		rx := spandsp.StartLockstep(b, spandsp.Options{Role: spandsp.Receive, File: out, ECM: true, Version: 2})
		ticks := lockstepPair(b, tx, rx)
		rt, err := tx.Finish()
		if err != nil {
			b.Fatal(err)
		}
		rr, err := rx.Finish()
		if err != nil {
			b.Fatal(err)
		}
		if !rt.OK() || !rr.OK() || rt.BitRate != 14400 || !rt.ECM {
			b.Fatalf("spandsp call: %+v / %+v", rt, rr)
		}
		spCPU += (cpuTime(syscall.RUSAGE_CHILDREN) - c0) / 2
		spCall += time.Duration(ticks) * 20 * time.Millisecond
	}
	n := time.Duration(b.N)
	goCPU, goCall, spCPU, spCall = goCPU/n, goCall/n, spCPU/n, spCall/n
	goRate := goCPU.Seconds() / goCall.Seconds()
	spRate := spCPU.Seconds() / spCall.Seconds()
	b.ReportMetric(goRate*1000, "go-cpu-ms/call-s")
	b.ReportMetric(spRate*1000, "spandsp-cpu-ms/call-s")
	b.ReportMetric(goRate/spRate, "cpu-ratio")
	b.ReportMetric(goCall.Seconds(), "go-call-s")
	b.ReportMetric(spCall.Seconds(), "spandsp-call-s")
	b.ReportMetric(goCall.Seconds()/spCall.Seconds(), "call-ratio")
}

// lockstepPair runs two SpanDSP peers against each other in 20 ms ticks
// until both reach phase E, and returns the number of ticks.
func lockstepPair(b *testing.B, tx, rx *spandsp.Lockstep) int {
	peers := [2]*spandsp.Lockstep{tx, rx}
	var seq [2]uint16
	type pkt struct {
		to  int
		seq uint16
		ifp []byte
	}
	var queue []pkt
	send := func(from int, ps []spandsp.Packet) {
		for _, p := range ps {
			for range p.Count {
				queue = append(queue, pkt{1 - from, seq[from], p.IFP})
				seq[from]++
			}
		}
	}
	n := 0
	for ; n < 300*50 && !(tx.Done() && rx.Done()); n++ {
		for i, p := range peers {
			ps, err := p.Advance(160)
			if err != nil {
				b.Fatal(err)
			}
			send(i, ps)
		}
		for len(queue) > 0 {
			q := queue[0]
			queue = queue[1:]
			ps, err := peers[q.to].Receive(q.seq, q.ifp)
			if err != nil {
				b.Fatal(err)
			}
			send(q.to, ps)
		}
	}
	return n
}

// BenchmarkConcurrentUDP runs many real-time fax calls at once, Go to Go
// over UDPTL on loopback, and reports how many failed. The session counts
// come from FAXHAVEN_BENCH_SESSIONS (comma separated, default 100); each
// call is two sessions, a sender and a receiver.
func BenchmarkConcurrentUDP(b *testing.B) {
	spandsp.Peer(b) // for the test page
	_, pages := benchPage(b)
	counts := []int{100}
	if s := os.Getenv("FAXHAVEN_BENCH_SESSIONS"); s != "" {
		counts = counts[:0]
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 2 {
				b.Fatalf("FAXHAVEN_BENCH_SESSIONS: bad count %q", f)
			}
			counts = append(counts, n)
		}
	}
	for _, sessions := range counts {
		b.Run(fmt.Sprint(sessions), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				failed, wall, cpu, worst := concurrentCalls(b, pages, sessions/2)
				b.ReportMetric(float64(failed), "failed-calls")
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cores-busy")
				b.ReportMetric(worst.Seconds(), "slowest-call-s")
			}
		})
	}
}

func concurrentCalls(b *testing.B, pages []*page.Page, calls int) (failed int, wall, cpu, worst time.Duration) {
	conns := make([]*net.UDPConn, 2*calls)
	for i := range conns {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		c.SetReadBuffer(1 << 20)
		conns[i] = c
		defer c.Close()
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	c0 := cpuTime(syscall.RUSAGE_SELF)
	for i := 0; i < calls; i++ {
		snd, rcv := conns[2*i], conns[2*i+1]
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rr t30.Result
			var rerr error
			got := make(chan struct{})
			go func() {
				rr, rerr = CallUDP(ctx, t30.Config{Role: t30.Answering}, UDPConfig{Conn: rcv, Remote: snd.LocalAddr().String(), Redundancy: 2})
				close(got)
			}()
			sr, serr := CallUDP(ctx, t30.Config{Role: t30.Calling, Pages: pages}, UDPConfig{Conn: snd, Remote: rcv.LocalAddr().String(), Redundancy: 2})
			<-got
			mu.Lock()
			defer mu.Unlock()
			if serr != nil || rerr != nil || !sr.OK() || !rr.OK() {
				failed++
				if failed <= 3 {
					b.Logf("call failed: sender %v %v; receiver %v %v", serr, sr.Err(), rerr, rr.Err())
				}
			}
			if d := sr.Duration(); d > worst {
				worst = d
			}
		}()
		// Spread the starts over two seconds, as calls would arrive.
		time.Sleep(2 * time.Second / time.Duration(calls))
	}
	wg.Wait()
	wall = time.Since(start)
	cpu = cpuTime(syscall.RUSAGE_SELF) - c0
	return failed, wall, cpu, worst
}
