package accounts_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/accounts/accountstest"
	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

var ctx = context.Background()

func TestRegisterValidation(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := accountstest.New(t, db)
		if _, err := e.Accounts.Register(ctx, e.Registration(t, "Ann Taken", "taken@example.org")); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			change func(r *accounts.Registration)
			want   map[string]string
		}{
			{"duplicate email", func(r *accounts.Registration) { r.Email = "taken@example.org" }, map[string]string{"email": "err.email_taken"}},
			{"duplicate email other case", func(r *accounts.Registration) { r.Email = " Taken@Example.ORG " }, map[string]string{"email": "err.email_taken"}},
			{"missing marketing choice", func(r *accounts.Registration) { r.Marketing = nil }, map[string]string{"marketing": "err.marketing_choice"}},
			{"short password", func(r *accounts.Registration) { r.Password = "abc12345" }, map[string]string{"password": "err.password_short"}},
			{"common password", func(r *accounts.Registration) { r.Password = "Password123" }, map[string]string{"password": "err.password_common"}},
			{"password is email", func(r *accounts.Registration) { r.Password = r.Email }, map[string]string{"password": "err.password_common"}},
			{"bad email", func(r *accounts.Registration) { r.Email = "not-an-address" }, map[string]string{"email": "err.email_invalid"}},
			{"display-name email", func(r *accounts.Registration) { r.Email = "Bob <bob@example.org>" }, map[string]string{"email": "err.email_invalid"}},
			{"policy not accepted", func(r *accounts.Registration) { r.AcceptPolicy = false }, map[string]string{"policy": "err.policy_accept"}},
			{"stale policy", func(r *accounts.Registration) { r.PolicyVersion = "1999-1" }, map[string]string{"policy": "err.policy_changed"}},
			{"unknown gender", func(r *accounts.Registration) { r.Gender = "x" }, map[string]string{"gender": "err.choice_invalid"}},
			{"everything missing", func(r *accounts.Registration) {
				*r = accounts.Registration{BrandID: r.BrandID}
			}, map[string]string{"name": "err.name_required", "email": "err.email_required", "password": "err.password_short",
				"marketing": "err.marketing_choice", "policy": "err.policy_accept"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.Registration(t, "Bob", "bob@example.org")
				tt.change(&r)
				_, err := e.Accounts.Register(ctx, r)
				var verr *accounts.ValidationError
				if !errors.As(err, &verr) {
					t.Fatalf("Register = %v, want a validation error", err)
				}
				if len(verr.Fields) != len(tt.want) {
					t.Errorf("fields = %v, want %v", verr.Fields, tt.want)
				}
				for f, k := range tt.want {
					if verr.Field(f) != k {
						t.Errorf("field %s = %q, want %q", f, verr.Field(f), k)
					}
					if !i18n.Has(k) {
						t.Errorf("key %q is not in the catalog", k)
					}
				}
			})
		}
		var n int
		db.QueryRow("SELECT COUNT(*) FROM accounts").Scan(&n)
		if n != 1 {
			t.Errorf("%d accounts stored after refused registrations, want 1", n)
		}
	})
}

func TestPolicy_P1_AcceptedPolicyVersionAndTimeRecorded(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := accountstest.New(t, db)
		e.Clock.Advance(3 * time.Hour)
		if err := e.Brands.PublishPolicy(ctx, brands.Policy{BrandID: e.Brand.ID, Version: "2026-11-2", TextEN: "v2", TextNL: "v2 nl"}); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(time.Minute)
		at := e.Clock.Now()
		r := e.Registration(t, "Pia", "pia@example.org")
		if r.PolicyVersion != "2026-11-2" {
			t.Fatalf("registration carries policy %q, want the newest", r.PolicyVersion)
		}
		a, err := e.Accounts.Register(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		var version string
		var acceptedAt int64
		if err := db.QueryRow("SELECT policy_version, policy_accepted_at FROM accounts WHERE id = $1", a.ID).Scan(&version, &acceptedAt); err != nil {
			t.Fatal(err)
		}
		if version != "2026-11-2" || !store.Time(acceptedAt).Equal(at) {
			t.Errorf("stored policy %q accepted at %v, want 2026-11-2 at %v", version, store.Time(acceptedAt), at)
		}
	})
}

