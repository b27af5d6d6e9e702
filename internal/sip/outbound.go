package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/faxhaven/faxhaven/fax/sdp"
	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/internal/carrier"
)

// Send places an outbound fax call on the first trunk, by priority, that is
// up and has room, and hands the call to the next trunk when one fails
// with a server error or does not answer at all. It implements
// carrier.Carrier. Cancelling ctx while the call rings sends CANCEL; during
// the fax it ends the fax and sends BYE.
func (u *UA) Send(ctx context.Context, out *carrier.Outbound) (*carrier.Result, error) {
	if len(out.Pages) == 0 {
		return nil, errors.New("sip: a fax needs at least one page")
	}
	to, ok := e164(out.To)
	if !ok {
		return &carrier.Result{Status: carrier.NoSuchNumber, Reason: "the number is not a valid international number", Detail: "sip: not E.164: " + out.To}, nil
	}
	if len(u.trunks) == 0 {
		return &carrier.Result{Status: carrier.TrunkDown, Reason: "no SIP trunk is configured", Detail: "sip: no trunks"}, nil
	}
	var tried []string
	for _, t := range byPriority(u.trunks) {
		if ok, why := t.usable(); !ok {
			tried = append(tried, t.Name+": "+why)
			continue
		}
		if !t.acquire(true) {
			tried = append(tried, t.Name+": at its call limit")
			continue
		}
		res, next, err := u.sendVia(ctx, t, to, out)
		t.release()
		if err != nil {
			return nil, err
		}
		if !next {
			return res, nil
		}
		tried = append(tried, t.Name+": "+res.Detail)
	}
	return &carrier.Result{Status: carrier.TrunkDown, Reason: "no SIP trunk could take the call", Detail: "sip: " + strings.Join(tried, "; ")}, nil
}

// statusFor maps a final SIP response to an INVITE onto a call outcome.
// next reports that another trunk should be tried.
func statusFor(code int) (s carrier.Status, reason string, next bool) {
	switch {
	case code == 486 || code == 600:
		return carrier.Busy, "the line was busy", false
	case code == 480 || code == 408 || code == 487:
		return carrier.NoAnswer, "nobody answered", false
	case code == 404 || code == 484 || code == 604 || code == 410:
		return carrier.NoSuchNumber, "the number does not exist", false
	case code == 488 || code == 606 || code == 415:
		return carrier.Rejected, "the far end cannot take a fax over T.38", false
	case code == 401 || code == 407:
		return carrier.TrunkDown, "the trunk refused our credentials", true
	case code == 503 || code >= 500 && code < 600:
		return carrier.TrunkDown, "the trunk failed", true
	}
	return carrier.Rejected, "the call was refused", false
}

