package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
	"github.com/faxhaven/faxhaven/fax/terminal"
	"github.com/faxhaven/faxhaven/internal/carrier"
	"github.com/faxhaven/faxhaven/internal/peer"
)

// The service's number in these tests.
const did = "+31970100001"

// sink keeps delivered faxes.
type sink struct {
	mu  sync.Mutex
	got []*carrier.Inbound
	ch  chan *carrier.Inbound
}

func newSink() *sink { return &sink{ch: make(chan *carrier.Inbound, 16)} }

func (s *sink) Deliver(_ context.Context, in *carrier.Inbound) error {
	s.mu.Lock()
	s.got = append(s.got, in)
	s.mu.Unlock()
	s.ch <- in
	return nil
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// newUA starts a user agent on a loopback port with one trunk at
// trunkHost, timers shortened for tests.
func newUA(t *testing.T, trunks []Trunk, mod func(*Config)) (*UA, *sink) {
	t.Helper()
	s := newSink()
	cfg := Config{
		Listen:      "127.0.0.1:0",
		Trunks:      trunks,
		RingTimeout: 2 * time.Second,
		MinSE:       time.Second,
		SwitchWait:  time.Second,
		// sipp scenarios expect calls, not pings; TestTrunkPing pings.
		PingInterval: -1,
		Owns:         func(_ context.Context, n string) (bool, error) { return n == did, nil },
		Sink:         s,
	}
	if os.Getenv("FAXHAVEN_SIP_DEBUG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if mod != nil {
		mod(&cfg)
	}
	u, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u.Start(context.Background())
	t.Cleanup(func() { u.Close() })
	return u, s
}

// freePort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// sipp runs the independent SIP peer with a scenario from testdata.
type sipp struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
	dir  string
}

func startSipp(t *testing.T, scenario string, args ...string) *sipp {
	t.Helper()
	bin := peer.Command(t, "sipp", "sip-tester")
	sf, err := filepath.Abs(filepath.Join("testdata", scenario))
	if err != nil {
		t.Fatal(err)
	}
	r := &sipp{done: make(chan error, 1), dir: t.TempDir()}
	all := append([]string{"-sf", sf, "-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin", "-timeout", "60s", "-timeout_error", "-trace_err", "-trace_msg"}, args...)
	r.cmd = exec.Command(bin, all...)
	r.cmd.Dir = r.dir
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start sipp: %v", err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			<-r.done
		}
		if t.Failed() {
			t.Logf("sipp output:\n%s\n%s", r.out.String(), r.logs())
		}
	})
	return r
}

// logs returns the ends of sipp's message and error logs.
func (r *sipp) logs() string {
	msgs, _ := filepath.Glob(filepath.Join(r.dir, "*"))
	var logs []byte
	for _, m := range msgs {
		b, _ := exec.Command("tail", "-c", "20000", m).Output()
		logs = append(logs, fmt.Sprintf("\n--- %s\n", filepath.Base(m))...)
		logs = append(logs, b...)
	}
	return string(logs)
}

// wait waits for sipp to finish and fails the test unless every call of
// the scenario passed.
func (r *sipp) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-r.done:
		if err != nil || os.Getenv("FAXHAVEN_SIP_DEBUG") != "" {
			logs := r.logs()
			if err == nil {
				t.Logf("sipp:\n%s", logs)
				return
			}
			t.Fatalf("sipp failed: %v\n%s", err, logs)
		}
	case <-time.After(90 * time.Second):
		r.cmd.Process.Kill()
		t.Fatal("sipp did not finish in 90 s")
	}
}

func testPages(t *testing.T, n int) []*page.Page {
	t.Helper()
	var ps []*page.Page
	for i := range n {
		p, err := t4test.Page("text", 1728, 200, uint64(i+7))
		if err != nil {
			t.Fatal(err)
		}
		p.Res = page.Fine
		ps = append(ps, p)
	}
	return ps
}

// waitCall waits until the UA has a call in T.38 and returns it.
func waitCall(t *testing.T, u *UA) *call {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		u.mu.Lock()
		for _, c := range u.calls {
			select {
			case <-c.switched:
				u.mu.Unlock()
				return c
			default:
			}
		}
		u.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no call reached T.38 within 20 s")
	return nil
}

