package t30

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// callLimit is the harness deadline on virtual time: no call in these tests
// may take longer, whatever goes wrong.
const callLimit = 15 * time.Minute

type call struct {
	clk        *VirtualClock
	a, b       *memModem
	sa, sb     *Session
	received   []ReceivedPage
	resA, resB Result
	elapsed    time.Duration
}

// runCall runs a whole call between cfgA (on modem a) and cfgB (on b) on
// virtual time and fails the test if it does not end within callLimit.
func runCall(t *testing.T, cfgA, cfgB Config, fault func(from string, at time.Duration, ev *Event) bool) *call {
	t.Helper()
	c := &call{clk: NewVirtualClock(epoch)}
	c.a, c.b = newMemPair(c.clk)
	c.a.fault, c.b.fault = fault, fault
	cfgA.Clock, cfgB.Clock = c.clk, c.clk
	logAs := func(who string) func(string, ...any) {
		return func(format string, args ...any) {
			t.Logf("%8.3fs %s: %s", c.clk.Now().Sub(epoch).Seconds(), who, fmt.Sprintf(format, args...))
		}
	}
	if cfgA.Logf == nil {
		cfgA.Logf = logAs("a")
	}
	if cfgB.Logf == nil {
		cfgB.Logf = logAs("b")
	}
	record := func(p ReceivedPage) { c.received = append(c.received, p) }
	if cfgA.OnPage == nil {
		cfgA.OnPage = record
	}
	if cfgB.OnPage == nil {
		cfgB.OnPage = record
	}
	var err error
	if c.sa, err = New(cfgA, c.a); err != nil {
		t.Fatal(err)
	}
	if c.sb, err = New(cfgB, c.b); err != nil {
		t.Fatal(err)
	}
	c.a.handler, c.b.handler = c.sa.Handle, c.sb.Handle
	c.sa.Start()
	c.sb.Start()
	for !(isDone(c.sa) && isDone(c.sb)) {
		if c.clk.Now().Sub(epoch) > callLimit {
			t.Fatalf("call still running after %v of virtual time (a sent %v; b sent %v)", callLimit, c.a.sent, c.b.sent)
		}
		if !c.clk.Step() {
			t.Fatalf("call stalled with nothing scheduled (a done %v, b done %v; a sent %v; b sent %v)",
				isDone(c.sa), isDone(c.sb), c.a.sent, c.b.sent)
		}
	}
	c.resA, c.resB = c.sa.Result(), c.sb.Result()
	c.elapsed = c.clk.Now().Sub(epoch)
	return c
}

func isDone(s *Session) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

