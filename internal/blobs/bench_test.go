package blobs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// The anchor writes the same bytes to a file and fsyncs it: the least a
// durable write costs, without the temporary file, rename and directory
// sync that make Put crash-safe.

const benchBlob = 1 << 20

func BenchmarkDiskPut(b *testing.B) {
	d, err := Open(Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	data := randomBytes(benchBlob, 1)
	b.SetBytes(benchBlob)
	i := 0
	for b.Loop() {
		if _, err := d.Put(context.Background(), "bench/"+strconv.Itoa(i%64), bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkAnchorWriteFsync(b *testing.B) {
	dir := b.TempDir()
	data := randomBytes(benchBlob, 1)
	b.SetBytes(benchBlob)
	i := 0
	for b.Loop() {
		f, err := os.Create(filepath.Join(dir, strconv.Itoa(i%64)))
		if err != nil {
			b.Fatal(err)
		}
		f.Write(data)
		f.Sync()
		f.Close()
		i++
	}
}
