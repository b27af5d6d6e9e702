package accounts_test

import (
	"testing"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/accounts/accountstest"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// BenchmarkLogin measures a login's cost by outcome with the production
// Argon2id parameters. The answers to an unknown email, a wrong password
// and a locked account must cost about the same, so that timing does not
// tell them apart; compare their ns/op.
func BenchmarkLogin(b *testing.B) {
	db := storetest.Open(b, storetest.SQLiteURL(b))
	e := accountstest.New(b, db)
	e.Accounts.Params = accounts.Params{}                                               // production costs for new hashes
	e.Accounts.Limiter = &accounts.Limiter{DB: db, Clock: e.Clock, Secret: []byte("k")} // and for the dummy
	e.Verified(b, "Bench", "bench@example.org")
	e.Verified(b, "Locked", "locked@example.org")
	for i := 0; i < accounts.DefaultPerLogin; i++ {
		e.Accounts.Login(ctx, e.Brand.ID, "locked@example.org", "wrong password", "198.51.100.1", false)
	}
	cases := []struct{ name, email, password, addr string }{
		{"ok", "bench@example.org", "correct horse battery", "192.0.2.1"},
		{"unknown", "nobody@example.org", "correct horse battery", "192.0.2.2"},
		{"wrong", "bench@example.org", "not the password", "192.0.2.3"},
		{"locked", "locked@example.org", "correct horse battery", "192.0.2.4"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				e.Accounts.Login(ctx, e.Brand.ID, c.email, c.password, c.addr, false)
				if c.name == "wrong" {
					// Keep the account below its limit.
					e.Accounts.LoginLimiter().Succeed(ctx, e.Accounts.LoginLimiter().LoginKey("account:1", c.email))
				}
			}
		})
	}
}