func testPages(t *testing.T, n int, res page.Resolution) []*page.Page {
	t.Helper()
	gens := []string{"text", "stripes", "edges"}
	var ps []*page.Page
	for i := 0; i < n; i++ {
		p, err := t4test.Page(gens[i%len(gens)], 1728, 300, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		p.Res = res
		ps = append(ps, p)
	}
	return ps
}

func checkPages(t *testing.T, sent []*page.Page, got []ReceivedPage) {
	t.Helper()
	if len(got) != len(sent) {
		t.Fatalf("received %d pages, sent %d", len(got), len(sent))
	}
	for i := range sent {
		if !got[i].Page.Equal(sent[i]) {
			t.Errorf("page %d differs from the page sent", i+1)
		}
		if got[i].Res != sent[i].Res {
			t.Errorf("page %d: resolution %v, sent %v", i+1, got[i].Res, sent[i].Res)
		}
		if len(got[i].Data) == 0 {
			t.Errorf("page %d: no coded data delivered", i+1)
		}
	}
}

// TestCallMatrix sends pages Go to Go over an ideal line in every role and
// direction, with and without ECM, at three rates and in each encoding.
func TestCallMatrix(t *testing.T) {
	type tc struct {
		senderRole Role
		ecm        bool
		rate       int
		enc        Encoding
		pages      int
	}
	var cases []tc
	for _, role := range []Role{Calling, Answering} {
		for _, ecm := range []bool{true, false} {
			for _, rate := range []int{14400, 9600, 4800} {
				for _, enc := range []Encoding{MH, MR, MMR} {
					if enc == MMR && !ecm {
						continue
					}
					for _, n := range []int{1, 3} {
						cases = append(cases, tc{role, ecm, rate, enc, n})
					}
				}
			}
		}
	}
	wantMod := map[int]Modulation{14400: V17_14400, 9600: V17_9600, 4800: V27ter4800}
	for _, c := range cases {
		name := fmt.Sprintf("sender=%v/ecm=%v/%d/%v/%dpages", roleName(c.senderRole), c.ecm, c.rate, c.enc, c.pages)
		t.Run(name, func(t *testing.T) {
			pages := testPages(t, c.pages, page.Fine)
			snd := Config{Role: c.senderRole, Ident: "+31 20 555 0100", Pages: pages, MaxRate: c.rate, DisableECM: !c.ecm, Encoding: c.enc}
			rcv := Config{Ident: "+31 20 555 0199", DisableECM: !c.ecm, Poll: c.senderRole == Answering}
			rcv.Role = Answering
			if c.senderRole == Answering {
				rcv.Role = Calling
			}
			var run *call
			var sres, rres Result
			if c.senderRole == Calling {
				run = runCall(t, snd, rcv, nil)
				sres, rres = run.resA, run.resB
			} else {
				run = runCall(t, rcv, snd, nil)
				sres, rres = run.resB, run.resA
			}
			if !sres.OK() || !rres.OK() {
				t.Fatalf("sender: %v; receiver: %v", sres.Err(), rres.Err())
			}
			checkPages(t, pages, run.received)
			if sres.Confirmed() != c.pages {
				t.Errorf("sender reports %d pages confirmed, want %d", sres.Confirmed(), c.pages)
			}
			if sres.RemoteID != "+31 20 555 0199" || rres.RemoteID != "+31 20 555 0100" {
				t.Errorf("remote IDs: sender saw %q, receiver saw %q", sres.RemoteID, rres.RemoteID)
			}
			for _, p := range sres.Pages {
				if p.Mod != wantMod[c.rate] || p.Encoding != c.enc || p.ECM != c.ecm || p.Res != page.Fine {
					t.Errorf("page %d sent as %v %v ECM=%v %v", p.Number, p.Mod, p.Encoding, p.ECM, p.Res)
				}
			}
			if sres.Duration() <= 0 || sres.Duration() > 5*time.Minute {
				t.Errorf("call took %v of virtual time", sres.Duration())
			}
		})
	}
}

func roleName(r Role) string {
	if r == Calling {
		return "calling"
	}
	return "answering"
}

// TestEOMOnFormatChange sends pages of two resolutions: the sender must
// use EOM, go back to phase B and send a new DCS.
func TestEOMOnFormatChange(t *testing.T) {
	for _, ecm := range []bool{true, false} {
		t.Run(fmt.Sprintf("ecm=%v", ecm), func(t *testing.T) {
			pages := testPages(t, 3, page.Fine)
			pages[1].Res = page.Standard
			snd := Config{Role: Calling, Pages: pages, DisableECM: !ecm}
			rcv := Config{Role: Answering, DisableECM: !ecm}
			run := runCall(t, snd, rcv, nil)
			if err := run.resA.Err(); err != nil {
				t.Fatal(err)
			}
			checkPages(t, pages, run.received)
			if n := strings.Count(strings.Join(run.a.sent, " "), "DCS"); n != 3 {
				t.Errorf("sender sent DCS %d times, want 3 (one per format change): %v", n, run.a.sent)
			}
		})
	}
}

// TestTrainingFallback makes TCF fail at the higher rates: the sender must
// step down and succeed at 7200.
func TestTrainingFallback(t *testing.T) {
	var tcfRates []int
	fault := func(from string, at time.Duration, ev *Event) bool {
		if ev.Kind == EventCarrier && ev.Mod != V21 {
			tcfRates = append(tcfRates, ev.Mod.Rate())
		}
		if ev.Kind == EventData && lastRate(tcfRates) > 7200 {
			// Noise on the line: one bad octet every 100 octets.
			d := append([]byte(nil), ev.Data...)
			for i := 0; i < len(d); i += 100 {
				d[i] = 0x5A
			}
			ev.Data = d
		}
		return true
	}
	pages := testPages(t, 1, page.Fine)
	run := runCall(t, Config{Role: Calling, Pages: pages, DisableECM: true}, Config{Role: Answering}, fault)
	if err := run.resA.Err(); err != nil {
		t.Fatal(err)
	}
	if got := run.resA.Pages[0].Mod; got != V17_7200 {
		t.Errorf("page went at %v, want V.17 7200 after fallback", got)
	}
	if n := strings.Count(strings.Join(run.b.sent, " "), "FTT"); n != 3 {
		t.Errorf("receiver sent FTT %d times, want 3 (14400, 12000, 9600): %v", n, run.b.sent)
	}
}

func lastRate(r []int) int {
	if len(r) == 0 {
		return 0
	}
	return r[len(r)-1]
}

// TestTrainingFailsEverywhere: with TCF always damaged the sender gives up
// at 2400 bit/s with a reason a user can read.
func TestTrainingFailsEverywhere(t *testing.T) {
	fault := func(from string, at time.Duration, ev *Event) bool {
		if ev.Kind == EventData {
			ev.Data = []byte{0xFF}
		}
		return true
	}
	run := runCall(t, Config{Role: Calling, Pages: testPages(t, 1, page.Standard)}, Config{Role: Answering}, fault)
	if run.resA.Reason != ReasonTrainingFailed {
		t.Fatalf("reason %v (%v), want training failed", run.resA.Reason, run.resA.Err())
	}
	if got := run.resA.Message(); got != "training failed at 2400 bit/s" {
		t.Errorf("message %q", got)
	}
}

// TestNoFax: the answering side never speaks T.30.
func TestNoFax(t *testing.T) {
	fault := func(from string, at time.Duration, ev *Event) bool { return from == "a" }
	run := runCall(t, Config{Role: Calling, Pages: testPages(t, 1, page.Standard)}, Config{Role: Answering}, fault)
	if run.resA.Reason != ReasonNoFax {
		t.Fatalf("reason %v (%v), want no fax", run.resA.Reason, run.resA.Err())
	}
	if got := run.resA.Message(); got != "the remote machine did not answer as a fax" {
		t.Errorf("message %q", got)
	}
	// T1 is 35 s; the caller must give up then, not before, not much later.
	if run.resA.Duration() < T1 || run.resA.Duration() > T1+2*time.Second {
		t.Errorf("caller gave up after %v, want about T1", run.resA.Duration())
	}
}

// TestBadRowsRTN damages the image of the first attempt at page 2: the
// receiver answers RTN, the sender retrains and sends the page again.
func TestBadRowsRTN(t *testing.T) {
	images := 0
	fault := func(from string, at time.Duration, ev *Event) bool {
		if ev.Kind == EventCarrier && ev.Mod != V21 {
			images++
		}
		// Carriers from a: TCF 1, page 1, TCF? no: page 2 is carrier 3.
		if ev.Kind == EventData && from == "a" && images == 3 {
			d := append([]byte(nil), ev.Data...)
			for i := 0; i < len(d); i += 7 {
				d[i] ^= 0x24
			}
			ev.Data = d
		}
		return true
	}
	pages := testPages(t, 2, page.Fine)
	run := runCall(t, Config{Role: Calling, Pages: pages, DisableECM: true}, Config{Role: Answering, DisableECM: true}, fault)
	if err := run.resA.Err(); err != nil {
		t.Fatal(err)
	}
	checkPages(t, pages, run.received)
	sent := strings.Join(run.b.sent, " ")
	if !strings.Contains(sent, "RTN") {
		t.Errorf("receiver never sent RTN: %v", sent)
	}
	if got := run.resA.Pages[1].Mod; got != V17_12000 {
		t.Errorf("page 2 went at %v, want one step down (12000) after RTN", got)
	}
}

// TestPageNeverGood: every page image is damaged; the sender gives up on
// page 1 after three tries.
func TestPageNeverGood(t *testing.T) {
	fault := func(from string, at time.Duration, ev *Event) bool {
		if ev.Kind == EventData && len(ev.Data) > 0 && from == "a" && ev.Data[0] != 0 {
			d := append([]byte(nil), ev.Data...)
			for i := 0; i < len(d); i += 5 {
				d[i] ^= 0x81
			}
			ev.Data = d
		}
		return true
	}
	run := runCall(t, Config{Role: Calling, Pages: testPages(t, 1, page.Fine), DisableECM: true}, Config{Role: Answering}, fault)
	if run.resA.Reason != ReasonPageNotConfirmed || run.resA.Page != 1 {
		t.Fatalf("result %v page %d (%v), want page 1 not confirmed", run.resA.Reason, run.resA.Page, run.resA.Err())
	}
	if got := run.resA.Message(); got != "page 1 was not confirmed" {
		t.Errorf("message %q", got)
	}
	if run.resB.OK() {
		t.Error("receiver reports success for a call whose page was refused")
	}
}

// TestECMCorrection drops and corrupts ECM frames: the receiver asks for
// them with PPR and the page still arrives intact.
func TestECMCorrection(t *testing.T) {
	for _, frame64 := range []bool{false, true} {
		t.Run(fmt.Sprintf("frame64=%v", frame64), func(t *testing.T) {
			n := 0
			fault := func(from string, at time.Duration, ev *Event) bool {
				if ev.Kind != EventFrame || from != "a" {
					return true
				}
				if f, err := ParseFrame(ev.Data); err == nil && f.FCF == FCD {
					n++
					switch n % 7 {
					case 3:
						return false // lost
					case 5:
						ev.FCSOK = false // damaged
					}
				}
				return true
			}
			pages := testPages(t, 2, page.Fine)
			run := runCall(t, Config{Role: Calling, Pages: pages, Frame64: frame64, Encoding: MR}, Config{Role: Answering}, fault)
			if err := run.resA.Err(); err != nil {
				t.Fatal(err)
			}
			checkPages(t, pages, run.received)
			if !strings.Contains(strings.Join(run.b.sent, " "), "PPR") {
				t.Error("receiver never sent PPR")
			}
		})
	}
}

// TestECMBigPage needs more than one block of 256 frames: PPS-NULL ends the
// first block.
func TestECMBigPage(t *testing.T) {
	p, err := t4test.Page("text", 1728, 2300, 9)
	if err != nil {
		t.Fatal(err)
	}
	p.Res = page.Fine
	pages := []*page.Page{p}
	run := runCall(t, Config{Role: Calling, Pages: pages, Frame64: true, Encoding: MH}, Config{Role: Answering}, nil)
	if err := run.resA.Err(); err != nil {
		t.Fatal(err)
	}
	checkPages(t, pages, run.received)
	if n := strings.Count(strings.Join(run.a.sent, " "), "PPS"); n < 2 {
		t.Errorf("sent PPS %d times; the page should need several blocks", n)
	}
}

// TestECMCTC corrupts every frame at 14400 so that after four PPRs the
// sender continues to correct (CTC) at a lower speed.
func TestECMCTC(t *testing.T) {
	var mod Modulation
	fault := func(from string, at time.Duration, ev *Event) bool {
		if ev.Kind == EventCarrier {
			mod = ev.Mod
		}
		if ev.Kind == EventFrame && from == "a" && mod == V17_14400 {
			if f, err := ParseFrame(ev.Data); err == nil && f.FCF == FCD && f.Info[0]%2 == 0 {
				ev.FCSOK = false
			}
		}
		return true
	}
	pages := testPages(t, 1, page.Fine)
	run := runCall(t, Config{Role: Calling, Pages: pages}, Config{Role: Answering}, fault)
	if err := run.resA.Err(); err != nil {
		t.Fatal(err)
	}
	checkPages(t, pages, run.received)
	sent := strings.Join(run.a.sent, " ")
	if !strings.Contains(sent, "CTC") {
		t.Errorf("sender never sent CTC: %v", sent)
	}
}

// TestSilentMidPage: the line goes dead in the middle of the first page.
// Both ends must stop within the T.30 timers with a reason.
func TestSilentMidPage(t *testing.T) {
	for _, ecm := range []bool{true, false} {
		t.Run(fmt.Sprintf("ecm=%v", ecm), func(t *testing.T) {
			var deadAt time.Duration
			fault := func(from string, at time.Duration, ev *Event) bool {
				if deadAt == 0 && from == "a" && (ev.Kind == EventData || ev.Kind == EventFrame) && ev.Data[0] != 0 {
					if f, err := ParseFrame(ev.Data); ev.Kind == EventData || (err == nil && f.FCF == FCD) {
						deadAt = at
					}
				}
				return deadAt == 0
			}
			run := runCall(t, Config{Role: Calling, Pages: testPages(t, 2, page.Fine), DisableECM: !ecm},
				Config{Role: Answering, DisableECM: !ecm}, fault)
			if run.resA.OK() || run.resB.OK() {
				t.Fatalf("a dead line ended well: sender %v, receiver %v", run.resA.Err(), run.resB.Err())
			}
			if run.resB.Reason != ReasonRemoteSilent {
				t.Errorf("receiver reason %v (%v), want the sender went silent", run.resB.Reason, run.resB.Err())
			}
			if run.resA.Reason != ReasonNoResponse {
				t.Errorf("sender reason %v (%v), want no response", run.resA.Reason, run.resA.Err())
			}
			// The sender tries its post-page command 3 times, T4 apart.
			limit := deadAt + 60*time.Second
			if run.elapsed > limit {
				t.Errorf("call ended %v after start; the line died at %v", run.elapsed, deadAt)
			}
		})
	}
}

// TestLostResponses drops the first copy of several responses: the sender
// repeats its command after T4 and the receiver answers the repeat.
func TestLostResponses(t *testing.T) {
	for _, ecm := range []bool{true, false} {
		t.Run(fmt.Sprintf("ecm=%v", ecm), func(t *testing.T) {
			dropped := map[FCF]bool{}
			fault := func(from string, at time.Duration, ev *Event) bool {
				if ev.Kind != EventFrame || from != "b" {
					return true
				}
				f, err := ParseFrame(ev.Data)
				if err != nil {
					return true
				}
				switch f.FCF {
				case CFR, MCF:
					if !dropped[f.FCF] {
						dropped[f.FCF] = true
						return false
					}
				}
				return true
			}
			pages := testPages(t, 3, page.Fine)
			run := runCall(t, Config{Role: Calling, Pages: pages, DisableECM: !ecm}, Config{Role: Answering, DisableECM: !ecm}, fault)
			if err := run.resA.Err(); err != nil {
				t.Fatal(err)
			}
			if err := run.resB.Err(); err != nil {
				t.Fatal(err)
			}
			checkPages(t, pages, run.received)
		})
	}
}

// TestCorruptCommand damages a command frame: the receiver asks for it
// again with CRP.
func TestCorruptCommand(t *testing.T) {
	done := false
	fault := func(from string, at time.Duration, ev *Event) bool {
		if ev.Kind == EventFrame && from == "a" && !done {
			if f, err := ParseFrame(ev.Data); err == nil && f.FCF == EOP {
				done = true
				ev.FCSOK = false
			}
		}
		return true
	}
	pages := testPages(t, 1, page.Standard)
	run := runCall(t, Config{Role: Calling, Pages: pages, DisableECM: true}, Config{Role: Answering}, fault)
	if err := run.resA.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(run.b.sent, " "), "CRP") {
		t.Errorf("receiver did not send CRP: %v", run.b.sent)
	}
	checkPages(t, pages, run.received)
}

