package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/config"
	"github.com/faxhaven/faxhaven/internal/faxes"
	"github.com/faxhaven/faxhaven/internal/service"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// buildBinary compiles faxhaven once per test binary.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "faxhaven")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs "faxhaven serve" and waits until it is ready.
func startServer(t *testing.T, bin string, args []string, logs io.Writer) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var addr string
	for i, a := range args {
		if a == "--listen" {
			addr = args[i+1]
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return cmd
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the server did not become ready:\n%s", logs)
	return nil
}

// TestCrashLosesNothing kills the server with SIGKILL while faxes are on
// their way, starts it again, and checks that every fax reaches exactly one
// final state and arrives exactly once (architecture principle 4).
func TestCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	bin := buildBinary(t)
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		dir := t.TempDir()
		args := []string{"--data-dir", dir, "--database-url", dbURL, "--listen", freeAddr(t),
			"--rescue-after", "3s", "--send-retry-backoff", "200ms", "--log-level", "warn"}
		var logs bytes.Buffer
		server := startServer(t, bin, args, &logs)

		// This process plays the portal: it queues faxes into the database
		// that the server's workers take from.
		cfg, err := config.Load("serve", args, func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		front, err := service.New(ctx, cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer front.Close()
		alice := newTestAccount(t, front, "alice")
		bob := newTestAccount(t, front, "bob")
		bobNum, err := front.Accounts.FaxNumber(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		const n = 20
		var ids []int64
		for i := range n {
			f, err := front.Faxes.Send(ctx, alice, faxes.SendRequest{To: bobNum,
				Files: []faxes.Upload{{Name: "note.txt", Data: []byte(fmt.Sprintf("Fax %d of %d\n", i+1, n))}}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, f.ID)
		}
		// Kill the server once some faxes went through and others have not.
		waitFor(t, 60*time.Second, func() bool { return countStatus(t, front.DB.DB, "delivered") >= 2 })
		if err := server.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		server.Wait()
		before := countStatus(t, front.DB.DB, "delivered")
		t.Logf("killed the server with %d of %d faxes delivered", before, n)

		startServer(t, bin, args, &logs)
		waitFor(t, 120*time.Second, func() bool {
			return countStatus(t, front.DB.DB, "delivered")+countStatus(t, front.DB.DB, "failed") == n
		})
		for _, id := range ids {
			f, err := front.Faxes.Get(ctx, alice, id)
			if err != nil || f.Status != faxes.Delivered {
				t.Errorf("fax %d after the restart: %+v, %v", id, f, err)
			}
		}
		inbox, err := front.Faxes.List(ctx, bob, faxes.In, 0, 200)
		if err != nil {
			t.Fatal(err)
		}
		if len(inbox) != n {
			t.Errorf("bob's inbox has %d faxes, want exactly %d", len(inbox), n)
		}
		var mails int
		if err := front.DB.QueryRow("SELECT COUNT(*) FROM mail_messages WHERE account_id = $1", bob).Scan(&mails); err != nil {
			t.Fatal(err)
		}
		if mails != n {
			t.Errorf("%d fax emails queued for bob, want exactly %d", mails, n)
		}
		if t.Failed() {
			t.Logf("server logs:\n%s", logs.String())
		}
	})
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func countStatus(t *testing.T, db *sql.DB, status string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM faxes WHERE direction = 'out' AND status = $1", status).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// newTestAccount makes a verified account with a fax number.
func newTestAccount(t *testing.T, s *service.Service, name string) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO accounts (brand_id, account_number, name, email, password_hash, marketing_opt_in,
			policy_version, policy_accepted_at, email_verified_at, created_at, updated_at)
			SELECT id, $1, $2, $3, 'x', FALSE, 'v1', 1, 1, 1, 1 FROM brands WHERE slug = 'default' RETURNING id`,
			"test-"+name, name, name+"@example.org").Scan(&id)
		if err != nil {
			return err
		}
		var brandID int64
		if err := tx.QueryRowContext(ctx, "SELECT brand_id FROM accounts WHERE id = $1", id).Scan(&brandID); err != nil {
			return err
		}
		_, err = s.Numbers.AssignTx(ctx, tx, brandID, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
