package t38

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var capture = flag.Bool("capture", false, "rewrite testdata/spandsp-ifp.txt from live SpanDSP calls")

const goldenIFP = "testdata/spandsp-ifp.txt"

// captured collects distinct IFP packets SpanDSP sent during a capture run.
var captured map[string]bool

// TestCaptureSpanDSPPackets records the IFP packets of a few SpanDSP calls
// (ECM and non-ECM, versions 0 and 3) into a golden file, when run with
// -capture. The file lets TestSpanDSPGoldenPackets check interoperability
// on machines without SpanDSP.
func TestCaptureSpanDSPPackets(t *testing.T) {
	if !*capture {
		t.Skip("run with -capture to rewrite " + goldenIFP)
	}
	captured = map[string]bool{}
	defer func() { captured = nil }()
	for i, c := range []callCase{
		{ecm: true, rate: 14400, pages: 1, recovery: RecoveryRedundancy, version: 0},
		{ecm: false, rate: 9600, pages: 1, recovery: RecoveryRedundancy, version: 3},
	} {
		t.Run(c.String(), func(t *testing.T) { runRelayedCall(t, c, int64(i)) })
	}
	lines := make([]string, 0, len(captured))
	for l := range captured {
		lines = append(lines, l)
	}
	sort.Strings(lines)
	var b bytes.Buffer
	b.WriteString("# IFP packets sent by SpanDSP 0.0.6 t38_terminal: version, then the packet in hex.\n")
	b.WriteString("# Rewrite with: go test -run TestCaptureSpanDSPPackets -capture ./fax/t38\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if err := os.MkdirAll(filepath.Dir(goldenIFP), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenIFP, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d packets", len(lines))
}

// TestSpanDSPGoldenPackets decodes every recorded SpanDSP packet and
// checks that encoding gives the same bytes back.
func TestSpanDSPGoldenPackets(t *testing.T) {
	f, err := os.Open(goldenIFP)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kinds := map[string]bool{}
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var v Version
		var hx string
		if _, err := fmt.Sscanf(line, "v%d %s", &v, &hx); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		raw, err := hex.DecodeString(hx)
		if err != nil {
			t.Fatal(err)
		}
		p, err := DecodeIFP(raw, v)
		if err != nil {
			t.Errorf("v%d %s: %v", v, hx, err)
			continue
		}
		out, err := AppendIFP(nil, p, v)
		if err != nil || !bytes.Equal(out, raw) {
			t.Errorf("v%d %s (%v) re-encodes as %x, %v", v, hx, p, out, err)
		}
		kinds[fmt.Sprintf("v%d %v", v, p.Kind)] = true
		for _, fl := range p.Fields {
			kinds[fl.Type.String()] = true
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d packets in %s", n, goldenIFP)
	}
	for _, want := range []string{"v0 0", "v0 1", "v3 0", "v3 1", "hdlc-data", "hdlc-fcs-OK", "t4-non-ecm-data"} {
		if !kinds[want] {
			t.Errorf("golden file lacks %q", want)
		}
	}
}
