package sip

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Trunk is one route to the telephone network: a SIP provider that either
// takes a registration with digest authentication or trusts this service by
// its address (a static peer).
type Trunk struct {
	Name string
	// Host is where INVITEs, REGISTERs and OPTIONS go: "host" or
	// "host:port" (default port 5060). Inbound calls are accepted only
	// from the addresses this name resolves to.
	Host string
	// Domain is the host part of our From and To URIs; empty means Host
	// without the port.
	Domain string
	// Username and Password answer digest challenges. With Register set
	// the service registers Username at Host and keeps it registered.
	Username, Password string
	Register           bool
	// Expires is the registration lifetime asked for; 0 means 600 s.
	Expires time.Duration
	// Priority orders trunks for outbound calls, lowest first; a trunk
	// that is down, full or refuses with 5xx hands the call to the next.
	Priority int
	// MaxCalls bounds concurrent calls on the trunk, both directions;
	// 0 means no bound.
	MaxCalls int
	// CallsPerSecond bounds new outbound calls a second; 0 means no bound.
	CallsPerSecond int
	// AudioFirst offers audio in the first INVITE and switches to T.38 by
	// re-INVITE, for trunks that refuse an INVITE offering only T.38.
	AudioFirst bool
	// NoPing turns off the OPTIONS pings of a trunk that does not
	// register (file key "ping = false").
	NoPing bool
	// Numbers is the block of numbers the trunk brings to the service;
	// Count 0 means none.
	Numbers Pool
}

func (t *Trunk) hostPort() string {
	if _, _, err := net.SplitHostPort(t.Host); err == nil {
		return t.Host
	}
	return net.JoinHostPort(t.Host, "5060")
}

func (t *Trunk) domain() string {
	if t.Domain != "" {
		return t.Domain
	}
	h, _, err := net.SplitHostPort(t.Host)
	if err != nil {
		return t.Host
	}
	return h
}

func (t *Trunk) validate() error {
	switch {
	case t.Name == "" || strings.ContainsAny(t.Name, " \t[]="):
		return fmt.Errorf("trunk name %q: use letters, digits, '-' or '_'", t.Name)
	case t.Host == "":
		return fmt.Errorf("trunk %s: host is required (the provider's SIP server, host:port)", t.Name)
	case t.Register && t.Username == "":
		return fmt.Errorf("trunk %s: register = true needs a username", t.Name)
	case t.MaxCalls < 0 || t.CallsPerSecond < 0 || t.Expires < 0:
		return fmt.Errorf("trunk %s: max-calls, calls-per-second and expires cannot be negative", t.Name)
	}
	return nil
}

// File is a SIP configuration file: the user agent's own settings in a
// "[sip]" section and one "[trunk NAME]" section per trunk, each of
// "key = value" lines, '#' starting a comment.
type File struct {
	// [sip]: listen, public-ip, media-ip, max-inbound, ring-timeout
	// (seconds).
	Listen, PublicIP, MediaIP string
	MaxInbound                int
	RingTimeout               time.Duration
	Trunks                    []Trunk
}

// Pool is a block of Count numbers that a trunk routes to the service:
// Prefix followed by 0 to Count-1, zero-padded to at least four digits
// (prefix "+3120555", count 1000 gives +31205550000 to +31205550999), as
// the service's number pools are made.
type Pool struct {
	Prefix string
	Count  int
}

// ParseFile reads a SIP configuration file. Trunk keys are host, domain,
// username, password, register (true/false), expires (seconds), priority,
// max-calls, calls-per-second, audio-first (true/false), ping (true/false)
// and numbers (PREFIX/COUNT).
func ParseFile(r io.Reader) (*File, error) {
	f := &File{}
	var cur *Trunk
	inSIP := false
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			fs := strings.Fields(strings.Trim(line, "[]"))
			switch {
			case strings.HasSuffix(line, "]") && len(fs) == 1 && fs[0] == "sip":
				inSIP, cur = true, nil
			case strings.HasSuffix(line, "]") && len(fs) == 2 && fs[0] == "trunk":
				f.Trunks = append(f.Trunks, Trunk{Name: fs[1]})
				inSIP, cur = false, &f.Trunks[len(f.Trunks)-1]
			default:
				return nil, fmt.Errorf("sip config: line %d: want a section header [sip] or [trunk NAME], got %q", n, line)
			}
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("sip config: line %d: want key = value, got %q", n, line)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		var err error
		switch {
		case inSIP:
			err = f.set(key, val)
		case cur != nil:
			if err = cur.set(key, val); err != nil {
				err = fmt.Errorf("trunk %s: %w", cur.Name, err)
			}
		default:
			err = fmt.Errorf("%q comes before any [sip] or [trunk NAME] section", line)
		}
		if err != nil {
			return nil, fmt.Errorf("sip config: line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sip config: %w", err)
	}
	seen := map[string]bool{}
	for i := range f.Trunks {
		if err := f.Trunks[i].validate(); err != nil {
			return nil, fmt.Errorf("sip config: %w", err)
		}
		if seen[f.Trunks[i].Name] {
			return nil, fmt.Errorf("sip config: trunk %s is defined twice", f.Trunks[i].Name)
		}
		seen[f.Trunks[i].Name] = true
	}
	return f, nil
}