// waitIdle waits until the UA has no call left and every call slot is
// free again.
func waitIdle(t *testing.T, u *UA) {
	t.Helper()
	busy := func() string {
		u.mu.Lock()
		defer u.mu.Unlock()
		if len(u.calls) > 0 || u.inbound > 0 {
			return fmt.Sprintf("%d calls up, %d inbound slots taken", len(u.calls), u.inbound)
		}
		for _, tr := range u.trunks {
			tr.mu.Lock()
			n := tr.active
			tr.mu.Unlock()
			if n != 0 {
				return fmt.Sprintf("trunk %s: %d call slots taken", tr.Name, n)
			}
		}
		return ""
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b := busy()
		if b == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the calls: %s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// faxPeer is the far end's fax machine: a T.30 terminal on a UDPTL socket.
type faxPeer struct {
	conn *net.UDPConn
	port int
}

func newFaxPeer(t *testing.T) *faxPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &faxPeer{conn: c, port: c.LocalAddr().(*net.UDPAddr).Port}
}

// run runs a fax call with the UA's side of c: sending pages, or receiving
// when pages is empty.
func (p *faxPeer) run(ctx context.Context, c *call, pages []*page.Page) (t30.Result, []t30.ReceivedPage, error) {
	var got []t30.ReceivedPage
	cfg := t30.Config{Role: t30.Calling, Ident: "+31201234567", Pages: pages}
	if len(pages) == 0 {
		cfg.Role = t30.Answering
		cfg.OnPage = func(rp t30.ReceivedPage) { got = append(got, rp) }
	}
	res, err := terminal.CallUDP(ctx, cfg, terminal.UDPConfig{Conn: p.conn, Remote: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port())), Redundancy: 3})
	return res, got, err
}

func localTrunk(name string, port int) Trunk {
	return Trunk{Name: name, Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
}

// An inbound INVITE with a T.38 offer is answered with T.38 and a session
// timer; a fax sent by the far end's machine, with a session refresh while
// the page is on its way, lands in the Sink pixel for pixel; Faxhaven hangs
// up when the fax is done.
func TestInboundFaxWithRefresh(t *testing.T) {
	t.Parallel()
	u, s := newUA(t, []Trunk{localTrunk("local", 5999)}, nil)
	fp := newFaxPeer(t)
	r := startSipp(t, "inbound_fax_refresh.xml", "-m", "1", "-s", did, "-p", strconv.Itoa(freePort(t)),
		"-set", "t38port", strconv.Itoa(fp.port), "-d", "2500", u.Addr().String())
	c := waitCall(t, u)
	pages := testPages(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, _, err := fp.run(ctx, c, pages)
	if err != nil || !res.OK() {
		t.Fatalf("far end's fax: %v %s (%s)", err, res.Message(), res.Detail)
	}
	r.wait(t)
	var in *carrier.Inbound
	select {
	case in = <-s.ch:
	case <-time.After(10 * time.Second):
		t.Fatal("the fax was not delivered")
	}
	if in.To != did || in.From != "+31201234567" || in.RemoteID != "+31201234567" || len(in.Pages) != len(pages) {
		t.Fatalf("delivered to %q from %q (%q) with %d pages", in.To, in.From, in.RemoteID, len(in.Pages))
	}
	for i, p := range in.Pages {
		if !p.Page.Equal(pages[i]) {
			t.Errorf("page %d arrived with other pixels", i+1)
		}
	}
	c.mu.Lock()
	refreshes := c.refreshes
	c.mu.Unlock()
	if refreshes < 1 {
		t.Errorf("the session refresh was not seen")
	}
	waitIdle(t, u)
}

// An inbound audio call that the trunk switches to T.38 by re-INVITE.
func TestInboundAudioThenT38(t *testing.T) {
	t.Parallel()
	u, s := newUA(t, []Trunk{localTrunk("local", 5999)}, func(c *Config) { c.SwitchWait = 10 * time.Second })
	fp := newFaxPeer(t)
	r := startSipp(t, "inbound_audio_reinvite.xml", "-m", "1", "-s", did, "-p", strconv.Itoa(freePort(t)),
		"-set", "t38port", strconv.Itoa(fp.port), u.Addr().String())
	c := waitCall(t, u)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pages := testPages(t, 1)
	if res, _, err := fp.run(ctx, c, pages); err != nil || !res.OK() {
		t.Fatalf("far end's fax: %v %s (%s)", err, res.Message(), res.Detail)
	}
	r.wait(t)
	select {
	case in := <-s.ch:
		if len(in.Pages) != 1 || !in.Pages[0].Page.Equal(pages[0]) {
			t.Errorf("delivered %d pages, or other pixels", len(in.Pages))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the fax was not delivered")
	}
	waitIdle(t, u)
}

// An inbound T.38 call whose far end hangs up before any fax: nothing is
// delivered and nothing is left behind.
func TestInboundHangupBeforeFax(t *testing.T) {
	t.Parallel()
	u, s := newUA(t, []Trunk{localTrunk("local", 5999)}, nil)
	r := startSipp(t, "inbound_t38.xml", "-m", "1", "-s", did, "-p", strconv.Itoa(freePort(t)),
		"-set", "t38port", strconv.Itoa(freePort(t)), "-d", "300", u.Addr().String())
	r.wait(t)
	waitIdle(t, u)
	if s.count() != 0 {
		t.Errorf("%d faxes delivered from a call without one", s.count())
	}
}

// Outbound calls against a trunk that answers in the ways a trunk does.
func TestOutboundRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		want     carrier.Status
		retry    bool
	}{
		{"uas_486.xml", carrier.Busy, true},
		{"uas_488.xml", carrier.Rejected, false},
		{"uas_404.xml", carrier.NoSuchNumber, false},
		{"uas_503.xml", carrier.TrunkDown, true},
		{"uas_noanswer.xml", carrier.NoAnswer, true},
		{"uas_422.xml", carrier.Busy, true}, // asked again with the trunk's Min-SE
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			port := freePort(t)
			r := startSipp(t, tt.scenario, "-m", "1", "-p", strconv.Itoa(port))
			u, _ := newUA(t, []Trunk{localTrunk("local", port)}, nil)
			res, err := u.Send(context.Background(), &carrier.Outbound{CallID: "x", From: "+31970100001", To: "+31201234567", Ident: "+31970100001", Pages: testPages(t, 1)})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.want || res.Status.Retryable() != tt.retry {
				t.Errorf("status %v (%s; %s), want %v", res.Status, res.Reason, res.Detail, tt.want)
			}
			r.wait(t)
			waitIdle(t, u)
		})
	}
}

