package store_test

import (
	"context"
	"testing"

	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, u string) {
		db := storetest.Open(t, u)
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n < 2 {
			t.Fatalf("schema_migrations has %d rows, want at least 2", n)
		}
	})
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, err := db.ExecContext(ctx, `INSERT INTO audit_log (at, actor_kind, actor_id, action, subject_kind, subject_id, ground)
			VALUES (1, 'staff', 1, 'view', 'account', 2, 'support ticket 7')`)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "UPDATE audit_log SET ground = 'x'"); err == nil {
			t.Error("UPDATE of audit_log succeeded; want it refused")
		}
		if _, err := db.ExecContext(ctx, "DELETE FROM audit_log"); err == nil {
			t.Error("DELETE from audit_log succeeded; want it refused")
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ins := `INSERT INTO staff (email, name, role, password_hash, created_at) VALUES ($1, 'A', 'admin', 'x', 1)`
		if _, err := db.ExecContext(ctx, ins, "a@example.org"); err != nil {
			t.Fatal(err)
		}
		_, err := db.ExecContext(ctx, ins, "a@example.org")
		if !store.IsUniqueViolation(err) {
			t.Fatalf("duplicate insert: err = %v, want a unique violation", err)
		}
	})
}

func TestOpenRejectsEmptyURL(t *testing.T) {
	if _, err := store.Open(context.Background(), ""); err == nil {
		t.Fatal("Open(\"\") succeeded")
	}
}

func TestSecretIsStableAndShared(t *testing.T) {
	storetest.Each(t, func(t *testing.T, u string) {
		ctx := context.Background()
		a := storetest.Open(t, u)
		b := storetest.Open(t, u) // a second node on the same database
		s1, err := a.Secret(ctx, "limits")
		if err != nil {
			t.Fatal(err)
		}
		s2, err := b.Secret(ctx, "limits")
		if err != nil {
			t.Fatal(err)
		}
		other, err := a.Secret(ctx, "logs")
		if err != nil {
			t.Fatal(err)
		}
		if len(s1) != 32 || string(s1) != string(s2) {
			t.Fatalf("nodes got different secrets: %x vs %x", s1, s2)
		}
		if string(other) == string(s1) {
			t.Fatal("two secrets have the same value")
		}
	})
}