func (f *File) set(key, val string) error {
	switch key {
	case "listen":
		f.Listen = val
	case "public-ip":
		f.PublicIP = val
	case "media-ip":
		f.MediaIP = val
	case "max-inbound", "ring-timeout":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return fmt.Errorf("%s: %q is not a whole number of 0 or more", key, val)
		}
		if key == "max-inbound" {
			f.MaxInbound = n
		} else {
			f.RingTimeout = time.Duration(n) * time.Second
		}
	default:
		return fmt.Errorf("[sip]: unknown key %q (known: listen, public-ip, media-ip, max-inbound, ring-timeout)", key)
	}
	return nil
}

func (t *Trunk) set(key, val string) error {
	num := func() (int, error) {
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s: %q is not a whole number of 0 or more", key, val)
		}
		return n, nil
	}
	boolean := func() (bool, error) {
		b, err := strconv.ParseBool(val)
		if err != nil {
			return false, fmt.Errorf("%s: %q is not true or false", key, val)
		}
		return b, nil
	}
	var err error
	switch key {
	case "host":
		t.Host = val
	case "domain":
		t.Domain = val
	case "username":
		t.Username = val
	case "password":
		t.Password = val
	case "register":
		t.Register, err = boolean()
	case "expires":
		var s int
		s, err = num()
		t.Expires = time.Duration(s) * time.Second
	case "priority":
		t.Priority, err = num()
	case "max-calls":
		t.MaxCalls, err = num()
	case "calls-per-second":
		t.CallsPerSecond, err = num()
	case "audio-first":
		t.AudioFirst, err = boolean()
	case "ping":
		var on bool
		on, err = boolean()
		t.NoPing = !on
	case "numbers":
		prefix, count, ok := strings.Cut(val, "/")
		n, cerr := strconv.Atoi(count)
		width := max(4, len(strconv.Itoa(n-1)))
		if _, pok := e164(prefix + strings.Repeat("0", width)); !ok || cerr != nil || n <= 0 || !strings.HasPrefix(prefix, "+") || !pok {
			return fmt.Errorf("numbers: %q: want PREFIX/COUNT making E.164 numbers, such as +3120555/1000", val)
		}
		if t.Numbers.Count > 0 {
			return errors.New("numbers: one block per trunk")
		}
		t.Numbers = Pool{Prefix: prefix, Count: n}
	default:
		err = fmt.Errorf("unknown key %q (known: host, domain, username, password, register, expires, priority, max-calls, calls-per-second, audio-first, ping, numbers)", key)
	}
	return err
}

// trunkState is a trunk at run time: its limits and registration.
type trunkState struct {
	Trunk
	now func() time.Time

	mu         sync.Mutex
	active     int
	starts     []time.Time // outbound call starts in the last second
	registered bool
	regErr     error
	pingErr    error    // why the last OPTIONS ping got no answer, or nil
	addrs      []net.IP // where its calls may come from
}

// acquire takes a call slot; outbound calls also take from the calls per
// second budget. It reports false when the trunk is full.
func (t *trunkState) acquire(outbound bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.MaxCalls > 0 && t.active >= t.MaxCalls {
		return false
	}
	if outbound && t.CallsPerSecond > 0 {
		now := t.now()
		keep := t.starts[:0]
		for _, s := range t.starts {
			if now.Sub(s) < time.Second {
				keep = append(keep, s)
			}
		}
		t.starts = keep
		if len(t.starts) >= t.CallsPerSecond {
			return false
		}
		t.starts = append(t.starts, now)
	}
	t.active++
	return true
}

func (t *trunkState) release() {
	t.mu.Lock()
	t.active--
	t.mu.Unlock()
}

// usable reports whether outbound calls may try the trunk, and why not.
func (t *trunkState) usable() (bool, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pingErr != nil {
		return false, "not answering OPTIONS: " + t.pingErr.Error()
	}
	if t.Register && !t.registered {
		if t.regErr != nil {
			return false, "not registered: " + t.regErr.Error()
		}
		return false, "not registered yet"
	}
	return true, ""
}

func (t *trunkState) setPing(err error) {
	t.mu.Lock()
	t.pingErr = err
	t.mu.Unlock()
}

func (t *trunkState) setRegistered(ok bool, err error) {
	t.mu.Lock()
	t.registered, t.regErr = ok, err
	t.mu.Unlock()
}

// byPriority returns the trunks in the order outbound calls try them.
func byPriority(ts []*trunkState) []*trunkState {
	out := append([]*trunkState(nil), ts...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority < out[j].Priority })
	return out
}