// An outbound fax on a trunk that answers with T.38 and a short session
// timer: the pages land pixel for pixel at the far end's machine while
// Faxhaven refreshes the session mid-fax, then Faxhaven hangs up.
func TestOutboundFax(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	fp := newFaxPeer(t)
	r := startSipp(t, "uas_t38.xml", "-m", "1", "-p", strconv.Itoa(port), "-set", "t38port", strconv.Itoa(fp.port), "-set", "se", "2")
	u, _ := newUA(t, []Trunk{localTrunk("local", port)}, nil)
	pages := testPages(t, 2)
	type peerOut struct {
		res   t30.Result
		pages []t30.ReceivedPage
		err   error
		c     *call
	}
	done := make(chan peerOut, 1)
	go func() {
		c := waitCall(t, u)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		res, got, err := fp.run(ctx, c, nil)
		done <- peerOut{res, got, err, c}
	}()
	res, err := u.Send(context.Background(), &carrier.Outbound{CallID: "x", From: "+31970100001", To: "+31201234567", Ident: "+31970100001", Pages: pages})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != carrier.Delivered || res.PagesSent != 2 {
		t.Fatalf("status %v, %d pages (%s; %s)", res.Status, res.PagesSent, res.Reason, res.Detail)
	}
	p := <-done
	if p.err != nil {
		t.Fatal(p.err)
	}
	if len(p.pages) != len(pages) {
		t.Fatalf("the far end received %d pages", len(p.pages))
	}
	for i := range pages {
		if !p.pages[i].Page.Equal(pages[i]) {
			t.Errorf("page %d arrived with other pixels", i+1)
		}
	}
	p.c.mu.Lock()
	n := p.c.refreshes
	p.c.mu.Unlock()
	if n < 1 {
		t.Errorf("no session refresh during a fax with a 2 s session timer")
	}
	r.wait(t)
	waitIdle(t, u)
}

