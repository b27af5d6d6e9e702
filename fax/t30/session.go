package t30

import (
	"errors"
	"fmt"
	mbits "math/bits"
	"strings"
	"sync"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
)

// The timers of T.30 (clause 5.4.3.2 and Annex A).
const (
	T1 = 35 * time.Second // waiting to meet a fax machine in phase B
	T2 = 6 * time.Second  // waiting for a command
	// T3 is how long an operator has to answer a procedure interrupt
	// (PIP/PIN). Faxhaven never asks for one, so no Session waits on it.
	T3 = 10 * time.Second
	T4 = 3 * time.Second  // waiting for a response to a command
	T5 = 60 * time.Second // ECM: waiting for the receiver to become ready
)

// maxTries is how often a command is sent before the call is given up.
const maxTries = 3

// Role says which end of the call a Session is.
type Role int

const (
	// Calling is the station that dialled: it sends CNG and waits for DIS.
	Calling Role = iota + 1
	// Answering is the station that answered: it sends CED and DIS.
	Answering
)

// Config sets up a Session.
type Config struct {
	Role Role
	// Ident is the identity sent in TSI, CSI or CIG: up to 20 digits,
	// "+" and spaces.
	Ident string
	// Pages to send. Empty means this end receives.
	Pages []*page.Page
	// Poll, for a calling station with no pages, asks the answering
	// station for its document with DTC instead of giving up.
	Poll bool
	// Subaddress and Password are sent in SUB and SID when the remote
	// announces it can take them.
	Subaddress, Password string
	// MaxRate caps the data signalling rate in bit/s; 0 means 14400.
	MaxRate int
	// DisableECM turns error correction mode off.
	DisableECM bool
	// Frame64 uses 64-octet ECM frames instead of 256.
	Frame64 bool
	// Encoding is the best coding to use or offer; 0 means MMR. MMR is
	// used only with ECM; without it the Session falls back to MR.
	Encoding Encoding
	// Coder codes and decodes page images; nil means T4Coder.
	Coder Coder
	// Clock drives the timers; nil means SystemClock.
	Clock Clock
	// OnPage receives each page as it is accepted, while the call goes
	// on. It runs inside the Session and must return quickly.
	OnPage func(ReceivedPage)
	// Logf, if set, receives a line for every signal sent and received.
	Logf func(format string, args ...any)
}

// state is where the Session stands between events.
type state int

const (
	stIdle          state = iota
	stSending             // a signal is on its way; waiting for EventSent
	stAwaitResponse       // a command was sent; waiting for its response
	stAwaitCommand        // waiting for the next command
	stRxTCF               // receiving the training check
	stRxImage             // receiving non-ECM image data
	stRxECM               // receiving ECM image frames
	stDone
)

// Session runs one T.30 call. Create it with New, start it with Start, feed
// it the Modem's events with Handle and read the outcome from Result once
// Done is closed.
type Session struct {
	mu    sync.Mutex
	cfg   Config
	m     Modem
	clk   Clock
	st    state
	phase Phase
	done  chan struct{}
	res   Result

	timer    Timer
	timerGen int

	afterSent func()

	// the V.21 burst being received
	burst    []Frame
	burstBad bool

	// the outstanding command
	cmdSend   func() error
	cmdName   FCF
	cmdTries  int
	cmdHandle func([]Frame)

	// waiting for a command
	onCommand  func([]Frame)
	lastResp   []Frame // repeated when the same command comes again
	lastCmd    FCF
	cmdTimeout func()

	toneOut bool // CNG is playing
	xbit    bool // we received DIS: set the X bit in what we send
	remote  Caps // the remote's DIS or DTC
	params  Params
	mods    []Modulation // usable modulations, fastest first
	modIdx  int
	sender  bool // this end sends the document

	// sending
	pageIdx   int // index into cfg.Pages of the current page
	tries     int // attempts at the current page (non-ECM RTN)
	pageData  []byte
	needTrain bool // DCS and TCF are due before the next page
	afterRTN  bool // the DCS under way retrains after an RTN
	ecm       ecmTx

	// receiving
	rx        []byte // non-ECM image or TCF octets
	rxZeros   int    // longest run of zero octets in TCF
	rxRun     int
	rxCarrier bool // the high-speed carrier is up
	rxPages   int
	ecmRx     ecmRx
	// unreadable lists received pages whose image did not decode.
	unreadable []string
}