// TestRemoteDCN: the receiver hangs up with DCN right after training.
func TestRemoteDCN(t *testing.T) {
	fault := func(from string, at time.Duration, ev *Event) bool {
		if ev.Kind == EventFrame && from == "b" {
			if f, err := ParseFrame(ev.Data); err == nil && f.FCF == CFR {
				ev.Data = Frame{FCF: DCN, Final: true}.Marshal()
			}
		}
		return true
	}
	run := runCall(t, Config{Role: Calling, Pages: testPages(t, 1, page.Standard)}, Config{Role: Answering}, fault)
	if run.resA.Reason != ReasonRemoteHangup {
		t.Fatalf("reason %v (%v), want remote hangup", run.resA.Reason, run.resA.Err())
	}
	if got, want := run.resA.Message(), "the remote machine hung up (DCN) during phase B"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

// TestCorruptFramesEverywhere flips random frames' FCS throughout the call.
// The call may fail, but it must end, with a reason, within the limit.
func TestCorruptFramesEverywhere(t *testing.T) {
	for seed := 1; seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			x := uint32(seed) * 2654435761
			fault := func(from string, at time.Duration, ev *Event) bool {
				x ^= x << 13
				x ^= x >> 17
				x ^= x << 5
				switch {
				case x%17 == 0:
					return false
				case x%13 == 0 && ev.Kind == EventFrame:
					ev.FCSOK = false
				}
				return true
			}
			ecm := seed%2 == 0
			run := runCall(t, Config{Role: Calling, Pages: testPages(t, 2, page.Fine), DisableECM: !ecm},
				Config{Role: Answering, DisableECM: !ecm}, fault)
			if run.resA.OK() {
				checkPages(t, testPages(t, 2, page.Fine), run.received)
			} else if run.resA.Message() == "" {
				t.Error("failure without a message")
			}
		})
	}
}

