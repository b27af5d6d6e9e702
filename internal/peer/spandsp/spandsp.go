// Package spandsp runs SpanDSP's T.38 terminal as an independent peer for
// Faxhaven's tests. It is test support: only _test.go files import it.
//
// The peer is a small C program (csrc/peer.c) that this package compiles
// with gcc against libspandsp and libtiff the first time a test needs it.
// When gcc or the libraries are missing the calling test is skipped with a
// message naming the Debian package, or fails when the environment sets
// FAXHAVEN_TEST_REQUIRE_PEERS=1.
//
// A peer runs one call, as sender or receiver, in one of two transports:
// Lockstep (the test owns time and carries every IFP packet itself, so a
// whole call runs in virtual time, fast and deterministic) or UDP (real
// time, UDPTL with redundancy framed by the peer).
package spandsp

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/peer"
)

//go:embed csrc/peer.c
var peerSource []byte

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Peer returns the path of the compiled peer program, building it once per
// test binary (and caching it across runs, keyed by the source). It skips
// t when the toolchain or SpanDSP is missing.
func Peer(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() { buildPath, buildErr = build() })
	if buildErr != nil {
		peer.Missing(t, fmt.Sprintf("the SpanDSP peer (%v)", buildErr), "gcc, libspandsp-dev and libtiff-dev")
	}
	return buildPath
}

func build() (string, error) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		return "", errors.New("gcc not found")
	}
	sum := sha256.Sum256(peerSource)
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "faxhaven-spandsp-peer", hex.EncodeToString(sum[:8]))
	bin := filepath.Join(dir, "peer")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src := filepath.Join(dir, "peer.c")
	if err := os.WriteFile(src, peerSource, 0o644); err != nil {
		return "", err
	}
	tmp := bin + ".tmp" + strconv.Itoa(os.Getpid())
	out, err := exec.Command(gcc, "-O2", "-o", tmp, src, "-lspandsp", "-ltiff", "-lm").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("gcc: %v\n%s", err, out)
	}
	return bin, os.Rename(tmp, bin)
}

// Role says which side of the call a peer takes.
type Role int

// The roles.
const (
	Send    Role = iota // calling party, sends File
	Receive             // answering party, writes File
)

// Options configure one call of the peer.
type Options struct {
	Role Role
	// File is the TIFF to send, or the TIFF to write when receiving.
	File string
	ECM  bool
	// MaxRate is the fastest modem allowed: 14400 (V.17), 9600 (V.29)
	// or 4800 (V.27ter). Default 14400.
	MaxRate int
	// Compress lists the codings offered, from "1d", "2d", "t6", joined
	// by commas. Default all three.
	Compress string
	// Version is the T.38 version the terminal speaks.
	Version int
	// Ident is the local identity (TSI or CSI).
	Ident string
	// Indicators is how often each indicator packet is sent; 0 keeps
	// SpanDSP's default.
	Indicators int
	// Verbose sends SpanDSP's protocol log to the test log.
	Verbose bool
}

func (o Options) args(transport string) []string {
	role := "send"
	if o.Role == Receive {
		role = "recv"
	}
	ecm := "0"
	if o.ECM {
		ecm = "1"
	}
	rate := o.MaxRate
	if rate == 0 {
		rate = 14400
	}
	a := []string{"run", "-transport", transport, "-role", role, "-file", o.File, "-ecm", ecm,
		"-rate", strconv.Itoa(rate), "-version", strconv.Itoa(o.Version)}
	if o.Compress != "" {
		a = append(a, "-compress", o.Compress)
	}
	if o.Ident != "" {
		a = append(a, "-ident", o.Ident)
	}
	if o.Indicators > 0 {
		a = append(a, "-indicators", strconv.Itoa(o.Indicators))
	}
	if o.Verbose {
		a = append(a, "-verbose")
	}
	return a
}

// Result is what the peer reports at the end of a call.
type Result struct {
	// Done is set once T.30 reached phase E.
	Done bool `json:"done"`
	// Code is SpanDSP's T.30 completion code, 0 for success.
	Code     int    `json:"code"`
	Text     string `json:"text"`
	PagesTx  int    `json:"pages_tx"`
	PagesRx  int    `json:"pages_rx"`
	BitRate  int    `json:"bit_rate"`
	Encoding int    `json:"encoding"` // 1 = T.4 1D, 2 = T.4 2D, 3 = T.6
	ECM      bool   `json:"ecm"`
	RemoteID string `json:"remote_id"`
}