// A trunk whose first choice fails with 503 hands the call to the next.
func TestOutboundFailover(t *testing.T) {
	t.Parallel()
	bad, good := freePort(t), freePort(t)
	r1 := startSipp(t, "uas_503.xml", "-m", "1", "-p", strconv.Itoa(bad))
	r2 := startSipp(t, "uas_486.xml", "-m", "1", "-p", strconv.Itoa(good))
	first, second := localTrunk("first", bad), localTrunk("second", good)
	first.Priority, second.Priority = 1, 2
	u, _ := newUA(t, []Trunk{second, first}, nil)
	res, err := u.Send(context.Background(), &carrier.Outbound{To: "+31201234567", Pages: testPages(t, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != carrier.Busy {
		t.Errorf("status %v (%s), want busy from the second trunk", res.Status, res.Detail)
	}
	r1.wait(t)
	r2.wait(t)
}

// Registration with digest authentication, checked by sipp's verifyauth,
// then an OPTIONS ping: what "faxhaven sip check" does.
func TestRegisterAndCheck(t *testing.T) {
	tests := []struct {
		pass string
		ok   bool
	}{{"s3cret", true}, {"wrong", false}}
	for _, tt := range tests {
		port := freePort(t)
		r := startSipp(t, "uas_register.xml", "-m", "2", "-p", strconv.Itoa(port), "-set", "user", "faxuser", "-set", "pass", "s3cret")
		tr := localTrunk("provider", port)
		tr.Register, tr.Username, tr.Password, tr.Domain = true, "faxuser", tt.pass, "faxhaven.test"
		u, _ := newUA(t, []Trunk{tr}, func(c *Config) { c.NoKeepRegistered = true })
		rep, err := u.Check(context.Background(), "provider")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Registered != tt.ok || (rep.RegisterErr == nil) != tt.ok {
			t.Errorf("password %q: registered %v, err %v", tt.pass, rep.Registered, rep.RegisterErr)
		}
		if tt.ok && rep.Granted != 120*time.Second {
			t.Errorf("granted %v, want the registrar's 120 s", rep.Granted)
		}
		if rep.OptionsCode != 200 || rep.OptionsErr != nil {
			t.Errorf("OPTIONS: %d %v", rep.OptionsCode, rep.OptionsErr)
		}
		if !tt.ok && rep.RegisterErr != nil && !bytes.Contains([]byte(rep.RegisterErr.Error()), []byte("403")) {
			t.Errorf("error %q does not name the 403", rep.RegisterErr)
		}
		r.wait(t)
	}
}

// A registering trunk is registered as the UA starts, and outbound calls
// use it only once it is.
func TestKeepRegistered(t *testing.T) {
	port := freePort(t)
	tr := localTrunk("provider", port)
	tr.Register, tr.Username, tr.Password = true, "faxuser", "s3cret"
	u, _ := newUA(t, []Trunk{tr}, nil)
	if ok, _ := u.trunks[0].usable(); ok {
		t.Fatal("the trunk is usable before it registered")
	}
	r := startSipp(t, "uas_register.xml", "-m", "1", "-p", strconv.Itoa(port), "-set", "user", "faxuser", "-set", "pass", "s3cret")
	deadline := time.Now().Add(40 * time.Second)
	for {
		ok, why := u.trunks[0].usable()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not registered after 40 s: %s", why)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.wait(t)
}

// An audio-first outbound call: our re-INVITE to T.38 meets 491 (glare),
// the trunk's own re-INVITE to T.38 wins, ours is not repeated, and the
// fax goes through.
func TestOutboundAudioFirstGlare(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	fp := newFaxPeer(t)
	r := startSipp(t, "uas_audio_glare.xml", "-m", "1", "-p", strconv.Itoa(port), "-set", "t38port", strconv.Itoa(fp.port))
	tr := localTrunk("local", port)
	tr.AudioFirst = true
	u, _ := newUA(t, []Trunk{tr}, func(c *Config) { c.SwitchWait = 200 * time.Millisecond })
	done := make(chan error, 1)
	go func() {
		c := waitCall(t, u)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		res, got, err := fp.run(ctx, c, nil)
		if err == nil && (!res.OK() || len(got) != 1) {
			err = fmt.Errorf("far end: %s, %d pages", res.Message(), len(got))
		}
		done <- err
	}()
	res, err := u.Send(context.Background(), &carrier.Outbound{To: "+31201234567", Ident: "+31970100001", Pages: testPages(t, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != carrier.Delivered {
		t.Fatalf("status %v (%s; %s)", res.Status, res.Reason, res.Detail)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r.wait(t)
	waitIdle(t, u)
}

// When the job gives up, a ringing call is cancelled with CANCEL and a
// call in the middle of its fax is hung up with BYE; sipp checks both.
func TestOutboundGivenUp(t *testing.T) {
	t.Parallel()
	t.Run("ringing", func(t *testing.T) {
		port := freePort(t)
		r := startSipp(t, "uas_noanswer.xml", "-m", "1", "-p", strconv.Itoa(port))
		u, _ := newUA(t, []Trunk{localTrunk("local", port)}, func(c *Config) { c.RingTimeout = time.Minute })
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		res, err := u.Send(ctx, &carrier.Outbound{To: "+31201234567", Pages: testPages(t, 1)})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Send given up while ringing: %+v, %v", res, err)
		}
		r.wait(t)
		waitIdle(t, u)
	})
	t.Run("mid-fax", func(t *testing.T) {
		port := freePort(t)
		fp := newFaxPeer(t)
		r := startSipp(t, "uas_t38.xml", "-m", "1", "-p", strconv.Itoa(port), "-set", "t38port", strconv.Itoa(fp.port), "-set", "se", "90")
		u, _ := newUA(t, []Trunk{localTrunk("local", port)}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			c := waitCall(t, u)
			time.Sleep(2 * time.Second)
			cancel()
			pctx, pcancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer pcancel()
			fp.run(pctx, c, nil)
		}()
		res, err := u.Send(ctx, &carrier.Outbound{To: "+31201234567", Pages: testPages(t, 3)})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Send given up mid-fax: %+v, %v", res, err)
		}
		r.wait(t)
		waitIdle(t, u)
	})
}

// Outbound INVITEs answer the trunk's digest challenge; sipp's verifyauth
// lets the call through (to a busy line) only with the right password.
func TestOutboundDigest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pass string
		want carrier.Status
	}{{"s3cret", carrier.Busy}, {"wrong", carrier.Rejected}} {
		port := freePort(t)
		r := startSipp(t, "uas_auth_invite.xml", "-m", "1", "-p", strconv.Itoa(port), "-set", "user", "faxuser", "-set", "pass", "s3cret")
		tr := localTrunk("local", port)
		tr.Username, tr.Password = "faxuser", tt.pass
		u, _ := newUA(t, []Trunk{tr}, nil)
		res, err := u.Send(context.Background(), &carrier.Outbound{From: "+31970100001", To: "+31201234567", Pages: testPages(t, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != tt.want {
			t.Errorf("password %q: %v (%s), want %v", tt.pass, res.Status, res.Detail, tt.want)
		}
		r.wait(t)
	}
}

// A static trunk that stops answering OPTIONS is skipped by outbound calls
// at once, instead of after an INVITE timeout.
func TestTrunkPing(t *testing.T) {
	t.Parallel()
	good := freePort(t)
	r := startSipp(t, "uas_486.xml", "-m", "1", "-p", strconv.Itoa(good))
	dead, alive := localTrunk("dead", freePort(t)), localTrunk("alive", good)
	dead.Priority, alive.Priority, alive.NoPing = 1, 2, true
	u, _ := newUA(t, []Trunk{dead, alive}, func(c *Config) { c.PingInterval = 300 * time.Millisecond })
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, why := u.trunk("dead").usable()
		if !ok && strings.Contains(why, "OPTIONS") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dead trunk still counts as usable (%v, %q)", ok, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
	start := time.Now()
	res, err := u.Send(context.Background(), &carrier.Outbound{To: "+31201234567", Pages: testPages(t, 1)})
	if err != nil || res.Status != carrier.Busy {
		t.Fatalf("%+v %v: want busy from the live trunk", res, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the call took %v: the dead trunk was tried", d)
	}
	r.wait(t)
}
