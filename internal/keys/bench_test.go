package keys

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"
)

// The anchor is one AES-GCM Seal over the whole buffer: the cost of the
// cipher alone, with no chunking, buffering or streaming.

const benchSize = 8 << 20

func BenchmarkSealStream(b *testing.B) {
	key, pt := randKey(), make([]byte, benchSize)
	rand.Read(pt)
	g := newGCM(key)
	b.SetBytes(benchSize)
	for b.Loop() {
		w, _ := newSealWriter(g, io.Discard, nil, ChunkSize)
		w.Write(pt)
		w.Close()
	}
}

func BenchmarkOpenStream(b *testing.B) {
	key, pt := randKey(), make([]byte, benchSize)
	rand.Read(pt)
	sealed := sealStream(b, key, pt, nil, ChunkSize)
	g := newGCM(key)
	b.SetBytes(benchSize)
	for b.Loop() {
		r, err := newOpenReader(g, bytes.NewReader(sealed), nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnchorGCMOneShot(b *testing.B) {
	key, pt := randKey(), make([]byte, benchSize)
	rand.Read(pt)
	g := newGCM(key)
	nonce := make([]byte, g.NonceSize())
	out := make([]byte, 0, benchSize+16)
	b.SetBytes(benchSize)
	for b.Loop() {
		out = g.Seal(out[:0], nonce, pt, nil)
	}
}
