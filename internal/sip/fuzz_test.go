package sip

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/emiago/sipgo/siptest"

	"github.com/faxhaven/faxhaven/fax/sdp"
)

// FuzzInvite hands the inbound INVITE handler requests with arbitrary
// called numbers, session timers and bodies. The UA is kept full, so every
// INVITE that passes the checks is answered 486 instead of being set up:
// each must get exactly one clear final answer. Offers that parse are also
// answered as a re-INVITE would be.
func FuzzInvite(f *testing.F) {
	f.Add("+31970100001", "1800;refresher=uac", t38Body)
	f.Add("0031970100001", "", "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 4000 RTP/AVP 0 8\n")
	f.Add("fax", "30", "v=0\n")
	f.Add("+31970100001", "soon", "")
	u, err := New(Config{Listen: "127.0.0.1:0", Trunks: []Trunk{localTrunk("local", 5999)}, MaxInbound: 1, PingInterval: -1,
		Owns: func(_ context.Context, n string) (bool, error) { return n == did, nil }, Sink: newSink()})
	if err != nil {
		f.Fatal(err)
	}
	defer u.Close()
	u.ctx = context.Background()
	u.resolveTrunks()
	u.inbound = u.cfg.MaxInbound // full: nothing is set up
	media, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		f.Fatal(err)
	}
	defer media.Close()
	allowed := map[int]bool{400: true, 403: true, 404: true, 422: true, 486: true, 488: true, 503: true}
	f.Fuzz(func(t *testing.T, user, se, body string) {
		if strings.ContainsAny(user+se, "\r\n") {
			return
		}
		body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")
		extra := ""
		if se != "" {
			extra = "Session-Expires: " + se + "\r\n"
		}
		raw := fmt.Sprintf("INVITE sip:%s@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKfuzz\r\nFrom: <sip:a@127.0.0.1>;tag=f\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: fuzz\r\nCSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1:5999>\r\nMax-Forwards: 70\r\n%sContent-Length: %d\r\n\r\n%s", user, extra, len(body), body)
		msg, err := sip.ParseMessage([]byte(raw))
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		req.SetSource("127.0.0.1:5999")
		rec := siptest.NewServerTxRecorder(req)
		u.inboundInvite(req, rec)
		var finals []int
		for _, r := range rec.Result() {
			if r.StatusCode >= 200 {
				finals = append(finals, r.StatusCode)
			}
		}
		if len(finals) != 1 || !allowed[finals[0]] {
			t.Fatalf("INVITE to %q, Session-Expires %q, body %q: final answers %v", user, se, body, finals)
		}
		if offer, err := sdp.Parse([]byte(body)); err == nil {
			c := newCall(u, "fuzz", nil, false, media)
			c.mu.Lock()
			if ans, err := c.answerOffer(offer); err == nil {
				if _, err := sdp.Parse(ans.Marshal()); err != nil {
					t.Fatalf("our answer to %q does not parse: %v", body, err)
				}
			}
			c.mu.Unlock()
		}
	})
}
