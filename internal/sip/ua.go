// Package sip connects the fax service to the telephone network through SIP
// trunks carrying T.38: a user agent (on github.com/emiago/sipgo) that
// registers with providers or is trusted by them, places outbound fax calls
// as a carrier.Carrier, and answers inbound calls to the service's numbers,
// handing the faxes to a carrier.Sink.
//
// Calls offer T.38 straight away, or audio first with a switch to T.38 by
// re-INVITE in either direction. Session timers (RFC 4028) are refreshed
// with the same description, so a refresh never touches the UDPTL stream
// of a page in flight; re-INVITE glare is resolved as RFC 3261 section 14.1
// says. Each call's UDPTL runs on one socket that both sends and receives
// (symmetric UDPTL), and requests carry rport for NAT.
package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/faxhaven/faxhaven/fax/sdp"
	"github.com/faxhaven/faxhaven/internal/carrier"
)

// Config sets up a user agent.
type Config struct {
	// Listen is the UDP address SIP listens on, such as "0.0.0.0:5060".
	Listen string
	// Conn, if set, is used instead of binding Listen; the UA closes it.
	Conn net.PacketConn
	// MediaIP is the address UDPTL sockets bind to; empty means the
	// Listen host.
	MediaIP string
	// PublicIP is the address written in Contact and SDP, for a service
	// behind NAT with a fixed public address; empty means MediaIP.
	PublicIP string
	Trunks   []Trunk
	// T38 is what this end can do; zero fields take DefaultT38's.
	T38 sdp.T38
	// Redundancy is the UDPTL redundancy depth sent when redundancy is
	// negotiated; 0 means 3.
	Redundancy int
	// RingTimeout is how long an outbound call may ring before it is
	// cancelled as unanswered; 0 means 60 s.
	RingTimeout time.Duration
	// MaxInbound bounds concurrent inbound calls over all trunks; 0 means
	// 100. Calls above it are answered 486 Busy Here.
	MaxInbound int
	// SessionExpires is the session interval asked for (RFC 4028);
	// 0 means 1800 s. MinSE is the least accepted; 0 means 90 s.
	SessionExpires, MinSE time.Duration
	// SwitchWait is how long an audio call waits for the far end to
	// re-INVITE to T.38 before this end does so itself; 0 means 2 s.
	SwitchWait time.Duration
	// Owns reports whether an inbound number (E.164) belongs to the
	// service; an unknown number is answered 404.
	Owns func(ctx context.Context, e164 string) (bool, error)
	// Sink takes inbound faxes.
	Sink carrier.Sink
	// PingInterval is how often trunks that do not register are pinged
	// with OPTIONS; one that does not answer is skipped by outbound calls
	// until it answers again. 0 means 30 s; negative turns pings off.
	PingInterval time.Duration
	// NoKeepRegistered leaves registering trunks unregistered until
	// Check registers them once: for one-off checks, not for service.
	NoKeepRegistered bool
	// Now reads the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultT38 is what Faxhaven offers and accepts unless told otherwise:
// T.38 version 0 (what most gateways speak; fax/terminal speaks 0 to 3),
// 14 400 bit/s, transferred TCF and UDPTL redundancy, which is what the
// terminal sends (it does not send parity FEC).
var DefaultT38 = sdp.T38{
	Version:        0,
	MaxBitRate:     14400,
	RateManagement: sdp.TransferredTCF,
	MaxBuffer:      2000,
	MaxDatagram:    1400,
	UDPEC:          sdp.Redundancy,
}

// UA is a SIP user agent for fax. It is a carrier.Carrier.
type UA struct {
	cfg    Config
	log    *slog.Logger
	trunks []*trunkState

	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	cli     *sipgo.Client
	dialog  *sipgo.DialogUA
	conn    net.PacketConn
	addr    *net.UDPAddr // where SIP listens, as others reach it
	mediaIP string
	public  string

	mu       sync.Mutex
	calls    map[string]*call // by Call-ID
	inbound  int
	closed   bool
	draining bool // Shutdown: no new calls, running ones finish

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New sets up a user agent and binds its SIP socket; Start serves it.
func New(cfg Config) (*UA, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.T38 == (sdp.T38{}) {
		cfg.T38 = DefaultT38
	}
	if cfg.T38.RateManagement == "" {
		cfg.T38.RateManagement = sdp.TransferredTCF
	}
	if cfg.Redundancy <= 0 {
		cfg.Redundancy = 3
	}
	if cfg.RingTimeout <= 0 {
		cfg.RingTimeout = 60 * time.Second
	}
	if cfg.MaxInbound <= 0 {
		cfg.MaxInbound = 100
	}
	if cfg.SessionExpires <= 0 {
		cfg.SessionExpires = 1800 * time.Second
	}
	if cfg.MinSE <= 0 {
		cfg.MinSE = 90 * time.Second
	}
	if cfg.PingInterval == 0 {
		cfg.PingInterval = 30 * time.Second
	}
	if cfg.SwitchWait <= 0 {
		cfg.SwitchWait = 2 * time.Second
	}
	if cfg.Owns == nil || cfg.Sink == nil {
		return nil, errors.New("sip: Config.Owns and Config.Sink are required")
	}
	u := &UA{cfg: cfg, log: cfg.Logger, calls: map[string]*call{}}
	for _, t := range cfg.Trunks {
		if err := t.validate(); err != nil {
			return nil, fmt.Errorf("sip: %w", err)
		}
		u.trunks = append(u.trunks, &trunkState{Trunk: t, now: cfg.Now})
	}

	conn := cfg.Conn
	if conn == nil {
		if cfg.Listen == "" {
			return nil, errors.New("sip: no listen address; set sip-listen, such as 0.0.0.0:5060")
		}
		c, err := net.ListenPacket("udp", cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("sip: listen on %s: %w", cfg.Listen, err)
		}
		conn = c
	}
	u.conn = conn
	u.addr = conn.LocalAddr().(*net.UDPAddr)
	u.mediaIP = cfg.MediaIP
	if u.mediaIP == "" {
		u.mediaIP = u.addr.IP.String()
		if u.addr.IP.IsUnspecified() {
			u.mediaIP = "0.0.0.0"
		}
	}
	u.public = cfg.PublicIP
	if u.public == "" {
		u.public = u.mediaIP
		if ip := net.ParseIP(u.public); ip == nil || ip.IsUnspecified() {
			u.conn.Close()
			return nil, errors.New("sip: listening on all addresses needs public-ip (the address the trunk reaches this service at)")
		}
	}

	quietLibrary(u.log)
	var err error
	if u.ua, err = sipgo.NewUA(sipgo.WithUserAgent("Faxhaven"), sipgo.WithUserAgentHostname(u.public)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sip: %w", err)
	}
	if u.srv, err = sipgo.NewServer(u.ua, sipgo.WithServerLogger(u.log)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sip: %w", err)
	}
	// rport asks the far end to answer where the request came from,
	// which is what gets a response through NAT.
	if u.cli, err = sipgo.NewClient(u.ua, sipgo.WithClientHostname(u.public), sipgo.WithClientPort(u.addr.Port), sipgo.WithClientNAT(), sipgo.WithClientLogger(u.log)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sip: %w", err)
	}
	u.dialog = &sipgo.DialogUA{Client: u.cli, ContactHDR: u.contact("faxhaven")}
	u.srv.OnInvite(u.onInvite)
	u.srv.OnAck(u.onAck)
	u.srv.OnBye(u.onBye)
	u.srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	})
	u.srv.OnOptions(u.onOptions)
	u.srv.OnUpdate(u.onUpdate)
	u.srv.OnNoRoute(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, 405, "Method Not Allowed", nil)
		res.AppendHeader(sip.NewHeader("Allow", allow))
		tx.Respond(res)
	})
	return u, nil
}