// OK reports a completed, successful call.
func (r Result) OK() bool { return r.Done && r.Code == 0 }

// Packet is one IFP packet the peer sent, to be put on the wire Count
// times (SpanDSP repeats indicators), each copy with its own sequence
// number.
type Packet struct {
	IFP   []byte
	Count int
}

// Lockstep is a peer driven message by message under virtual time.
type Lockstep struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	log  *logWriter
	done bool
	res  *Result
}

// StartLockstep starts a peer in lockstep mode. The process is killed when
// the test ends.
func StartLockstep(t testing.TB, o Options) *Lockstep {
	t.Helper()
	bin := Peer(t)
	cmd := exec.Command(bin, o.args("lockstep")...)
	lw := &logWriter{t: t, prefix: "spandsp: "}
	cmd.Stderr = lw
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start SpanDSP peer: %v", err)
	}
	l := &Lockstep{cmd: cmd, in: in, out: bufio.NewReader(out), log: lw}
	t.Cleanup(func() {
		lw.stop()
		in.Close()
		if l.res == nil {
			cmd.Process.Kill()
		}
		cmd.Wait()
	})
	return l
}

// Done reports whether the peer's T.30 session has reached phase E.
func (l *Lockstep) Done() bool { return l.done }

// Advance moves the peer's clock on by samples (8000 per second) and
// returns the packets it sent meanwhile.
func (l *Lockstep) Advance(samples int) ([]Packet, error) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(samples))
	return l.exchange('A', b[:])
}

// Receive hands the peer an IFP packet that arrived with sequence number
// seq and returns the packets it sent in reply.
func (l *Lockstep) Receive(seq uint16, ifp []byte) ([]Packet, error) {
	b := make([]byte, 2+len(ifp))
	binary.BigEndian.PutUint16(b, seq)
	copy(b[2:], ifp)
	return l.exchange('P', b)
}

// Finish ends the call (T.30 terminate), closes the received file and
// returns the peer's result.
func (l *Lockstep) Finish() (Result, error) {
	if l.res != nil {
		return *l.res, nil
	}
	if err := l.write('Q', nil); err != nil {
		return Result{}, err
	}
	for {
		typ, payload, err := l.read()
		if err != nil {
			return Result{}, err
		}
		if typ != 'R' {
			continue
		}
		var r Result
		if err := json.Unmarshal(bytes.TrimSpace(payload), &r); err != nil {
			return Result{}, fmt.Errorf("spandsp: bad result %q: %w", payload, err)
		}
		l.res = &r
		l.in.Close()
		l.cmd.Wait()
		return r, nil
	}
}

func (l *Lockstep) exchange(typ byte, payload []byte) ([]Packet, error) {
	if err := l.write(typ, payload); err != nil {
		return nil, err
	}
	var pkts []Packet
	for {
		t, p, err := l.read()
		if err != nil {
			return pkts, err
		}
		switch t {
		case 'T':
			if len(p) < 2 {
				return pkts, fmt.Errorf("spandsp: short packet message")
			}
			pkts = append(pkts, Packet{IFP: p[1:], Count: int(p[0])})
		case 'K':
			l.done = len(p) == 1 && p[0] == 1
			return pkts, nil
		default:
			return pkts, fmt.Errorf("spandsp: unexpected message %q", t)
		}
	}
}

func (l *Lockstep) write(typ byte, payload []byte) error {
	var h [5]byte
	h[0] = typ
	binary.BigEndian.PutUint32(h[1:], uint32(len(payload)))
	if _, err := l.in.Write(append(h[:], payload...)); err != nil {
		return fmt.Errorf("spandsp: write to peer: %w", err)
	}
	return nil
}

func (l *Lockstep) read() (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(l.out, h[:]); err != nil {
		return 0, nil, fmt.Errorf("spandsp: read from peer: %w", err)
	}
	p := make([]byte, binary.BigEndian.Uint32(h[1:]))
	if _, err := io.ReadFull(l.out, p); err != nil {
		return 0, nil, fmt.Errorf("spandsp: read from peer: %w", err)
	}
	return h[0], p, nil
}

