package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/faxhaven/faxhaven/fax/sdp"
	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/fax/t38"
	"github.com/faxhaven/faxhaven/fax/terminal"
)

// call is one SIP dialog carrying a fax, in either direction.
type call struct {
	u        *UA
	id       string // Call-ID
	trunk    *trunkState
	outbound bool // this end sent the INVITE, and so chose the Call-ID
	cs       *sipgo.DialogClientSession
	ss       *sipgo.DialogServerSession
	media    *net.UDPConn // UDPTL (or idle audio) socket: sends and receives
	sessID   uint64

	mu         sync.Mutex
	local      *sdp.Session  // our current description
	version    uint64        // o= version of local
	t38        *sdp.T38      // the agreed T.38 parameters, once agreed
	remote     string        // far end's UDPTL address
	reinviting bool          // a re-INVITE of ours is pending (glare)
	reinvited  chan struct{} // closed when that re-INVITE has its final response
	// The far end's last description, to tell a refresh from a change.
	remoteSess, remoteVersion uint64
	// Session timer (RFC 4028): the interval, whether this end refreshes,
	// and when the session was last refreshed.
	expires     time.Duration
	weRefresh   bool
	peerTimer   bool // the far end supports session timers
	lastRefresh time.Time
	refreshes   int // refreshes sent or received, for tests and logs

	switched chan struct{} // closed once T.38 is agreed
	done     chan struct{} // closed when the call ends
	doneOnce sync.Once
	hangup   bool // the far end sent BYE
}

func newCall(u *UA, id string, t *trunkState, outbound bool, media *net.UDPConn) *call {
	id64 := uint64(u.cfg.Now().UnixNano()/1000) & (1<<62 - 1)
	return &call{u: u, id: id, trunk: t, outbound: outbound, media: media, sessID: id64, version: id64,
		switched: make(chan struct{}), done: make(chan struct{})}
}

// listenMedia binds a UDP socket for a call's media.
func (u *UA) listenMedia() (*net.UDPConn, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(u.mediaIP)})
	if err != nil {
		return nil, fmt.Errorf("sip: bind a UDPTL port on %s: %w", u.mediaIP, err)
	}
	return c, nil
}

func (c *call) port() int { return c.media.LocalAddr().(*net.UDPAddr).Port }

// end ends the call's life: the fax, the timers and the waits stop.
func (c *call) end() { c.doneOnce.Do(func() { close(c.done) }) }

// hungUp records the far end's BYE.
func (c *call) hungUp() {
	c.mu.Lock()
	c.hangup = true
	c.mu.Unlock()
	c.end()
}

func (c *call) farEndHungUp() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hangup
}

// agree records T.38 parameters and the far end's UDPTL address.
func (c *call) agree(t sdp.T38, remote string) {
	c.t38, c.remote = &t, remote
	select {
	case <-c.switched:
	default:
		close(c.switched)
	}
}

// t38Offer is our T.38 offer: a new version of the description.
func (c *call) t38Offer() *sdp.Session {
	c.version++
	s := sdp.NewT38(c.u.public, c.port(), c.u.cfg.T38, c.sessID)
	s.Origin.Version = c.version
	return s
}

// audioOffer offers G.711 on the media socket. Faxhaven sends no audio: the
// line is held only until both ends switch to T.38.
func (c *call) audioOffer() *sdp.Session {
	c.version++
	return &sdp.Session{
		Origin: sdp.Origin{Username: "faxhaven", SessionID: c.sessID, Version: c.version, Addr: c.u.public},
		Name:   "fax", Conn: c.u.public,
		Media: []*sdp.Media{{Type: "audio", Port: c.port(), Proto: "RTP/AVP", Formats: []string{"0", "8"},
			Attrs: []sdp.Attr{{Name: "rtpmap", Value: "0 PCMU/8000"}, {Name: "rtpmap", Value: "8 PCMA/8000"}, {Name: "sendrecv", Flag: true}}}},
	}
}