// allow lists the methods the UA takes.
const allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE"

// Addr returns the UDP address SIP listens on.
func (u *UA) Addr() *net.UDPAddr { return u.addr }

// Start serves SIP and keeps the registering trunks registered. When ctx
// ends the UA takes no new calls but lets running ones finish; Shutdown or
// Close ends it.
func (u *UA) Start(ctx context.Context) {
	u.ctx, u.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		select {
		case <-ctx.Done():
			u.mu.Lock()
			u.draining = true
			u.mu.Unlock()
		case <-u.ctx.Done():
		}
	}()
	u.log.Info("sip: listening", "addr", u.addr.String(), "public", u.public, "trunks", len(u.trunks))
	u.resolveTrunks()
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		if err := u.srv.ServeUDP(u.conn); err != nil && u.ctx.Err() == nil {
			u.log.Error("sip: serving stopped", "err", err)
		}
	}()
	for _, t := range u.trunks {
		switch {
		case t.Register && !u.cfg.NoKeepRegistered:
			u.wg.Add(1)
			go func() {
				defer u.wg.Done()
				u.keepRegistered(u.ctx, t)
			}()
		case !t.Register && !t.NoPing && u.cfg.PingInterval > 0 && !u.cfg.NoKeepRegistered:
			u.wg.Add(1)
			go func() {
				defer u.wg.Done()
				u.keepPinging(u.ctx, t)
			}()
		}
	}
}

// Shutdown stops taking new calls (inbound INVITEs get 503, outbound
// sends fail) and waits for the calls in progress to end, or for ctx; then
// it closes the UA.
func (u *UA) Shutdown(ctx context.Context) error {
	u.mu.Lock()
	u.draining = true
	u.mu.Unlock()
	for u.Active() > 0 && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	return u.Close()
}

// Close ends every call at once and stops serving; registrations are left
// to expire.
func (u *UA) Close() error {
	u.closeOnce.Do(u.close)
	return nil
}

func (u *UA) close() {
	u.mu.Lock()
	u.closed = true
	calls := make([]*call, 0, len(u.calls))
	for _, c := range u.calls {
		calls = append(calls, c)
	}
	u.mu.Unlock()
	for _, c := range calls {
		c.end()
	}
	if u.cancel != nil {
		u.cancel()
	}
	u.ua.Close()
	u.conn.Close()
	u.wg.Wait()
}

