package keys

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/internal/blobs"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

const testChunk = 64 // small chunks so tests cross many boundaries

func sealStream(t testing.TB, key, pt, aad []byte, chunk int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := newSealWriter(newGCM(key), &buf, aad, chunk)
	if err != nil {
		t.Fatal(err)
	}
	// Write in uneven pieces to exercise buffering.
	for rest := pt; len(rest) > 0; {
		n := min(len(rest), 1+len(rest)%37)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openStream(key, sealed, aad []byte) ([]byte, error) {
	r, err := newOpenReader(newGCM(key), bytes.NewReader(sealed), aad)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestStreamRoundTrip(t *testing.T) {
	key := randKey()
	for _, size := range []int{0, 1, testChunk - 1, testChunk, testChunk + 1, 3 * testChunk, 3*testChunk + 5} {
		pt := make([]byte, size)
		rand.Read(pt)
		sealed := sealStream(t, key, pt, []byte("aad"), testChunk)
		chunks := max(1, (size+testChunk-1)/testChunk)
		if want := streamHeaderSize + size + 16*chunks; len(sealed) != want {
			t.Errorf("%d bytes sealed to %d, want %d (%d chunks)", size, len(sealed), want, chunks)
		}
		got, err := openStream(key, sealed, []byte("aad"))
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("%d bytes: round trip differs", size)
		}
		// One big Write takes the path that seals whole chunks in place.
		var one bytes.Buffer
		w, err := newSealWriter(newGCM(key), &one, []byte("aad"), testChunk)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := w.Write(pt); err != nil || n != size {
			t.Fatalf("%d bytes in one Write: wrote %d, %v", size, n, err)
		}
		w.Close()
		if one.Len() != len(sealed) {
			t.Fatalf("%d bytes in one Write sealed to %d bytes, want %d", size, one.Len(), len(sealed))
		}
		if got, err := openStream(key, one.Bytes(), []byte("aad")); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%d bytes in one Write: round trip differs (%v)", size, err)
		}
	}
}

func TestStreamTamper(t *testing.T) {
	key := randKey()
	pt := bytes.Repeat([]byte("0123456789abcdef"), 4*testChunk/16) // 4 full chunks
	sealed := sealStream(t, key, pt, nil, testChunk)
	rec := testChunk + 16
	body := sealed[streamHeaderSize:]
	chunk := func(i int) []byte { return body[i*rec : (i+1)*rec] }
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	hdr := sealed[:streamHeaderSize]

	cases := map[string][]byte{
		"drop last chunk":         join(hdr, chunk(0), chunk(1), chunk(2)),
		"cut inside last chunk":   sealed[:len(sealed)-7],
		"cut inside header":       sealed[:9],
		"drop middle chunk":       join(hdr, chunk(0), chunk(2), chunk(3)),
		"swap chunks":             join(hdr, chunk(1), chunk(0), chunk(2), chunk(3)),
		"repeat a chunk":          join(hdr, chunk(0), chunk(0), chunk(1), chunk(2), chunk(3)),
		"append garbage":          join(sealed, []byte{0}),
		"header only":             hdr,
		"other stream's chunk":    join(hdr, sealStream(t, key, pt, nil, testChunk)[streamHeaderSize:][:rec], chunk(1), chunk(2), chunk(3)),
		"chunk size in header +1": join([]byte(streamMagic), []byte{0, 0, 0, testChunk + 1}, hdr[8:], body),
	}
	for i := 0; i < len(sealed); i += 13 {
		b := bytes.Clone(sealed)
		b[i] ^= 0x80
		cases["flip byte "+itoa(i)] = b
	}
	for name, b := range cases {
		got, err := openStream(key, b, nil)
		if !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: read %d bytes, err = %v; want ErrDecrypt", name, len(got), err)
		}
	}
	if _, err := openStream(key, sealed, []byte("other aad")); !errors.Is(err, ErrDecrypt) {
		t.Errorf("other aad: err = %v, want ErrDecrypt", err)
	}
	if _, err := openStream(randKey(), sealed, nil); !errors.Is(err, ErrDecrypt) {
		t.Errorf("other key: err = %v, want ErrDecrypt", err)
	}
}

func itoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
		if i == 0 {
			return string(b)
		}
	}
}

