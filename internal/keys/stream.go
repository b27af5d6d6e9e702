package keys

import (
	"bufio"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The chunked format for large files:
//
//	header  "FHS1" | chunk size (uint32, big endian) | nonce prefix (7 bytes)
//	chunks  AES-GCM(chunk of plaintext), each chunk-size bytes but the last
//
// Chunk i's nonce is the prefix, i as a uint32 and a flag byte that is 1
// only for the final chunk; its additional data is the header followed by
// the caller's aad. Reordering, dropping or duplicating chunks breaks the
// nonce sequence, and cutting the stream at a chunk boundary leaves a last
// chunk that was not sealed as final: every such change fails to open.
const (
	streamMagic      = "FHS1"
	streamHeaderSize = 4 + 4 + 7
	// ChunkSize is the plaintext size of each sealed chunk.
	ChunkSize = 64 << 10
	// maxChunkSize bounds what a reader accepts from a header.
	maxChunkSize = 16 << 20
)

// SealWriter returns a writer that encrypts what is written to it with the
// account's data key and writes the result to w. Close writes the final
// chunk; without Close the output is truncated and will not open.
func (k *Keyring) SealWriter(ctx context.Context, accountID int64, w io.Writer, aad []byte) (io.WriteCloser, error) {
	g, err := k.dataKey(ctx, nil, accountID, true)
	if err != nil {
		return nil, err
	}
	return newSealWriter(g, w, aad, ChunkSize)
}

func newSealWriter(g cipher.AEAD, w io.Writer, aad []byte, chunk int) (*sealWriter, error) {
	s := &sealWriter{g: g, w: w, buf: make([]byte, 0, chunk)}
	s.header = make([]byte, streamHeaderSize)
	copy(s.header, streamMagic)
	binary.BigEndian.PutUint32(s.header[4:], uint32(chunk))
	rand.Read(s.header[8:])
	s.aad = append(append([]byte{}, s.header...), aad...)
	if _, err := w.Write(s.header); err != nil {
		return nil, fmt.Errorf("keys: seal stream: %w", err)
	}
	return s, nil
}

type sealWriter struct {
	g      cipher.AEAD
	w      io.Writer
	header []byte
	aad    []byte
	buf    []byte
	out    []byte
	seq    uint32
	err    error
	closed bool
}

func streamNonce(header []byte, seq uint32, final bool) []byte {
	n := make([]byte, 12)
	copy(n, header[8:15])
	binary.BigEndian.PutUint32(n[7:], seq)
	if final {
		n[11] = 1
	}
	return n
}

// Write buffers p and seals every chunk that is followed by more data.
func (s *sealWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.closed {
		return 0, errors.New("keys: write to closed seal stream")
	}
	n := 0
	for len(p) > 0 {
		// A full buffer is flushed only when more data follows, so the
		// chunk Close seals as final is never empty unless all input was.
		if len(s.buf) == cap(s.buf) {
			if err := s.flush(false); err != nil {
				return n, err
			}
		}
		// Whole chunks with more data after them are sealed straight
		// from p, saving a copy.
		if len(s.buf) == 0 && len(p) > cap(s.buf) {
			if err := s.seal(p[:cap(s.buf)], false); err != nil {
				return n, err
			}
			p = p[cap(s.buf):]
			n += cap(s.buf)
			continue
		}
		c := copy(s.buf[len(s.buf):cap(s.buf)], p)
		s.buf = s.buf[:len(s.buf)+c]
		p = p[c:]
		n += c
	}
	return n, nil
}

func (s *sealWriter) flush(final bool) error {
	err := s.seal(s.buf, final)
	s.buf = s.buf[:0]
	return err
}

func (s *sealWriter) seal(chunk []byte, final bool) error {
	if s.seq == ^uint32(0) {
		s.err = errors.New("keys: seal stream: too many chunks")
		return s.err
	}
	s.out = s.g.Seal(s.out[:0], streamNonce(s.header, s.seq, final), chunk, s.aad)
	s.seq++
	if _, err := s.w.Write(s.out); err != nil {
		s.err = fmt.Errorf("keys: seal stream: %w", err)
		return s.err
	}
	return nil
}

// Close seals the final chunk. It does not close the underlying writer.
func (s *sealWriter) Close() error {
	if s.err != nil || s.closed {
		return s.err
	}
	s.closed = true
	return s.flush(true)
}

// OpenReader returns a reader of the plaintext sealed into r by SealWriter
// for the same account and aad. Each chunk is authenticated before any of
// it is returned; an altered or truncated stream gives ErrDecrypt, but
// only when the reader reaches the damage, so a caller must read to io.EOF
// before trusting what it read.
func (k *Keyring) OpenReader(ctx context.Context, accountID int64, r io.Reader, aad []byte) (io.Reader, error) {
	g, err := k.dataKey(ctx, nil, accountID, false)
	if err != nil {
		return nil, err
	}
	return newOpenReader(g, r, aad)
}

func newOpenReader(g cipher.AEAD, r io.Reader, aad []byte) (*openReader, error) {
	header := make([]byte, streamHeaderSize)
	if _, err := io.ReadFull(r, header); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("keys: open stream: header cut short: %w", ErrDecrypt)
		}
		return nil, fmt.Errorf("keys: open stream: %w", err)
	}
	if string(header[:4]) != streamMagic {
		return nil, fmt.Errorf("keys: open stream: not a sealed stream (bad magic %q): %w", header[:4], ErrDecrypt)
	}
	chunk := binary.BigEndian.Uint32(header[4:])
	if chunk == 0 || chunk > maxChunkSize {
		return nil, fmt.Errorf("keys: open stream: chunk size %d out of range: %w", chunk, ErrDecrypt)
	}
	return &openReader{
		g:      g,
		r:      bufio.NewReaderSize(r, 1),
		header: header,
		aad:    append(append([]byte{}, header...), aad...),
		rec:    make([]byte, int(chunk)+g.Overhead()),
	}, nil
}

type openReader struct {
	g      cipher.AEAD
	r      *bufio.Reader
	header []byte
	aad    []byte
	rec    []byte
	plain  []byte // decrypted, not yet returned
	seq    uint32
	done   bool // final chunk opened
	err    error
}

// Read returns plaintext from authenticated chunks only.
func (o *openReader) Read(p []byte) (int, error) {
	for len(o.plain) == 0 {
		if o.err != nil {
			return 0, o.err
		}
		if o.done {
			return 0, io.EOF
		}
		o.err = o.next()
	}
	n := copy(p, o.plain)
	o.plain = o.plain[n:]
	return n, nil
}

// next reads and opens one chunk. A chunk is final when the stream ends
// right after it; it must then have been sealed as final.
func (o *openReader) next() error {
	n, err := io.ReadFull(o.r, o.rec)
	final := false
	switch {
	case err == nil:
		if _, perr := o.r.Peek(1); errors.Is(perr, io.EOF) {
			final = true
		} else if perr != nil {
			return fmt.Errorf("keys: open stream: %w", perr)
		}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		final = true
	default:
		return fmt.Errorf("keys: open stream: %w", err)
	}
	if n < o.g.Overhead() {
		return fmt.Errorf("keys: open stream: chunk %d cut short: %w", o.seq, ErrDecrypt)
	}
	pt, oerr := o.g.Open(o.rec[:0], streamNonce(o.header, o.seq, final), o.rec[:n], o.aad)
	if oerr != nil {
		return fmt.Errorf("keys: open stream: chunk %d: %w", o.seq, ErrDecrypt)
	}
	o.seq++
	o.plain = pt
	o.done = final
	return nil
}