// Active returns the number of calls in progress.
func (u *UA) Active() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.calls)
}

// resolveTrunks looks up the addresses each trunk's calls come from.
func (u *UA) resolveTrunks() {
	for _, t := range u.trunks {
		host, _, err := net.SplitHostPort(t.hostPort())
		if err != nil {
			continue
		}
		ips, err := net.DefaultResolver.LookupIP(context.Background(), "ip", host)
		if err != nil {
			u.log.Warn("sip: cannot resolve trunk host; its inbound calls will be refused", "trunk", t.Name, "err", err)
			continue
		}
		t.mu.Lock()
		t.addrs = ips
		t.mu.Unlock()
	}
}

// trunkFor returns the trunk a request came from, by source address.
func (u *UA) trunkFor(req *sip.Request) *trunkState {
	host, _, err := net.SplitHostPort(req.Source())
	if err != nil {
		return nil
	}
	ip := net.ParseIP(host)
	for _, t := range u.trunks {
		t.mu.Lock()
		addrs := t.addrs
		t.mu.Unlock()
		for _, a := range addrs {
			if a.Equal(ip) {
				return t
			}
		}
	}
	return nil
}

func (u *UA) trunk(name string) *trunkState {
	for _, t := range u.trunks {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// contact is our Contact header for user.
func (u *UA) contact(user string) sip.ContactHeader {
	return sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: u.public, Port: u.addr.Port}}
}

// addCall records a call; it fails when the UA is closing or draining.
func (u *UA) addCall(c *call) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed || u.draining {
		return false
	}
	u.calls[c.id] = c
	return true
}

func (u *UA) removeCall(c *call) {
	u.mu.Lock()
	if u.calls[c.id] == c {
		delete(u.calls, c.id)
	}
	u.mu.Unlock()
}

func (u *UA) lookup(req *sip.Request) *call {
	id := req.CallID()
	if id == nil {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls[id.Value()]
}

func (u *UA) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		c := u.lookup(req)
		if c == nil {
			tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
		c.onReinvite(req, tx)
		return
	}
	u.inboundInvite(req, tx)
}

func (u *UA) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c := u.lookup(req); c != nil {
		c.onAck(req, tx)
	}
}

func (u *UA) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := u.lookup(req)
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	c.hungUp()
}

// onUpdate takes UPDATE without a body: a session refresh (RFC 4028).
func (u *UA) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	c := u.lookup(req)
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	if len(req.Body()) > 0 {
		// A new offer in UPDATE is not needed for fax; refuse it and keep
		// the session as it is.
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	c.addTimerHeaders(req, res)
	tx.Respond(res)
}

func (u *UA) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", allow))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	res.AppendHeader(sip.NewHeader("Supported", "timer"))
	tx.Respond(res)
}

// e164 makes an E.164 number of the user part of a SIP or tel URI: "+"
// and digits; "00" is read as "+", and a number without either is taken
// as already international.
func e164(user string) (string, bool) {
	user, _, _ = strings.Cut(user, ";")
	var b strings.Builder
	for i, r := range user {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
		case r == '-' || r == '.' || r == '(' || r == ')' || r == ' ':
		default:
			return "", false
		}
	}
	d := strings.TrimPrefix(b.String(), "00")
	if len(d) < 3 || len(d) > 15 {
		return "", false
	}
	return "+" + d, true
}

// backoff491 is how long to wait before repeating a re-INVITE refused
// with 491 (RFC 3261 section 14.1): 2.1 to 4 s when this end chose the
// Call-ID, else up to 2 s, in units of 10 ms.
func backoff491(ownsCallID bool) time.Duration {
	if ownsCallID {
		return 2100*time.Millisecond + time.Duration(rand.IntN(191))*10*time.Millisecond
	}
	return time.Duration(rand.IntN(201)) * 10 * time.Millisecond
}

// CallInfo describes a call in progress.
type CallInfo struct {
	CallID  string
	Trunk   string
	Inbound bool
	// T38 is set once both ends agreed on T.38; Media is the local UDPTL
	// (or, before the switch, audio) address and Remote the far end's
	// UDPTL address.
	T38           bool
	Media, Remote string
}

// Calls lists the calls in progress.
func (u *UA) Calls() []CallInfo {
	u.mu.Lock()
	cs := make([]*call, 0, len(u.calls))
	for _, c := range u.calls {
		cs = append(cs, c)
	}
	u.mu.Unlock()
	out := make([]CallInfo, 0, len(cs))
	for _, c := range cs {
		c.mu.Lock()
		ci := CallInfo{CallID: c.id, Inbound: !c.outbound, T38: c.t38 != nil, Media: c.media.LocalAddr().String(), Remote: c.remote}
		c.mu.Unlock()
		if c.trunk != nil {
			ci.Trunk = c.trunk.Name
		}
		out = append(out, ci)
	}
	return out
}
