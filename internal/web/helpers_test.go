package web

import (
	"bytes"
	"context"
	"github.com/faxhaven/faxhaven/internal/brands"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/faxhaven/faxhaven/internal/accounts/accountstest"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
)

// syncBuffer is a log sink that handlers write to from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// memOutbox adapts the test mailer to the admin outbox view.
type memOutbox struct{ m *accountstest.Mailer }

func (o memOutbox) Recent(_ context.Context, limit int) ([]OutboxMessage, error) {
	var out []OutboxMessage
	sent := o.m.Sent()
	for i := len(sent) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, OutboxMessage{ID: int64(i + 1), To: sent[i].To, Subject: sent[i].Subject, Text: sent[i].Text, Status: "queued"})
	}
	return out, nil
}

type testEnv struct {
	*accountstest.Env
	Staff  *staff.Service
	Server *Server
	HTTP   *httptest.Server
	Logs   *syncBuffer
}

func newEnv(t testing.TB, db *store.DB, trustProxy bool) *testEnv {
	t.Helper()
	e := accountstest.New(t, db)
	st := &staff.Service{DB: db, Clock: e.Clock, Params: accountstest.FastParams, Sessions: e.Accounts.SessionStore(), Limiter: e.Accounts.LoginLimiter()}
	logs := &syncBuffer{}
	e.Accounts.Link = func(_ *brands.Brand, path string) string { return "http://portal.test" + path }
	srv, err := New(Deps{DB: db, Brands: e.Brands, Accounts: e.Accounts, Staff: st, Outbox: memOutbox{e.Mailer}, Clock: e.Clock,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), TrustProxy: trustProxy})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &testEnv{Env: e, Staff: st, Server: srv, HTTP: hs, Logs: logs}
}

// browser is an HTTP client with its own cookie jar that does not follow
// redirects, so tests see every response.
type browser struct {
	t      testing.TB
	env    *testEnv
	c      *http.Client
	header http.Header
}

func (e *testEnv) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, env: e, header: http.Header{}, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	*http.Response
	Body string
}

func (b *browser) do(method, path string, form url.Values) *response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.env.HTTP.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return &response{Response: res, Body: string(data)}
}

func (b *browser) get(path string) *response { return b.do("GET", path, nil) }

func (b *browser) post(path string, form url.Values) *response { return b.do("POST", path, form) }

func (r *response) want(t *testing.T, status int) *response {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s = %d, want %d\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.Body)
	}
	return r
}

// registerForm returns a complete registration form.
func (e *testEnv) registerForm(t *testing.T, name, email string) url.Values {
	p, err := e.Brands.CurrentPolicy(context.Background(), e.Brand.ID)
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{"name": {name}, "email": {email}, "password": {"correct horse battery"}, "marketing": {"no"},
		"policy": {"accept"}, "policy_version": {p.Version}}
}

var ctx = context.Background()
