// Package accountstest gives tests of the accounts service and of the code
// above it the pieces that other engineers' packages will provide in
// production: an in-memory mailer and a fax-number assigner that draws from
// the numbers table.
package accountstest

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/store"
)

// FastParams make Argon2id cheap enough for tests; never use them in
// production.
var FastParams = accounts.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Sent is one message given to a Mailer.
type Sent struct {
	AccountID int64
	accounts.Message
}

// Mailer keeps enqueued messages in memory. It records a message when it is
// enqueued, before the caller's transaction commits.
type Mailer struct {
	mu   sync.Mutex
	sent []Sent
}

// EnqueueTx records msg.
func (m *Mailer) EnqueueTx(_ context.Context, _ *sql.Tx, accountID int64, msg accounts.Message) error {
	m.mu.Lock()
	m.sent = append(m.sent, Sent{AccountID: accountID, Message: msg})
	m.mu.Unlock()
	return nil
}

// Sent returns every message so far.
func (m *Mailer) Sent() []Sent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Sent(nil), m.sent...)
}

// Last returns the latest message to the address to of the given kind, or
// fails the test.
func (m *Mailer) Last(t testing.TB, to, kind string) Sent {
	t.Helper()
	all := m.Sent()
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].To == to && all[i].Kind == kind {
			return all[i]
		}
	}
	t.Fatalf("no %q mail to %s among %d messages", kind, to, len(all))
	return Sent{}
}

var tokenRE = regexp.MustCompile(`[?&]token=([A-Za-z0-9_-]+)`)

// Token returns the token in the link of a message, or fails the test.
func Token(t testing.TB, s Sent) string {
	t.Helper()
	m := tokenRE.FindStringSubmatch(s.Text)
	if m == nil {
		t.Fatalf("no token link in %q mail: %q", s.Kind, s.Text)
	}
	return m[1]
}

// Numbers assigns fax numbers by adding one to the brand's pool in the
// numbers table and giving it to the account, as the real assigner does
// from a pre-filled pool.
type Numbers struct {
	mu   sync.Mutex
	next int
}

// AssignTx gives the account a fax number, or returns the one it has.
func (n *Numbers) AssignTx(ctx context.Context, tx *sql.Tx, brandID, accountID int64) (string, error) {
	var have string
	err := tx.QueryRowContext(ctx, "SELECT e164 FROM numbers WHERE account_id = $1", accountID).Scan(&have)
	if err == nil {
		return have, nil
	}
	n.mu.Lock()
	n.next++
	e164 := fmt.Sprintf("+3185%07d", 1000000+n.next)
	n.mu.Unlock()
	_, err = tx.ExecContext(ctx, `INSERT INTO numbers (brand_id, e164, carrier, account_id, assigned_at)
		VALUES ($1, $2, 'loopback', $3, $4)`, brandID, e164, accountID, time.Now().UnixMicro())
	if err != nil {
		return "", err
	}
	return e164, nil
}

// Env is a ready accounts service on a test database.
type Env struct {
	DB       *store.DB
	Clock    *clock.Manual
	Brands   *brands.Service
	Brand    *brands.Brand
	Mailer   *Mailer
	Numbers  *Numbers
	Accounts *accounts.Service
}

// New sets up the default brand and an accounts service with fast password
// hashing, an in-memory mailer and the test number assigner.
func New(t testing.TB, db *store.DB) *Env {
	t.Helper()
	mc := clock.NewManual(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	bs := &brands.Service{DB: db, Clock: mc}
	b, err := bs.EnsureDefault(context.Background(), "localhost", "fax.localhost")
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{DB: db, Clock: mc, Brands: bs, Brand: b, Mailer: &Mailer{}, Numbers: &Numbers{}}
	e.Accounts = &accounts.Service{DB: db, Brands: bs, Clock: mc, Mailer: e.Mailer, Numbers: e.Numbers,
		Params: FastParams, Secret: []byte("test secret")}
	return e
}

// Yes and No are the two marketing choices.
var (
	yes, no = true, false
	Yes     = &yes
	No      = &no
)

// Registration returns a valid registration for email on the env's brand.
func (e *Env) Registration(t testing.TB, name, email string) accounts.Registration {
	t.Helper()
	p, err := e.Brands.CurrentPolicy(context.Background(), e.Brand.ID)
	if err != nil {
		t.Fatal(err)
	}
	return accounts.Registration{BrandID: e.Brand.ID, Name: name, Email: email, Password: "correct horse battery",
		Marketing: No, AcceptPolicy: true, PolicyVersion: p.Version, Language: "en"}
}

// Verified registers and verifies an account and returns it.
func (e *Env) Verified(t testing.TB, name, email string) *accounts.Account {
	t.Helper()
	ctx := context.Background()
	if _, err := e.Accounts.Register(ctx, e.Registration(t, name, email)); err != nil {
		t.Fatal(err)
	}
	a, err := e.Accounts.Verify(ctx, Token(t, e.Mailer.Last(t, email, "verify")))
	if err != nil {
		t.Fatal(err)
	}
	return a
}