func TestPolicy_C2_DemographicsOptional(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := accountstest.New(t, db)
		bare, err := e.Accounts.Register(ctx, e.Registration(t, "No Extras", "bare@example.org"))
		if err != nil {
			t.Fatalf("registration without demographics refused: %v", err)
		}
		if bare.Gender != "" || bare.Occupation != "" || bare.IncomeBand != "" {
			t.Errorf("demographics filled in without being given: %+v", bare)
		}
		r := e.Registration(t, "With Extras", "extras@example.org")
		r.Gender, r.Occupation, r.IncomeBand = "female", "student", "low"
		full, err := e.Accounts.Register(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Accounts.ByID(ctx, full.ID)
		if err != nil || got.Gender != "female" || got.Occupation != "student" || got.IncomeBand != "low" {
			t.Errorf("given demographics not stored: %+v, %v", got, err)
		}
	})
}

// repeatReader returns the same bytes on every read, so two registrations
// draw the same account number.
type repeatReader struct{ b byte }

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	return len(p), nil
}

// seqReader serves the readers in turn, one Read each.
type seqReader struct{ rs []func([]byte) }

func (s *seqReader) Read(p []byte) (int, error) {
	f := s.rs[0]
	if len(s.rs) > 1 {
		s.rs = s.rs[1:]
	}
	f(p)
	return len(p), nil
}

func TestPolicy_C2_AccountNumberUnique(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := accountstest.New(t, db)
		seen := map[string]bool{}
		for i := 0; i < 20; i++ {
			a, err := e.Accounts.Register(ctx, e.Registration(t, "User", strings.Repeat("u", i+1)+"@example.org"))
			if err != nil {
				t.Fatal(err)
			}
			if !accounts.ValidAccountNumber(a.Number) {
				t.Errorf("account number %q is not valid", a.Number)
			}
			if seen[a.Number] {
				t.Errorf("account number %q given twice", a.Number)
			}
			seen[a.Number] = true
		}
		// Force a collision: the first draws repeat the same bytes; the
		// service must draw again rather than fail or reuse the number.
		same := func(p []byte) { repeatReader{7}.Read(p) }
		e.Accounts.Rand = &seqReader{rs: []func([]byte){same, same, same, func(p []byte) { repeatReader{3}.Read(p) }, func(p []byte) {
			bytes.NewReader(bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, 8)).Read(p)
		}}}
		a1, err := e.Accounts.Register(ctx, e.Registration(t, "First", "first@example.org"))
		if err != nil {
			t.Fatal(err)
		}
		e.Accounts.Rand = &seqReader{rs: []func([]byte){same, same, same, func(p []byte) { repeatReader{3}.Read(p) }, func(p []byte) { repeatReader{3}.Read(p) }}}
		a2, err := e.Accounts.Register(ctx, e.Registration(t, "Second", "second@example.org"))
		if err != nil {
			t.Fatalf("registration after an account-number collision: %v", err)
		}
		if a1.Number == a2.Number {
			t.Fatalf("two accounts share number %s", a1.Number)
		}
	})
}

func TestAccountNumberCheckDigit(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"79927398", true},
		{"79927391", false},
		{"12345674", true},
		{"12345675", false},
		{"02345678", false}, // leading zero
		{"1234567", false},
		{"123456749", false},
		{"1234567a", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := accounts.ValidAccountNumber(tt.in); got != tt.want {
			t.Errorf("ValidAccountNumber(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	// Every single-digit error and every swap of neighbouring different
	// digits in a valid number is caught.
	valid := "79927398"
	for i := 0; i < len(valid); i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == valid[i] || (i == 0 && d == '0') {
				continue
			}
			b := []byte(valid)
			b[i] = d
			if accounts.ValidAccountNumber(string(b)) {
				t.Errorf("single-digit error %s accepted", b)
			}
		}
	}
}