// New checks cfg and returns a Session ready to Start on m.
func New(cfg Config, m Modem) (*Session, error) {
	if cfg.Role != Calling && cfg.Role != Answering {
		return nil, errors.New("t30: Config.Role must be Calling or Answering")
	}
	if cfg.Coder == nil {
		cfg.Coder = T4Coder{}
	}
	if m == nil {
		return nil, errors.New("t30: a Modem is required")
	}
	if err := CheckIdent(cfg.Ident); err != nil {
		return nil, err
	}
	if err := CheckIdent(cfg.Subaddress); err != nil {
		return nil, fmt.Errorf("t30: subaddress: %w", err)
	}
	if err := CheckIdent(cfg.Password); err != nil {
		return nil, fmt.Errorf("t30: password: %w", err)
	}
	for i, p := range cfg.Pages {
		if p == nil {
			return nil, fmt.Errorf("t30: page %d is nil", i+1)
		}
		if _, ok := widthClass(p.Width, p.Res.X); !ok {
			return nil, fmt.Errorf("t30: page %d is %d pixels wide at %v; fax needs 1728, 2048 or 2432 (at 204 dpi) - render it to a fax width first", i+1, p.Width, p.Res)
		}
	}
	if cfg.MaxRate == 0 {
		cfg.MaxRate = 14400
	}
	if cfg.MaxRate < 2400 {
		return nil, fmt.Errorf("t30: MaxRate %d is below 2400 bit/s, the slowest fax rate", cfg.MaxRate)
	}
	if cfg.Encoding == 0 {
		cfg.Encoding = MMR
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock()
	}
	s := &Session{cfg: cfg, m: m, clk: cfg.Clock, done: make(chan struct{}), sender: len(cfg.Pages) > 0}
	return s, nil
}

// Start begins the call: phase A tones, then phase B.
func (s *Session) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.res.Start = s.clk.Now()
	s.phase = PhaseA
	if s.cfg.Role == Calling {
		if !s.sender && !s.cfg.Poll {
			s.fail(ReasonIncompatible, 0, "a calling station without pages must poll (Config.Poll)")
			return
		}
		// CNG plays while we already listen for DIS: its EventSent is
		// swallowed by toneOut.
		s.toneOut = true
		if err := s.m.SendTone(CNG, 500*time.Millisecond); err != nil {
			s.fail(ReasonLineLost, 0, "modem: "+err.Error())
			return
		}
		s.phase = PhaseB
		s.awaitCommand(T1, func() {
			s.fail(ReasonNoFax, 0, "no DIS within T1 (35 s)")
		}, s.callerCommand)
		return
	}
	s.transmit(func() error { return s.m.SendTone(CED, 3*time.Second) }, func() {
		s.phase = PhaseB
		s.sendDIS(s.clk.Now().Add(T1))
	})
}

// Done is closed when the call has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Result returns the outcome. It is complete once Done is closed.
func (s *Session) Result() Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.res
	r.Pages = append([]PageResult(nil), s.res.Pages...)
	return r
}

// Cancel ends the call at once: it sends DCN if it can and hangs up.
func (s *Session) Cancel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.st {
	case stDone:
		return
	case stSending:
		// The modem is busy with a signal; no DCN can follow it now.
		s.res.Reason, s.res.Phase, s.res.Detail = ReasonCanceled, s.phase, "cancelled locally"
		s.end()
		return
	}
	s.failDCN(ReasonCanceled, 0, "cancelled locally")
}

func (s *Session) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

// Handle feeds one Modem event to the Session.
func (s *Session) Handle(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st == stDone {
		return
	}
	switch ev.Kind {
	case EventHangup:
		detail := "the modem reported the line gone"
		if ev.Err != nil {
			detail = ev.Err.Error()
		}
		if s.phase == PhaseE || (s.st == stAwaitCommand && s.lastCmd == EOP) {
			// The remote hung up after the last page was confirmed.
			s.finish()
			return
		}
		s.fail(ReasonLineLost, 0, detail)
		return
	case EventSent:
		if s.toneOut {
			s.toneOut = false
			return
		}
		if s.st == stSending {
			next := s.afterSent
			s.afterSent = nil
			s.st = stIdle
			if next != nil {
				next()
			}
		}
		return
	}
	switch s.st {
	case stAwaitResponse, stAwaitCommand:
		s.handleV21(ev)
	case stRxTCF:
		s.handleTCF(ev)
	case stRxImage:
		s.handleImage(ev)
	case stRxECM:
		s.handleECMData(ev)
	}
}

// handleV21 collects a burst of control frames and acts on it when its
// final frame arrives.
func (s *Session) handleV21(ev Event) {
	switch ev.Kind {
	case EventCarrier:
		if ev.Mod == V21 {
			s.burst = s.burst[:0]
			s.burstBad = false
		}
	case EventFrame:
		if !ev.FCSOK {
			s.burstBad = true
			return
		}
		f, err := ParseFrame(ev.Data)
		if err != nil {
			s.burstBad = true
			return
		}
		f.Info = append([]byte(nil), f.Info...)
		s.burst = append(s.burst, f)
		s.logf("t30: rx %v", f)
		if f.Final {
			s.endBurst()
		}
	case EventCarrierDown:
		if len(s.burst) > 0 || s.burstBad {
			s.endBurst()
		}
	}
}

func (s *Session) endBurst() {
	b := s.burst
	bad := s.burstBad
	s.burst = nil
	s.burstBad = false
	final := len(b) > 0 && b[len(b)-1].Final
	switch s.st {
	case stAwaitResponse:
		if !final {
			// A damaged response: let T4 run out and repeat the command.
			return
		}
		s.stopTimer()
		last := b[len(b)-1]
		switch last.FCF {
		case CRP:
			s.repeatCommand()
			return
		case DCN:
			s.fail(ReasonRemoteHangup, last.FCF, "DCN received in answer to "+s.cmdName.String())
			return
		}
		h := s.cmdHandle
		s.cmdHandle = nil
		h(b)
	case stAwaitCommand, stRxTCF, stRxImage, stRxECM:
		if !final {
			if bad && s.st == stAwaitCommand {
				// T.30 lets the receiver ask for the command again.
				s.stopTimer()
				s.respondThen([]Frame{{FCF: CRP}}, s.resumeCommandWait)
			}
			return
		}
		s.stopTimer()
		last := b[len(b)-1]
		if last.FCF == DCN {
			s.onDCN()
			return
		}
		h := s.onCommand
		h(b)
	}
}

