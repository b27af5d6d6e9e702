package terminal

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/peer/spandsp"
)

// These tests run the "faxhaven t38" command, built from cmd/faxhaven,
// against SpanDSP's T.38 terminal over UDP in real time.

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
	cliOut  []byte
)

// faxhavenBinary builds the faxhaven command once per test run.
func faxhavenBinary(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "faxhaven-cli")
		if err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(dir, "faxhaven")
		cmd := exec.Command("go", "build", "-o", cliPath, "github.com/faxhaven/faxhaven/cmd/faxhaven")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cliOut, cliErr = cmd.CombinedOutput()
	})
	if cliErr != nil {
		t.Fatalf("building faxhaven: %v\n%s", cliErr, cliOut)
	}
	return cliPath
}

// cliResult is the JSON line "faxhaven t38" prints last.
type cliResult struct {
	OK        bool    `json:"ok"`
	Pages     int     `json:"pages"`
	Rate      int     `json:"rate"`
	Encoding  string  `json:"encoding"`
	ECM       bool    `json:"ecm"`
	RemoteID  string  `json:"remote_id"`
	DurationS float64 `json:"duration_s"`
	Reason    string  `json:"reason"`
}

// runCLI runs faxhaven with args and returns its exit code and result.
func runCLI(t *testing.T, args ...string) (int, cliResult, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, faxhavenBinary(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var r cliResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("last line %q is not the JSON result (%v); stderr: %s", lines[len(lines)-1], err, stderr.String())
	}
	return code, r, stderr.String()
}

// freeUDPPorts returns n local UDP addresses that were free a moment ago.
func freeUDPPorts(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	var conns []*net.UDPConn
	for i := 0; i < n; i++ {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		addrs = append(addrs, c.LocalAddr().String())
	}
	for _, c := range conns {
		c.Close()
	}
	return addrs
}

// TestT38SendToSpanDSP sends a TIFF with "faxhaven t38 send" to SpanDSP's
// T.38 terminal over UDP in real time.
func TestCLISendToSpanDSP(t *testing.T) {
	spandsp.Peer(t)
	faxhavenBinary(t) // before the peer starts its timers
	t.Parallel()
	dir := t.TempDir()
	in, got := filepath.Join(dir, "in.tif"), filepath.Join(dir, "got.tif")
	spandsp.MakeTIFF(t, in, 1)
	a := freeUDPPorts(t, 2)
	peer := spandsp.StartUDP(t, spandsp.Options{Role: spandsp.Receive, File: got, ECM: true, Ident: "SPANDSP"},
		spandsp.UDPOptions{Local: a[1], Remote: a[0], Redundancy: 2, Timeout: 90 * time.Second})
	code, r, stderr := runCLI(t, "t38", "send", "--local", a[0], "--remote", a[1], "--ident", "+31 20 555 0100", in)
	pr, err := peer.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("faxhaven: %+v; spandsp: %+v", r, pr)
	if code != 0 || !r.OK {
		t.Fatalf("exit %d, result %+v, stderr %s", code, r, stderr)
	}
	if !pr.OK() || pr.PagesRx != 1 {
		t.Fatalf("spandsp: %+v", pr)
	}
	if r.Pages != 1 || r.Rate != 14400 || !r.ECM || r.Encoding != "MMR" || r.RemoteID != "SPANDSP" || r.DurationS <= 0 {
		t.Errorf("result %+v", r)
	}
	if c := spandsp.CompareTIFF(t, in, got); !c.Equal || c.Pages != 1 {
		t.Errorf("received document differs: %+v", c)
	}
}

// TestT38ReceiveFromSpanDSP receives with "faxhaven t38 receive" what
// SpanDSP sends over UDP in real time.
func TestCLIReceiveFromSpanDSP(t *testing.T) {
	spandsp.Peer(t)
	faxhavenBinary(t) // before the peer starts its timers
	t.Parallel()
	dir := t.TempDir()
	in, got := filepath.Join(dir, "in.tif"), filepath.Join(dir, "got.tiff")
	spandsp.MakeTIFF(t, in, 1)
	a := freeUDPPorts(t, 2)
	peer := spandsp.StartUDP(t, spandsp.Options{Role: spandsp.Send, File: in, ECM: false, Ident: "SPANDSP"},
		spandsp.UDPOptions{Local: a[1], Remote: a[0], Redundancy: 2, Timeout: 90 * time.Second})
	code, r, stderr := runCLI(t, "t38", "receive", "--local", a[0], "--remote", a[1], "--ecm=false", "-o", got)
	pr, err := peer.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("faxhaven: %+v; spandsp: %+v", r, pr)
	if code != 0 || !r.OK {
		t.Fatalf("exit %d, result %+v, stderr %s", code, r, stderr)
	}
	if !pr.OK() || pr.PagesTx != 1 {
		t.Fatalf("spandsp: %+v", pr)
	}
	if r.Pages != 1 || r.ECM || r.RemoteID != "SPANDSP" {
		t.Errorf("result %+v", r)
	}
	if c := spandsp.CompareTIFF(t, in, got); !c.Equal || c.Pages != 1 {
		t.Errorf("received document differs: %+v", c)
	}
}