// TestLostTCF loses the whole first TCF: the receiver must still be
// listening when the sender repeats DCS and TCF after T4.
func TestLostTCF(t *testing.T) {
	carriers := 0
	fault := func(from string, at time.Duration, ev *Event) bool {
		if from != "a" {
			return true
		}
		if ev.Kind == EventCarrier && ev.Mod != V21 {
			carriers++
		}
		inFirstTCF := carriers == 1 && (ev.Kind == EventData || (ev.Kind == EventCarrier && ev.Mod != V21) || ev.Kind == EventCarrierDown)
		return !inFirstTCF
	}
	pages := testPages(t, 1, page.Fine)
	run := runCall(t, Config{Role: Calling, Pages: pages}, Config{Role: Answering}, fault)
	if err := run.resA.Err(); err != nil {
		t.Fatal(err)
	}
	if err := run.resB.Err(); err != nil {
		t.Fatal(err)
	}
	checkPages(t, pages, run.received)
	if n := strings.Count(strings.Join(run.a.sent, " "), "TCF"); n != 2 {
		t.Errorf("sender sent TCF %d times, want 2", n)
	}
}

// TestSubaddressPassword sends SUB and SID; the receiver reports them.
func TestSubaddressPassword(t *testing.T) {
	pages := testPages(t, 1, page.Standard)
	run := runCall(t, Config{Role: Calling, Pages: pages, Subaddress: "1234", Password: "0000"}, Config{Role: Answering}, nil)
	if err := run.resB.Err(); err != nil {
		t.Fatal(err)
	}
	if run.resB.Subaddress != "1234" || run.resB.Password != "0000" {
		t.Errorf("receiver got subaddress %q and password %q", run.resB.Subaddress, run.resB.Password)
	}
}

