// Package sdp reads and writes the Session Description Protocol (RFC 8866)
// as fax calls use it: audio lines and the T.38 image line
// ("m=image PORT udptl t38") with the attributes of ITU-T T.38 Annex D/E,
// and the offer/answer rules that pick what both ends support.
//
// The package keeps every line it does not understand, so a description
// parsed and written again says what it said before, and a caller can look
// for attributes this package has no field for.
package sdp

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Limits that keep a hostile description from costing much. Real fax
// offers are a few hundred bytes with two or three media lines.
const (
	MaxSize  = 16 << 10 // bytes in one description
	MaxMedia = 16       // m= lines
)

// ErrMalformed is wrapped by every parse error.
var ErrMalformed = errors.New("malformed SDP")

// Attr is one a= line: "a=Name:Value", or "a=Name" with Flag set and Value
// empty.
type Attr struct {
	Name, Value string
	Flag        bool // written without ":Value"
}

// Origin is the o= line.
type Origin struct {
	Username  string // "-" when there is none
	SessionID uint64
	Version   uint64 // raised by one in every new offer of a session
	Addr      string // IPv4 or IPv6 address, or a host name
}

// Session is a whole description.
type Session struct {
	Origin Origin
	Name   string // s=; "-" when empty
	// Conn is the session-level c= address; media without their own c=
	// use it.
	Conn string
	// Lines holds session-level lines other than v, o, s, c, t, a and m,
	// as "x=value", in order.
	Lines []string
	Attrs []Attr
	Media []*Media
}

// Media is one m= section.
type Media struct {
	Type    string   // "image", "audio", ...
	Port    int      // 0 refuses or disables the stream
	Proto   string   // "udptl", "RTP/AVP", ...
	Formats []string // "t38", or RTP payload types
	Conn    string   // media-level c= address, or "" for the session's
	// Lines holds the section's other lines (b=, i=, k=) as "x=value".
	Lines []string
	// Attrs are the a= lines other than the T.38 ones, which are in T38.
	Attrs []Attr
	// T38 holds the T.38 parameters of an "image udptl t38" line, nil on
	// any other line.
	T38 *T38
}

// Rate management methods (T38FaxRateManagement).
const (
	TransferredTCF = "transferredTCF" // TCF is sent end to end (UDP)
	LocalTCF       = "localTCF"       // each gateway trains locally (TCP)
)

// UDPTL error correction schemes (T38FaxUdpEC), weakest first.
const (
	NoEC       = "t38UDPNoEC"
	Redundancy = "t38UDPRedundancy"
	FEC        = "t38UDPFEC"
)

// T38 holds the T.38 attributes of an image line. Zero values are left out
// when written, except Version, which is always written.
type T38 struct {
	Version        int    // T38FaxVersion, 0 to 3
	MaxBitRate     int    // T38MaxBitRate in bit/s
	RateManagement string // T38FaxRateManagement
	MaxBuffer      int    // T38FaxMaxBuffer: octets this end can buffer
	MaxDatagram    int    // T38FaxMaxDatagram: largest UDPTL datagram this end takes
	UDPEC          string // T38FaxUdpEC
	// Booleans, written as flag attributes when true.
	FillBitRemoval, TranscodingMMR, TranscodingJBIG bool
}

// Addr returns the address that media m is sent to: its own c= address, or
// else the session's.
func (s *Session) Addr(m *Media) string {
	if m.Conn != "" {
		return m.Conn
	}
	return s.Conn
}

// T38Media returns the first T.38 image line with a non-zero port, or nil.
func (s *Session) T38Media() *Media {
	for _, m := range s.Media {
		if m.T38 != nil && m.Port != 0 {
			return m
		}
	}
	return nil
}

// AudioMedia returns the first audio line with a non-zero port, or nil.
func (s *Session) AudioMedia() *Media {
	for _, m := range s.Media {
		if m.Type == "audio" && m.Port != 0 {
			return m
		}
	}
	return nil
}