func openDisk(t *testing.T) *blobs.Disk {
	t.Helper()
	d, err := blobs.Open(blobs.Config{Dir: filepath.Join(t.TempDir(), "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBlobs(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		disk := openDisk(t)
		bs := Blobs{Store: disk, Keys: newRing(t, db, randKey())}
		pdf := make([]byte, 3*ChunkSize+123) // several real-size chunks
		rand.Read(pdf)
		readAll := func(account int64, key string) ([]byte, error) {
			rc, err := bs.Get(ctx, account, key)
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(rc)
		}
		n, err := bs.Put(ctx, 1, "fax/1/a.pdf", bytes.NewReader(pdf))
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(pdf)) {
			t.Fatalf("Put returned size %d, want %d", n, len(pdf))
		}
		if got, err := readAll(1, "fax/1/a.pdf"); err != nil || !bytes.Equal(got, pdf) {
			t.Fatalf("round trip: %d bytes, %v", len(got), err)
		}
		// What lies on disk is not the plaintext.
		raw, _ := readRaw(ctx, disk, "fax/1/a.pdf")
		if bytes.Contains(raw, pdf[:64]) {
			t.Fatal("the stored blob contains plaintext")
		}

		if _, err := bs.Put(ctx, 1, "fax/1/b.pdf", strings.NewReader("another document")); err != nil {
			t.Fatal(err)
		}
		// Swap: a's sealed bytes stored under b's key.
		if _, err := disk.Put(ctx, "fax/1/b.pdf", bytes.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
		if _, err := readAll(1, "fax/1/b.pdf"); !errors.Is(err, ErrDecrypt) {
			t.Errorf("swapped blob: err = %v, want ErrDecrypt", err)
		}
		// Truncate at a chunk boundary.
		if _, err := disk.Put(ctx, "fax/1/a.pdf", bytes.NewReader(raw[:streamHeaderSize+2*(ChunkSize+16)])); err != nil {
			t.Fatal(err)
		}
		if _, err := readAll(1, "fax/1/a.pdf"); !errors.Is(err, ErrDecrypt) {
			t.Errorf("truncated blob: err = %v, want ErrDecrypt", err)
		}
		// Flip one byte.
		flipped := bytes.Clone(raw)
		flipped[len(flipped)/2] ^= 1
		disk.Put(ctx, "fax/1/a.pdf", bytes.NewReader(flipped))
		if _, err := readAll(1, "fax/1/a.pdf"); !errors.Is(err, ErrDecrypt) {
			t.Errorf("flipped blob: err = %v, want ErrDecrypt", err)
		}
		// Another account's blob.
		if _, err := bs.Put(ctx, 2, "fax/2/c.pdf", strings.NewReader("account 2")); err != nil {
			t.Fatal(err)
		}
		if _, err := readAll(1, "fax/2/c.pdf"); !errors.Is(err, ErrDecrypt) {
			t.Errorf("other account's blob: err = %v, want ErrDecrypt", err)
		}
		if _, err := bs.Put(ctx, 1, "../x", strings.NewReader("x")); !errors.Is(err, blobs.ErrInvalidKey) {
			t.Errorf("invalid key: err = %v, want blobs.ErrInvalidKey", err)
		}
		if err := bs.Delete(ctx, "fax/2/c.pdf"); err != nil {
			t.Fatal(err)
		}
		if _, err := bs.Get(ctx, 2, "fax/2/c.pdf"); !errors.Is(err, blobs.ErrNotFound) {
			t.Errorf("deleted blob: err = %v, want blobs.ErrNotFound", err)
		}
	})
}

type failAfter struct{ n int }

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("upload interrupted")
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

func TestBlobsFailedPutStoresNothing(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteURL(t))
	ctx := context.Background()
	disk := openDisk(t)
	bs := Blobs{Store: disk, Keys: newRing(t, db, randKey())}
	if _, err := bs.Put(ctx, 1, "up", &failAfter{n: 3 * ChunkSize}); err == nil || !strings.Contains(err.Error(), "upload interrupted") {
		t.Fatalf("Put from a failing reader: err = %v, want the reader's error", err)
	}
	if ok, _ := disk.Exists(ctx, "up"); ok {
		t.Fatal("a failed Put left a blob")
	}
}

func readRaw(ctx context.Context, s blobs.Store, key string) ([]byte, error) {
	rc, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// FuzzOpenStream feeds arbitrary bytes to the stream opener: it must never
// panic, and must open only a genuine stream of the known plaintext.
func FuzzOpenStream(f *testing.F) {
	key := bytes.Repeat([]byte{7}, KeySize)
	plain := []byte(strings.Repeat("fax page ", 30))
	// Each fuzz worker process seals its own copy with a fresh nonce
	// prefix, so success is judged by the plaintext, not by the bytes.
	good := sealStream(f, key, plain, nil, testChunk)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(good[:streamHeaderSize])
	f.Add([]byte("FHS1\x00\x00\x00\x00"))
	f.Add([]byte("FHS1\xff\xff\xff\xff0123456"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := openStream(key, b, nil)
		if err == nil && (!bytes.Equal(got, plain) || len(b) != len(good)) {
			t.Fatalf("forged stream opened to %q", got)
		}
		if err != nil && !errors.Is(err, ErrDecrypt) {
			t.Fatalf("error %v is not ErrDecrypt", err)
		}
	})
}