// answerOffer answers a description from the far end: T.38 if it offers
// T.38, else G.711 audio to hold the line until the switch. The caller
// holds c.mu.
func (c *call) answerOffer(offer *sdp.Session) (*sdp.Session, error) {
	if m := offer.T38Media(); m != nil {
		c.version++
		ans, err := sdp.Answer(offer, c.u.public, c.port(), c.u.cfg.T38, c.sessID)
		if err != nil {
			return nil, err
		}
		ans.Origin.Version = c.version
		var t sdp.T38
		for _, am := range ans.Media {
			if am.T38 != nil {
				t = *am.T38
			}
		}
		c.agree(t, net.JoinHostPort(offer.Addr(m), strconv.Itoa(m.Port)))
		return ans, nil
	}
	a := offer.AudioMedia()
	if a == nil || c.t38 != nil {
		return nil, sdp.ErrNoT38
	}
	var pt string
	for _, f := range a.Formats {
		if f == "0" || f == "8" {
			pt = f
			break
		}
	}
	if pt == "" {
		return nil, errors.New("sip: the audio offer has neither PCMU nor PCMA")
	}
	c.version++
	ans := &sdp.Session{
		Origin: sdp.Origin{Username: "faxhaven", SessionID: c.sessID, Version: c.version, Addr: c.u.public},
		Name:   "fax", Conn: c.u.public,
	}
	for _, m := range offer.Media {
		am := &sdp.Media{Type: m.Type, Proto: m.Proto, Formats: m.Formats}
		if m == a {
			am.Port, am.Formats = c.port(), []string{pt}
			am.Attrs = []sdp.Attr{{Name: "sendrecv", Flag: true}}
		}
		ans.Media = append(ans.Media, am)
	}
	return ans, nil
}

// remoteTarget is where in-dialog requests go: the far end's Contact.
func (c *call) remoteTarget() sip.Uri {
	if c.cs != nil {
		if ct := c.cs.InviteResponse.Contact(); ct != nil {
			return *ct.Address.Clone()
		}
		return *c.cs.InviteRequest.Recipient.Clone()
	}
	if ct := c.ss.InviteRequest.Contact(); ct != nil {
		return *ct.Address.Clone()
	}
	return sip.Uri{Scheme: "sip", Host: c.ss.InviteRequest.Source()}
}

func (c *call) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	if c.cs != nil {
		return c.cs.Do(ctx, req)
	}
	return c.ss.Do(ctx, req)
}

func (c *call) write(req *sip.Request) error {
	if c.cs != nil {
		return c.cs.WriteRequest(req)
	}
	return c.ss.WriteRequest(req)
}

// glareGrace is how long a re-INVITE from the far end waits for a final
// response to ours that may already have arrived before it is refused
// with 491.
const glareGrace = 100 * time.Millisecond

// errSuperseded ends a re-INVITE that the far end's own re-INVITE made
// needless while ours waited after a 491.
var errSuperseded = errors.New("sip: the far end's re-INVITE did what ours was for")

// reinvite sends our description body in a re-INVITE and returns the final
// response. A 491 (glare: both ends re-INVITEd at once) is retried after
// the wait RFC 3261 section 14.1 gives, unless done reports that the far
// end's request has made ours needless meanwhile. A 2xx is acknowledged.
func (c *call) reinvite(ctx context.Context, body func() *sdp.Session, done func() bool) (*sip.Response, *sdp.Session, error) {
	for attempt := 0; ; attempt++ {
		if attempt > 0 && done != nil && done() {
			return nil, nil, errSuperseded
		}
		c.mu.Lock()
		c.reinviting, c.reinvited = true, make(chan struct{})
		offer := body()
		c.mu.Unlock()
		req := sip.NewRequest(sip.INVITE, c.remoteTarget())
		req.SetBody(offer.Marshal())
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		c.addSessionHeaders(req)
		res, err := c.do(ctx, req)
		c.mu.Lock()
		c.reinviting = false
		close(c.reinvited)
		c.mu.Unlock()
		if err != nil {
			return nil, nil, fmt.Errorf("sip: re-INVITE: %w", err)
		}
		if res.StatusCode == 491 && attempt < 3 {
			select {
			case <-time.After(backoff491(c.outbound)):
				continue
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			case <-c.done:
				return nil, nil, errors.New("sip: the call ended during re-INVITE glare")
			}
		}
		if res.IsSuccess() {
			ack := sip.NewRequest(sip.ACK, c.remoteTarget())
			if err := c.write(ack); err != nil {
				return nil, nil, fmt.Errorf("sip: ACK the re-INVITE: %w", err)
			}
		}
		return res, offer, nil
	}
}