// UDPPeer is a peer running in real time on a UDP socket.
type UDPPeer struct {
	cmd *exec.Cmd
	out bytes.Buffer
	log *logWriter
	err chan error
}

// UDPOptions add the transport settings of a real-time peer.
type UDPOptions struct {
	Local, Remote string // IPv4 address:port
	// Redundancy is the UDPTL redundancy depth the peer sends. Default 2.
	Redundancy int
	// Timeout ends the call after this long. Default 120 s.
	Timeout time.Duration
}

// StartUDP starts a peer that binds u.Local and sends to u.Remote.
func StartUDP(t testing.TB, o Options, u UDPOptions) *UDPPeer {
	t.Helper()
	bin := Peer(t)
	if u.Redundancy == 0 {
		u.Redundancy = 2
	}
	if u.Timeout == 0 {
		u.Timeout = 120 * time.Second
	}
	args := append(o.args("udp"), "-local", u.Local, "-remote", u.Remote,
		"-redundancy", strconv.Itoa(u.Redundancy), "-timeout", strconv.Itoa(int(u.Timeout.Seconds()+0.5)))
	p := &UDPPeer{cmd: exec.Command(bin, args...), log: &logWriter{t: t, prefix: "spandsp: "}, err: make(chan error, 1)}
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start SpanDSP peer: %v", err)
	}
	go func() { p.err <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		p.log.stop()
	})
	return p
}

// Wait waits for the call to end and returns the peer's result.
func (p *UDPPeer) Wait() (Result, error) {
	<-p.err // a non-zero exit just means the call failed; the JSON says how
	var r Result
	if err := json.Unmarshal(bytes.TrimSpace(p.out.Bytes()), &r); err != nil {
		return r, fmt.Errorf("spandsp: bad result %q: %w", p.out.Bytes(), err)
	}
	return r, nil
}

// MakeTIFF writes a test document of pages pages (1728 pixels wide, fine
// resolution, T.4 1D) to path.
func MakeTIFF(t testing.TB, path string, pages int) {
	t.Helper()
	out, err := exec.Command(Peer(t), "make", path, strconv.Itoa(pages)).CombinedOutput()
	if err != nil {
		t.Fatalf("make test TIFF: %v\n%s", err, out)
	}
}

// Comparison is the outcome of comparing two TIFF documents.
type Comparison struct {
	Equal  bool   `json:"equal"`
	Pages  int    `json:"pages"`
	Detail string `json:"detail"`
}

// CompareTIFF decodes both documents with libtiff and compares them page
// by page, pixel for pixel.
func CompareTIFF(t testing.TB, a, b string) Comparison {
	t.Helper()
	out, _ := exec.Command(Peer(t), "compare", a, b).Output()
	var c Comparison
	if err := json.Unmarshal(bytes.TrimSpace(out), &c); err != nil {
		t.Fatalf("compare TIFFs: bad output %q: %v", out, err)
	}
	return c
}

// logWriter forwards the peer's stderr to the test log until the test
// ends.
type logWriter struct {
	mu      sync.Mutex
	t       testing.TB
	prefix  string
	stopped bool
	partial []byte
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return len(p), nil
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.t.Log(w.prefix + string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

func (w *logWriter) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
}

// IFPTiming is SpanDSP's own cost of one IFP encode and one decode.
type IFPTiming struct {
	EncodeNs float64 `json:"encode_ns"`
	DecodeNs float64 `json:"decode_ns"`
}

// BenchIFP times n encodes and n decodes of a 54-byte V.17 non-ECM data
// IFP packet with SpanDSP's t38_core, as an anchor for our benchmarks.
func BenchIFP(t testing.TB, n int) IFPTiming {
	t.Helper()
	out, err := exec.Command(Peer(t), "bench", strconv.Itoa(n)).Output()
	if err != nil {
		t.Fatalf("SpanDSP bench: %v", err)
	}
	var r IFPTiming
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
		t.Fatalf("SpanDSP bench: bad output %q: %v", out, err)
	}
	return r
}
