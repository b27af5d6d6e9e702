package sip

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// registerRetry is how long a failed registration waits before the next try.
const registerRetry = 30 * time.Second

// keepRegistered registers t and renews the registration before it lapses
// until ctx ends.
func (u *UA) keepRegistered(ctx context.Context, t *trunkState) {
	for {
		granted, err := u.register(ctx, t)
		t.setRegistered(err == nil, err)
		wait := registerRetry
		if err == nil {
			// Renew at four fifths of the granted time.
			wait = granted * 4 / 5
			u.log.Info("sip: registered", "trunk", t.Name, "expires", granted)
		} else if ctx.Err() == nil {
			u.log.Warn("sip: registration failed", "trunk", t.Name, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// register sends one REGISTER, answering a digest challenge, and returns
// the time the registrar granted.
func (u *UA) register(ctx context.Context, t *trunkState) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	expires := t.Expires
	if expires == 0 {
		expires = 600 * time.Second
	}
	host, portStr, _ := net.SplitHostPort(t.hostPort())
	port, _ := strconv.Atoi(portStr)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
	aor := sip.Uri{Scheme: "sip", User: t.Username, Host: t.domain()}
	from := sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(&from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	ct := u.contact(t.Username)
	req.AppendHeader(&ct)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	res, err := u.cli.Do(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("REGISTER to %s: no response: %w", t.hostPort(), err)
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		if t.Password == "" {
			return 0, fmt.Errorf("REGISTER to %s: %d %s, and the trunk has no password", t.hostPort(), res.StatusCode, res.Reason)
		}
		req.RemoveHeader("Via")
		res, err = u.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: t.Username, Password: t.Password})
		if err != nil {
			return 0, fmt.Errorf("REGISTER to %s with credentials: %w", t.hostPort(), err)
		}
	}
	if !res.IsSuccess() {
		hint := ""
		if res.StatusCode == 401 || res.StatusCode == 403 || res.StatusCode == 407 {
			hint = " (check the trunk's username and password)"
		}
		return 0, fmt.Errorf("REGISTER to %s: %d %s%s", t.hostPort(), res.StatusCode, res.Reason, hint)
	}
	granted := expires
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(h.Value()); err == nil && n > 0 {
			granted = time.Duration(n) * time.Second
		}
	}
	if c := res.Contact(); c != nil {
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				granted = time.Duration(n) * time.Second
			}
		}
	}
	return granted, nil
}

// keepPinging pings a trunk that does not register with OPTIONS every
// PingInterval, so that outbound calls skip it while it does not answer
// instead of waiting for each INVITE to time out. Any answer, even an
// error response, shows the trunk is there.
func (u *UA) keepPinging(ctx context.Context, t *trunkState) {
	for {
		pctx, cancel := context.WithTimeout(ctx, min(dialTimeout, u.cfg.PingInterval))
		code, _, err := u.options(pctx, t)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if code != 0 {
			err = nil
		}
		t.mu.Lock()
		changed := (t.pingErr == nil) != (err == nil)
		t.mu.Unlock()
		t.setPing(err)
		if changed && err != nil {
			u.log.Warn("sip: trunk not answering; outbound calls skip it", "trunk", t.Name, "err", err)
		} else if changed {
			u.log.Info("sip: trunk answering again", "trunk", t.Name)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(u.cfg.PingInterval):
		}
	}
}

// Report is what "faxhaven sip check" found out about a trunk.
type Report struct {
	Trunk string
	// Registered is set when the trunk registers and the registrar took
	// our credentials; RegisterErr says why not.
	Registered  bool
	RegisterErr error
	Granted     time.Duration // registration lifetime granted
	// OptionsCode is the answer to an OPTIONS ping (0 for none), RTT its
	// round trip, and OptionsErr why there was none.
	OptionsCode int
	OptionsErr  error
	RTT         time.Duration
}

// OK reports whether the trunk looks usable.
func (r *Report) OK() bool {
	return r.RegisterErr == nil && r.OptionsErr == nil && r.OptionsCode >= 200 && r.OptionsCode < 300
}

// Check registers with trunk name (when it registers) and pings it with
// OPTIONS. The UA must have been started.
func (u *UA) Check(ctx context.Context, name string) (*Report, error) {
	t := u.trunk(name)
	if t == nil {
		return nil, fmt.Errorf("sip: no trunk named %q", name)
	}
	rep := &Report{Trunk: name}
	if t.Register {
		rep.Granted, rep.RegisterErr = u.register(ctx, t)
		rep.Registered = rep.RegisterErr == nil
		t.setRegistered(rep.Registered, rep.RegisterErr)
	}
	rep.OptionsCode, rep.RTT, rep.OptionsErr = u.options(ctx, t)
	return rep, nil
}

// options pings a trunk.
func (u *UA) options(ctx context.Context, t *trunkState) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	host, portStr, _ := net.SplitHostPort(t.hostPort())
	port, _ := strconv.Atoi(portStr)
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: host, Port: port})
	user := t.Username
	if user == "" {
		user = "faxhaven"
	}
	from := sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: t.domain()}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(&from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", Host: t.domain()}})
	start := time.Now()
	res, err := u.cli.Do(ctx, req)
	if err != nil {
		return 0, 0, fmt.Errorf("OPTIONS to %s: no response: %w", t.hostPort(), err)
	}
	rtt := time.Since(start)
	if res.StatusCode == 401 || res.StatusCode == 407 {
		// An answer at all shows the trunk is there; some want credentials
		// even for OPTIONS.
		if t.Password != "" {
			req.RemoveHeader("Via")
			if r2, err := u.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: t.Username, Password: t.Password}); err == nil {
				res = r2
			}
		}
	}
	if !res.IsSuccess() {
		return res.StatusCode, rtt, fmt.Errorf("OPTIONS to %s: %d %s", t.hostPort(), res.StatusCode, res.Reason)
	}
	return res.StatusCode, rtt, nil
}
