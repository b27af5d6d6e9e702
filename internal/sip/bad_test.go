package sip

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawPeer speaks SIP over a plain UDP socket, so tests can send what no
// well-behaved stack would.
type rawPeer struct {
	conn *net.UDPConn
	to   *net.UDPAddr
}

func newRawPeer(t *testing.T, ip string, to *net.UDPAddr) *rawPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawPeer{conn: c, to: to}
}

func (p *rawPeer) addr() string { return p.conn.LocalAddr().String() }

func (p *rawPeer) send(t *testing.T, msg string) {
	t.Helper()
	msg = strings.ReplaceAll(strings.ReplaceAll(strings.TrimLeft(msg, "\n"), "\r\n", "\n"), "\n", "\r\n")
	if _, err := p.conn.WriteToUDP([]byte(msg), p.to); err != nil {
		t.Fatal(err)
	}
}

// response is a parsed SIP response.
type response struct {
	code    int
	headers map[string]string // lower-case name -> first value
}

// read returns the next final response for callID, skipping provisional
// ones and messages of other calls.
func (p *rawPeer) read(t *testing.T, callID, method string, within time.Duration) *response {
	t.Helper()
	buf := make([]byte, 65536)
	deadline := time.Now().Add(within)
	for {
		p.conn.SetReadDeadline(deadline)
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("no final response for %s: %v", callID, err)
		}
		r := parseResponse(string(buf[:n]))
		if r == nil || r.headers["call-id"] != callID || r.code < 200 || !strings.HasSuffix(r.headers["cseq"], " "+method) {
			continue
		}
		return r
	}
}

func parseResponse(s string) *response {
	sc := bufio.NewScanner(strings.NewReader(s))
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "SIP/2.0 ") {
		return nil
	}
	code, err := strconv.Atoi(strings.Fields(sc.Text())[1])
	if err != nil {
		return nil
	}
	r := &response{code: code, headers: map[string]string{}}
	for sc.Scan() && sc.Text() != "" {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if k = strings.ToLower(strings.TrimSpace(k)); ok {
			if _, seen := r.headers[k]; !seen {
				r.headers[k] = strings.TrimSpace(v)
			}
		}
	}
	return r
}

const t38Body = `v=0
o=peer 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=image 40000 udptl t38
a=T38FaxVersion:0
a=T38FaxUdpEC:t38UDPRedundancy
`

// invite sends an INVITE to user with body and extra header lines and
// returns the final response; a non-2xx is acknowledged as RFC 3261 says.
func (p *rawPeer) invite(t *testing.T, callID, user, extra, body string) *response {
	t.Helper()
	body = strings.ReplaceAll(body, "\n", "\r\n")
	ctype := ""
	if body != "" {
		ctype = "Content-Type: application/sdp\n"
	}
	branch := "z9hG4bK" + callID
	p.send(t, fmt.Sprintf(`
INVITE sip:%s@%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=%s;rport
From: <sip:+31201234567@127.0.0.1>;tag=%s
To: <sip:%s@127.0.0.1>
Call-ID: %s
CSeq: 1 INVITE
Contact: <sip:peer@%s>
Max-Forwards: 70
%s%sContent-Length: %d

`, user, p.to, p.addr(), branch, callID, user, callID, p.addr(), extra, ctype, len(body))+body)
	r := p.read(t, callID, "INVITE", 5*time.Second)
	if r.code >= 300 {
		p.send(t, fmt.Sprintf(`
ACK sip:%s@%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=%s;rport
From: <sip:+31201234567@127.0.0.1>;tag=%s
To: %s
Call-ID: %s
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

`, user, p.to, p.addr(), branch, callID, r.headers["to"], callID))
	}
	return r
}