// TestRNR turns the receiver's first answer to PPS into RNR: the sender
// must poll with RR until the receiver answers.
func TestRNR(t *testing.T) {
	turned := false
	fault := func(from string, at time.Duration, ev *Event) bool {
		if ev.Kind == EventFrame && from == "b" && !turned {
			if f, err := ParseFrame(ev.Data); err == nil && f.FCF == MCF {
				turned = true
				ev.Data = Frame{FCF: RNR, Final: true}.Marshal()
			}
		}
		return true
	}
	pages := testPages(t, 2, page.Fine)
	run := runCall(t, Config{Role: Calling, Pages: pages}, Config{Role: Answering}, fault)
	if err := run.resA.Err(); err != nil {
		t.Fatal(err)
	}
	checkPages(t, pages, run.received)
	if !strings.Contains(strings.Join(run.a.sent, " "), "RR") {
		t.Errorf("sender never sent RR: %v", run.a.sent)
	}
}

// TestECMGivesUp corrupts every image frame: after CTC down to 2400 and
// four more PPRs the sender ends the block with EOR and the call fails on
// that page.
func TestECMGivesUp(t *testing.T) {
	fault := func(from string, at time.Duration, ev *Event) bool {
		if ev.Kind == EventFrame && from == "a" {
			if f, err := ParseFrame(ev.Data); err == nil && f.FCF == FCD {
				ev.FCSOK = false
			}
		}
		return true
	}
	run := runCall(t, Config{Role: Calling, Pages: testPages(t, 1, page.Fine), MaxRate: 4800}, Config{Role: Answering}, fault)
	if run.resA.Reason != ReasonPageNotConfirmed || run.resA.Page != 1 {
		t.Fatalf("result %v page %d (%v), want page 1 not confirmed", run.resA.Reason, run.resA.Page, run.resA.Err())
	}
	sent := strings.Join(run.a.sent, " ")
	if !strings.Contains(sent, "CTC") || !strings.Contains(sent, "EOR") {
		t.Errorf("sender should have sent CTC then EOR: %v", sent)
	}
	if !strings.Contains(strings.Join(run.b.sent, " "), "ERR") {
		t.Errorf("receiver should have answered EOR with ERR: %v", run.b.sent)
	}
}

