// Command sip benchmarks Faxhaven's SIP user agent (internal/sip) on
// loopback addresses. It is a benchmark, not a test: it prints numbers.
//
//	go run ./bench/sip cps -rate 100 -calls 2000 -faxes 20
//
// drives inbound T.38 calls from sipp (Debian sip-tester) at a set rate,
// each answered, set up and torn down at once (INVITE, 200, ACK, BYE),
// while -faxes real-time faxes run between two Faxhaven user agents, and
// then runs sipp against sipp (its built-in uac and uas) at the same rate
// as the anchor.
//
//	go run ./bench/sip concurrent -calls 1000
//
// sends -calls one-page faxes at once from one Faxhaven user agent to
// another over SIP and T.38 in real time and counts failed faxes.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
	"github.com/faxhaven/faxhaven/internal/carrier"
	"github.com/faxhaven/faxhaven/internal/sip"
)

const did = "+31970100001"

type countSink struct{ n atomic.Int64 }

func (s *countSink) Deliver(context.Context, *carrier.Inbound) error {
	s.n.Add(1)
	return nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./bench/sip cps|concurrent [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	rate := fs.Int("rate", 100, "cps: calls per second sipp offers")
	calls := fs.Int("calls", 1000, "cps: calls sipp makes; concurrent: faxes sent at once")
	faxes := fs.Int("faxes", 0, "cps: real-time faxes running during the load")
	fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "cps":
		err = cps(*rate, *calls, *faxes)
	case "concurrent":
		err = concurrent(*calls)
	default:
		err = fmt.Errorf("unknown benchmark %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/sip:", err)
		os.Exit(1)
	}
}

// pair starts a receiving UA that owns did and a sending UA whose one
// trunk is the receiver.
func pair(maxCalls int) (send, recv *sip.UA, sink *countSink, err error) {
	sink = &countSink{}
	owns := func(_ context.Context, n string) (bool, error) { return n == did, nil }
	recv, err = sip.New(sip.Config{Listen: "127.0.0.1:0", MaxInbound: maxCalls,
		Trunks: []sip.Trunk{{Name: "loop", Host: "127.0.0.1:9"}}, Owns: owns, Sink: sink})
	if err != nil {
		return nil, nil, nil, err
	}
	recv.Start(context.Background())
	send, err = sip.New(sip.Config{Listen: "127.0.0.1:0", RingTimeout: 30 * time.Second,
		Trunks: []sip.Trunk{{Name: "recv", Host: recv.Addr().String()}}, Owns: owns, Sink: sink})
	if err != nil {
		recv.Close()
		return nil, nil, nil, err
	}
	send.Start(context.Background())
	return send, recv, sink, nil
}

func onePage() ([]*page.Page, error) {
	p, err := t4test.Page("text", 1728, 400, 1)
	if err != nil {
		return nil, err
	}
	p.Res = page.Fine
	return []*page.Page{p}, nil
}

// sendAll sends n faxes at once and returns how many were delivered.
func sendAll(send *sip.UA, n int, pages []*page.Page) (ok int, fails map[string]int) {
	var mu sync.Mutex
	fails = map[string]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := send.Send(context.Background(), &carrier.Outbound{CallID: strconv.Itoa(i), From: "+31201234567", To: did, Ident: "+31201234567", Pages: pages})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				fails[err.Error()]++
			case res.Status == carrier.Delivered:
				ok++
			default:
				fails[res.Status.String()+": "+res.Reason]++
			}
		}()
	}
	wg.Wait()
	return ok, fails
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func concurrent(n int) error {
	pages, err := onePage()
	if err != nil {
		return err
	}
	send, recv, sink, err := pair(n + 10)
	if err != nil {
		return err
	}
	defer send.Close()
	defer recv.Close()
	start, cpu0 := time.Now(), cpuTime()
	ok, fails := sendAll(send, n, pages)
	wall, cpu := time.Since(start), cpuTime()-cpu0
	// Deliveries end just after the sender's result.
	deadline := time.Now().Add(10 * time.Second)
	for sink.n.Load() < int64(ok) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("concurrent faxes: %d sent at once, %d delivered, %d stored by the receiver, %d failed; wall %.1f s, CPU %.1f s (%.0f ms CPU per fax, both ends)\n",
		n, ok, sink.n.Load(), n-ok, wall.Seconds(), cpu.Seconds(), float64(cpu.Milliseconds())/float64(n))
	for why, c := range fails {
		fmt.Printf("  failed %d: %s\n", c, why)
	}
	return nil
}

