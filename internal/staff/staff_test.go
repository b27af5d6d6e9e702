package staff_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/accounts/accountstest"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

var ctx = context.Background()

func setup(t *testing.T, db *store.DB) (*accountstest.Env, *staff.Service) {
	e := accountstest.New(t, db)
	return e, &staff.Service{DB: db, Clock: e.Clock, Params: accountstest.FastParams}
}

func member(t *testing.T, s *staff.Service, email string, role staff.Role) *staff.Member {
	t.Helper()
	m, err := s.Create(ctx, email, "", role, "staff password 2026")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func countAudit(t *testing.T, db *store.DB) int {
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPolicy_Sec1_StaffViewOfPersonalDataIsAudited(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e, s := setup(t, db)
		a := e.Verified(t, "Paula Private", "paula@example.org")
		sup := member(t, s, "sup@faxhaven.example", staff.Support)

		// Without a ground, or with an essay for one: refused, nothing
		// shown, nothing recorded.
		for _, ground := range []string{"", "  ", "x", strings.Repeat("g", staff.MaxGroundLen+1)} {
			pd, err := s.ViewAccount(ctx, sup, a.ID, ground)
			if !errors.Is(err, staff.ErrGroundRequired) || pd != nil {
				t.Errorf("view with ground %q = %v, %v; want ErrGroundRequired", ground, pd, err)
			}
		}
		if n := countAudit(t, db); n != 0 {
			t.Fatalf("%d audit records after refused views", n)
		}

		e.Clock.Advance(90 * time.Second)
		pd, err := s.ViewAccount(ctx, sup, a.ID, "  ticket #4711: cannot log in ")
		if err != nil {
			t.Fatal(err)
		}
		if !hasValue(pd, "paula@example.org") || !hasValue(pd, "Paula Private") {
			t.Errorf("support view lacks name or email: %+v", pd.Fields)
		}
		trail, err := s.AuditTrail(ctx, "account", a.ID)
		if err != nil || len(trail) != 1 {
			t.Fatalf("audit trail = %v, %v; want one record", trail, err)
		}
		r := trail[0]
		if r.ActorKind != "staff" || r.ActorID != sup.ID || r.Action != staff.ActionViewAccount ||
			r.Ground != "ticket #4711: cannot log in" || !r.At.Equal(e.Clock.Now()) || !strings.Contains(r.Detail, "email") {
			t.Errorf("audit record %+v does not say who, what, when and why", r)
		}
		// The record cannot be altered afterwards.
		if _, err := db.Exec("UPDATE audit_log SET ground = 'nothing'"); err == nil {
			t.Error("audit record could be updated")
		}
		// A view that finds nothing leaves no record claiming it saw data.
		if _, err := s.ViewAccount(ctx, sup, 99999, "ticket 1"); !errors.Is(err, staff.ErrNotFound) {
			t.Errorf("view of a missing account = %v", err)
		}
		if n := countAudit(t, db); n != 1 {
			t.Errorf("%d audit records, want 1", n)
		}
	})
}

func hasValue(pd *staff.PersonalData, v string) bool {
	for _, f := range pd.Fields {
		if f.Value == v {
			return true
		}
	}
	return false
}

func TestRolesSeeWhatTheirTaskNeeds(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e, s := setup(t, db)
		r := e.Registration(t, "Dora Demo", "dora@example.org")
		r.Gender, r.Occupation = "female", "student"
		if _, err := e.Accounts.Register(ctx, r); err != nil {
			t.Fatal(err)
		}
		a, _ := e.Accounts.ByEmail(ctx, e.Brand.ID, "dora@example.org")
		tests := []struct {
			role       staff.Role
			demography bool
		}{
			{staff.Billing, false},
			{staff.Support, false},
			{staff.Admin, false},
			{staff.Legal, true},
		}
		for _, tt := range tests {
			m := member(t, s, string(tt.role)+"@faxhaven.example", tt.role)
			pd, err := s.ViewAccount(ctx, m, a.ID, "role check")
			if err != nil {
				t.Fatal(err)
			}
			if got := hasValue(pd, "student"); got != tt.demography {
				t.Errorf("%s sees demographics: %v, want %v", tt.role, got, tt.demography)
			}
		}
		// Only admins open the outbox.
		for _, role := range staff.Roles {
			m, _ := s.ByEmail(ctx, string(role)+"@faxhaven.example")
			ran := false
			err := s.Open(ctx, m, staff.Access{Action: staff.ActionViewOutbox, SubjectKind: "outbox", Ground: "delivery check"},
				func(*sql.Tx) error { ran = true; return nil })
			if want := role == staff.Admin; (err == nil) != want || ran != want {
				t.Errorf("%s opening the outbox: err %v, ran %v", role, err, ran)
			}
		}
	})
}

