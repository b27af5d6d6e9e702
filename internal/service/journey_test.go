package service

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/config"
	mailout "github.com/faxhaven/faxhaven/internal/mail"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// node is a whole service running on a loopback port.
type node struct {
	*Service
	URL string
}

// startNode runs a service on dbURL with its data in a temporary directory.
func startNode(t *testing.T, dbURL string, extra ...string) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	args := append([]string{"--data-dir", dir, "--database-url", dbURL, "--listen", ln.Addr().String(),
		"--send-retry-backoff", "100ms", "--max-upload-mb", "2"}, extra...)
	cfg, err := config.Load("serve", args, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// PDFium's compiled module is shared between test runs.
	os.MkdirAll(filepath.Join(dir, "cache"), 0o700)
	os.Symlink(filepath.Join(os.TempDir(), "faxhaven-render-test-cache"), filepath.Join(dir, "cache", "pdfium"))
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("service stopped with %v", err)
		}
		s.Close()
	})
	return &node{Service: s, URL: "http://" + ln.Addr().String()}
}

// user is a browser-like HTTP client: cookies, no redirects followed.
type user struct {
	t      *testing.T
	n      *node
	c      *http.Client
	email  string
	number string
}

func (n *node) newUser(t *testing.T, email string) *user {
	jar, _ := cookiejar.New(nil)
	return &user{t: t, n: n, email: email, c: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (u *user) do(req *http.Request) (*http.Response, string) {
	u.t.Helper()
	// Same-origin, as a browser sends it; cross-origin posts are refused.
	req.Header.Set("Origin", u.n.URL)
	res, err := u.c.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (u *user) get(path string) (*http.Response, string) {
	u.t.Helper()
	req, _ := http.NewRequest("GET", u.n.URL+path, nil)
	return u.do(req)
}

func (u *user) post(path string, form url.Values) (*http.Response, string) {
	u.t.Helper()
	req, _ := http.NewRequest("POST", u.n.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return u.do(req)
}

// mailTo returns the text of the newest message to addr whose subject
// contains subject, from the service's real outbox.
func (n *node) mailTo(t *testing.T, addr, subject string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		list, err := n.Mail.Outbox.List(context.Background(), mailout.Filter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list {
			if len(m.Recipients) == 1 && m.Recipients[0] == addr && strings.Contains(m.Subject, subject) {
				st, err := n.Mail.Outbox.Get(context.Background(), m.ID)
				if err != nil {
					t.Fatal(err)
				}
				return textPart(st.Raw)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no mail to %s about %q in the outbox", addr, subject)
	return ""
}

var tokenLink = regexp.MustCompile(`https?://\S+token=[A-Za-z0-9_-]+`)

// register signs a user up through the portal, confirms the address with
// the emailed link and logs in.
func (u *user) register(name string) {
	u.t.Helper()
	res, body := u.get("/register")
	if res.StatusCode != 200 {
		u.t.Fatalf("GET /register = %d", res.StatusCode)
	}
	version := regexp.MustCompile(`name="policy_version" value="([^"]+)"`).FindStringSubmatch(body)
	if version == nil {
		u.t.Fatal("the register form has no policy version")
	}
	res, body = u.post("/register", url.Values{"name": {name}, "email": {u.email}, "password": {"long enough passphrase 1"},
		"marketing": {"no"}, "policy": {"accept"}, "policy_version": {version[1]}})
	if res.StatusCode >= 400 {
		u.t.Fatalf("register = %d\n%s", res.StatusCode, body)
	}
	link := tokenLink.FindString(u.n.mailTo(u.t, u.email, ""))
	lu, err := url.Parse(link)
	if err != nil || link == "" {
		u.t.Fatalf("no verification link in the mail")
	}
	if res, body = u.post("/verify", url.Values{"token": {lu.Query().Get("token")}}); res.StatusCode != http.StatusSeeOther {
		u.t.Fatalf("verify = %d\n%s", res.StatusCode, body)
	}
	if res, body = u.post("/login", url.Values{"email": {u.email}, "password": {"long enough passphrase 1"}}); res.StatusCode != http.StatusSeeOther {
		u.t.Fatalf("login = %d\n%s", res.StatusCode, body)
	}
	_, body = u.get("/account")
	m := regexp.MustCompile(`id="fax-number">([^<]+)<`).FindStringSubmatch(body)
	if m == nil || !strings.HasPrefix(html.UnescapeString(m[1]), "+") {
		u.t.Fatalf("the account page shows no fax number:\n%s", body)
	}
	u.number = html.UnescapeString(m[1])
}

// sendFax submits the send form with files.
func (u *user) sendFax(to string, files map[string][]byte, fields url.Values) (*http.Response, string) {
	u.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("to", to)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, _ := w.CreateFormFile("files", name)
		fw.Write(data)
	}
	w.Close()
	req, _ := http.NewRequest("POST", u.n.URL+"/faxes", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return u.do(req)
}

func (u *user) status(path string) faxStatus {
	u.t.Helper()
	res, body := u.get(path + "/status")
	if res.StatusCode != 200 {
		u.t.Fatalf("GET %s/status = %d", path, res.StatusCode)
	}
	var st faxStatus
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		u.t.Fatal(err)
	}
	return st
}

type faxStatus struct {
	Status, Label, Reason string
	Final                 bool
	Pages                 int
}

// TestJourneyFaxBetweenTwoAccounts walks the first whole journey through
// the portal of a running service: two people register, one faxes the
// other, the other finds it in the inbox and in their email, opens it,
// downloads it and deletes it. Nobody can reach the other's fax.
func TestJourneyFaxBetweenTwoAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		n := startNode(t, dbURL)
		alice, bob := n.newUser(t, "alice@example.org"), n.newUser(t, "bob@example.org")
		alice.register("Alice Adema")
		bob.register("Bob Bakker")

		// A welcome mail confirms the number and the login, not the password (M1).
		welcome := n.mailTo(t, bob.email, "Welcome")
		if !strings.Contains(welcome, bob.number) || !strings.Contains(welcome, bob.email) || strings.Contains(welcome, "long enough passphrase 1") {
			t.Errorf("welcome mail:\n%s", welcome)
		}

		// The email settings page is reachable from the account menu.
		if res, body := alice.get("/account/email"); res.StatusCode != 200 || !strings.Contains(body, `href="/account/email"`) {
			t.Errorf("GET /account/email = %d", res.StatusCode)
		}

		// Bad input gets a clear message and leaves nothing behind.
		res, body := alice.sendFax("12345", map[string][]byte{"a.txt": []byte("hi")}, nil)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "country code") {
			t.Errorf("wrong number: %d\n%s", res.StatusCode, body)
		}
		res, body = alice.sendFax(bob.number, map[string][]byte{"x.zip": []byte("PK\x03\x04 not a document")}, nil)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "x.zip") {
			t.Errorf("unsupported file: %d\n%s", res.StatusCode, body)
		}
		res, body = alice.sendFax(bob.number, map[string][]byte{"big.txt": bytes.Repeat([]byte("a"), 3<<20)}, nil)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "2 MB") {
			t.Errorf("oversized upload: %d\n%s", res.StatusCode, body)
		}
		var count int
		n.DB.QueryRow("SELECT COUNT(*) FROM faxes").Scan(&count)
		if count != 0 {
			t.Fatalf("%d faxes stored after refused requests", count)
		}

		// Send a text document with a cover page.
		res, body = alice.sendFax(bob.number, map[string][]byte{"letter.txt": []byte("Dear Bob,\n\nHere is the report.\n\nAlice\n")},
			url.Values{"note": {"Please call me back."}, "key": {"form-1"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("send = %d\n%s", res.StatusCode, body)
		}
		faxPath := res.Header.Get("Location")
		// The same form sent twice is one fax.
		if res2, _ := alice.sendFax(bob.number, map[string][]byte{"letter.txt": []byte("Dear Bob,\n\nHere is the report.\n\nAlice\n")},
			url.Values{"note": {"Please call me back."}, "key": {"form-1"}}); res2.Header.Get("Location") != faxPath {
			t.Errorf("resubmitted form went to %s, want %s", res2.Header.Get("Location"), faxPath)
		}
		deadline := time.Now().Add(30 * time.Second)
		st := alice.status(faxPath)
		for !st.Final && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			st = alice.status(faxPath)
		}
		if st.Status != "delivered" || st.Pages != 2 || st.Label != "Delivered" {
			t.Fatalf("status after sending: %+v", st)
		}

		// Bob's inbox lists it; the PDF opens and downloads.
		_, inbox := bob.get("/faxes")
		inbox = html.UnescapeString(inbox)
		m := regexp.MustCompile(`href="(/faxes/\d+)"`).FindStringSubmatch(inbox)
		if m == nil || !strings.Contains(inbox, alice.number) {
			t.Fatalf("bob's inbox does not list alice's fax:\n%s", inbox)
		}
		inPath := m[1]
		res, pdf := bob.get(inPath + "/pdf")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "inline") {
			t.Fatalf("PDF: %d %s %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
		}
		res, _ = bob.get(inPath + "/pdf?download=1")
		if !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("download disposition %q", res.Header.Get("Content-Disposition"))
		}
		// The same PDF arrived by email.
		mail := n.mailTo(t, bob.email, "Fax from")
		if !strings.Contains(mail, alice.number) {
			t.Errorf("fax mail does not name the sender:\n%s", mail)
		}

		// Authorization on every object: alice cannot reach bob's copy,
		// bob cannot reach alice's; both look like missing pages.
		for _, c := range []struct {
			u    *user
			path string
		}{{alice, inPath}, {alice, inPath + "/pdf"}, {alice, inPath + "/status"}, {bob, faxPath}, {bob, faxPath + "/pdf"}} {
			if res, _ := c.u.get(c.path); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s GET %s = %d, want 404", c.u.email, c.path, res.StatusCode)
			}
		}
		if res, _ := alice.post(inPath+"/delete", url.Values{}); res.StatusCode != http.StatusNotFound {
			t.Errorf("alice deleting bob's fax = %d, want 404", res.StatusCode)
		}
		// Logged out, nothing.
		anon := n.newUser(t, "")
		if res, _ := anon.get(inPath + "/pdf"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("anonymous PDF = %d, want a redirect to the login", res.StatusCode)
		}

		// Bob deletes it.
		if res, _ := bob.post(inPath+"/delete", url.Values{}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete = %d", res.StatusCode)
		}
		if res, _ := bob.get(inPath + "/pdf"); res.StatusCode != http.StatusNotFound {
			t.Errorf("PDF after delete = %d, want 404", res.StatusCode)
		}
		_, inbox = bob.get("/faxes")
		if strings.Contains(inbox, inPath+`"`) {
			t.Error("the deleted fax is still in the inbox")
		}
		// A cross-origin form post is refused (CSRF).
		req, _ := http.NewRequest("POST", n.URL+faxPath+"/delete", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if res, err := alice.c.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site delete: %v %v", res.StatusCode, err)
		}
	})
}