// ackBye confirms an answered call and hangs it up.
func (p *rawPeer) ackBye(t *testing.T, callID string, r *response) {
	t.Helper()
	for i, m := range []string{"ACK", "BYE"} {
		p.send(t, fmt.Sprintf(`
%s sip:%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bK%s%d;rport
From: <sip:+31201234567@127.0.0.1>;tag=%s
To: %s
Call-ID: %s
CSeq: %d %s
Max-Forwards: 70
Content-Length: 0

`, m, p.to, p.addr(), callID, i, callID, r.headers["to"], callID, map[string]int{"ACK": 1, "BYE": 2}[m], m))
	}
	if bye := p.read(t, callID, "BYE", 5*time.Second); bye.code != 200 {
		t.Errorf("%s: BYE answered %d", callID, bye.code)
	}
}

func TestBadInput(t *testing.T) {
	u, s := newUA(t, []Trunk{localTrunk("local", 5999)}, func(c *Config) { c.MinSE = 90 * time.Second })
	p := newRawPeer(t, "127.0.0.1", u.Addr())
	tests := []struct {
		name        string
		user, extra string
		body        string
		want        int
		warning     string
	}{
		{"unknown number", "+31201111111", "", t38Body, 404, ""},
		{"not a number", "fax-machine", "", t38Body, 404, "E.164"},
		{"no SDP", did, "", "", 488, "without SDP"},
		{"malformed SDP", did, "", "v=0\no=broken\n", 400, "origin"},
		{"SDP without fax or G.711", did, "", "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 4000 RTP/AVP 111\n", 488, ""},
		{"session interval too small", did, "Session-Expires: 30\n", t38Body, 422, ""},
		{"session interval not a number", did, "Session-Expires: soon\n", t38Body, 400, "Session-Expires"},
	}
	for i, tt := range tests {
		r := p.invite(t, fmt.Sprintf("bad%d", i), tt.user, tt.extra, tt.body)
		if r.code != tt.want {
			t.Errorf("%s: answered %d, want %d", tt.name, r.code, tt.want)
		}
		if tt.warning != "" && !strings.Contains(r.headers["warning"], tt.warning) {
			t.Errorf("%s: Warning %q does not say %q", tt.name, r.headers["warning"], tt.warning)
		}
		if tt.want == 422 && r.headers["min-se"] != "90" {
			t.Errorf("%s: Min-SE %q, want 90", tt.name, r.headers["min-se"])
		}
	}

	// A caller that is no trunk is refused.
	stranger := newRawPeer(t, "127.0.0.2", u.Addr())
	if r := stranger.invite(t, "stranger", did, "", t38Body); r.code != 403 {
		t.Errorf("INVITE from an unknown address answered %d, want 403", r.code)
	}

	// Garbage does not stop the UA: an OPTIONS after it is answered.
	for _, junk := range []string{"\x00\x01\x02", "INVITE\r\n\r\n", "SIP/2.0 200 OK\r\n\r\n", strings.Repeat("A", 60000), "BYE sip:x SIP/2.0\r\nCall-ID: \r\n\r\n"} {
		p.send(t, junk)
	}
	p.send(t, fmt.Sprintf(`
OPTIONS sip:%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKopt;rport
From: <sip:peer@127.0.0.1>;tag=o1
To: <sip:faxhaven@127.0.0.1>
Call-ID: opt1
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

`, u.Addr(), p.addr()))
	if r := p.read(t, "opt1", "OPTIONS", 5*time.Second); r.code != 200 {
		t.Errorf("OPTIONS after garbage answered %d", r.code)
	}

	// A BYE for no call.
	p.send(t, fmt.Sprintf(`
BYE sip:%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKbye;rport
From: <sip:peer@127.0.0.1>;tag=b1
To: <sip:faxhaven@127.0.0.1>;tag=nope
Call-ID: nocall
CSeq: 1 BYE
Max-Forwards: 70
Content-Length: 0

`, u.Addr(), p.addr()))
	if r := p.read(t, "nocall", "BYE", 5*time.Second); r.code != 481 {
		t.Errorf("BYE for no call answered %d, want 481", r.code)
	}
	waitIdle(t, u)
	if s.count() != 0 {
		t.Errorf("bad calls delivered %d faxes", s.count())
	}
}