func TestStaffLoginAndList(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e, s := setup(t, db)
		e.Verified(t, "Listed Person", "listed@example.org")
		if _, err := s.Create(ctx, "weak@faxhaven.example", "", staff.Admin, "password123"); err == nil {
			t.Error("a common password was accepted for staff")
		}
		if _, err := s.Create(ctx, "x@faxhaven.example", "", staff.Role("god"), "staff password 2026"); err == nil {
			t.Error("an unknown role was accepted")
		}
		m := member(t, s, "Admin@Faxhaven.example", staff.Admin)
		if _, err := s.Create(ctx, "admin@faxhaven.example", "", staff.Admin, "staff password 2026"); !errors.Is(err, staff.ErrExists) {
			t.Errorf("duplicate staff = %v", err)
		}
		if _, _, err := s.Login(ctx, "admin@faxhaven.example", "wrong password!", "192.0.2.1"); !errors.Is(err, accounts.ErrInvalidCredentials) {
			t.Errorf("wrong password = %v", err)
		}
		got, ss, err := s.Login(ctx, "ADMIN@faxhaven.example", "staff password 2026", "192.0.2.1")
		if err != nil || got.ID != m.ID || ss.Persistent {
			t.Fatalf("login = %v, %v, %v", got, ss, err)
		}
		if who, err := s.Session(ctx, ss.Token); err != nil || who.ID != m.ID {
			t.Errorf("session = %v, %v", who, err)
		}
		rows, err := s.ListAccounts(ctx, m, "", 10, 0)
		if err != nil || len(rows) != 1 || !accounts.ValidAccountNumber(rows[0].Number) || !rows[0].Verified {
			t.Fatalf("list = %+v, %v", rows, err)
		}
		if none, _ := s.ListAccounts(ctx, m, "0", 10, 0); len(none) != 0 {
			t.Errorf("prefix 0 matched %d accounts", len(none))
		}
		if one, _ := s.ListAccounts(ctx, m, rows[0].Number[:3], 10, 0); len(one) != 1 {
			t.Errorf("prefix search found %d accounts", len(one))
		}
		// Disabling ends the session and refuses new logins.
		if err := s.Disable(ctx, "admin@faxhaven.example"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, ss.Token); !errors.Is(err, accounts.ErrNoSession) {
			t.Errorf("session of a disabled member = %v", err)
		}
		if _, _, err := s.Login(ctx, "admin@faxhaven.example", "staff password 2026", "192.0.2.1"); !errors.Is(err, accounts.ErrInvalidCredentials) {
			t.Errorf("disabled login = %v", err)
		}
	})
}

func TestOneTimePassword(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		_, s := setup(t, db)
		m, err := s.CreateOneTime(ctx, "new@faxhaven.example", "", staff.Support, "generated Pass 123")
		if err != nil || !m.MustChangePassword {
			t.Fatalf("CreateOneTime = %+v, %v", m, err)
		}
		got, ss, err := s.Login(ctx, "new@faxhaven.example", "generated Pass 123", "192.0.2.1")
		if err != nil || !got.MustChangePassword {
			t.Fatalf("login with the one-time password: %+v, %v", got, err)
		}
		_, other, _ := s.Login(ctx, "new@faxhaven.example", "generated Pass 123", "192.0.2.2")
		var verr *accounts.ValidationError
		tests := []struct {
			current, next string
			check         func(error) bool
		}{
			{"wrong one", "my own long secret", func(err error) bool { return errors.Is(err, staff.ErrWrongPassword) }},
			{"generated Pass 123", "short", func(err error) bool { return errors.As(err, &verr) && verr.Field("password") == "err.password_short" }},
			{"generated Pass 123", "generated Pass 123", func(err error) bool { return errors.As(err, &verr) && verr.Field("password") == "err.password_same" }},
			{"generated Pass 123", "my own long secret", func(err error) bool { return err == nil }},
		}
		for _, tt := range tests {
			if err := s.ChangePassword(ctx, got, tt.current, tt.next, ss.Token); !tt.check(err) {
				t.Errorf("ChangePassword(%q, %q) = %v", tt.current, tt.next, err)
			}
		}
		after, err := s.Session(ctx, ss.Token)
		if err != nil || after.MustChangePassword {
			t.Errorf("after the change: %+v, %v", after, err)
		}
		if _, err := s.Session(ctx, other.Token); !errors.Is(err, accounts.ErrNoSession) {
			t.Errorf("other session survived the change: %v", err)
		}
		if _, _, err := s.Login(ctx, "new@faxhaven.example", "generated Pass 123", "192.0.2.1"); err == nil {
			t.Error("the one-time password still works")
		}
		// An admin's reset makes the password one-time again.
		if err := s.SetPassword(ctx, "new@faxhaven.example", "reset by admin 42"); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.ByEmail(ctx, "new@faxhaven.example"); !m.MustChangePassword {
			t.Error("admin reset did not mark the password one-time")
		}
		// A password chosen at creation is not one-time.
		own, _ := s.Create(ctx, "own@faxhaven.example", "", staff.Legal, "chosen by myself 7")
		if own.MustChangePassword {
			t.Error("Create marked a chosen password one-time")
		}
	})
}