// onDCN handles a DCN received while waiting for a command.
func (s *Session) onDCN() {
	if !s.sender && s.lastCmd == EOP {
		if len(s.lastResp) > 0 && s.lastResp[0].FCF == RTN {
			s.fail(ReasonPageNotConfirmed, RTN, "the sender hung up after the last page was refused")
			return
		}
		s.finish()
		return
	}
	s.fail(ReasonRemoteHangup, DCN, "")
}

// --- sending signals -------------------------------------------------

// transmit starts a signal and arranges for then to run when it has gone.
func (s *Session) transmit(send func() error, then func()) {
	s.stopTimer()
	s.st = stSending
	s.afterSent = then
	if err := send(); err != nil {
		s.fail(ReasonLineLost, 0, "modem: "+err.Error())
	}
}

// frames marshals fs as one V.21 burst, setting X and the final bit.
func (s *Session) frames(fs []Frame) [][]byte {
	out := make([][]byte, len(fs))
	for i, f := range fs {
		f.X = s.xbit
		f.Final = i == len(fs)-1
		out[i] = f.Marshal()
		s.logf("t30: tx %v", f)
	}
	return out
}

func (s *Session) sendV21(fs []Frame) func() error {
	b := s.frames(fs)
	return func() error { return s.m.SendFrames(V21, b) }
}

// command sends fs and waits for the response with T4, repeating the
// command up to three times.
func (s *Session) command(fs []Frame, handle func([]Frame)) {
	s.commandWith(fs[len(fs)-1].FCF, s.sendV21(fs), handle)
}

func (s *Session) commandWith(name FCF, send func() error, handle func([]Frame)) {
	s.cmdName = name
	s.cmdSend = send
	s.cmdTries = 1
	s.cmdHandle = handle
	s.transmit(send, s.awaitResponse)
}

func (s *Session) awaitResponse() {
	s.st = stAwaitResponse
	s.burst = nil
	if err := s.m.Listen(V21, true); err != nil {
		s.fail(ReasonLineLost, 0, "modem: "+err.Error())
		return
	}
	s.setTimer(T4, s.repeatCommand)
}

// repeatCommand sends the outstanding command again, or gives up after the
// third try.
func (s *Session) repeatCommand() {
	if s.cmdTries >= maxTries {
		if s.afterRTN && s.cmdName == DCS {
			s.res.Pages = append(s.res.Pages, s.pageResult(false, 0))
			s.failDCN(ReasonPageNotConfirmed, RTN, fmt.Sprintf("page %d was refused (RTN) and the receiver did not answer the retraining", s.pageIdx+1))
			return
		}
		s.failDCN(ReasonNoResponse, s.cmdName, fmt.Sprintf("no response to %v after %d tries", s.cmdName, maxTries))
		return
	}
	s.cmdTries++
	h := s.cmdHandle
	s.transmit(s.cmdSend, func() {
		s.cmdHandle = h
		s.awaitResponse()
	})
	s.cmdHandle = h
}

// respondThen sends a response burst and then runs next.
func (s *Session) respondThen(fs []Frame, next func()) {
	s.transmit(s.sendV21(fs), next)
}

// awaitCommand waits up to d for a command burst.
func (s *Session) awaitCommand(d time.Duration, timeout func(), handle func([]Frame)) {
	s.st = stAwaitCommand
	s.burst = nil
	s.onCommand = handle
	s.cmdTimeout = timeout
	if err := s.m.Listen(V21, true); err != nil {
		s.fail(ReasonLineLost, 0, "modem: "+err.Error())
		return
	}
	s.setTimer(d, timeout)
}

// resumeCommandWait waits again for the command after CRP.
func (s *Session) resumeCommandWait() {
	s.awaitCommand(T2, s.cmdTimeout, s.onCommand)
}

// --- timers ------------------------------------------------------------

func (s *Session) setTimer(d time.Duration, f func()) {
	s.stopTimer()
	s.timerGen++
	gen := s.timerGen
	s.timer = s.clk.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if gen != s.timerGen || s.st == stDone {
			return
		}
		s.timer = nil
		f()
	})
}

func (s *Session) stopTimer() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.timerGen++
}

// --- ending ----------------------------------------------------------

func (s *Session) fail(r Reason, sig FCF, detail string) {
	if s.st == stDone {
		return
	}
	s.res.Reason = r
	s.res.Phase = s.phase
	s.res.Signal = sig
	s.res.Detail = detail
	if r == ReasonPageNotConfirmed && s.res.Page == 0 {
		s.res.Page = s.pageIdx + 1
	}
	s.end()
}

// failDCN records a failure, tells the remote with DCN and hangs up.
func (s *Session) failDCN(r Reason, sig FCF, detail string) {
	s.res.Reason = r
	s.res.Phase = s.phase
	s.res.Signal = sig
	s.res.Detail = detail
	if r == ReasonPageNotConfirmed && s.res.Page == 0 {
		s.res.Page = s.pageIdx + 1
	}
	s.phase = PhaseE
	s.transmit(s.sendV21([]Frame{{FCF: DCN}}), s.end)
}