// TestMinScanLine makes the receiver announce a 20 ms minimum scan-line
// time (as a paper fax machine does) by rewriting its DIS on the line:
// non-ECM rows must then carry at least 20 ms of bits, and the page still
// arrives intact.
func TestMinScanLine(t *testing.T) {
	fault := func(from string, at time.Duration, ev *Event) bool {
		if ev.Kind == EventFrame && from == "b" {
			if f, err := ParseFrame(ev.Data); err == nil && f.FCF == DIS {
				c, _ := ParseCaps(f.Info)
				c.MinScan = 0 // code 000: 20 ms at every resolution
				f.Info = c.Marshal()
				ev.Data = f.Marshal()
			}
		}
		return true
	}
	var rows []int
	pg, err := t4test.Page("dot", 1728, 300, 1)
	if err != nil {
		t.Fatal(err)
	}
	pg.Res = page.Fine
	pages := []*page.Page{pg}
	cfg := Config{Role: Calling, Pages: pages, DisableECM: true, MaxRate: 9600, Encoding: MH}
	run := runCall(t, cfg, Config{Role: Answering, OnPage: func(p ReceivedPage) {
		rows = append(rows, len(p.Data))
		if !p.Page.Equal(pages[0]) {
			t.Error("page differs")
		}
	}}, fault)
	if err := run.resA.Err(); err != nil {
		t.Fatal(err)
	}
	// 300 rows of at least 192 bits (20 ms at 9600 bit/s) each.
	if len(rows) != 1 || rows[0] < 300*192/8 {
		t.Errorf("page data %v octets; 300 rows of 20 ms at 9600 bit/s need at least %d", rows, 300*192/8)
	}
	plain, _ := T4Coder{}.Encode(pages[0], MH, 0)
	if len(plain) >= 300*192/8 {
		t.Fatalf("test page too busy (%d octets) to show the fill", len(plain))
	}
}

