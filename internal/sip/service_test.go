package sip_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/config"
	"github.com/faxhaven/faxhaven/internal/faxes"
	mailout "github.com/faxhaven/faxhaven/internal/mail"
	"github.com/faxhaven/faxhaven/internal/peer"
	"github.com/faxhaven/faxhaven/internal/peer/spandsp"
	"github.com/faxhaven/faxhaven/internal/service"
	"github.com/faxhaven/faxhaven/internal/sip"
)

// The whole service with a SIP trunk: sipp plays the trunk's signalling and
// SpanDSP the fax machine at the far end of it.

func freeUDP(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// runSipp starts sipp with a scenario from testdata and returns a function
// that waits for it and reports its failure.
func runSipp(t *testing.T, args ...string) func() error {
	t.Helper()
	bin := peer.Command(t, "sipp", "sip-tester")
	for i := range args {
		if i > 0 && args[i-1] == "-sf" {
			abs, err := filepath.Abs(args[i])
			if err != nil {
				t.Fatal(err)
			}
			args[i] = abs
		}
	}
	cmd := exec.Command(bin, append([]string{"-i", "127.0.0.1", "-nostdin", "-timeout", "90s", "-timeout_error", "-trace_err", "-trace_msg"}, args...)...)
	cmd.Dir = t.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-done
		}
	})
	return func() error {
		select {
		case err := <-done:
			if err != nil {
				logs, _ := exec.Command("sh", "-c", "tail -c 4000 "+filepath.Join(cmd.Dir, "*.log")).Output()
				return fmt.Errorf("sipp: %v\n%s\n%s", err, out.String(), logs)
			}
			return nil
		case <-time.After(100 * time.Second):
			cmd.Process.Kill()
			return fmt.Errorf("sipp did not finish")
		}
	}
}

// textOf returns the decoded text parts of a raw email.
func textOf(raw []byte) string {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return string(raw)
	}
	var b strings.Builder
	var walk func(h map[string][]string, r io.Reader)
	walk = func(h map[string][]string, r io.Reader) {
		mt, params, _ := mime.ParseMediaType(firstOf(h["Content-Type"]))
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(r, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					return
				}
				walk(p.Header, p)
			}
		}
		if strings.EqualFold(firstOf(h["Content-Transfer-Encoding"]), "quoted-printable") {
			r = quotedprintable.NewReader(r)
		}
		if mt == "" || strings.HasPrefix(mt, "text/") {
			body, _ := io.ReadAll(r)
			b.Write(body)
		}
	}
	walk(m.Header, m.Body)
	return b.String()
}