// finish ends a call that completed its procedure.
func (s *Session) finish() {
	s.res.Reason = ReasonOK
	s.phase = PhaseE
	if len(s.unreadable) > 0 {
		s.res.Reason = ReasonImage
		s.res.Page = len(s.res.Pages)
		s.res.Detail = strings.Join(s.unreadable, "; ")
	}
	s.end()
}

// disconnect sends DCN and ends the call successfully.
func (s *Session) disconnect() {
	s.phase = PhaseE
	s.transmit(s.sendV21([]Frame{{FCF: DCN}}), s.finish)
}

func (s *Session) end() {
	if s.st == stDone {
		return
	}
	s.stopTimer()
	s.st = stDone
	s.res.End = s.clk.Now()
	s.m.Hangup()
	close(s.done)
}

// --- phase B: capabilities --------------------------------------------

// localCaps is what this end offers in DIS or DTC.
func (s *Session) localCaps() Caps {
	c := Caps{
		CanReceive:      !s.sender,
		ReadyToTransmit: s.sender,
		V27ter2400Only:  s.cfg.MaxRate < 4800,
		V29:             s.cfg.MaxRate >= 7200,
		V17:             s.cfg.MaxRate >= 7200,
		Fine:            true,
		Superfine:       true,
		R300:            true,
		R400:            true,
		MR:              s.cfg.Encoding >= MR,
		ECM:             !s.cfg.DisableECM,
		MMR:             !s.cfg.DisableECM && s.cfg.Encoding >= MMR,
		Prefer64:        s.cfg.Frame64,
		Width:           WidthA3,
		Length:          LengthUnlimited,
		MinScan:         7, // 0 ms: software has no paper to move
		Subaddressing:   true,
		Password:        true,
	}
	return c
}

// sendDIS sends CSI and DIS (answering station) and waits for DCS or DTC,
// repeating DIS until deadline.
func (s *Session) sendDIS(deadline time.Time) {
	fs := []Frame{{FCF: CSI, Info: EncodeIdent(s.cfg.Ident)}, {FCF: DIS, Info: s.localCaps().Marshal()}}
	s.transmit(s.sendV21(fs), func() {
		left := deadline.Sub(s.clk.Now())
		if left <= 0 {
			s.fail(ReasonNoFax, DIS, "no answer to DIS within T1 (35 s)")
			return
		}
		wait := T4
		if left < wait {
			wait = left
		}
		s.awaitCommand(wait, func() { s.sendDIS(deadline) }, s.answererCommand)
	})
}

// callerCommand handles what the calling station hears in phase B: DIS.
func (s *Session) callerCommand(b []Frame) {
	last := b[len(b)-1]
	if last.FCF != DIS {
		s.logf("t30: ignoring %v while waiting for DIS", last.FCF)
		s.resumeCommandWait()
		return
	}
	caps, err := ParseCaps(last.Info)
	if err != nil {
		s.failDCN(ReasonProtocol, DIS, err.Error())
		return
	}
	s.takeIdents(b)
	s.xbit = true
	s.remote = caps
	if s.sender {
		if !caps.CanReceive {
			if s.cfg.Poll {
				// Fall through to polling if asked; there is nothing to
				// send to a machine that cannot receive.
			}
			s.failDCN(ReasonIncompatible, DIS, "the remote machine's DIS says it cannot receive")
			return
		}
		s.startSending()
		return
	}
	// Polling: we want the remote's document.
	if !caps.ReadyToTransmit {
		s.failDCN(ReasonIncompatible, DIS, "the remote machine has no document to be polled")
		return
	}
	fs := []Frame{{FCF: CIG, Info: EncodeIdent(s.cfg.Ident)}, {FCF: DTC, Info: s.localCaps().Marshal()}}
	s.sendThenAwaitDCS(fs)
}

// answererCommand handles the answer to our DIS: DCS (we receive) or DTC
// (we are polled and send).
func (s *Session) answererCommand(b []Frame) {
	last := b[len(b)-1]
	switch last.FCF {
	case DCS:
		if s.sender {
			s.failDCN(ReasonIncompatible, DCS, "the remote machine wants to send but this end has pages to send")
			return
		}
		s.takeIdents(b)
		s.receiveDCS(b)
	case DTC:
		if !s.sender {
			s.failDCN(ReasonIncompatible, DTC, "the remote machine polls but this end has nothing to send")
			return
		}
		caps, err := ParseCaps(last.Info)
		if err != nil {
			s.failDCN(ReasonProtocol, DTC, err.Error())
			return
		}
		s.takeIdents(b)
		s.remote = caps
		s.startSending()
	default:
		s.logf("t30: ignoring %v while waiting for DCS or DTC", last.FCF)
		s.resumeCommandWait()
	}
}

// takeIdents records the identities and subaddress in a burst.
func (s *Session) takeIdents(b []Frame) {
	for _, f := range b {
		switch f.FCF {
		case CSI, TSI, CIG:
			s.res.RemoteID = DecodeIdent(f.Info)
		case SUB:
			s.res.Subaddress = DecodeIdent(f.Info)
		case SID, PWD:
			s.res.Password = DecodeIdent(f.Info)
		}
	}
}

