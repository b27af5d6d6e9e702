package mail

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// TestFaxMailRefusedAndTimedOut sends fax-to-email messages, one per
// recipient as the fax service queues them, through a relay on loopback
// that refuses one recipient (5xx) and hangs on its first connection:
// the hung delivery is retried, the refusal is reported once as a
// failing address, and nothing is sent twice.
func TestFaxMailRefusedAndTimedOut(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		r := startRelay(t, nil)
		r.refuse = func(to string, n int) error {
			if to == "gone@example.org" {
				return errPerm
			}
			return nil
		}
		rc := relayConfig(r)
		rc.Host, rc.Port = silentFirst(t, r.addr)
		rc.Timeout = 500 * time.Millisecond
		var mu sync.Mutex
		refused := map[string][]string{}
		h := newHarness(t, db, Config{Relay: rc, Refused: func(_ context.Context, rcpts []string, reason string) error {
			mu.Lock()
			defer mu.Unlock()
			for _, a := range rcpts {
				refused[a] = append(refused[a], reason)
			}
			return nil
		}})
		ids := map[string]int64{}
		for _, to := range []string{"office@example.org", "gone@example.org", "home@example.org"} {
			ids[to] = h.enqueue(t, 7, &Message{From: "fax@faxhaven.example", To: []string{to}, Subject: "Fax from +31201234567", Text: "t"})
		}
		h.run(t)

		copies := map[string]int{}
		for _, d := range r.deliveries() {
			copies[d.To[0]]++
		}
		for _, to := range []string{"office@example.org", "home@example.org"} {
			if copies[to] != 1 {
				t.Errorf("%s got %d copies, want 1", to, copies[to])
			}
			if m := h.get(t, ids[to]); m.Status != Sent {
				t.Errorf("%s: status %s (%q)", to, m.Status, m.LastError)
			}
		}
		if copies["gone@example.org"] != 0 || r.rcptCount("gone@example.org") != 1 {
			t.Errorf("the refused address got %d copies after %d tries; want none after one", copies["gone@example.org"], r.rcptCount("gone@example.org"))
		}
		if m := h.get(t, ids["gone@example.org"]); m.Status != Failed {
			t.Errorf("refused message: status %s", m.Status)
		}
		var attempts int
		db.QueryRow("SELECT MAX(attempts) FROM mail_messages").Scan(&attempts)
		if attempts < 2 {
			t.Error("no delivery was retried after the relay hung")
		}
		mu.Lock()
		defer mu.Unlock()
		if len(refused) != 1 || len(refused["gone@example.org"]) != 1 || !strings.Contains(refused["gone@example.org"][0], "550") {
			t.Errorf("refusals reported: %v; want one for gone@example.org with the 550 reply", refused)
		}
	})
}