// Parse reads a description. Line ends may be CRLF or LF. It checks what the
// fax layer relies on (a version line, an origin, well-formed m= and c=
// lines, numbers in range) and keeps other lines as they are.
func Parse(b []byte) (*Session, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("sdp: %d bytes, more than the %d accepted: %w", len(b), MaxSize, ErrMalformed)
	}
	s := &Session{}
	var m *Media
	seenV, seenO := false, false
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		if len(line) < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z' {
			return nil, fmt.Errorf("sdp: line %d: %q is not type=value: %w", n+1, clip(line), ErrMalformed)
		}
		typ, val := line[0], line[2:]
		if !seenV && typ != 'v' {
			return nil, fmt.Errorf("sdp: line %d: the description must start with v=0: %w", n+1, ErrMalformed)
		}
		var err error
		switch typ {
		case 'v':
			if seenV || val != "0" {
				return nil, fmt.Errorf("sdp: line %d: version %q, only one v=0 is allowed: %w", n+1, clip(val), ErrMalformed)
			}
			seenV = true
		case 'o':
			if seenO || m != nil {
				return nil, fmt.Errorf("sdp: line %d: misplaced o= line: %w", n+1, ErrMalformed)
			}
			seenO = true
			s.Origin, err = parseOrigin(val)
		case 's':
			if m == nil {
				s.Name = val
			} else {
				err = errors.New("s= inside a media section")
			}
		case 'c':
			var addr string
			if addr, err = parseConn(val); err == nil {
				if m != nil {
					m.Conn = addr
				} else {
					s.Conn = addr
				}
			}
		case 'm':
			if len(s.Media) == MaxMedia {
				return nil, fmt.Errorf("sdp: more than %d media lines: %w", MaxMedia, ErrMalformed)
			}
			if m, err = parseMedia(val); err == nil {
				s.Media = append(s.Media, m)
			}
		case 'a':
			a := parseAttr(val)
			switch {
			case m == nil:
				s.Attrs = append(s.Attrs, a)
			case m.T38 != nil && isT38Attr(a.Name):
				err = m.T38.set(a)
			default:
				m.Attrs = append(m.Attrs, a)
			}
		case 't':
			if m != nil {
				err = errors.New("t= inside a media section")
			}
			// t= is always "0 0" for calls; it is written anew.
		default:
			if m != nil {
				m.Lines = append(m.Lines, line)
			} else {
				s.Lines = append(s.Lines, line)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("sdp: line %d (%c=): %w: %w", n+1, typ, err, ErrMalformed)
		}
	}
	if !seenV || !seenO {
		return nil, fmt.Errorf("sdp: no v= and o= lines: %w", ErrMalformed)
	}
	for i, m := range s.Media {
		if m.Port != 0 && s.Addr(m) == "" {
			return nil, fmt.Errorf("sdp: media %d (%s) has no connection address: %w", i+1, m.Type, ErrMalformed)
		}
	}
	return s, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func parseOrigin(v string) (Origin, error) {
	f := strings.Fields(v)
	if len(f) != 6 {
		return Origin{}, fmt.Errorf("origin %q needs 6 fields", clip(v))
	}
	id, err1 := strconv.ParseUint(f[1], 10, 64)
	ver, err2 := strconv.ParseUint(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return Origin{}, fmt.Errorf("origin %q: session id and version must be numbers", clip(v))
	}
	if f[3] != "IN" || (f[4] != "IP4" && f[4] != "IP6") {
		return Origin{}, fmt.Errorf("origin %q: only IN IP4 and IN IP6 are supported", clip(v))
	}
	return Origin{Username: f[0], SessionID: id, Version: ver, Addr: f[5]}, nil
}

func parseConn(v string) (string, error) {
	f := strings.Fields(v)
	if len(f) != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6") {
		return "", fmt.Errorf("connection %q: want \"IN IP4 address\" or \"IN IP6 address\"", clip(v))
	}
	// A multicast TTL ("/127") has no place in a fax call.
	if strings.ContainsRune(f[2], '/') {
		return "", fmt.Errorf("connection %q: multicast addresses are not supported", clip(v))
	}
	return f[2], nil
}

func parseMedia(v string) (*Media, error) {
	f := strings.Fields(v)
	if len(f) < 4 {
		return nil, fmt.Errorf("media %q needs a type, port, protocol and format", clip(v))
	}
	port, err := strconv.Atoi(f[1])
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("media %q: port must be 0 to 65535 (port counts are not supported)", clip(v))
	}
	m := &Media{Type: f[0], Port: port, Proto: f[2], Formats: f[3:]}
	if m.isT38() {
		m.T38 = &T38{}
	}
	return m, nil
}

func (m *Media) isT38() bool {
	return m.Type == "image" && strings.EqualFold(m.Proto, "udptl") && len(m.Formats) > 0 && strings.EqualFold(m.Formats[0], "t38")
}

func parseAttr(v string) Attr {
	name, val, ok := strings.Cut(v, ":")
	return Attr{Name: name, Value: val, Flag: !ok}
}

// The T.38 attribute names. Peers differ in case ("T38FaxUdpEC" and
// "T38FaxUDPEC" are both seen), so they are matched without it.
const (
	attrVersion       = "T38FaxVersion"
	attrMaxBitRate    = "T38MaxBitRate"
	attrRateMgmt      = "T38FaxRateManagement"
	attrMaxBuffer     = "T38FaxMaxBuffer"
	attrMaxDatagram   = "T38FaxMaxDatagram"
	attrUDPEC         = "T38FaxUdpEC"
	attrFillBits      = "T38FaxFillBitRemoval"
	attrTransMMR      = "T38FaxTranscodingMMR"
	attrTransJBIG     = "T38FaxTranscodingJBIG"
	attrOldMaxBitRate = "T38FaxMaxRate" // an older name some gateways send
)

var t38Attrs = []string{attrVersion, attrMaxBitRate, attrRateMgmt, attrMaxBuffer, attrMaxDatagram, attrUDPEC, attrFillBits, attrTransMMR, attrTransJBIG, attrOldMaxBitRate}