// --- sending a document -------------------------------------------------

// fallback lists the modulations tried, fastest first.
var fallback = []Modulation{V17_14400, V17_12000, V17_9600, V17_7200, V29_9600, V29_7200, V27ter4800, V27ter2400}

func (s *Session) startSending() {
	s.mods = s.mods[:0]
	for _, m := range fallback {
		if m.Rate() <= s.cfg.MaxRate && s.remote.Supports(m) {
			if n := len(s.mods); n > 0 && s.mods[n-1].Rate() <= m.Rate() {
				continue
			}
			s.mods = append(s.mods, m)
		}
	}
	if len(s.mods) == 0 {
		s.failDCN(ReasonTrainingFailed, DIS, fmt.Sprintf("no common rate at or below %d bit/s", s.cfg.MaxRate))
		return
	}
	s.modIdx = 0
	s.pageIdx = 0
	s.needTrain = true
	s.sendPage()
}

// pageParams works out the DCS for page i.
func (s *Session) pageParams(i int) (Params, error) {
	pg := s.cfg.Pages[i]
	if !s.remote.SupportsRes(pg.Res) {
		return Params{}, fmt.Errorf("page %d is %v but the remote machine cannot receive that resolution", i+1, pg.Res)
	}
	w, _ := widthClass(pg.Width, pg.Res.X)
	if w > s.remote.Width {
		return Params{}, fmt.Errorf("page %d is %v wide but the remote machine takes at most %v", i+1, w, s.remote.Width)
	}
	p := Params{Receive: true, Mod: s.mods[s.modIdx], Res: pg.Res, Width: w}
	p.ECM = !s.cfg.DisableECM && s.remote.ECM
	p.Frame64 = p.ECM && (s.cfg.Frame64 || s.remote.Prefer64)
	p.Encoding = s.cfg.Encoding
	if p.Encoding == MMR && !(p.ECM && s.remote.MMR) {
		p.Encoding = MR
	}
	if p.Encoding == MR && !s.remote.MR {
		p.Encoding = MH
	}
	switch {
	case s.remote.Length == LengthUnlimited:
		p.Length = LengthUnlimited
	case s.remote.Length == LengthB4 && pg.HeightMM() > 297:
		p.Length = LengthB4
	}
	if !p.ECM {
		p.MinScan = s.remote.MinScan.Duration(pg.Res.Y, s.remote.ScanHalves15)
	}
	p.InchBased = pg.Res == page.R300
	p.Subaddress = s.cfg.Subaddress != "" && s.remote.Subaddressing
	p.SenderID = s.cfg.Password != "" && s.remote.Password
	return p, nil
}

// sameFormat reports whether two DCSs describe pages that can follow one
// another with MPS, without a new DCS.
func sameFormat(a, b Params) bool {
	return a.Res == b.Res && a.Width == b.Width && a.Encoding == b.Encoding && a.ECM == b.ECM
}

// sendPage starts the current page: with a fresh DCS and training when they
// are due, or straight into phase C.
func (s *Session) sendPage() {
	p, err := s.pageParams(s.pageIdx)
	if err != nil {
		s.failDCN(ReasonIncompatible, DCS, err.Error())
		return
	}
	if !sameFormat(p, s.params) {
		s.needTrain = true
	}
	s.params = p
	data, err := s.cfg.Coder.Encode(s.cfg.Pages[s.pageIdx], p.Encoding, p.MinRowBits())
	if err != nil {
		s.failDCN(ReasonImage, 0, fmt.Sprintf("page %d: %v", s.pageIdx+1, err))
		return
	}
	s.pageData = data
	if s.needTrain {
		s.sendDCS()
		return
	}
	s.sendImage()
}

// sendDCS sends TSI and DCS then TCF and waits for CFR or FTT.
func (s *Session) sendDCS() {
	s.phase = PhaseB
	s.params.Mod = s.mods[s.modIdx]
	s.params.MinScan = 0
	if !s.params.ECM {
		s.params.MinScan = s.remote.MinScan.Duration(s.params.Res.Y, s.remote.ScanHalves15)
	}
	var fs []Frame
	if s.cfg.Ident != "" {
		fs = append(fs, Frame{FCF: TSI, Info: EncodeIdent(s.cfg.Ident)})
	}
	if s.params.Subaddress {
		fs = append(fs, Frame{FCF: SUB, Info: EncodeIdent(s.cfg.Subaddress)})
	}
	if s.params.SenderID {
		fs = append(fs, Frame{FCF: SID, Info: EncodeIdent(s.cfg.Password)})
	}
	fs = append(fs, Frame{FCF: DCS, Info: s.params.Marshal()})
	v21 := s.sendV21(fs)
	mod := s.params.Mod
	// DCS and TCF go as one command: both are repeated together.
	send := func() error {
		if err := v21(); err != nil {
			return err
		}
		s.afterSent = s.chainTCF(mod, s.afterSent)
		return nil
	}
	s.commandWith(DCS, send, s.trainingResponse)
}

// chainTCF makes the end of the DCS burst start TCF, and the end of TCF
// run then.
func (s *Session) chainTCF(mod Modulation, then func()) func() {
	return func() {
		s.transmit(func() error { return s.m.SendTCF(mod) }, then)
	}
}

