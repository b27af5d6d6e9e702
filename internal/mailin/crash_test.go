package mailin_test

import (
	"bufio"
	"context"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/store"
)

// TestCrashLosesNoAcceptedMessage runs the email-to-fax server as a
// process (the benchmark's server: a whole service on SQLite), sends it
// messages over several connections, kills it with SIGKILL in the middle,
// and checks that every message it answered 250 is in the database.
func TestCrashLosesNoAcceptedMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "server")
	if out, err := exec.Command("go", "build", "-o", bin, "../../bench/smtp/server").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	data := filepath.Join(dir, "data")
	cmd := exec.Command(bin, "-listen", addr, "-data-dir", data)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- true
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not start")
	}

	msg, err := os.ReadFile("../../bench/smtp/message.eml")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if err := sendOne(addr, msg); err != nil {
					return // refused or killed
				}
				accepted.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for accepted.Load() < 100 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	wg.Wait()
	cmd.Wait()
	n := accepted.Load()
	if n < 100 {
		t.Fatalf("only %d messages accepted before the deadline", n)
	}

	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(data, "faxhaven.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored, jobs int64
	db.QueryRow("SELECT COUNT(*) FROM email_inbound WHERE status = 'queued' AND length(payload) > 0").Scan(&stored)
	db.QueryRow("SELECT COUNT(*) FROM river_job WHERE kind = 'email_fax'").Scan(&jobs)
	// A message may be committed and the process killed before its 250
	// went out, so there may be more, never fewer.
	if stored < n || jobs != stored {
		t.Fatalf("%d messages answered 250; %d stored with %d jobs", n, stored, jobs)
	}
	t.Logf("%d accepted before the kill, %d stored", n, stored)
}

// sendOne delivers msg over one SMTP conversation.
func sendOne(addr string, msg []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("mx.example.org"); err != nil {
		return err
	}
	if err := c.Mail("bench@example.org"); err != nil {
		return err
	}
	if err := c.Rcpt("31201234567@fax.bench.test"); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	c.Quit() // the 250 for DATA came; a lost QUIT changes nothing
	return nil
}
