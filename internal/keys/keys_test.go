package keys

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

func randKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k)
	return k
}

func newRing(t *testing.T, db *store.DB, master []byte) *Keyring {
	t.Helper()
	k, err := New(db, Config{MasterKey: master})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		k := newRing(t, db, randKey())
		for _, size := range []int{0, 1, 100, 70_000} {
			pt := make([]byte, size)
			rand.Read(pt)
			aad := []byte(fmt.Sprintf("mail_messages/%d", size))
			sealed, err := k.Seal(ctx, 7, pt, aad)
			if err != nil {
				t.Fatal(err)
			}
			if size > 16 && bytes.Contains(sealed, pt[:16]) {
				t.Fatal("sealed output contains the plaintext")
			}
			got, err := k.Open(ctx, 7, sealed, aad)
			if err != nil {
				t.Fatalf("Open (%d bytes): %v", size, err)
			}
			if !bytes.Equal(got, pt) {
				t.Fatalf("Open returned different %d bytes", size)
			}
		}
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM account_keys").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("account_keys has %d rows after sealing for one account, want 1", n)
		}
	})
}

func TestSealTamper(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		k := newRing(t, db, randKey())
		aad := []byte("row 1")
		sealed, err := k.Seal(ctx, 1, []byte("fax from +31 20 123 4567"), aad)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.Seal(ctx, 2, []byte("x"), nil); err != nil { // give account 2 a key
			t.Fatal(err)
		}
		for i := range sealed {
			bad := bytes.Clone(sealed)
			bad[i] ^= 0x01
			if _, err := k.Open(ctx, 1, bad, aad); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("byte %d flipped: err = %v, want ErrDecrypt", i, err)
			}
		}
		cases := []struct {
			name    string
			account int64
			sealed  []byte
			aad     []byte
		}{
			{"other aad", 1, sealed, []byte("row 2")},
			{"other account", 2, sealed, aad},
			{"truncated", 1, sealed[:len(sealed)-1], aad},
			{"empty", 1, nil, aad},
		}
		for _, c := range cases {
			if _, err := k.Open(ctx, c.account, c.sealed, c.aad); !errors.Is(err, ErrDecrypt) {
				t.Errorf("%s: err = %v, want ErrDecrypt", c.name, err)
			}
		}
		if _, err := k.Open(ctx, 3, sealed, aad); !errors.Is(err, ErrNoKey) {
			t.Errorf("account without a key: err = %v, want ErrNoKey", err)
		}
	})
}

func TestDestroy(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		master := randKey()
		k := newRing(t, db, master)
		sealed, err := k.Seal(ctx, 5, []byte("personal data"), nil)
		if err != nil {
			t.Fatal(err)
		}
		bs := Blobs{Store: openDisk(t), Keys: k}
		if _, err := bs.Put(ctx, 5, "fax/5/doc.pdf", strings.NewReader("page content")); err != nil {
			t.Fatal(err)
		}
		if err := k.Destroy(ctx, 5); err != nil {
			t.Fatal(err)
		}
		if err := k.Destroy(ctx, 5); err != nil {
			t.Fatalf("second Destroy: %v, want nil", err)
		}
		for _, ring := range []*Keyring{k, newRing(t, db, master)} { // cached and fresh
			if _, err := ring.Open(ctx, 5, sealed, nil); !errors.Is(err, ErrKeyDestroyed) {
				t.Fatalf("Open after Destroy: err = %v, want ErrKeyDestroyed", err)
			}
			if _, err := ring.Seal(ctx, 5, []byte("more"), nil); !errors.Is(err, ErrKeyDestroyed) {
				t.Fatalf("Seal after Destroy: err = %v, want ErrKeyDestroyed", err)
			}
			if _, err := (Blobs{Store: bs.Store, Keys: ring}).Get(ctx, 5, "fax/5/doc.pdf"); !errors.Is(err, ErrKeyDestroyed) {
				t.Fatalf("blob Get after Destroy: err = %v, want ErrKeyDestroyed", err)
			}
		}
		var wrapped []byte
		if err := db.QueryRowContext(ctx, "SELECT wrapped FROM account_keys WHERE account_id = 5").Scan(&wrapped); err != nil {
			t.Fatal(err)
		}
		if len(wrapped) != 0 {
			t.Fatalf("wrapped key still holds %d bytes after Destroy", len(wrapped))
		}
		// An account destroyed before it ever had a key never gets one.
		if err := k.Destroy(ctx, 6); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Seal(ctx, 6, []byte("x"), nil); !errors.Is(err, ErrKeyDestroyed) {
			t.Fatalf("Seal for an account destroyed without a key: err = %v, want ErrKeyDestroyed", err)
		}
	})
}