// trainingResponse handles CFR, FTT or a repeated DIS after DCS+TCF.
func (s *Session) trainingResponse(b []Frame) {
	last := b[len(b)-1]
	switch last.FCF {
	case CFR:
		s.needTrain = false
		s.afterRTN = false
		s.sendImage()
	case FTT:
		if s.modIdx+1 >= len(s.mods) {
			s.failDCNRate(s.mods[s.modIdx].Rate())
			return
		}
		s.modIdx++
		s.sendDCS()
	case DIS, DTC:
		// The receiver did not hear our DCS and announces itself again.
		if caps, err := ParseCaps(last.Info); err == nil {
			s.remote = caps
		}
		s.repeatCommandWithHandler(s.trainingResponse)
	default:
		s.failDCN(ReasonProtocol, last.FCF, fmt.Sprintf("got %v in answer to DCS", last.FCF))
	}
}

func (s *Session) repeatCommandWithHandler(h func([]Frame)) {
	s.cmdHandle = h
	s.repeatCommand()
}

func (s *Session) failDCNRate(rate int) {
	s.res.Rate = rate
	s.failDCN(ReasonTrainingFailed, FTT, fmt.Sprintf("FTT at %d bit/s, the lowest rate", rate))
}

// postPageCommand returns MPS, EOM or EOP for the current page.
func (s *Session) postPageCommand() FCF {
	if s.pageIdx == len(s.cfg.Pages)-1 {
		return EOP
	}
	next, err := s.pageParams(s.pageIdx + 1)
	if err != nil || !sameFormat(next, s.params) {
		return EOM
	}
	return MPS
}

func (s *Session) pageResult(confirmed bool, bad int) PageResult {
	pg := s.cfg.Pages[s.pageIdx]
	return PageResult{
		Number: s.pageIdx + 1, Mod: s.params.Mod, Res: s.params.Res, Encoding: s.params.Encoding,
		Width: pg.Width, ECM: s.params.ECM, BadRows: bad, Confirmed: confirmed,
	}
}

// sendImage transfers the current page (phase C) and then runs phase D.
func (s *Session) sendImage() {
	s.phase = PhaseC
	if s.params.ECM {
		s.startECMPage()
		return
	}
	s.tries++
	data := s.pageData
	mod := s.params.Mod
	s.transmit(func() error { return s.m.SendImage(mod, data) }, func() {
		s.phase = PhaseD
		cmd := s.postPageCommand()
		s.command([]Frame{{FCF: cmd}}, func(b []Frame) { s.postPageResponse(cmd, b) })
	})
}

// postPageResponse handles MCF, RTP, RTN (and PIP/PIN) after a non-ECM page.
func (s *Session) postPageResponse(cmd FCF, b []Frame) {
	last := b[len(b)-1]
	switch last.FCF {
	case MCF, PIP, RTP:
		s.res.Pages = append(s.res.Pages, s.pageResult(true, 0))
		s.tries = 0
		if last.FCF == RTP {
			s.needTrain = true
		}
		s.nextPage(cmd)
	case RTN, PIN:
		s.needTrain = true
		if s.tries >= maxTries {
			s.res.Pages = append(s.res.Pages, s.pageResult(false, 0))
			s.failDCN(ReasonPageNotConfirmed, last.FCF, fmt.Sprintf("page %d refused with %v %d times", s.pageIdx+1, last.FCF, s.tries))
			return
		}
		// Retrain one step slower and send the page again.
		if s.modIdx+1 < len(s.mods) {
			s.modIdx++
		}
		if cmd == EOM {
			s.awaitDISAgain()
			return
		}
		// Some receivers (SpanDSP's among them) accept only DCN after
		// RTN to EOP; if the retraining then goes unanswered, the
		// refused page is the reason to report.
		s.afterRTN = true
		s.sendPage()
	case DIS:
		if cmd == EOM {
			// Our EOM was confirmed but the MCF lost; the receiver is
			// already back in phase B.
			s.res.Pages = append(s.res.Pages, s.pageResult(true, 0))
			s.tries = 0
			s.pageIdx++
			if caps, err := ParseCaps(last.Info); err == nil {
				s.remote = caps
			}
			s.needTrain = true
			s.sendPage()
			return
		}
		fallthrough
	default:
		s.failDCN(ReasonProtocol, last.FCF, fmt.Sprintf("got %v in answer to %v", last.FCF, cmd))
	}
}

// nextPage moves on after a confirmed page.
func (s *Session) nextPage(cmd FCF) {
	switch cmd {
	case EOP:
		s.disconnect()
	case EOM:
		s.pageIdx++
		s.awaitDISAgain()
	default:
		s.pageIdx++
		s.sendPage()
	}
}

// awaitDISAgain returns to phase B after EOM: the receiver sends DIS again.
func (s *Session) awaitDISAgain() {
	s.phase = PhaseB
	s.needTrain = true
	s.awaitCommand(T1, func() {
		s.failDCN(ReasonNoResponse, EOM, "no DIS after EOM within T1")
	}, func(b []Frame) {
		last := b[len(b)-1]
		if last.FCF != DIS && last.FCF != DTC {
			s.resumeCommandWait()
			return
		}
		if caps, err := ParseCaps(last.Info); err == nil {
			s.remote = caps
		}
		s.sendPage()
	})
}