func TestParamsMinRowBits(t *testing.T) {
	tests := []struct {
		p    Params
		want int
	}{
		{Params{Mod: V29_9600, MinScan: 20 * time.Millisecond}, 192},
		{Params{Mod: V17_14400, MinScan: 10 * time.Millisecond}, 144},
		{Params{Mod: V27ter2400, MinScan: 40 * time.Millisecond}, 96},
		{Params{Mod: V17_14400, MinScan: 20 * time.Millisecond, ECM: true}, 0},
		{Params{Mod: V17_14400}, 0},
	}
	for _, tt := range tests {
		if got := tt.p.MinRowBits(); got != tt.want {
			t.Errorf("%v at %v ECM=%v: MinRowBits %d, want %d", tt.p.MinScan, tt.p.Mod, tt.p.ECM, got, tt.want)
		}
	}
}

// TestCancel ends a call locally in the middle of the page.
func TestCancel(t *testing.T) {
	clk := NewVirtualClock(epoch)
	a, b := newMemPair(clk)
	sa, _ := New(Config{Role: Calling, Pages: testPages(t, 1, page.Fine), Clock: clk}, a)
	sb, _ := New(Config{Role: Answering, Clock: clk}, b)
	a.handler, b.handler = sa.Handle, sb.Handle
	sa.Start()
	sb.Start()
	clk.Advance(15 * time.Second)
	sa.Cancel()
	for !(isDone(sa) && isDone(sb)) && clk.Now().Sub(epoch) < callLimit && clk.Step() {
	}
	if r := sa.Result(); r.Reason != ReasonCanceled {
		t.Errorf("canceller: %v (%v)", r.Reason, r.Err())
	}
	if r := sb.Result(); r.OK() || !isDone(sb) {
		t.Errorf("other side: done %v, %v", isDone(sb), r.Err())
	}
}

