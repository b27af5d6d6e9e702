package privacy_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/accounts/accountstest"
	"github.com/faxhaven/faxhaven/internal/blobs"
	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/keys"
	"github.com/faxhaven/faxhaven/internal/privacy"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
)

// outbox records what the privacy service mails, in the caller's
// transaction like the real outbox.
type outbox struct {
	mu   sync.Mutex
	sent []privacy.Mail
}

func (o *outbox) EnqueueTx(_ context.Context, _ *sql.Tx, _ int64, m privacy.Mail) error {
	o.mu.Lock()
	o.sent = append(o.sent, m)
	o.mu.Unlock()
	return nil
}

// to returns the mails of a kind to an address.
func (o *outbox) to(addr, kind string) []privacy.Mail {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []privacy.Mail
	for _, m := range o.sent {
		if m.To == addr && m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

// world is the privacy service on a database, with a manual clock.
type world struct {
	db    *store.DB
	clk   *clock.Manual
	p     *privacy.Service
	mail  *outbox
	brand *brands.Brand
	blobs *blobs.Disk
	staff *staff.Service
}

var faxSeq atomic.Int64

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newWorld(t testing.TB, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, clk: clock.NewManual(start), mail: &outbox{}}
	b := &brands.Service{DB: db, Clock: w.clk}
	var err error
	if w.brand, err = b.EnsureDefault(ctx, "localhost", "fax.localhost"); err != nil {
		t.Fatal(err)
	}
	kr, err := keys.New(db, keys.Config{MasterKey: bytes.Repeat([]byte{9}, 32), Clock: w.clk})
	if err != nil {
		t.Fatal(err)
	}
	if w.blobs, err = blobs.Open(blobs.Config{Dir: filepath.Join(t.TempDir(), "blobs")}); err != nil {
		t.Fatal(err)
	}
	w.staff = &staff.Service{DB: db, Clock: w.clk, Params: accountstest.FastParams}
	w.p = &privacy.Service{DB: db, Clock: w.clk, Keys: kr, Blobs: w.blobs, Secret: []byte("test secret of the privacy world"),
		Mailer: w.mail, Staff: w.staff}
	return w
}

// account inserts an account as registration would; opts are column=value
// overrides such as "plan=paid".
func (w *world) account(t testing.TB, name string, opts ...string) int64 {
	t.Helper()
	set := map[string]string{"plan": "free", "status": "active", "gender": "", "occupation": "", "income_band": "", "marketing": "false", "verified": "1"}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		set[k] = v
	}
	verified := int64(0)
	if set["verified"] == "1" {
		verified = store.Micros(w.clk.Now())
	}
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.org"
	hash, err := accounts.HashPassword("the right password 123", accountstest.FastParams)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	err = w.db.QueryRow(`INSERT INTO accounts (brand_id, account_number, name, email, password_hash, marketing_opt_in, policy_version,
		policy_accepted_at, gender, occupation, income_band, plan, status, email_verified_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'v1', $7, $8, $9, $10, $11, $12, $13, $7, $7) RETURNING id`,
		w.brand.ID, fmt.Sprintf("N-%s", name), name, email, hash, set["marketing"] == "true", store.Micros(w.clk.Now()),
		set["gender"], set["occupation"], set["income_band"], set["plan"], set["status"], verified).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func emailOf(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.org"
}

func (w *world) member(t testing.TB, role staff.Role) *staff.Member {
	t.Helper()
	m, err := w.staff.Create(context.Background(), string(role)+"@operator.example", "Staff "+string(role), role, "staff password that is long 42")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (w *world) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := w.db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// fax inserts a finished fax of the account, created at the world's now.
func (w *world) fax(t testing.TB, accountID int64, dir, remote, remoteID string) int64 {
	t.Helper()
	var id int64
	now := store.Micros(w.clk.Now())
	status := "received"
	if dir == "out" {
		status = "delivered"
	}
	if err := w.db.QueryRow(`INSERT INTO faxes (account_id, direction, status, local_number, remote_number, remote_id, idempotency_key,
		created_at, updated_at) VALUES ($1, $2, $3, '+3197010000001', $4, $5, $6, $7, $7) RETURNING id`,
		accountID, dir, status, remote, remoteID, fmt.Sprintf("k-%d-%d", accountID, faxSeq.Add(1)), now).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
