package t30

import (
	"fmt"
	"time"
)

// ECM (T.30 Annex A): the page is cut into frames of 64 or 256 octets,
// frames are grouped in blocks (partial pages) of up to 256, and after each
// block the receiver either confirms it (MCF) or lists the frames it lacks
// (PPR) for the sender to send again.

// maxFramesPerBlock is the size limit of a partial page.
const maxFramesPerBlock = 256

// pprLimit is the number of PPRs for one block after which the sender
// changes speed (CTC) or gives up on the block (EOR).
const pprLimit = 4

// ecmTx is the sender's ECM state for the current page.
type ecmTx struct {
	frames     [][]byte // the page's frames, image bits in HDLC order
	blockStart int      // index of the block's first frame in frames
	blockLen   int
	blockNum   int // block counter within the page
	pprs       int // PPRs received for the block
	rnrUntil   time.Time
}

// ecmRx is the receiver's ECM state.
type ecmRx struct {
	frames    [maxFramesPerBlock][]byte
	have      [maxFramesPerBlock]bool
	any       bool   // a frame of the current block has arrived
	page      []byte // confirmed blocks of the page, image bits in HDLC order
	lastPage  int    // page and block counters of the last confirmed block
	lastBlock int
	confirmed bool // the current block was confirmed and nothing new came
	lastFCF2  FCF
	// The frame count of the block under way, from its first PPS: after
	// a retransmission some senders count only the frames they resent.
	blockKnown          bool
	blockPage, blockNum int
	blockFrames         int
}

func (r *ecmRx) startBlock() {
	for i := range r.have {
		r.have[i] = false
		r.frames[i] = nil
	}
	r.any = false
	r.blockKnown = false
}

// pageData returns the confirmed image of the page, first bit in the most
// significant position.
func (r *ecmRx) pageData() []byte {
	out := make([]byte, len(r.page))
	reverseBits(out, r.page)
	return out
}

// startECMPage cuts the current page into frames and sends the first block.
func (s *Session) startECMPage() {
	size := s.params.FrameSize()
	data := make([]byte, len(s.pageData))
	reverseBits(data, s.pageData)
	var frames [][]byte
	for len(data) > 0 {
		n := size
		if n > len(data) {
			n = len(data)
		}
		frames = append(frames, data[:n])
		data = data[n:]
	}
	if len(frames) == 0 {
		frames = [][]byte{{}}
	}
	s.ecm = ecmTx{frames: frames}
	s.startBlock()
}

func (s *Session) startBlock() {
	e := &s.ecm
	e.blockLen = len(e.frames) - e.blockStart
	if e.blockLen > maxFramesPerBlock {
		e.blockLen = maxFramesPerBlock
	}
	e.pprs = 0
	e.rnrUntil = time.Time{}
	all := make([]int, e.blockLen)
	for i := range all {
		all[i] = i
	}
	s.sendECMBurst(all)
}

// lastBlock reports whether the current block ends the page.
func (e *ecmTx) lastBlock() bool { return e.blockStart+e.blockLen >= len(e.frames) }

// sendECMBurst sends the listed frames of the block, three RCPs, then PPS.
func (s *Session) sendECMBurst(idx []int) {
	s.phase = PhaseC
	e := &s.ecm
	out := make([][]byte, 0, len(idx)+3)
	for _, i := range idx {
		info := make([]byte, 1, 1+len(e.frames[e.blockStart+i]))
		info[0] = byte(i)
		info = append(info, e.frames[e.blockStart+i]...)
		out = append(out, Frame{FCF: FCD, Info: info}.Marshal())
	}
	for i := 0; i < 3; i++ {
		out = append(out, Frame{FCF: RCP, Final: i == 2}.Marshal())
	}
	mod := s.params.Mod
	s.transmit(func() error { return s.m.SendFrames(mod, out) }, s.sendPPS)
}

// fcf2 is the post-message part of PPS or EOR for the current block.
func (s *Session) fcf2() FCF {
	if !s.ecm.lastBlock() {
		return Null
	}
	return s.postPageCommand()
}

func (s *Session) fcf2Octet(f FCF) byte {
	b := byte(f)
	if s.xbit && f != Null {
		b |= xBit
	}
	return b
}

// sendPPS sends PPS-x for the current block and handles the answer.
func (s *Session) sendPPS() {
	s.phase = PhaseD
	f2 := s.fcf2()
	e := &s.ecm
	info := []byte{s.fcf2Octet(f2), byte(s.pageIdx), byte(e.blockNum), byte(e.blockLen - 1)}
	s.command([]Frame{{FCF: PPS, Info: info}}, func(b []Frame) { s.ppsResponse(f2, b) })
}