func freePort() (int, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// runSipp runs sipp and returns its wall time and its successful and
// failed call counts from the statistics file.
func runSipp(dir string, args ...string) (time.Duration, int, int, error) {
	args = append(args, "-nostdin", "-i", "127.0.0.1", "-trace_stat", "-stf", "stat.csv", "-fd", "3600", "-timeout", "300s")
	cmd := exec.Command("sipp", args...)
	cmd.Dir = dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return 0, 0, 0, fmt.Errorf("sipp: %v: %s", err, out)
	}
	ok, failed, serr := sippStats(filepath.Join(dir, "stat.csv"))
	if serr != nil {
		return 0, 0, 0, fmt.Errorf("sipp statistics: %v (%v: %s)", serr, err, out)
	}
	return wall, ok, failed, nil
}

func sippStats(path string) (ok, failed int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	var head, last []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ";")
		if head == nil {
			head = fields
		} else {
			last = fields
		}
	}
	for i, h := range head {
		if i >= len(last) {
			break
		}
		switch h {
		case "SuccessfulCall(C)":
			ok, _ = strconv.Atoi(last[i])
		case "FailedCall(C)":
			failed, _ = strconv.Atoi(last[i])
		}
	}
	if last == nil {
		return 0, 0, errors.New("no statistics line")
	}
	return ok, failed, nil
}

func cps(rate, calls, faxes int) error {
	if _, err := exec.LookPath("sipp"); err != nil {
		return errors.New("sipp is missing; install the Debian package sip-tester")
	}
	scenario, err := filepath.Abs("internal/sip/testdata/inbound_t38.xml")
	if err != nil {
		return err
	}
	if _, err := os.Stat(scenario); err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}
	send, recv, _, err := pair(calls + faxes + 10)
	if err != nil {
		return err
	}
	defer send.Close()
	defer recv.Close()

	// Faxes in flight during the load.
	var faxOK atomic.Int64
	var faxWG sync.WaitGroup
	if faxes > 0 {
		pages, err := onePage()
		if err != nil {
			return err
		}
		faxWG.Add(1)
		go func() {
			defer faxWG.Done()
			ok, _ := sendAll(send, faxes, pages)
			faxOK.Store(int64(ok))
		}()
		time.Sleep(500 * time.Millisecond) // let them get to T.38
	}

	dir, err := os.MkdirTemp("", "faxhaven-bench-sip")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sink, err := freePort()
	if err != nil {
		return err
	}
	local, err := freePort()
	if err != nil {
		return err
	}
	cpu0 := time.Now()
	c0 := cpuTime()
	wall, ok, failed, err := runSipp(dir, "-sf", scenario, "-s", did, "-p", strconv.Itoa(local), "-r", strconv.Itoa(rate),
		"-m", strconv.Itoa(calls), "-l", strconv.Itoa(calls), "-d", "0", "-set", "t38port", strconv.Itoa(sink), recv.Addr().String())
	if err != nil {
		return err
	}
	ourCPU := cpuTime() - c0
	_ = cpu0
	faxWG.Wait()
	fmt.Printf("faxhaven: %d calls offered at %d/s: %d set up and torn down, %d failed, in %.2f s = %.0f calls/s; our CPU %.2f s (%.2f ms per call, faxes included); %d of %d faxes during the load delivered\n",
		calls, rate, ok, failed, wall.Seconds(), float64(ok)/wall.Seconds(), ourCPU.Seconds(), float64(ourCPU.Microseconds())/1000/float64(max(ok, 1)), faxOK.Load(), faxes)

	// Anchor: sipp's own UAC against sipp's own UAS, same rate and count.
	uasPort, err := freePort()
	if err != nil {
		return err
	}
	uasDir, _ := os.MkdirTemp(dir, "uas")
	uas := exec.Command("sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", strconv.Itoa(uasPort), "-nostdin", "-timeout", "300s")
	uas.Dir = uasDir
	if err := uas.Start(); err != nil {
		return err
	}
	defer func() { uas.Process.Kill(); uas.Wait() }()
	time.Sleep(300 * time.Millisecond)
	uacDir, _ := os.MkdirTemp(dir, "uac")
	awall, aok, afailed, err := runSipp(uacDir, "-sn", "uac", "-s", "1", "-r", strconv.Itoa(rate), "-m", strconv.Itoa(calls),
		"-l", strconv.Itoa(calls), "-d", "0", "127.0.0.1:"+strconv.Itoa(uasPort))
	if err != nil {
		return err
	}
	fmt.Printf("anchor sipp uac -> sipp uas: %d calls at %d/s: %d ok, %d failed, in %.2f s = %.0f calls/s\n",
		calls, rate, aok, afailed, awall.Seconds(), float64(aok)/awall.Seconds())
	fmt.Printf("ratio faxhaven/sipp calls per second: %.2f\n", (float64(ok)/wall.Seconds())/(float64(aok)/awall.Seconds()))
	return nil
}
