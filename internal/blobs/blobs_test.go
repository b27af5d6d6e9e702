package blobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func open(t *testing.T) *Disk {
	t.Helper()
	d, err := Open(Config{Dir: filepath.Join(t.TempDir(), "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func get(t *testing.T, s Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	tests := []struct {
		key  string
		size int
	}{
		{"empty", 0},
		{"fax/1/page-1.tiff", 1},
		{"fax/1/page-2.tiff", 70_000},
		{"upload/2026/11/doc.PDF", 1 << 20},
	}
	for i, tt := range tests {
		data := randomBytes(tt.size, uint64(i))
		n, err := d.Put(ctx, tt.key, bytes.NewReader(data))
		if err != nil {
			t.Fatalf("Put(%q): %v", tt.key, err)
		}
		if n != int64(tt.size) {
			t.Errorf("Put(%q) size %d, want %d", tt.key, n, tt.size)
		}
		if got := get(t, d, tt.key); !bytes.Equal(got, data) {
			t.Errorf("Get(%q) returned %d different bytes, want the %d put", tt.key, len(got), len(data))
		}
		if ok, err := d.Exists(ctx, tt.key); err != nil || !ok {
			t.Errorf("Exists(%q) = %v, %v; want true", tt.key, ok, err)
		}
	}
	// Reopening the same root finds the blobs.
	again, err := Open(Config{Dir: d.root})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, again, "fax/1/page-1.tiff"); len(got) != 1 {
		t.Fatalf("reopened store returned %d bytes, want 1", len(got))
	}
}

func TestOverwrite(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	for _, s := range []string{"first version, longer", "second"} {
		if _, err := d.Put(ctx, "k", strings.NewReader(s)); err != nil {
			t.Fatal(err)
		}
		if got := string(get(t, d, "k")); got != s {
			t.Fatalf("after overwrite Get = %q, want %q", got, s)
		}
	}
}

func TestDelete(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	if _, err := d.Put(ctx, "a/b", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "a/b"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get(ctx, "a/b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	if ok, err := d.Exists(ctx, "a/b"); err != nil || ok {
		t.Fatalf("Exists after Delete = %v, %v; want false", ok, err)
	}
	if err := d.Delete(ctx, "a/b"); err != nil {
		t.Fatalf("second Delete: %v, want nil (deletion is idempotent)", err)
	}
	if _, err := d.Get(ctx, "never"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing key: err = %v, want ErrNotFound", err)
	}
}

func TestInvalidKeys(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	bad := []string{
		"", "/etc/passwd", "../escape", "a/../../b", "a/./b", "a//b", "a/", ".hidden",
		"a/.put-123", `a\b`, "a b", "ünï", "a\x00b", strings.Repeat("k", MaxKeyLen+1),
	}
	for _, key := range bad {
		if _, err := d.Put(ctx, key, strings.NewReader("x")); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Put(%q): err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := d.Get(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Get(%q): err = %v, want ErrInvalidKey", key, err)
		}
		if err := d.Delete(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Delete(%q): err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := d.Exists(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Exists(%q): err = %v, want ErrInvalidKey", key, err)
		}
	}
	// Nothing may have been written outside the root.
	if _, err := os.Stat(filepath.Join(filepath.Dir(d.root), "escape")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file escaped the root: %v", err)
	}
	for _, key := range []string{"a", "a.b/c-d_e", strings.Repeat("k", MaxKeyLen)} {
		if err := ValidateKey(key); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", key, err)
		}
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

func TestFailedPutLeavesNothing(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	if _, err := d.Put(ctx, "doc", strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(ctx, "doc", &failingReader{n: 10_000}); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	if got := string(get(t, d, "doc")); got != "old" {
		t.Fatalf("after a failed overwrite Get = %q, want the old blob", got)
	}
	if _, err := d.Put(ctx, "new", &failingReader{n: 10}); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	if ok, _ := d.Exists(ctx, "new"); ok {
		t.Fatal("a failed Put left a blob behind")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Put(cancelled, "new", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context: err = %v", err)
	}
	filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(e.Name(), ".put-") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

func TestConcurrentPuts(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	const writers = 8
	versions := make([][]byte, writers)
	for i := range versions {
		versions[i] = bytes.Repeat([]byte{byte('a' + i)}, 256<<10)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for i := range writers {
		wg.Add(2)
		go func() { // everyone writes the same key
			defer wg.Done()
			if _, err := d.Put(ctx, "shared", bytes.NewReader(versions[i])); err != nil {
				errs <- err
			}
		}()
		go func() { // and a key of its own
			defer wg.Done()
			if _, err := d.Put(ctx, fmt.Sprintf("own/%d", i), bytes.NewReader(versions[i])); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := get(t, d, "shared")
	whole := false
	for _, v := range versions {
		whole = whole || bytes.Equal(got, v)
	}
	if !whole {
		t.Fatalf("shared key holds %d bytes that match no single writer: writes were interleaved", len(got))
	}
	for i, v := range versions {
		if !bytes.Equal(get(t, d, fmt.Sprintf("own/%d", i)), v) {
			t.Errorf("own/%d differs from what was put", i)
		}
	}
}

// FuzzValidateKey checks that every key ValidateKey accepts maps to a file
// strictly inside the root.
func FuzzValidateKey(f *testing.F) {
	for _, s := range []string{"a", "fax/1/page.tiff", "../x", "a/../b", "/abs", "a//b", ".x", "a/.."} {
		f.Add(s)
	}
	d := &Disk{root: filepath.FromSlash("/srv/blobs")}
	f.Fuzz(func(t *testing.T, key string) {
		p, err := d.path(key)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("path(%q): error %v is not ErrInvalidKey", key, err)
			}
			return
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) || filepath.Clean(p) != p {
			t.Fatalf("key %q maps to %q, outside the root", key, p)
		}
	})
}

func TestSweepTemp(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	if _, err := d.Put(ctx, "fax/1/page.tiff", strings.NewReader("kept")); err != nil {
		t.Fatal(err)
	}
	p, _ := d.path("fax/1/page.tiff")
	dir := filepath.Dir(p)
	// What a crash mid-Put leaves: an old temporary file, and a fresh one
	// as if a Put were running now.
	stale, fresh := filepath.Join(dir, ".put-111"), filepath.Join(dir, ".put-222")
	os.WriteFile(stale, []byte("half"), 0o600)
	os.WriteFile(fresh, []byte("half"), 0o600)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)

	n, err := d.SweepTemp(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("SweepTemp removed %d files, want 1", n)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Error("the stale temporary file is still there")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("SweepTemp removed a temporary file young enough to be in use")
	}
	if got := string(get(t, d, "fax/1/page.tiff")); got != "kept" {
		t.Errorf("blob next to the temporary files reads %q, want kept", got)
	}
}
