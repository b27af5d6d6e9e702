package sip

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/internal/carrier"
)

func TestParseFile(t *testing.T) {
	in := `
# two providers
[sip]
listen = 0.0.0.0:5060
public-ip = 203.0.113.10
max-inbound = 40
ring-timeout = 45

[trunk main]
host = sip.example.net:5070
domain = example.net
username = 3120555
password = pa=ss # the rest is a comment
register = true
expires = 300
priority = 1
max-calls = 30
calls-per-second = 5
numbers = +3120555/1000

[trunk backup]
host = 192.0.2.7
audio-first = true
ping = false
priority = 2
`
	f, err := ParseFile(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if f.Listen != "0.0.0.0:5060" || f.PublicIP != "203.0.113.10" || f.MaxInbound != 40 || f.RingTimeout != 45*time.Second {
		t.Errorf("[sip] read as %+v", f)
	}
	ts := f.Trunks
	want := []Trunk{
		{Name: "main", Host: "sip.example.net:5070", Domain: "example.net", Username: "3120555", Password: "pa=ss", Register: true, Expires: 300 * time.Second, Priority: 1, MaxCalls: 30, CallsPerSecond: 5,
			Numbers: Pool{"+3120555", 1000}},
		{Name: "backup", Host: "192.0.2.7", AudioFirst: true, NoPing: true, Priority: 2},
	}
	if len(ts) != len(want) {
		t.Fatalf("%d trunks", len(ts))
	}
	for i := range want {
		if !reflect.DeepEqual(ts[i], want[i]) {
			t.Errorf("trunk %d:\n got %+v\nwant %+v", i, ts[i], want[i])
		}
	}
	if got := ts[1].hostPort(); got != "192.0.2.7:5060" {
		t.Errorf("default port: %s", got)
	}

	bad := []struct{ in, want string }{
		{"host = x\n", "before any [sip] or [trunk"},
		{"[trunk]\n", "section header"},
		{"[sip]\nlisten = :5060\nport = 5\n", "unknown key"},
		{"[sip]\nmax-inbound = many\n", "whole number"},
		{"[trunk a]\nhost = x\nnumbers = +3120\n", "PREFIX/COUNT"},
		{"[trunk a]\nhost = x\nnumbers = +312055512345/10\n", "PREFIX/COUNT"},
		{"[trunk a]\nhost = x\nnumbers = +3120555/10\nnumbers = +3120556/10\n", "one block"},
		{"[trunk a]\nhost = x\nnumbers = 3120555/10\n", "PREFIX/COUNT"},
		{"[trunk a]\nhost x\n", "key = value"},
		{"[trunk a]\nhost = x\ncolour = blue\n", "unknown key"},
		{"[trunk a]\nhost = x\nmax-calls = -1\n", "whole number"},
		{"[trunk a]\nhost = x\nregister = maybe\n", "true or false"},
		{"[trunk a]\n", "host is required"},
		{"[trunk a]\nhost = x\nregister = true\n", "needs a username"},
		{"[trunk a]\nhost = x\n[trunk a]\nhost = y\n", "defined twice"},
	}
	for _, b := range bad {
		_, err := ParseFile(strings.NewReader(b.in))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: error %v, want one saying %q", b.in, err, b.want)
		}
	}
}

func TestTrunkLimits(t *testing.T) {
	now := time.Unix(1000, 0)
	tr := &trunkState{Trunk: Trunk{MaxCalls: 3, CallsPerSecond: 2}, now: func() time.Time { return now }}
	if !tr.acquire(true) || !tr.acquire(true) {
		t.Fatal("the first two calls of a second were refused")
	}
	if tr.acquire(true) {
		t.Fatal("a third outbound call in one second was allowed at 2 a second")
	}
	if !tr.acquire(false) {
		t.Fatal("an inbound call was refused by the outbound rate")
	}
	now = now.Add(1100 * time.Millisecond)
	if tr.acquire(true) {
		t.Fatal("a fourth concurrent call was allowed at most 3")
	}
	tr.release()
	if !tr.acquire(true) {
		t.Fatal("a call was refused with a free slot and a new second")
	}
}