// TestPPSCountAfterRetransmission: some senders (SpanDSP among them) give
// in the PPS after a retransmission only the number of frames resent. The
// receiver must keep the block's frame count from its first PPS and not
// cut the page short.
func TestPPSCountAfterRetransmission(t *testing.T) {
	lostOne := false
	ppsSeen := 0
	fault := func(from string, at time.Duration, ev *Event) bool {
		if ev.Kind != EventFrame || from != "a" {
			return true
		}
		f, err := ParseFrame(ev.Data)
		if err != nil {
			return true
		}
		switch f.FCF {
		case FCD:
			if !lostOne && f.Info[0] == 5 {
				lostOne = true
				return false
			}
		case PPS:
			ppsSeen++
			if ppsSeen > 1 {
				// Rewrite the count as "one frame" in the PPS that
				// follows the retransmission.
				info := append([]byte(nil), f.Info...)
				info[3] = 0
				f.Info = info
				ev.Data = f.Marshal()
			}
		}
		return true
	}
	pages := testPages(t, 1, page.Fine)
	run := runCall(t, Config{Role: Calling, Pages: pages, Frame64: true}, Config{Role: Answering}, fault)
	if err := run.resA.Err(); err != nil {
		t.Fatal(err)
	}
	checkPages(t, pages, run.received)
	if ppsSeen < 2 {
		t.Fatalf("only %d PPS: no retransmission happened", ppsSeen)
	}
}

// TestRTNThenSilence: the receiver refuses the last page and then ignores
// the retraining (as SpanDSP's receiver does). The sender must name the
// refused page, not a vague lack of response.
func TestRTNThenSilence(t *testing.T) {
	rtnSeen := false
	fault := func(from string, at time.Duration, ev *Event) bool {
		if from == "b" && ev.Kind == EventFrame {
			if f, err := ParseFrame(ev.Data); err == nil && f.FCF == MCF && !rtnSeen {
				rtnSeen = true
				ev.Data = Frame{FCF: RTN, Final: true}.Marshal()
				return true
			}
		}
		// After the RTN nothing the sender says reaches the receiver,
		// and the receiver stays on the line.
		return !(rtnSeen && (from == "a" || ev.Kind == EventHangup))
	}
	run := runCall(t, Config{Role: Calling, Pages: testPages(t, 1, page.Fine), DisableECM: true}, Config{Role: Answering}, fault)
	if run.resA.Reason != ReasonPageNotConfirmed || run.resA.Page != 1 {
		t.Fatalf("sender: %v page %d (%v), want page 1 not confirmed", run.resA.Reason, run.resA.Page, run.resA.Err())
	}
}

// TestCallerWithoutPagesMustPoll: a calling station with nothing to send
// and no poll request has nothing to do; it ends at once, saying why.
func TestCallerWithoutPagesMustPoll(t *testing.T) {
	run := runCall(t, Config{Role: Calling}, Config{Role: Answering}, nil)
	if run.resA.Reason != ReasonIncompatible {
		t.Fatalf("reason %v (%v), want incompatible", run.resA.Reason, run.resA.Err())
	}
	if got := run.resA.Message(); got != "the remote machine cannot handle this fax" {
		t.Errorf("message %q", got)
	}
}