// switchToT38 re-INVITEs an audio call to T.38.
func (c *call) switchToT38(ctx context.Context) error {
	switched := func() bool {
		select {
		case <-c.switched:
			return true
		default:
			return false
		}
	}
	res, offer, err := c.reinvite(ctx, c.t38Offer, switched)
	if errors.Is(err, errSuperseded) {
		return nil
	}
	if err != nil {
		return err
	}
	if !res.IsSuccess() {
		return fmt.Errorf("sip: the far end refused the switch to T.38: %d %s", res.StatusCode, res.Reason)
	}
	ans, err := sdp.Parse(res.Body())
	if err != nil {
		return fmt.Errorf("sip: answer to the T.38 re-INVITE: %w", err)
	}
	m, err := sdp.CheckAnswer(ans, *offer.Media[0].T38)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.local = offer
	c.agree(*m.T38, net.JoinHostPort(ans.Addr(m), strconv.Itoa(m.Port)))
	return nil
}

// onReinvite answers a re-INVITE from the far end: a switch to T.38, a
// session refresh, or (with no body) a request for our description.
func (c *call) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	respond := func(code int, reason string, body []byte, hs ...sip.Header) {
		res := sip.NewResponseFromRequest(req, code, reason, body)
		for _, h := range hs {
			res.AppendHeader(h)
		}
		if code == 200 {
			res.AppendHeader(&c.u.dialog.ContactHDR)
			c.addTimerHeaders(req, res)
		}
		if body != nil {
			res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		}
		tx.Respond(res)
	}
	c.mu.Lock()
	if c.reinviting {
		// The final response to ours may be in and not yet seen: the
		// transport hands requests and responses on concurrently.
		ch := c.reinvited
		c.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(glareGrace):
		}
		c.mu.Lock()
	}
	if c.reinviting {
		c.mu.Unlock()
		// Both ends re-INVITEd at once; each backs off and tries again.
		respond(491, "Request Pending", nil)
		return
	}
	var body []byte
	switch {
	case len(req.Body()) == 0 && c.local != nil:
		// An offerless re-INVITE: offer what we have, unchanged.
		body = c.local.Marshal()
	case len(req.Body()) > 0:
		offer, err := sdp.Parse(req.Body())
		if err != nil {
			c.mu.Unlock()
			respond(400, "Bad Request", nil, sip.NewHeader("Warning", fmt.Sprintf("399 faxhaven %q", err.Error())))
			return
		}
		if c.local != nil && offer.Origin.SessionID == c.remoteSess && offer.Origin.Version == c.remoteVersion {
			// The same description again: a session refresh. Our answer
			// stays exactly as it was so the media are not touched.
			body = c.local.Marshal()
		} else if m := offer.T38Media(); m != nil && c.t38 != nil {
			// Already in T.38: accept a changed description, such as a new
			// far-end address, but keep our own unchanged.
			c.remote = net.JoinHostPort(offer.Addr(m), strconv.Itoa(m.Port))
			body = c.local.Marshal()
		} else {
			ans, err := c.answerOffer(offer)
			if err != nil {
				c.mu.Unlock()
				respond(488, "Not Acceptable Here", nil, sip.NewHeader("Warning", `304 faxhaven "T.38 (m=image udptl t38) is required"`))
				return
			}
			c.local = ans
			body = ans.Marshal()
		}
		c.remoteSess, c.remoteVersion = offer.Origin.SessionID, offer.Origin.Version
	default:
		c.mu.Unlock()
		respond(488, "Not Acceptable Here", nil)
		return
	}
	c.lastRefresh = c.u.cfg.Now()
	c.refreshes++
	c.mu.Unlock()
	respond(200, "OK", body)
}

func (c *call) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c.ss != nil {
		// ACKs of re-INVITEs do not match the dialog's first INVITE;
		// ReadAck refuses those, which is all right.
		c.ss.ReadAck(req, tx)
	}
}

// bye ends the dialog from our side unless the far end already did.
func (c *call) bye() {
	if c.farEndHungUp() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
	defer cancel()
	var err error
	if c.cs != nil {
		err = c.cs.Bye(ctx)
	} else if c.ss != nil {
		err = c.ss.Bye(ctx)
	}
	if err != nil {
		c.u.log.Debug("sip: BYE", "call", c.id, "err", err)
	}
}

