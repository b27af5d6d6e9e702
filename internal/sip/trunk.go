package sip

import (
	"bufio"
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

// ParseTrunks reads trunk definitions: sections "[trunk NAME]" of
// "key = value" lines, '#' starting a comment. The keys are host, domain,
// username, password, register (true/false), expires (seconds), priority,
// max-calls, calls-per-second and audio-first (true/false).
func ParseTrunks(r io.Reader) ([]Trunk, error) {
	var trunks []Trunk
	var cur *Trunk
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
			f := strings.Fields(strings.Trim(line, "[]"))
			if !strings.HasSuffix(line, "]") || len(f) != 2 || f[0] != "trunk" {
				return nil, fmt.Errorf("sip trunks: line %d: want a section header [trunk NAME], got %q", n, line)
			}
			trunks = append(trunks, Trunk{Name: f[1]})
			cur = &trunks[len(trunks)-1]
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("sip trunks: line %d: want key = value, got %q", n, line)
		}
		if cur == nil {
			return nil, fmt.Errorf("sip trunks: line %d: %q comes before any [trunk NAME] section", n, line)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if err := cur.set(key, val); err != nil {
			return nil, fmt.Errorf("sip trunks: line %d: trunk %s: %w", n, cur.Name, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sip trunks: %w", err)
	}
	seen := map[string]bool{}
	for i := range trunks {
		if err := trunks[i].validate(); err != nil {
			return nil, fmt.Errorf("sip trunks: %w", err)
		}
		if seen[trunks[i].Name] {
			return nil, fmt.Errorf("sip trunks: trunk %s is defined twice", trunks[i].Name)
		}
		seen[trunks[i].Name] = true
	}
	return trunks, nil
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
	default:
		err = fmt.Errorf("unknown key %q (known: host, domain, username, password, register, expires, priority, max-calls, calls-per-second, audio-first)", key)
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
	if t.Register && !t.registered {
		if t.regErr != nil {
			return false, "not registered: " + t.regErr.Error()
		}
		return false, "not registered yet"
	}
	return true, ""
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