// A flood of INVITEs above the call limit: exactly the limit is answered,
// the rest get 486 at once, and once hung up nothing is left.
func TestInviteFlood(t *testing.T) {
	const limit, flood = 3, 12
	u, _ := newUA(t, []Trunk{localTrunk("local", 5999)}, func(c *Config) { c.MaxInbound = limit })
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	// Each INVITE from its own socket so that responses do not cross.
	for i := range flood {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := newRawPeer(t, "127.0.0.1", u.Addr())
			id := fmt.Sprintf("flood%d", i)
			r := q.invite(t, id, did, "", t38Body)
			mu.Lock()
			codes[r.code]++
			mu.Unlock()
			if r.code == 200 {
				// Hold the line until every INVITE has its answer.
				time.Sleep(500 * time.Millisecond)
				q.ackBye(t, id, r)
			}
		}()
	}
	wg.Wait()
	if codes[200] != limit || codes[486] != flood-limit {
		t.Errorf("answers %v, want %d × 200 and %d × 486", codes, limit, flood-limit)
	}
	waitIdle(t, u)
}

// message is any SIP message read off the wire.
type message struct {
	start   string
	headers map[string]string
}

// readRequest returns the next request with method, skipping other traffic.
func (p *rawPeer) readRequest(t *testing.T, method string, within time.Duration) *message {
	t.Helper()
	buf := make([]byte, 65536)
	deadline := time.Now().Add(within)
	for {
		p.conn.SetReadDeadline(deadline)
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("no %s request: %v", method, err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(buf[:n])))
		if !sc.Scan() || !strings.HasPrefix(sc.Text(), method+" ") {
			continue
		}
		m := &message{start: sc.Text(), headers: map[string]string{}}
		for sc.Scan() && sc.Text() != "" {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
				k = strings.ToLower(strings.TrimSpace(k))
				if _, seen := m.headers[k]; !seen {
					m.headers[k] = strings.TrimSpace(v)
				}
			}
		}
		return m
	}
}