func firstOf(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// mailsTo returns the subjects and texts of the messages to addr in the
// service's outbox.
func mailsTo(t *testing.T, s *service.Service, addr string) (subjects, texts []string) {
	t.Helper()
	list, err := s.Mail.Outbox.List(context.Background(), mailout.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if len(m.Recipients) == 1 && m.Recipients[0] == addr {
			st, err := s.Mail.Outbox.Get(context.Background(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			subjects = append(subjects, m.Subject)
			texts = append(texts, textOf(st.Raw))
		}
	}
	return subjects, texts
}

func TestServiceOverSIP(t *testing.T) {
	t.Parallel()
	spandsp.Peer(t)
	peer.Command(t, "sipp", "sip-tester")
	dir := t.TempDir()
	sipPort, trunkPort := freeUDP(t), freeUDP(t)
	conf := filepath.Join(dir, "sip.conf")
	text := fmt.Sprintf("[sip]\nlisten = 127.0.0.1:%d\n\n[trunk carrier]\nhost = 127.0.0.1:%d\nping = false\nnumbers = +3120555/10\n", sipPort, trunkPort)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("serve", []string{"--data-dir", filepath.Join(dir, "data"), "--listen", ln.Addr().String(),
		"--sip-config", conf, "--rescue-after", "10m", "--send-retry-backoff", "100ms"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := service.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- s.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("service stopped with %v", err)
		}
		s.Close()
	})

	// An account, verified by the link in its email, gets a number of the
	// trunk's block: the lowest free number is the trunk's.
	brand, err := s.Brands.ForHost(ctx, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := s.Brands.CurrentPolicy(ctx, brand.ID)
	if err != nil {
		t.Fatal(err)
	}
	no := false
	const email = "ann@example.com"
	acc, err := s.Accounts.Register(ctx, accounts.Registration{BrandID: brand.ID, Name: "Ann", Email: email,
		Password: "long enough passphrase 1", Marketing: &no, AcceptPolicy: true, PolicyVersion: pol.Version})
	if err != nil {
		t.Fatal(err)
	}
	var token []string
	for deadline := time.Now().Add(10 * time.Second); token == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, texts := mailsTo(t, s, email)
		for _, tx := range texts {
			if m := regexp.MustCompile(`token=([A-Za-z0-9_-]+)`).FindStringSubmatch(tx); m != nil {
				token = m
			}
		}
	}
	if token == nil {
		t.Fatal("no verification mail")
	}
	if _, err := s.Accounts.Verify(ctx, token[1]); err != nil {
		t.Fatal(err)
	}
	number, err := s.Accounts.FaxNumber(ctx, acc.ID)
	if err != nil || number != "+31205550000" {
		t.Fatalf("the account's number is %q (%v), want the trunk's +31205550000", number, err)
	}
	mailsBefore, _ := mailsTo(t, s, email)

	// Inbound: the trunk calls Ann's number; SpanDSP sends two pages.
	src := filepath.Join(dir, "src.tif")
	spandsp.MakeTIFF(t, src, 2)
	t38port := freeUDP(t)
	wait := runSipp(t, "-sf", "testdata/inbound_fax_refresh.xml", "-m", "1", "-s", number, "-p", strconv.Itoa(trunkPort),
		"-set", "t38port", strconv.Itoa(t38port), "-d", "2000", fmt.Sprintf("127.0.0.1:%d", sipPort))
	media := waitT38(t, s.SIP)
	if media == "" {
		t.Fatalf("no inbound call reached T.38 within 30 s; %v", wait())
	}
	p := spandsp.StartUDP(t, spandsp.Options{Role: spandsp.Send, File: src, ECM: true, Ident: "+31201234567"},
		spandsp.UDPOptions{Local: fmt.Sprintf("127.0.0.1:%d", t38port), Remote: media, Redundancy: 2, Timeout: 90 * time.Second})
	if res, err := p.Wait(); err != nil || !res.OK() {
		t.Fatalf("SpanDSP sending: %v %+v", err, res)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	var in []*faxes.Fax
	for deadline := time.Now().Add(10 * time.Second); len(in) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if in, err = s.Faxes.List(ctx, acc.ID, faxes.In, 0, 10); err != nil {
			t.Fatal(err)
		}
	}
	if len(in) != 1 || in[0].Pages != 2 || in[0].RemoteNumber != "+31201234567" || in[0].LocalNumber != number {
		t.Fatalf("inbox: %+v", in)
	}
	var subjects []string
	for deadline := time.Now().Add(10 * time.Second); len(subjects) <= len(mailsBefore) && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		subjects, _ = mailsTo(t, s, email)
	}
	if len(subjects) <= len(mailsBefore) {
		t.Errorf("no email about the received fax; mails: %q", subjects)
	}

	// Outbound: Ann faxes a number outside the service; the job goes out
	// through the trunk and lands at SpanDSP.
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.tif")
	t38port = freeUDP(t)
	wait = runSipp(t, "-sf", "testdata/uas_t38.xml", "-m", "1", "-p", strconv.Itoa(trunkPort),
		"-set", "t38port", strconv.Itoa(t38port), "-set", "se", "90")
	f, err := s.Faxes.Send(ctx, acc.ID, faxes.SendRequest{To: "+31201234567", Files: []faxes.Upload{{Name: "doc.tif", Data: data}}})
	if err != nil {
		t.Fatal(err)
	}
	media = waitT38(t, s.SIP)
	if media == "" {
		f, _ := s.Faxes.Get(ctx, acc.ID, f.ID)
		t.Fatalf("no outbound call reached T.38 within 30 s (fax %+v); %v", f, wait())
	}
	p = spandsp.StartUDP(t, spandsp.Options{Role: spandsp.Receive, File: out, ECM: true, Ident: "+31201234567"},
		spandsp.UDPOptions{Local: fmt.Sprintf("127.0.0.1:%d", t38port), Remote: media, Redundancy: 2, Timeout: 90 * time.Second})
	res, err := p.Wait()
	if err != nil || !res.OK() || res.PagesRx != 2 {
		t.Fatalf("SpanDSP receiving: %v %+v", err, res)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	var sent *faxes.Fax
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if sent, err = s.Faxes.Get(ctx, acc.ID, f.ID); err != nil {
			t.Fatal(err)
		}
		if sent.Status == faxes.Delivered {
			break
		}
	}
	if sent.Status != faxes.Delivered || sent.Pages != 2 {
		t.Fatalf("the sent fax is %s with %d pages (%s: %s)", sent.Status, sent.Pages, sent.ReasonCode, sent.ReasonDetail)
	}
}

// waitT38 waits for a call in T.38 and returns its local UDPTL address, or
// "" when none came within 30 s.
func waitT38(t *testing.T, ua *sip.UA) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, c := range ua.Calls() {
			if c.T38 {
				return c.Media
			}
		}
	}
	return ""
}
