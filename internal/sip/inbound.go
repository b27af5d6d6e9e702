package sip

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/faxhaven/faxhaven/fax/sdp"
	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/internal/carrier"
)

// inboundInvite answers a new INVITE: 403 for an address that is no trunk,
// 404 for a number the service does not own, 400 or 488 for a description
// it cannot use, 422 for a session interval below Min-SE, 486 above the call
// limits, and otherwise 200 with T.38 (or audio, switched to T.38 next),
// after which the fax is received and handed to the Sink.
func (u *UA) inboundInvite(req *sip.Request, tx sip.ServerTransaction) {
	reply := func(code int, reason string, hs ...sip.Header) {
		res := sip.NewResponseFromRequest(req, code, reason, nil)
		for _, h := range hs {
			res.AppendHeader(h)
		}
		tx.Respond(res)
	}
	trunk := u.trunkFor(req)
	if trunk == nil {
		reply(403, "Forbidden", sip.NewHeader("Warning", `399 faxhaven "calls are taken only from configured trunks"`))
		return
	}
	did, ok := e164(req.Recipient.User)
	if !ok {
		reply(404, "Not Found", sip.NewHeader("Warning", `399 faxhaven "the called number is not an E.164 number"`))
		return
	}
	ctx, cancel := context.WithTimeout(u.ctx, 5*time.Second)
	owned, err := u.cfg.Owns(ctx, did)
	cancel()
	if err != nil {
		u.log.Error("sip: number lookup failed", "err", err)
		reply(503, "Service Unavailable", sip.NewHeader("Retry-After", "30"))
		return
	}
	if !owned {
		reply(404, "Not Found")
		return
	}
	if len(req.Body()) == 0 {
		// A late offer (INVITE without SDP) is not supported: the caller
		// must offer T.38 or audio in the INVITE.
		reply(488, "Not Acceptable Here", sip.NewHeader("Warning", `399 faxhaven "an INVITE without SDP is not supported"`))
		return
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		reply(400, "Bad Request", sip.NewHeader("Warning", fmt.Sprintf("399 faxhaven %q", err.Error())))
		return
	}
	if offer.T38Media() == nil && offer.AudioMedia() == nil {
		reply(488, "Not Acceptable Here", sip.NewHeader("Warning", `304 faxhaven "offer T.38 (m=image udptl t38) or G.711 audio"`))
		return
	}
	var expires time.Duration
	var refresher string
	if h := req.GetHeader("Session-Expires"); h != nil {
		if expires, refresher, err = parseSessionExpires(h.Value()); err != nil {
			reply(400, "Bad Request", sip.NewHeader("Warning", fmt.Sprintf("399 faxhaven %q", err.Error())))
			return
		}
		if expires < u.cfg.MinSE {
			reply(422, "Session Interval Too Small", sip.NewHeader("Min-SE", strconv.Itoa(int(u.cfg.MinSE/time.Second))))
			return
		}
	}

	// Capacity: the service's inbound limit, then the trunk's.
	u.mu.Lock()
	if u.closed || u.draining {
		u.mu.Unlock()
		reply(503, "Service Unavailable", sip.NewHeader("Retry-After", "30"))
		return
	}
	full := u.inbound >= u.cfg.MaxInbound
	if !full {
		u.inbound++
	}
	u.mu.Unlock()
	if full {
		reply(486, "Busy Here")
		return
	}
	release := func() {
		u.mu.Lock()
		u.inbound--
		u.mu.Unlock()
	}
	if !trunk.acquire(false) {
		release()
		reply(486, "Busy Here")
		return
	}
	defer func() {
		if release != nil {
			release()
			trunk.release()
		}
	}()

	media, err := u.listenMedia()
	if err != nil {
		u.log.Error("sip: inbound call", "err", err)
		reply(503, "Service Unavailable", sip.NewHeader("Retry-After", "5"))
		return
	}
	c := newCall(u, req.CallID().Value(), trunk, false, media)
	c.mu.Lock()
	ans, err := c.answerOffer(offer)
	c.remoteSess, c.remoteVersion = offer.Origin.SessionID, offer.Origin.Version
	c.local = ans
	if expires > 0 {
		c.expires, c.weRefresh, c.lastRefresh = expires, refresher == "uas", u.cfg.Now()
		c.peerTimer = supportsTimer(req)
	}
	c.mu.Unlock()
	if err != nil {
		media.Close()
		reply(488, "Not Acceptable Here", sip.NewHeader("Warning", fmt.Sprintf("304 faxhaven %q", err.Error())))
		return
	}
	ss, err := u.dialog.ReadInvite(req, tx)
	if err != nil {
		media.Close()
		reply(400, "Bad Request", sip.NewHeader("Warning", fmt.Sprintf("399 faxhaven %q", err.Error())))
		return
	}
	c.ss = ss
	if !u.addCall(c) {
		media.Close()
		reply(503, "Service Unavailable")
		return
	}
	hs := []sip.Header{sip.NewHeader("Content-Type", "application/sdp")}
	if expires > 0 {
		// The caller refreshes unless it asked us to.
		ref := "uac"
		if c.weRefresh {
			ref = "uas"
		}
		hs = append(hs, sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=%s", int(expires/time.Second), ref)))
		if c.peerTimer {
			hs = append(hs, sip.NewHeader("Require", "timer"))
		}
	}
	tx.Respond(sip.NewResponseFromRequest(req, 100, "Trying", nil))
	if err := ss.Respond(200, "OK", ans.Marshal(), hs...); err != nil {
		// Cancelled, or the ACK never came.
		u.log.Info("sip: inbound call not established", "call", c.id, "err", err)
		c.end()
		if errors.Is(err, sip.ErrTransactionCanceled) {
			c.hungUp()
		} else {
			c.bye()
		}
		u.removeCall(c)
		media.Close()
		ss.Close()
		return
	}
	rel := release
	release = nil // the call goroutine releases from here on
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		defer func() {
			u.removeCall(c)
			media.Close()
			ss.Close()
			rel()
			trunk.release()
		}()
		u.receive(c, did, req)
	}()
}

