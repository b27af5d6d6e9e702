package privacy_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/config"
	"github.com/faxhaven/faxhaven/internal/privacy"
	"github.com/faxhaven/faxhaven/internal/service"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
)

// node is a whole Faxhaven service running in the test, with the privacy
// service over its parts.
type node struct {
	*service.Service
	Privacy *privacy.Service
	BlobDir string
	URL     string
	Logs    *syncBuffer // everything the node logged, as JSON lines
}

// syncBuffer is a bytes.Buffer safe for the node's concurrent logging.
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

func startNode(t *testing.T, dbURL string) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg, err := config.Load("serve", []string{"--data-dir", dir, "--database-url", dbURL, "--listen", ln.Addr().String(),
		"--send-retry-backoff", "100ms"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "cache"), 0o700)
	os.Symlink(filepath.Join(os.TempDir(), "faxhaven-render-test-cache"), filepath.Join(dir, "cache", "pdfium"))
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	s, err := service.New(ctx, cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		s.Close()
	})
	return &node{Service: s, BlobDir: cfg.BlobDir, Privacy: s.Privacy, URL: "http://" + ln.Addr().String(), Logs: logs}
}

// register makes a verified account with a fax number, as the portal's
// sign-up and confirmation link would.
func (n *node) register(t *testing.T, name, email string) (*accounts.Account, string) {
	t.Helper()
	ctx := context.Background()
	b, err := n.Brands.BySlug(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	p, err := n.Brands.CurrentPolicy(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	a, err := n.Accounts.Register(ctx, accounts.Registration{BrandID: b.ID, Name: name, Email: email,
		Password: "correct horse battery staple 7", Marketing: &yes, AcceptPolicy: true, PolicyVersion: p.Version,
		Gender: "female", Occupation: "student"})
	if err != nil {
		t.Fatal(err)
	}
	var num string
	err = n.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET email_verified_at = $1 WHERE id = $2", store.Micros(time.Now()), a.ID); err != nil {
			return err
		}
		nn, err := n.Numbers.AssignTx(ctx, tx, b.ID, a.ID)
		if err == nil {
			num = nn.E164
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, num
}

func (n *node) settle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.Queue.WaitIdle(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
}

// staffMember creates a staff member with the given role.
func (n *node) staffMember(t *testing.T, role staff.Role) *staff.Member {
	t.Helper()
	m, err := n.Staff.Create(context.Background(), string(role)+"@operator.example", "Staff "+string(role), role, "staff password that is long 42")
	if err != nil {
		t.Fatal(err)
	}
	return m
}