// --- receiving a document ---------------------------------------------

// sendThenAwaitDCS sends a DIS or DTC burst as a command and expects DCS.
func (s *Session) sendThenAwaitDCS(fs []Frame) {
	s.command(fs, func(b []Frame) {
		last := b[len(b)-1]
		if last.FCF != DCS {
			s.failDCN(ReasonProtocol, last.FCF, fmt.Sprintf("got %v in answer to DTC", last.FCF))
			return
		}
		s.takeIdents(b)
		s.receiveDCS(b)
	})
}

// receiveDCS takes a DCS and gets ready for TCF.
func (s *Session) receiveDCS(b []Frame) {
	last := b[len(b)-1]
	p, err := ParseParams(last.Info)
	if err != nil {
		s.failDCN(ReasonProtocol, DCS, err.Error())
		return
	}
	s.phase = PhaseB
	s.params = p
	s.lastCmd = DCS
	s.st = stRxTCF
	s.rx = s.rx[:0]
	s.rxZeros, s.rxRun = 0, 0
	s.rxCarrier = false
	if err := s.m.Listen(p.Mod, false); err != nil {
		s.fail(ReasonLineLost, 0, "modem: "+err.Error())
		return
	}
	s.setTimer(T2, func() {
		// No complete TCF: the sender repeats DCS and TCF after its T4,
		// so keep listening for that before giving up.
		s.awaitCommand(T2, func() {
			s.fail(ReasonRemoteSilent, DCS, "no TCF after DCS")
		}, s.rxCommand)
	})
}

// handleTCF judges the training check by its longest run of zeros.
func (s *Session) handleTCF(ev Event) {
	switch ev.Kind {
	case EventCarrier:
		if ev.Mod == V21 {
			// The sender repeats DCS: it must have missed our answer.
			s.handleV21(ev)
			return
		}
		s.rxCarrier = true
	case EventFrame:
		s.handleV21(ev)
	case EventData:
		s.rxCarrier = true
		for _, c := range ev.Data {
			if c == 0 {
				s.rxRun++
				if s.rxRun > s.rxZeros {
					s.rxZeros = s.rxRun
				}
			} else {
				s.rxRun = 0
			}
		}
	case EventCarrierDown:
		if !s.rxCarrier {
			// The end of the V.21 burst that carried DCS.
			s.handleV21(ev)
			return
		}
		s.rxCarrier = false
		s.stopTimer()
		// Ask for a second of clean zeros out of the 1.5 s sent.
		need := s.params.Mod.Rate() / 8
		if s.rxZeros >= need {
			s.sendCFR()
			return
		}
		s.logf("t30: TCF at %v: %d zero octets, need %d", s.params.Mod, s.rxZeros, need)
		s.respondThen([]Frame{{FCF: FTT}}, s.awaitDCSAfterFTT)
	}
}

func (s *Session) awaitDCSAfterFTT() {
	s.awaitCommand(T2, func() {
		s.fail(ReasonRemoteSilent, FTT, "no DCS after FTT")
	}, s.rxCommand)
}

// sendCFR confirms training and gets ready for the page.
func (s *Session) sendCFR() {
	s.lastResp = []Frame{{FCF: CFR}}
	s.respondThen(s.lastResp, s.awaitPage)
}

// awaitPage listens for the image carrier of the next page.
func (s *Session) awaitPage() {
	s.phase = PhaseC
	s.onCommand = s.rxCommand
	s.burst = nil
	if s.params.ECM {
		s.ecmRx.startBlock()
		s.st = stRxECM
	} else {
		s.st = stRxImage
		s.rx = s.rx[:0]
	}
	if err := s.m.Listen(s.params.Mod, s.params.ECM); err != nil {
		s.fail(ReasonLineLost, 0, "modem: "+err.Error())
		return
	}
	s.setTimer(T2, func() {
		s.fail(ReasonRemoteSilent, 0, "no page data within T2 (6 s)")
	})
}

// handleImage collects non-ECM image data.
func (s *Session) handleImage(ev Event) {
	switch ev.Kind {
	case EventCarrier:
		if ev.Mod == V21 {
			// A command where we expected the page: the carrier end was
			// lost, or the sender repeats an earlier command.
			if len(s.rx) > 0 {
				s.endImage()
			}
			s.handleV21(ev)
			return
		}
		s.setTimer(T2, s.imageSilent)
	case EventFrame:
		s.handleV21(ev)
	case EventData:
		s.rx = append(s.rx, ev.Data...)
		s.setTimer(T2, s.imageSilent)
	case EventCarrierDown:
		if len(s.rx) > 0 {
			s.endImage()
		}
	}
}

// imageSilent ends a page whose carrier stopped without an end.
func (s *Session) imageSilent() {
	if len(s.rx) == 0 {
		s.fail(ReasonRemoteSilent, 0, "no page data within T2 (6 s)")
		return
	}
	s.endImage()
}

// endImage closes the non-ECM page and waits for the post-page command.
func (s *Session) endImage() {
	s.phase = PhaseD
	s.st = stAwaitCommand
	s.setTimer(T2, func() {
		s.fail(ReasonRemoteSilent, 0, "no post-page command within T2 (6 s)")
	})
}