// receive runs an answered inbound call: the switch to T.38 if it started
// with audio, the fax, its delivery, and the hang-up.
func (u *UA) receive(c *call, did string, req *sip.Request) {
	go c.keepSession()
	defer c.end()
	ctx := u.ctx
	if err := c.awaitT38(ctx); err != nil {
		u.log.Info("sip: inbound call never switched to T.38", "call", c.id, "err", err)
		c.bye()
		return
	}
	in := &carrier.Inbound{CallID: "sip:" + c.id, To: did, Received: u.cfg.Now()}
	if from := req.From(); from != nil {
		if n, ok := e164(from.Address.User); ok {
			in.From = n
		}
	}
	var pages []t30.ReceivedPage
	// The fax is stored before we hang up, so a call we end ourselves has
	// its fax on disk first.
	defer c.bye()
	res, err := c.runFax(ctx, t30.Config{Role: t30.Answering, Ident: carrier.Ident(did), OnPage: func(p t30.ReceivedPage) { pages = append(pages, p) }})
	if err != nil {
		u.log.Error("sip: inbound fax", "call", c.id, "err", err)
	}
	// Numbers identify people: the log names the call, never who it joined.
	u.log.Info("sip: inbound fax ended", "call", c.id, "pages", len(pages), "result", res.Message(), "detail", res.Detail)
	if len(pages) == 0 {
		return
	}
	in.RemoteID = res.RemoteID
	for _, p := range pages {
		in.Pages = append(in.Pages, carrier.ReceivedPage{Page: p.Page, Coded: p.Coded()})
	}
	// Storing may outlive the call; it has its own bound, within which a
	// passing failure (the database restarting) is tried again: the pages
	// were confirmed to the sender and exist nowhere else.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	for wait := time.Second; ; wait *= 2 {
		err := u.cfg.Sink.Deliver(dctx, in)
		if err == nil || errors.Is(err, carrier.ErrRefused) {
			return
		}
		select {
		case <-dctx.Done():
			u.log.Error("sip: inbound fax could not be stored", "call", c.id, "err", err)
			return
		case <-time.After(wait):
			u.log.Warn("sip: storing an inbound fax failed; trying again", "call", c.id, "err", err)
		}
	}
}

// awaitT38 waits until the call is in T.38: at once for a T.38 call; for
// an audio call, until the far end re-INVITEs to T.38 or, after
// SwitchWait, until our own re-INVITE does.
func (c *call) awaitT38(ctx context.Context) error {
	select {
	case <-c.switched:
		return nil
	case <-c.done:
		return errors.New("the call ended")
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(c.u.cfg.SwitchWait):
	}
	rctx, cancel := context.WithTimeout(ctx, 32*time.Second)
	defer cancel()
	if err := c.switchToT38(rctx); err != nil {
		select {
		case <-c.switched: // the far end's re-INVITE won
			return nil
		default:
		}
		return err
	}
	return nil
}

// supportsTimer reports whether a request says its sender supports
// session timers (RFC 4028): only then may a response require them.
func supportsTimer(req *sip.Request) bool {
	for _, h := range append(req.GetHeaders("Supported"), req.GetHeaders("k")...) {
		for _, opt := range strings.Split(h.Value(), ",") {
			if strings.EqualFold(strings.TrimSpace(opt), "timer") {
				return true
			}
		}
	}
	return false
}