// sendVia makes one call on trunk t.
func (u *UA) sendVia(ctx context.Context, t *trunkState, to string, out *carrier.Outbound) (res *carrier.Result, next bool, err error) {
	start := u.cfg.Now()
	media, err := u.listenMedia()
	if err != nil {
		return &carrier.Result{Status: carrier.Failed, Reason: "no local port for the fax", Detail: err.Error()}, false, nil
	}
	defer media.Close()

	host, portStr, _ := net.SplitHostPort(t.hostPort())
	port, _ := strconv.Atoi(portStr)
	// Providers differ on "+": the E.164 number goes as it is, with "+".
	recipient := sip.Uri{Scheme: "sip", User: to, Host: host, Port: port}
	from := sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: fromUser(t, out.From), Host: t.domain()}}
	from.Params = sip.NewParams()
	from.Params.Add("tag", sip.GenerateTagN(16))
	callID := sip.CallIDHeader(fmt.Sprintf("%s@faxhaven", sip.GenerateTagN(24)))
	c := newCall(u, string(callID), t, true, media)
	c.mu.Lock()
	if t.AudioFirst {
		c.local = c.audioOffer()
	} else {
		c.local = c.t38Offer()
	}
	offer := c.local
	c.mu.Unlock()
	if !u.addCall(c) {
		return nil, false, errClosed
	}
	defer u.removeCall(c)
	defer c.end()

	detail := func(format string, args ...any) string {
		return fmt.Sprintf("sip: trunk %s: ", t.Name) + fmt.Sprintf(format, args...)
	}
	var cs *sipgo.DialogClientSession
	var last int
	for seq := uint32(1); ; seq++ {
		req := sip.NewRequest(sip.INVITE, recipient)
		req.AppendHeader(sip.HeaderClone(&from))
		req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: to, Host: t.domain()}})
		req.AppendHeader(&callID)
		req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.INVITE})
		if out.From != "" && t.Username != "" && fromUser(t, out.From) != out.From {
			// Many trunks take the caller's number from P-Asserted-Identity
			// when From must carry the account name.
			req.AppendHeader(sip.NewHeader("P-Asserted-Identity", fmt.Sprintf("<sip:%s@%s>", out.From, t.domain())))
		}
		ct := u.contact("faxhaven")
		req.AppendHeader(&ct)
		req.SetBody(offer.Marshal())
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.AppendHeader(sip.NewHeader("Allow", allow))
		c.addSessionHeaders(req)
		var err error
		if cs, err = u.dialog.WriteInvite(ctx, req); err != nil {
			return &carrier.Result{Status: carrier.TrunkDown, Reason: "the trunk could not be reached", Detail: detail("INVITE: %v", err)}, true, nil
		}
		c.cs = cs
		defer cs.Close()
		ring, cancelRing := context.WithTimeout(ctx, u.cfg.RingTimeout)
		err = cs.WaitAnswer(ring, sipgo.AnswerOptions{Username: t.Username, Password: t.Password, OnResponse: func(r *sip.Response) error {
			last = r.StatusCode
			return nil
		}})
		cancelRing()
		// 422: the trunk wants a longer session interval (RFC 4028); ask
		// once more with its Min-SE.
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) && de.Res.StatusCode == 422 && seq == 1 {
			if h := de.Res.GetHeader("Min-SE"); h != nil {
				if se, _, perr := parseSessionExpires(h.Value()); perr == nil {
					c.mu.Lock()
					c.expires, c.weRefresh = se, true
					c.mu.Unlock()
					continue
				}
			}
		}
		if err != nil {
			return u.inviteFailed(ctx, err, ring, last, start, to, detail)
		}
		break
	}
	if err := cs.Ack(ctx); err != nil {
		return &carrier.Result{Status: carrier.Failed, Reason: "the call could not be set up", Detail: detail("ACK: %v", err)}, false, nil
	}
	defer c.bye()
	code := fmt.Sprintf("%d %s", cs.InviteResponse.StatusCode, cs.InviteResponse.Reason)

	// The answer: T.38 straight away, or audio to be switched.
	ans, err := sdp.Parse(cs.InviteResponse.Body())
	if err != nil {
		return &carrier.Result{Status: carrier.Failed, Reason: "the far end sent an unusable answer", Detail: detail("%s: %v", code, err)}, false, nil
	}
	c.mu.Lock()
	c.remoteSess, c.remoteVersion = ans.Origin.SessionID, ans.Origin.Version
	if h := cs.InviteResponse.GetHeader("Session-Expires"); h != nil {
		if se, ref, err := parseSessionExpires(h.Value()); err == nil {
			c.expires, c.weRefresh, c.lastRefresh, c.peerTimer = se, ref != "uas", u.cfg.Now(), true
		}
	}
	var agreeErr error
	if offer.Media[0].T38 != nil {
		var m *sdp.Media
		if m, agreeErr = sdp.CheckAnswer(ans, *offer.Media[0].T38); agreeErr == nil {
			c.agree(*m.T38, net.JoinHostPort(ans.Addr(m), strconv.Itoa(m.Port)))
		}
	}
	c.mu.Unlock()
	if agreeErr != nil {
		return &carrier.Result{Status: carrier.Rejected, Reason: "the far end cannot take a fax over T.38", Detail: detail("%s: %v", code, agreeErr)}, false, nil
	}
	go c.keepSession()
	if err := c.awaitT38(ctx); err != nil {
		return &carrier.Result{Status: carrier.NotFax, Reason: "the call did not switch to fax (T.38)", Detail: detail("%s: %v", code, err), Duration: u.cfg.Now().Sub(start)}, false, nil
	}
	r, err := c.runFax(ctx, t30.Config{Role: t30.Calling, Ident: carrier.Ident(out.Ident), Pages: out.Pages})
	if err != nil {
		return &carrier.Result{Status: carrier.Failed, Reason: "the fax could not start", Detail: detail("%s: %v", code, err)}, false, nil
	}
	if ctx.Err() != nil && !r.OK() {
		return nil, false, fmt.Errorf("sip: call to %s cancelled: %w", to, ctx.Err())
	}
	res = faxResult(r, len(out.Pages), c.farEndHungUp())
	res.Detail = detail("%s; t30: %s", code, res.Detail)
	res.Duration = u.cfg.Now().Sub(start)
	return res, false, nil
}

// faxResult turns the sending session's result into a carrier result. A far
// end that hangs up once every page is confirmed has received the fax,
// even if it did not wait for our DCN.
func faxResult(r t30.Result, pages int, hungUp bool) *carrier.Result {
	res := carrier.ResultOf(r)
	if !r.OK() && hungUp && r.Confirmed() == pages {
		res.Status, res.Reason = carrier.Delivered, "every page was confirmed; the far end hung up first"
	}
	return res
}

// fromUser is the user part of our From: the sending number, or the
// trunk's account name when the trunk authenticates one.
func fromUser(t *trunkState, from string) string {
	if t.Register && t.Username != "" {
		return t.Username
	}
	if from == "" {
		return "anonymous"
	}
	return from
}

// errClosed is returned for calls asked of a closed user agent.
var errClosed = errors.New("sip: the user agent is closed")

// dialTimeout bounds OPTIONS and REGISTER transactions.
const dialTimeout = 10 * time.Second

// inviteFailed turns an INVITE that got no 2xx into a call outcome; next
// reports that another trunk should be tried.
func (u *UA) inviteFailed(ctx context.Context, err error, ring context.Context, last int, start time.Time, to string, detail func(string, ...any) string) (*carrier.Result, bool, error) {
	var de *sipgo.ErrDialogResponse
	switch {
	case errors.As(err, &de):
		st, reason, next := statusFor(de.Res.StatusCode)
		return &carrier.Result{Status: st, Reason: reason, Detail: detail("%d %s", de.Res.StatusCode, de.Res.Reason), Duration: u.cfg.Now().Sub(start)}, next, nil
	case ctx.Err() != nil:
		// The job gave up: WaitAnswer has sent CANCEL.
		return nil, false, fmt.Errorf("sip: call to %s cancelled: %w", to, ctx.Err())
	case ring.Err() != nil:
		return &carrier.Result{Status: carrier.NoAnswer, Reason: "nobody answered", Detail: detail("no answer within %v (last response %d); cancelled", u.cfg.RingTimeout, last), Duration: u.cfg.Now().Sub(start)}, false, nil
	case last == 0:
		return &carrier.Result{Status: carrier.TrunkDown, Reason: "the trunk did not respond", Detail: detail("no response to INVITE: %v", err)}, true, nil
	}
	return &carrier.Result{Status: carrier.NoAnswer, Reason: "the call was not answered", Detail: detail("after %d: %v", last, err), Duration: u.cfg.Now().Sub(start)}, false, nil
}