func TestE164(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"+31970100001", "+31970100001", true},
		{"31970100001", "+31970100001", true},
		{"0031970100001", "+31970100001", true},
		{"+31-20-(123)-4567", "+31201234567", true},
		{"+31201234567;npdi", "+31201234567", true},
		{"fax", "", false},
		{"12", "", false},
		{"+1234567890123456", "", false},
		{"31+20", "", false},
	}
	for _, tt := range tests {
		got, ok := e164(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("e164(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestStatusFor(t *testing.T) {
	tests := []struct {
		code  int
		want  carrier.Status
		next  bool
		retry bool
	}{
		{486, carrier.Busy, false, true},
		{600, carrier.Busy, false, true},
		{480, carrier.NoAnswer, false, true},
		{408, carrier.NoAnswer, false, true},
		{404, carrier.NoSuchNumber, false, false},
		{484, carrier.NoSuchNumber, false, false},
		{488, carrier.Rejected, false, false},
		{603, carrier.Rejected, false, false},
		{403, carrier.Rejected, false, false},
		{503, carrier.TrunkDown, true, true},
		{500, carrier.TrunkDown, true, true},
		{407, carrier.TrunkDown, true, true},
	}
	for _, tt := range tests {
		s, reason, next := statusFor(tt.code)
		if s != tt.want || next != tt.next || s.Retryable() != tt.retry || reason == "" {
			t.Errorf("%d: %v (%q) next %v, want %v next %v", tt.code, s, reason, next, tt.want, tt.next)
		}
	}
}

func TestParseSessionExpires(t *testing.T) {
	tests := []struct {
		in  string
		d   time.Duration
		ref string
		ok  bool
	}{
		{"1800", 1800 * time.Second, "", true},
		{"90;refresher=uac", 90 * time.Second, "uac", true},
		{"120 ; Refresher=UAS", 120 * time.Second, "uas", true},
		{"soon", 0, "", false},
		{"-5", 0, "", false},
	}
	for _, tt := range tests {
		d, ref, err := parseSessionExpires(tt.in)
		if d != tt.d || ref != tt.ref || (err == nil) != tt.ok {
			t.Errorf("%q: %v %q %v", tt.in, d, ref, err)
		}
	}
}

func TestFaxResult(t *testing.T) {
	confirmed := func(n int) []t30.PageResult {
		ps := make([]t30.PageResult, n)
		for i := range ps {
			ps[i] = t30.PageResult{Number: i + 1, Confirmed: true}
		}
		return ps
	}
	tests := []struct {
		name   string
		r      t30.Result
		hungUp bool
		want   carrier.Status
	}{
		{"no fax machine", t30.Result{Reason: t30.ReasonNoFax}, false, carrier.NotFax},
		{"cancelled midway", t30.Result{Reason: t30.ReasonCanceled, Pages: confirmed(1)}, true, carrier.Failed},
		{"hung up after the last confirmation", t30.Result{Reason: t30.ReasonCanceled, Pages: confirmed(2)}, true, carrier.Delivered},
		{"cancelled by us after the last confirmation", t30.Result{Reason: t30.ReasonCanceled, Pages: confirmed(2)}, false, carrier.Failed},
	}
	for _, tt := range tests {
		if got := faxResult(tt.r, 2, tt.hungUp).Status; got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// fixed is a carrier that answers with one status and counts its calls.
type fixed struct {
	status carrier.Status
	calls  int
}

func (f *fixed) Send(context.Context, *carrier.Outbound) (*carrier.Result, error) {
	f.calls++
	return &carrier.Result{Status: f.status}, nil
}

func TestSplit(t *testing.T) {
	local, trunks := &fixed{status: carrier.Delivered}, &fixed{status: carrier.Busy}
	s := &Split{Local: local, Trunks: trunks, IsLocal: func(_ context.Context, n string) (bool, error) {
		if n == "+0" {
			return false, errors.New("database down")
		}
		return n == "+3197010001", nil
	}}
	for _, tt := range []struct {
		to   string
		want carrier.Status
	}{{"+3197010001", carrier.Delivered}, {"+31201234567", carrier.Busy}} {
		res, err := s.Send(context.Background(), &carrier.Outbound{To: tt.to})
		if err != nil || res.Status != tt.want {
			t.Errorf("%s: %v %v, want %v", tt.to, res, err, tt.want)
		}
	}
	if local.calls != 1 || trunks.calls != 1 {
		t.Errorf("local %d calls, trunks %d, want 1 each", local.calls, trunks.calls)
	}
	if _, err := s.Send(context.Background(), &carrier.Outbound{To: "+0"}); err == nil || !strings.Contains(err.Error(), "database down") {
		t.Errorf("a failed lookup gave %v", err)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) string {
		p := filepath.Join(dir, "sip.conf")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	owns := func(context.Context, string) (bool, error) { return false, nil }
	if _, _, err := Open(write("[trunk a]\nhost = 127.0.0.1\n"), owns, newSink(), nil); err == nil || !strings.Contains(err.Error(), "needs listen") {
		t.Errorf("no listen: %v", err)
	}
	if _, _, err := Open(write("[sip]\nlisten = 0.0.0.0:0\n"), owns, newSink(), nil); err == nil || !strings.Contains(err.Error(), "public-ip") {
		t.Errorf("all addresses without public-ip: %v", err)
	}
	ua, f, err := Open(write("[sip]\nlisten = 127.0.0.1:0\nmax-inbound = 7\n[trunk a]\nhost = 127.0.0.1\nnumbers = +3120555/10\n"), owns, newSink(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	if ua.cfg.MaxInbound != 7 || len(f.Trunks) != 1 || f.Trunks[0].Numbers.Count != 10 {
		t.Errorf("opened with %+v from %+v", ua.cfg, f)
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte("[sip]\nlisten = 127.0.0.1:5060\n[trunk a]\nhost = 127.0.0.1\nnumbers = +3120555/100\nregister = true\nusername = u\n"))
	f.Add([]byte("[trunk b]\nhost = x:1\npriority = 2\nmax-calls = 3 # c\ncalls-per-second = 1\naudio-first = yes\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := ParseFile(bytes.NewReader(b))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "sip config: ") {
				t.Fatalf("error %q does not say where it comes from", err)
			}
			return
		}
		for _, tr := range file.Trunks {
			if err := tr.validate(); err != nil {
				t.Fatalf("accepted an invalid trunk: %v", err)
			}
			if tr.Numbers.Count < 0 || tr.MaxCalls < 0 {
				t.Fatalf("negative limits: %+v", tr)
			}
		}
	})
}