func TestCacheExpiresAfterDestroyElsewhere(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteURL(t))
	ctx := context.Background()
	master := randKey()
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	nodeA, err := New(db, Config{MasterKey: master, CacheTTL: time.Minute, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := nodeA.Seal(ctx, 9, []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := newRing(t, db, master).Destroy(ctx, 9); err != nil { // another node
		t.Fatal(err)
	}
	if _, err := nodeA.Open(ctx, 9, sealed, nil); err != nil {
		t.Fatalf("within the cache TTL: %v (the cached key should still open)", err)
	}
	clk.Advance(time.Minute + time.Second)
	if _, err := nodeA.Open(ctx, 9, sealed, nil); !errors.Is(err, ErrKeyDestroyed) {
		t.Fatalf("after the cache TTL: err = %v, want ErrKeyDestroyed", err)
	}
}

func TestConcurrentFirstUseMakesOneKey(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		master := randKey()
		const n = 6
		sealed := make([][]byte, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() { // a keyring each: no shared cache, like separate nodes
				defer wg.Done()
				k, err := New(db, Config{MasterKey: master})
				if err == nil {
					sealed[i], err = k.Seal(ctx, 11, []byte{byte(i)}, nil)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		k := newRing(t, db, master)
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("sealer %d: %v", i, errs[i])
			}
			got, err := k.Open(ctx, 11, sealed[i], nil)
			if err != nil || !bytes.Equal(got, []byte{byte(i)}) {
				t.Fatalf("sealer %d's value does not open with the stored key: %v", i, err)
			}
		}
	})
}

func TestSealTxRollsBackWithCaller(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		k := newRing(t, db, randKey())
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		lost, err := k.SealTx(ctx, tx, 12, []byte("lost"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := k.OpenTx(ctx, tx, 12, lost, nil); err != nil || string(got) != "lost" {
			t.Fatalf("OpenTx inside the transaction: %q, %v", got, err)
		}
		tx.Rollback()
		var n int
		db.QueryRowContext(ctx, "SELECT COUNT(*) FROM account_keys").Scan(&n)
		if n != 0 {
			t.Fatalf("a key created in a rolled-back transaction survived (%d rows)", n)
		}
		kept, err := k.Seal(ctx, 12, []byte("kept"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := k.Open(ctx, 12, kept, nil); err != nil || string(got) != "kept" {
			t.Fatalf("Open after the rollback: %q, %v (a key from the rolled-back transaction was cached?)", got, err)
		}
		if _, err := k.Open(ctx, 12, lost, nil); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("value sealed with the rolled-back key: err = %v, want ErrDecrypt", err)
		}
	})
}

func TestMasterKeyFile(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteURL(t))
	path := filepath.Join(t.TempDir(), "data", "master.key")
	k1, err := New(db, Config{MasterKeyFile: path})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file mode %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	if b, err := hex.DecodeString(strings.TrimSpace(string(raw))); err != nil || len(b) != KeySize {
		t.Fatalf("master key file holds %q, want %d hex-encoded bytes", raw, KeySize)
	}
	sealed, err := k1.Seal(context.Background(), 1, []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := New(db, Config{MasterKeyFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if k2.KeyID() != k1.KeyID() {
		t.Fatalf("reloaded key ID %s, want %s", k2.KeyID(), k1.KeyID())
	}
	if _, err := k2.Open(context.Background(), 1, sealed, nil); err != nil {
		t.Fatalf("reloaded keyring cannot open: %v", err)
	}

	bad := []struct{ name, content string }{
		{"short", "abcd"},
		{"not hex", strings.Repeat("zz", KeySize)},
	}
	for _, b := range bad {
		p := filepath.Join(t.TempDir(), "bad.key")
		os.WriteFile(p, []byte(b.content), 0o600)
		if _, err := New(db, Config{MasterKeyFile: p}); err == nil || !strings.Contains(err.Error(), "hex digits") {
			t.Errorf("%s master key: err = %v, want one that says what the file must hold", b.name, err)
		}
	}
	if _, err := New(db, Config{MasterKey: []byte("short")}); err == nil {
		t.Error("a 5-byte master key was accepted")
	}
}

func TestRotation(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		oldPath, newPath := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key")
		oldRing, err := New(db, Config{MasterKeyFile: oldPath})
		if err != nil {
			t.Fatal(err)
		}
		var sealed [][]byte
		for acct := int64(1); acct <= 3; acct++ {
			s, err := oldRing.Seal(ctx, acct, []byte("before rotation"), nil)
			if err != nil {
				t.Fatal(err)
			}
			sealed = append(sealed, s)
		}
		if err := oldRing.Destroy(ctx, 3); err != nil {
			t.Fatal(err)
		}
		// Without the old key the new master key cannot unwrap, and says why.
		onlyNew, err := New(db, Config{MasterKeyFile: newPath})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := onlyNew.Open(ctx, 1, sealed[0], nil); err == nil || !strings.Contains(err.Error(), "RetiredKeyFiles") {
			t.Fatalf("open with the new key alone: err = %v, want a hint to add the retired key", err)
		}
		both, err := New(db, Config{MasterKeyFile: newPath, RetiredKeyFiles: []string{oldPath}})
		if err != nil {
			t.Fatal(err)
		}
		n, err := both.Rewrap(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("Rewrap moved %d keys, want the 2 live ones", n)
		}
		if n, _ := both.Rewrap(ctx); n != 0 {
			t.Fatalf("second Rewrap moved %d keys, want 0", n)
		}
		afterRotation, err := New(db, Config{MasterKeyFile: newPath})
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range sealed[:2] {
			if got, err := afterRotation.Open(ctx, int64(i+1), s, nil); err != nil || string(got) != "before rotation" {
				t.Fatalf("account %d after rotation: %q, %v", i+1, got, err)
			}
		}
		if _, err := afterRotation.Open(ctx, 3, sealed[2], nil); !errors.Is(err, ErrKeyDestroyed) {
			t.Fatalf("destroyed account after rotation: err = %v, want ErrKeyDestroyed", err)
		}
	})
}

func TestWrappedKeyBoundToAccount(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteURL(t))
	ctx := context.Background()
	master := randKey()
	k := newRing(t, db, master)
	if _, err := k.Seal(ctx, 1, []byte("a"), nil); err != nil {
		t.Fatal(err)
	}
	sealed2, err := k.Seal(ctx, 2, []byte("b"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Copy account 1's wrapped key over account 2's: it must not unwrap.
	if _, err := db.ExecContext(ctx, `UPDATE account_keys SET wrapped = (SELECT wrapped FROM account_keys WHERE account_id = 1) WHERE account_id = 2`); err != nil {
		t.Fatal(err)
	}
	fresh := newRing(t, db, master)
	if _, err := fresh.Open(ctx, 2, sealed2, nil); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("swapped wrapped key: err = %v, want ErrDecrypt", err)
	}
}

// FuzzOpen feeds arbitrary bytes to Open: it must never panic and must
// open only what Seal produced.
func FuzzOpen(f *testing.F) {
	db := storetest.Open(f, storetest.SQLiteURL(f))
	ctx := context.Background()
	k := newRingTB(f, db, bytes.Repeat([]byte{9}, KeySize))
	plain := []byte("fax from +31 20 555 0100")
	good, err := k.Seal(ctx, 1, plain, []byte("aad"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{sealVersion})
	f.Add([]byte{})
	f.Add(append([]byte{2}, good[1:]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := k.Open(ctx, 1, b, []byte("aad"))
		if err == nil && !bytes.Equal(got, plain) {
			t.Fatalf("forged value opened to %q", got)
		}
		if err != nil && !errors.Is(err, ErrDecrypt) {
			t.Fatalf("error %v is not ErrDecrypt", err)
		}
	})
}

func newRingTB(tb testing.TB, db *store.DB, master []byte) *Keyring {
	tb.Helper()
	k, err := New(db, Config{MasterKey: master})
	if err != nil {
		tb.Fatal(err)
	}
	return k
}
