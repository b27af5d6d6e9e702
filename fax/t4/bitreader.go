package t4

import (
	"encoding/binary"
	"io"
	"math/bits"
)

// bitReader reads a coded stream bit by bit, most significant bit first
// (after reversing each byte for LSB-first streams). Reads past the end of
// the data yield zero bits and set past, which no valid code consists of.
type bitReader struct {
	r    io.Reader // nil when buf holds all the data
	buf  []byte
	pos  int
	acc  uint64 // pending bits, left-aligned; bits below the top n are zero
	n    uint   // number of pending bits
	lsb  bool
	eof  bool  // r has no more data
	err  error // read error other than io.EOF
	past bool  // a skip went beyond the end of the data
}

const readSize = 32 << 10

// refill loads whole bytes into acc until it holds more than 56 bits or the
// data runs out.
func (b *bitReader) refill() {
	if b.pos+8 <= len(b.buf) {
		v := binary.BigEndian.Uint64(b.buf[b.pos:])
		if b.lsb {
			v = bits.ReverseBytes64(bits.Reverse64(v))
		}
		k := (64 - b.n) >> 3 // whole bytes that fit
		if k == 0 {
			return
		}
		taken := k * 8
		if taken == 64 {
			b.acc = v
		} else {
			b.acc |= v >> (64 - taken) << (64 - taken - b.n)
		}
		b.pos += int(k)
		b.n += taken
		return
	}
	for b.n <= 56 {
		if b.pos >= len(b.buf) && !b.more() {
			return
		}
		c := b.buf[b.pos]
		if b.lsb {
			c = reverse[c]
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
		b.pos++
	}
}

// more reads from r into buf; it reports whether any byte was added.
func (b *bitReader) more() bool {
	if b.r == nil || b.eof {
		return false
	}
	if b.buf == nil {
		b.buf = make([]byte, 0, readSize)
	}
	if b.pos > 0 {
		n := copy(b.buf[:cap(b.buf)], b.buf[b.pos:])
		b.buf = b.buf[:n]
		b.pos = 0
	}
	for range 100 {
		n, err := b.r.Read(b.buf[len(b.buf):cap(b.buf)])
		b.buf = b.buf[:len(b.buf)+n]
		if err != nil {
			b.eof = true
			if err != io.EOF {
				b.err = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	b.eof, b.err = true, io.ErrNoProgress
	return false
}

// peek returns the next k bits (k <= 32) without consuming them.
func (b *bitReader) peek(k uint) uint32 {
	if b.n < k {
		b.refill()
	}
	return uint32(b.acc >> (64 - k))
}

// skip consumes k bits (k <= 32); peek must have been called for at least k.
func (b *bitReader) skip(k uint) {
	if k > b.n {
		b.past = true
		b.acc, b.n = 0, 0
		return
	}
	b.acc <<= k
	b.n -= k
}

// bit reads one bit.
func (b *bitReader) bit() uint32 {
	v := b.peek(1)
	b.skip(1)
	return v
}

// atEnd reports whether no bits remain.
func (b *bitReader) atEnd() bool {
	if b.n == 0 {
		b.refill()
	}
	return b.n == 0
}

// skipZeros consumes zero bits up to the next one bit or the end of the data
// and returns how many it consumed, capped at limit.
func (b *bitReader) skipZeros(limit int) int {
	count := 0
	for count < limit {
		if b.n <= 32 {
			b.refill()
			if b.n == 0 {
				return count
			}
		}
		if b.acc == 0 {
			count += int(b.n)
			b.acc, b.n = 0, 0
			continue
		}
		lz := uint(bits.LeadingZeros64(b.acc))
		b.skip(lz)
		return count + int(lz)
	}
	return count
}

// align discards bits up to the next byte boundary of the stream.
func (b *bitReader) align() {
	b.skip(b.n % 8)
}