// ppsResponse handles MCF, PPR or RNR after PPS.
func (s *Session) ppsResponse(f2 FCF, b []Frame) {
	last := b[len(b)-1]
	e := &s.ecm
	switch last.FCF {
	case MCF, PIP:
		s.blockDone(f2)
	case PPR:
		if len(last.Info) < 32 {
			s.failDCN(ReasonProtocol, PPR, fmt.Sprintf("PPR frame map of %d octets; T.30 needs 32", len(last.Info)))
			return
		}
		var bad []int
		for i := 0; i < e.blockLen; i++ {
			if last.Info[i/8]&(1<<(i%8)) != 0 {
				bad = append(bad, i)
			}
		}
		e.pprs++
		if len(bad) == 0 {
			// A PPR that asks for nothing: send the PPS again.
			s.sendECMBurst(nil)
			return
		}
		if e.pprs >= pprLimit {
			if s.modIdx+1 < len(s.mods) {
				s.sendCTC(bad)
				return
			}
			s.sendEOR(f2)
			return
		}
		s.sendECMBurst(bad)
	case RNR:
		if e.rnrUntil.IsZero() {
			e.rnrUntil = s.clk.Now().Add(T5)
		}
		if s.clk.Now().After(e.rnrUntil) {
			s.failDCN(ReasonNoResponse, RNR, "the receiver stayed not ready (RNR) beyond T5 (60 s)")
			return
		}
		s.command([]Frame{{FCF: RR}}, func(b []Frame) { s.ppsResponse(f2, b) })
	default:
		s.failDCN(ReasonProtocol, last.FCF, fmt.Sprintf("got %v in answer to PPS", last.FCF))
	}
}

// blockDone moves on after a confirmed block.
func (s *Session) blockDone(f2 FCF) {
	e := &s.ecm
	if f2 == Null {
		e.blockStart += e.blockLen
		e.blockNum++
		s.startBlock()
		return
	}
	s.res.Pages = append(s.res.Pages, s.pageResult(true, 0))
	s.nextPage(f2)
}

// sendCTC asks to continue correcting at the next lower speed.
func (s *Session) sendCTC(bad []int) {
	s.modIdx++
	s.params.Mod = s.mods[s.modIdx]
	fif := make(bits, 2)
	setRateField(fif, s.params.Mod)
	s.command([]Frame{{FCF: CTC, Info: fif}}, func(b []Frame) {
		last := b[len(b)-1]
		if last.FCF != CTR {
			s.failDCN(ReasonProtocol, last.FCF, fmt.Sprintf("got %v in answer to CTC", last.FCF))
			return
		}
		s.ecm.pprs = 0
		s.sendECMBurst(bad)
	})
}

// sendEOR gives up on the block at the lowest speed.
func (s *Session) sendEOR(f2 FCF) {
	s.command([]Frame{{FCF: EOR, Info: []byte{s.fcf2Octet(f2)}}}, func(b []Frame) {
		s.res.Pages = append(s.res.Pages, s.pageResult(false, 0))
		s.failDCN(ReasonPageNotConfirmed, EOR, fmt.Sprintf("page %d: ECM could not correct block %d after %d PPRs at %d bit/s", s.pageIdx+1, s.ecm.blockNum, pprLimit, s.params.Mod.Rate()))
	})
}

// handleECMData collects ECM image frames on the high-speed carrier.
func (s *Session) handleECMData(ev Event) {
	switch ev.Kind {
	case EventCarrier:
		if ev.Mod == V21 {
			s.handleV21(ev)
			return
		}
		s.setTimer(T2, s.ecmSilent)
	case EventFrame:
		if !ev.FCSOK {
			// A damaged image frame (the PPR will ask for it) or
			// command (the sender repeats it); either way the sender
			// is still there.
			s.setTimer(T2, s.ecmSilent)
			return
		}
		f, err := ParseFrame(ev.Data)
		if err == nil && (f.FCF == FCD || f.FCF == RCP) {
			s.setTimer(T2, s.ecmSilent)
			if f.FCF == FCD && len(f.Info) >= 1 {
				r := &s.ecmRx
				i := int(f.Info[0])
				r.frames[i] = append([]byte(nil), f.Info[1:]...)
				r.have[i] = true
				r.any = true
				r.confirmed = false
			}
			return
		}
		s.handleV21(ev)
	case EventCarrierDown:
		if len(s.burst) > 0 || s.burstBad {
			s.handleV21(ev)
		}
	}
}

func (s *Session) ecmSilent() {
	s.fail(ReasonRemoteSilent, 0, "no ECM frames or command within T2 (6 s)")
}