// pageData returns the image received for the page under way.
func (s *Session) rxPageData() []byte {
	if s.params.ECM {
		return s.ecmRx.pageData()
	}
	return append([]byte(nil), s.rx...)
}

// rxCommand handles a command burst while receiving a document.
func (s *Session) rxCommand(b []Frame) {
	last := b[len(b)-1]
	cmd := last.FCF
	switch cmd {
	case PRIMPS:
		cmd = MPS
	case PRIEOM:
		cmd = EOM
	case PRIEOP:
		cmd = EOP
	}
	switch cmd {
	case DCS:
		s.takeIdents(b)
		s.receiveDCS(b)
	case MPS, EOM, EOP:
		if s.params.ECM {
			s.failDCN(ReasonProtocol, cmd, fmt.Sprintf("%v without PPS in ECM", cmd))
			return
		}
		repeat := (s.st == stRxImage && len(s.rx) == 0) || s.phase == PhaseE
		if repeat && s.lastResp != nil && s.lastCmd == cmd {
			// The same command again: our response was lost.
			s.respondThen(s.lastResp, s.afterPostPage(cmd))
			return
		}
		s.nonECMPageEnd(cmd)
	case PPS, EOR, CTC, RR:
		if !s.params.ECM {
			s.failDCN(ReasonProtocol, cmd, fmt.Sprintf("%v outside ECM", cmd))
			return
		}
		s.ecmCommand(last)
	case CRP:
		if s.lastResp != nil {
			s.respondThen(s.lastResp, s.resumeCommandWait)
			return
		}
		s.resumeCommandWait()
	default:
		s.logf("t30: ignoring %v", cmd)
		s.resumeCommandWait()
	}
}

// judge decides MCF, RTP or RTN from the bad-row count of a page.
func judge(rows, bad int, err error) FCF {
	switch {
	case err != nil || rows == 0:
		return RTN
	case bad == 0:
		return MCF
	case bad*20 <= rows: // up to 5 % damaged: keep it, but retrain
		return RTP
	}
	return RTN
}

// nonECMPageEnd decodes a non-ECM page and answers the post-page command.
func (s *Session) nonECMPageEnd(cmd FCF) {
	s.phase = PhaseD
	data := s.rxPageData()
	w := s.params.Width.Pixels(s.params.Res.X)
	pg, bad, err := s.cfg.Coder.Decode(data, s.params.Encoding, w, s.params.Res)
	rows := 0
	if pg != nil {
		rows = pg.Height
	}
	resp := judge(rows, bad, err)
	if err != nil {
		s.logf("t30: page %d: %v", s.rxPages+1, err)
	}
	if resp != RTN {
		s.deliver(pg, data, bad)
	}
	s.lastCmd = cmd
	s.lastResp = []Frame{{FCF: resp}}
	next := s.afterPostPage(cmd)
	if resp == RTN {
		// The sender retrains and may send the page again.
		next = func() {
			if cmd == EOM {
				s.sendDISAgain()
				return
			}
			s.awaitCommand(T2, func() {
				if cmd == EOP {
					s.fail(ReasonPageNotConfirmed, RTN, "the sender gave up after RTN")
					return
				}
				s.fail(ReasonRemoteSilent, RTN, "no DCS after RTN")
			}, s.rxCommand)
		}
	}
	s.respondThen(s.lastResp, next)
}

// deliver hands a received page to the application.
func (s *Session) deliver(pg *page.Page, data []byte, bad int) {
	s.rxPages++
	pr := PageResult{
		Number: s.rxPages, Mod: s.params.Mod, Res: s.params.Res, Encoding: s.params.Encoding,
		Width: s.params.Width.Pixels(s.params.Res.X), ECM: s.params.ECM, BadRows: bad, Confirmed: true,
	}
	s.res.Pages = append(s.res.Pages, pr)
	if s.cfg.OnPage != nil {
		s.cfg.OnPage(ReceivedPage{PageResult: pr, Page: pg, Data: data})
	}
}

// afterPostPage returns what the receiver does once it has confirmed a
// page ended with cmd.
func (s *Session) afterPostPage(cmd FCF) func() {
	switch cmd {
	case MPS:
		return s.awaitPage
	case EOM:
		return s.sendDISAgain
	}
	return func() {
		s.phase = PhaseE
		s.awaitCommand(T2, s.finish, s.rxCommand)
	}
}

// sendDISAgain returns to phase B after EOM.
func (s *Session) sendDISAgain() {
	s.phase = PhaseB
	if s.cfg.Role == Answering {
		s.sendDIS(s.clk.Now().Add(T1))
		return
	}
	fs := []Frame{{FCF: CIG, Info: EncodeIdent(s.cfg.Ident)}, {FCF: DTC, Info: s.localCaps().Marshal()}}
	s.sendThenAwaitDCS(fs)
}

// reverse8 mirrors the bits of an octet: ECM frames carry image bits first
// bit in the least significant position, the Coder first bit in the most.
func reverse8(b byte) byte { return mbits.Reverse8(b) }

func reverseBits(dst, src []byte) {
	for i, c := range src {
		dst[i] = reverse8(c)
	}
}