// Re-INVITE glare the other way round: the far end re-INVITEs while ours
// is pending, and gets 491 (RFC 3261 section 14.1); our re-INVITE then
// completes and the call is in T.38.
func TestReinviteGlareAnswered491(t *testing.T) {
	u, _ := newUA(t, []Trunk{localTrunk("local", 5999)}, func(c *Config) { c.SwitchWait = 300 * time.Millisecond })
	p := newRawPeer(t, "127.0.0.1", u.Addr())
	const id = "glare1"
	audio := "v=0\no=peer 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 40002 RTP/AVP 8\n"
	r := p.invite(t, id, did, "", audio)
	if r.code != 200 {
		t.Fatalf("audio INVITE answered %d", r.code)
	}
	ours := r.headers["to"]
	p.send(t, fmt.Sprintf(`
ACK sip:%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKack1;rport
From: <sip:+31201234567@127.0.0.1>;tag=%s
To: %s
Call-ID: %s
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

`, u.Addr(), p.addr(), id, ours, id))

	// Our switch to T.38 arrives; the far end crosses it with its own.
	reinv := p.readRequest(t, "INVITE", 5*time.Second)
	body := strings.ReplaceAll(t38Body, "\n", "\r\n")
	p.send(t, fmt.Sprintf(`
INVITE sip:%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKglare;rport
From: <sip:+31201234567@127.0.0.1>;tag=%s
To: %s
Call-ID: %s
CSeq: 2 INVITE
Contact: <sip:peer@%s>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: %d

`, u.Addr(), p.addr(), id, ours, id, p.addr(), len(body))+body)
	if res := p.read(t, id, "INVITE", 5*time.Second); res.code != 491 {
		t.Fatalf("a crossing re-INVITE was answered %d, want 491", res.code)
	}
	// ACK the 491 in its transaction, then accept ours.
	p.send(t, fmt.Sprintf(`
ACK sip:%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKglare;rport
From: <sip:+31201234567@127.0.0.1>;tag=%s
To: %s
Call-ID: %s
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

`, u.Addr(), p.addr(), id, ours, id))
	p.send(t, fmt.Sprintf(`
SIP/2.0 200 OK
Via: %s
From: %s
To: %s
Call-ID: %s
CSeq: %s
Contact: <sip:peer@%s>
Content-Type: application/sdp
Content-Length: %d

`, reinv.headers["via"], reinv.headers["from"], reinv.headers["to"], id, reinv.headers["cseq"], p.addr(), len(body))+body)
	p.readRequest(t, "ACK", 5*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		cs := u.Calls()
		if len(cs) == 1 && cs[0].T38 && cs[0].Remote == "127.0.0.1:40000" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("calls %+v: want one in T.38 towards 127.0.0.1:40000", cs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.send(t, fmt.Sprintf(`
BYE sip:%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKbye1;rport
From: <sip:+31201234567@127.0.0.1>;tag=%s
To: %s
Call-ID: %s
CSeq: 3 BYE
Max-Forwards: 70
Content-Length: 0

`, u.Addr(), p.addr(), id, ours, id))
	if res := p.read(t, id, "BYE", 5*time.Second); res.code != 200 {
		t.Errorf("BYE answered %d", res.code)
	}
	waitIdle(t, u)
}

// A caller that asks for a session timer without saying it supports them
// gets one it refreshes, but no Require: timer; one that supports them is
// required to.
func TestSessionTimerNegotiation(t *testing.T) {
	u, _ := newUA(t, []Trunk{localTrunk("local", 5999)}, nil)
	p := newRawPeer(t, "127.0.0.1", u.Addr())
	tests := []struct {
		extra, se, require string
	}{
		{"Session-Expires: 120\n", "120;refresher=uac", ""},
		{"Session-Expires: 300;refresher=uac\nSupported: timer\n", "300;refresher=uac", "timer"},
		{"Session-Expires: 300;refresher=uas\nSupported: replaces, timer\n", "300;refresher=uas", "timer"},
		{"", "", ""},
	}
	for i, tt := range tests {
		id := fmt.Sprintf("se%d", i)
		r := p.invite(t, id, did, tt.extra, t38Body)
		if r.code != 200 {
			t.Fatalf("%q: answered %d", tt.extra, r.code)
		}
		if r.headers["session-expires"] != tt.se || r.headers["require"] != tt.require {
			t.Errorf("%q: Session-Expires %q, Require %q; want %q, %q", tt.extra, r.headers["session-expires"], r.headers["require"], tt.se, tt.require)
		}
		p.ackBye(t, id, r)
	}
	waitIdle(t, u)
}

// Shutdown refuses new calls with 503 and waits for the running ones.
func TestShutdown(t *testing.T) {
	u, _ := newUA(t, []Trunk{localTrunk("local", 5999)}, nil)
	p := newRawPeer(t, "127.0.0.1", u.Addr())
	r := p.invite(t, "up1", did, "", t38Body)
	if r.code != 200 {
		t.Fatalf("INVITE answered %d", r.code)
	}
	p.send(t, fmt.Sprintf(`
ACK sip:%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKup1ack;rport
From: <sip:+31201234567@127.0.0.1>;tag=up1
To: %s
Call-ID: up1
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

`, u.Addr(), p.addr(), r.headers["to"]))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- u.Shutdown(ctx) }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		u.mu.Lock()
		d := u.draining
		u.mu.Unlock()
		if d {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Shutdown did not start draining")
		}
	}
	if r2 := newRawPeer(t, "127.0.0.1", u.Addr()).invite(t, "late", did, "", t38Body); r2.code != 503 {
		t.Errorf("an INVITE during shutdown was answered %d, want 503", r2.code)
	}
	select {
	case <-done:
		t.Fatal("Shutdown returned with a call in progress")
	case <-time.After(300 * time.Millisecond):
	}
	p.ackBye(t, "up1", r) // the ACK again does no harm; the BYE ends the call
	select {
	case err := <-done:
		if err != nil || ctx.Err() != nil {
			t.Errorf("Shutdown: %v (deadline reached: %v)", err, ctx.Err())
		}
	case <-time.After(8 * time.Second):
		t.Fatal("Shutdown did not return after the last call ended")
	}
}