// runFax runs the T.30 session over the agreed T.38 until it ends or the
// far end hangs up.
func (c *call) runFax(ctx context.Context, cfg t30.Config) (t30.Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	c.mu.Lock()
	t, remote := *c.t38, c.remote
	c.mu.Unlock()
	red := 0
	if t.UDPEC == sdp.Redundancy || t.UDPEC == sdp.FEC {
		// The terminal sends redundancy; a far end that asked for FEC
		// decodes redundancy too, since the packet says which it holds.
		red = c.u.cfg.Redundancy
	}
	return terminal.CallUDP(ctx, cfg, terminal.UDPConfig{Conn: c.media, Remote: remote, Redundancy: red, Version: t38.Version(t.Version),
		MaxDatagram: t.MaxDatagram})
}

// Session timers (RFC 4028).

// addSessionHeaders asks for a session timer in an INVITE of ours.
func (c *call) addSessionHeaders(req *sip.Request) {
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	c.mu.Lock()
	se, we := c.expires, c.weRefresh
	c.mu.Unlock()
	if se == 0 {
		se = c.u.cfg.SessionExpires
		we = true
	}
	ref := "uac"
	if !we {
		ref = "uas"
	}
	if c.cs == nil && c.ss == nil {
		ref = "uac" // the first INVITE: we ask to refresh
	}
	req.AppendHeader(sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=%s", int(se/time.Second), ref)))
	req.AppendHeader(sip.NewHeader("Min-SE", strconv.Itoa(int(c.u.cfg.MinSE/time.Second))))
}

// addTimerHeaders repeats the session timer in a 2xx to a refresh.
func (c *call) addTimerHeaders(req *sip.Request, res *sip.Response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expires == 0 {
		return
	}
	// The refresher named from the view of this request's sender.
	ref := "uac"
	if c.weRefresh {
		ref = "uas"
	}
	res.AppendHeader(sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=%s", int(c.expires/time.Second), ref)))
	if c.peerTimer {
		res.AppendHeader(sip.NewHeader("Require", "timer"))
	}
	c.lastRefresh = c.u.cfg.Now()
}

// parseSessionExpires reads "90;refresher=uac".
func parseSessionExpires(v string) (time.Duration, string, error) {
	num, params, _ := strings.Cut(v, ";")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n <= 0 {
		return 0, "", fmt.Errorf("Session-Expires %q is not a number of seconds", v)
	}
	ref := ""
	for _, p := range strings.Split(params, ";") {
		if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "refresher") {
			ref = strings.ToLower(strings.TrimSpace(val))
		}
	}
	return time.Duration(n) * time.Second, ref, nil
}

// keepSession refreshes the session when this end is the refresher, or
// ends it with BYE when the far end lets it expire. A refresh is a
// re-INVITE with the same description, so the UDPTL stream goes on.
func (c *call) keepSession() {
	for {
		c.mu.Lock()
		se, we, last := c.expires, c.weRefresh, c.lastRefresh
		c.mu.Unlock()
		if se == 0 {
			return
		}
		wait := se/2 - c.u.cfg.Now().Sub(last)
		if !we {
			// RFC 4028 section 10: BYE at expiry less a third, at most 32 s.
			wait = se - min(32*time.Second, se/3) - c.u.cfg.Now().Sub(last)
		}
		select {
		case <-c.done:
			return
		case <-time.After(max(wait, 0)):
		}
		c.mu.Lock()
		stale := c.lastRefresh.Equal(last)
		c.mu.Unlock()
		if !stale {
			continue
		}
		if !we {
			c.u.log.Info("sip: the far end did not refresh the session; hanging up", "call", c.id)
			c.end()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
		res, _, err := c.reinvite(ctx, func() *sdp.Session { return c.local }, nil)
		cancel()
		switch {
		case err != nil:
			c.u.log.Info("sip: session refresh failed; hanging up", "call", c.id, "err", err)
			c.end()
			return
		case res.StatusCode == 408 || res.StatusCode == 481:
			c.u.log.Info("sip: session refresh refused; the dialog is gone", "call", c.id, "code", res.StatusCode)
			c.hungUp()
			return
		}
		c.mu.Lock()
		c.lastRefresh = c.u.cfg.Now()
		c.refreshes++
		c.mu.Unlock()
	}
}