// ecmCommand handles PPS, EOR, CTC and RR from the sender.
func (s *Session) ecmCommand(f Frame) {
	r := &s.ecmRx
	switch f.FCF {
	case PPS:
		if len(f.Info) < 4 {
			s.respondThen([]Frame{{FCF: CRP}}, s.resumeECM)
			return
		}
		f2 := fcfOf(f.Info[0])
		pg, blk, n := int(f.Info[1]), int(f.Info[2]), int(f.Info[3])+1
		if r.confirmed && pg == r.lastPage && blk == r.lastBlock {
			// Our MCF was lost; the block is already ours.
			s.respondThen([]Frame{{FCF: MCF}}, s.afterBlock(r.lastFCF2))
			return
		}
		if r.blockKnown && pg == r.blockPage && blk == r.blockNum {
			n = max(n, r.blockFrames)
		}
		r.blockKnown, r.blockPage, r.blockNum, r.blockFrames = true, pg, blk, n
		var ppr [32]byte
		missing := 0
		for i := 0; i < n; i++ {
			if !r.have[i] {
				ppr[i/8] |= 1 << (i % 8)
				missing++
			}
		}
		if missing > 0 {
			s.logf("t30: block %d of page %d: %d of %d frames missing", blk, pg, missing, n)
			s.lastResp = []Frame{{FCF: PPR, Info: ppr[:]}}
			s.respondThen(s.lastResp, s.resumeECM)
			return
		}
		s.acceptBlock(n)
		r.lastPage, r.lastBlock, r.lastFCF2, r.confirmed = pg, blk, f2, true
		s.ecmBlockConfirmed(f2, MCF)
	case EOR:
		f2 := Null
		if len(f.Info) > 0 {
			f2 = fcfOf(f.Info[0])
		}
		n := 0
		for i := range r.have {
			if r.have[i] {
				n = i + 1
			}
		}
		s.acceptBlock(n)
		r.confirmed = false
		s.ecmBlockConfirmed(f2, ERR)
	case CTC:
		if len(f.Info) >= 2 {
			if m, ok := rateBits[rateField(bits(f.Info))]; ok {
				s.params.Mod = m
			}
		}
		s.respondThen([]Frame{{FCF: CTR}}, s.resumeECM)
	case RR:
		if s.lastResp != nil {
			s.respondThen(s.lastResp, s.resumeECM)
			return
		}
		s.resumeECM()
	}
}

// acceptBlock appends the first n frames of the block to the page.
func (s *Session) acceptBlock(n int) {
	r := &s.ecmRx
	for i := 0; i < n; i++ {
		r.page = append(r.page, r.frames[i]...)
	}
	r.startBlock()
}

// ecmBlockConfirmed answers a complete block and, if it ended the page,
// delivers the page.
func (s *Session) ecmBlockConfirmed(f2, resp FCF) {
	switch f2 {
	case PRIMPS:
		f2 = MPS
	case PRIEOM:
		f2 = EOM
	case PRIEOP:
		f2 = EOP
	}
	if f2 != Null {
		data := s.ecmRx.pageData()
		s.ecmRx.page = nil
		w := s.params.Width.Pixels(s.params.Res.X)
		pg, bad, err := s.cfg.Coder.Decode(data, s.params.Encoding, w, s.params.Res)
		if err != nil {
			s.logf("t30: page %d: %v", s.rxPages+1, err)
		}
		if pg != nil {
			s.deliver(pg, data, bad)
		} else {
			// ECM delivered the data intact, so the sender coded it
			// wrongly: confirm the block (T.30 has no other answer) but
			// do not let the call pass for a success.
			s.rxPages++
			s.res.Pages = append(s.res.Pages, PageResult{Number: s.rxPages, Mod: s.params.Mod, Res: s.params.Res,
				Encoding: s.params.Encoding, ECM: true, Width: w})
			s.unreadable = append(s.unreadable, fmt.Sprintf("page %d: %v", s.rxPages, err))
		}
		s.lastCmd = f2
	}
	s.lastResp = []Frame{{FCF: resp}}
	s.respondThen(s.lastResp, s.afterBlock(f2))
}

// afterBlock is what the receiver does after confirming a block.
func (s *Session) afterBlock(f2 FCF) func() {
	if f2 == Null {
		return s.awaitPage
	}
	return s.afterPostPage(f2)
}

// resumeECM listens for more frames of the same block.
func (s *Session) resumeECM() {
	s.st = stRxECM
	s.burst = nil
	s.onCommand = s.rxCommand
	if err := s.m.Listen(s.params.Mod, true); err != nil {
		s.fail(ReasonLineLost, 0, "modem: "+err.Error())
		return
	}
	s.setTimer(T2, s.ecmSilent)
}