func isT38Attr(name string) bool {
	for _, a := range t38Attrs {
		if strings.EqualFold(name, a) {
			return true
		}
	}
	return false
}

func (t *T38) set(a Attr) error {
	num := func(max int) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(a.Value))
		if err != nil || n < 0 || n > max {
			return 0, fmt.Errorf("%s: %q is not a number from 0 to %d", a.Name, clip(a.Value), max)
		}
		return n, nil
	}
	// A boolean is true as a bare flag or with value 1 (T.38 Annex D).
	flag := func() (bool, error) {
		switch strings.TrimSpace(a.Value) {
		case "1":
			return true, nil
		case "0":
			return false, nil
		case "":
			return a.Flag, nil
		}
		return false, fmt.Errorf("%s: %q is not 0 or 1", a.Name, clip(a.Value))
	}
	var err error
	switch strings.ToLower(a.Name) {
	case strings.ToLower(attrVersion):
		t.Version, err = num(3)
	case strings.ToLower(attrMaxBitRate), strings.ToLower(attrOldMaxBitRate):
		t.MaxBitRate, err = num(1 << 20)
	case strings.ToLower(attrRateMgmt):
		switch v := strings.TrimSpace(a.Value); {
		case strings.EqualFold(v, TransferredTCF):
			t.RateManagement = TransferredTCF
		case strings.EqualFold(v, LocalTCF):
			t.RateManagement = LocalTCF
		default:
			err = fmt.Errorf("%s: %q is neither %s nor %s", a.Name, clip(v), TransferredTCF, LocalTCF)
		}
	case strings.ToLower(attrMaxBuffer):
		t.MaxBuffer, err = num(1 << 30)
	case strings.ToLower(attrMaxDatagram):
		t.MaxDatagram, err = num(65535)
	case strings.ToLower(attrUDPEC):
		switch v := strings.TrimSpace(a.Value); {
		case strings.EqualFold(v, NoEC):
			t.UDPEC = NoEC
		case strings.EqualFold(v, Redundancy):
			t.UDPEC = Redundancy
		case strings.EqualFold(v, FEC):
			t.UDPEC = FEC
		default:
			err = fmt.Errorf("%s: unknown error correction %q", a.Name, clip(v))
		}
	case strings.ToLower(attrFillBits):
		t.FillBitRemoval, err = flag()
	case strings.ToLower(attrTransMMR):
		t.TranscodingMMR, err = flag()
	case strings.ToLower(attrTransJBIG):
		t.TranscodingJBIG, err = flag()
	}
	return err
}

// Marshal writes the description with CRLF line ends, in the order RFC 8866
// requires.
func (s *Session) Marshal() []byte {
	var b bytes.Buffer
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	line("v=0")
	user := s.Origin.Username
	if user == "" {
		user = "-"
	}
	line("o=%s %d %d IN %s %s", user, s.Origin.SessionID, s.Origin.Version, ipVersion(s.Origin.Addr), orDash(s.Origin.Addr))
	line("s=%s", orDash(s.Name))
	if s.Conn != "" {
		line("c=IN %s %s", ipVersion(s.Conn), s.Conn)
	}
	for _, l := range s.Lines {
		line("%s", l)
	}
	line("t=0 0")
	writeAttrs(&b, s.Attrs)
	for _, m := range s.Media {
		line("m=%s %d %s %s", m.Type, m.Port, m.Proto, strings.Join(m.Formats, " "))
		if m.Conn != "" {
			line("c=IN %s %s", ipVersion(m.Conn), m.Conn)
		}
		for _, l := range m.Lines {
			line("%s", l)
		}
		if t := m.T38; t != nil {
			line("a=%s:%d", attrVersion, t.Version)
			if t.MaxBitRate > 0 {
				line("a=%s:%d", attrMaxBitRate, t.MaxBitRate)
			}
			if t.FillBitRemoval {
				line("a=%s", attrFillBits)
			}
			if t.TranscodingMMR {
				line("a=%s", attrTransMMR)
			}
			if t.TranscodingJBIG {
				line("a=%s", attrTransJBIG)
			}
			if t.RateManagement != "" {
				line("a=%s:%s", attrRateMgmt, t.RateManagement)
			}
			if t.MaxBuffer > 0 {
				line("a=%s:%d", attrMaxBuffer, t.MaxBuffer)
			}
			if t.MaxDatagram > 0 {
				line("a=%s:%d", attrMaxDatagram, t.MaxDatagram)
			}
			if t.UDPEC != "" {
				line("a=%s:%s", attrUDPEC, t.UDPEC)
			}
		}
		writeAttrs(&b, m.Attrs)
	}
	return b.Bytes()
}

func writeAttrs(b *bytes.Buffer, as []Attr) {
	for _, a := range as {
		if a.Flag && a.Value == "" {
			fmt.Fprintf(b, "a=%s\r\n", a.Name)
		} else {
			fmt.Fprintf(b, "a=%s:%s\r\n", a.Name, a.Value)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ipVersion(addr string) string {
	if strings.ContainsRune(addr, ':') {
		return "IP6"
	}
	return "IP4"
}
