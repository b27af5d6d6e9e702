package t4

import (
	"fmt"
	"io"
	"math/bits"

	"github.com/faxhaven/faxhaven/fax/page"
)

// reverse maps a byte to the same byte with its bit order reversed.
var reverse [256]byte

func init() {
	for i := range reverse {
		reverse[i] = bits.Reverse8(uint8(i))
	}
}

// flushSize is how much coded output the Encoder gathers before it writes to
// its io.Writer.
const flushSize = 16 << 10

// An Encoder codes rows one at a time. Create one with NewEncoder, call
// WriteRow for each row of the page and Close at the end of the page.
type Encoder struct {
	w     io.Writer
	width int
	opts  Options

	out  []byte // coded bytes not yet written to w
	acc  uint64 // pending bits, right-aligned
	nacc uint   // number of pending bits
	nbit int64  // bits emitted in total, fill included

	rowStart int64 // nbit at the start of the current row's EOL
	rows     int
	ref, cur []int32
	err      error
	closed   bool
}

// NewEncoder returns an Encoder that writes rows of the given width, coded
// as opts say, to w.
func NewEncoder(w io.Writer, width int, opts Options) (*Encoder, error) {
	if err := opts.check(width); err != nil {
		return nil, err
	}
	e := &Encoder{w: w, width: width, opts: opts}
	e.ref = make([]int32, 0, 64)
	e.cur = make([]int32, 0, 64)
	// The reference for the first two-dimensional row is an imaginary white row.
	for range sentinels {
		e.ref = append(e.ref, int32(width))
	}
	return e, nil
}

// WriteRow codes one row. row holds at least (width+7)/8 bytes, packed as
// page.Page.Row returns them.
func (e *Encoder) WriteRow(row []byte) error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return fmt.Errorf("t4: WriteRow after Close")
	}
	if len(row) < (e.width+7)>>3 {
		return fmt.Errorf("t4: row %d: %d bytes, want %d for width %d", e.rows, len(row), (e.width+7)>>3, e.width)
	}
	if e.rows >= page.MaxHeight {
		e.err = fmt.Errorf("t4: row %d: %w", e.rows, page.ErrTooLarge)
		return e.err
	}
	e.cur = appendChanges(e.cur[:0], row, e.width)
	switch e.opts.Format {
	case MH:
		e.startRow()
		if e.opts.AlignRows {
			e.align()
		}
		e.code1D(e.cur)
	case MR:
		e.startRow()
		k := e.opts.K
		oneD := e.rows == 0 || (k > 0 && e.rows%k == 0)
		if oneD {
			e.put(1, 1)
			e.code1D(e.cur)
		} else {
			e.put(0, 1)
			e.code2D(e.cur, e.ref)
		}
	case MMR:
		e.code2D(e.cur, e.ref)
	}
	e.ref, e.cur = e.cur, e.ref
	e.rows++
	return e.flushIfFull()
}

// Close ends the page: RTC or EOFB if asked for, then padding to a whole
// byte, and writes what remains to the io.Writer. It does not close the
// io.Writer.
func (e *Encoder) Close() error {
	if e.err != nil || e.closed {
		return e.err
	}
	e.closed = true
	if e.opts.EndOfPage {
		switch e.opts.Format {
		case MMR:
			e.put(eolCode, eolLen)
			e.put(eolCode, eolLen)
		default:
			e.fillRow()
			for range 6 {
				if e.opts.AlignEOL {
					e.alignEOL()
				}
				e.put(eolCode, eolLen)
				if e.opts.Format == MR {
					e.put(1, 1)
				}
			}
		}
	}
	e.align()
	return e.flush()
}

// Rows returns the number of rows written so far.
func (e *Encoder) Rows() int { return e.rows }

// startRow emits what precedes a row in a T.4 stream: fill for the previous
// row's minimum length, alignment fill and the EOL.
func (e *Encoder) startRow() {
	if !e.opts.EOL {
		return
	}
	e.fillRow()
	if e.opts.AlignEOL {
		e.alignEOL()
	}
	e.rowStart = e.nbit
	e.put(eolCode, eolLen)
}

// fillRow pads the previous row with zeros up to MinRowBits.
func (e *Encoder) fillRow() {
	if e.rows == 0 || e.opts.MinRowBits <= 0 {
		return
	}
	for n := int64(e.opts.MinRowBits) - (e.nbit - e.rowStart); n > 0; {
		k := min(n, 32)
		e.put(0, uint(k))
		n -= k
	}
}

// alignEOL pads with zeros so that a following EOL ends on a byte boundary.
func (e *Encoder) alignEOL() {
	if pad := (8 - (e.nbit+eolLen)%8) % 8; pad > 0 {
		e.put(0, uint(pad))
	}
}

// align pads with zeros to a byte boundary.
func (e *Encoder) align() {
	if pad := (8 - e.nbit%8) % 8; pad > 0 {
		e.put(0, uint(pad))
	}
}

// put appends the n low bits of v (n <= 32).
func (e *Encoder) put(v uint32, n uint) {
	e.acc = e.acc<<n | uint64(v)
	e.nacc += n
	e.nbit += int64(n)
	if e.nacc >= 32 {
		e.drain()
	}
}

func (e *Encoder) putCode(c code) { e.put(c.v, uint(c.len)) }

// drain moves whole bytes from the bit accumulator to out.
func (e *Encoder) drain() {
	for e.nacc >= 8 {
		e.nacc -= 8
		b := byte(e.acc >> e.nacc)
		if e.opts.LSBFirst {
			b = reverse[b]
		}
		e.out = append(e.out, b)
	}
}

func (e *Encoder) flushIfFull() error {
	if e.w == nil || len(e.out) < flushSize {
		return nil
	}
	return e.flush()
}

func (e *Encoder) flush() error {
	e.drain()
	if e.w == nil {
		return nil
	}
	if _, err := e.w.Write(e.out); err != nil {
		e.err = fmt.Errorf("t4: write: %w", err)
		return e.err
	}
	e.out = e.out[:0]
	return nil
}

// putRun emits the codes for one run of the given colour.
func (e *Encoder) putRun(run int, rc *runCodes) {
	for run >= maxRun {
		e.putCode(rc.makeup[maxRun/64])
		run -= maxRun
	}
	if run >= 64 {
		e.putCode(rc.makeup[run/64])
		run &= 63
	}
	e.putCode(rc.term[run])
}

// code1D codes a row from its changing elements as MH runs.
func (e *Encoder) code1D(ch []int32) {
	a0 := 0
	rc, other := &whiteCodes, &blackCodes
	for i := 0; ; i++ {
		a1 := int(ch[i])
		e.putRun(a1-a0, rc)
		if a1 >= e.width {
			return
		}
		a0 = a1
		rc, other = other, rc
	}
}

// code2D codes a row against its reference row (T.4 section 4.2.1.3).
func (e *Encoder) code2D(cur, ref []int32) {
	width := int32(e.width)
	a0 := int32(-1)
	black := false // colour of a0
	i := 0         // index of a1 in cur
	j := 0         // index searched for b1 in ref
	for a0 < width {
		a1 := cur[i]
		// b1: first changing element of ref right of a0 with the colour
		// opposite a0's; even entries start black.
		for j > 0 && ref[j-1] > a0 {
			j--
		}
		for ref[j] <= a0 && ref[j] < width {
			j++
		}
		if (j&1 == 1) != black && ref[j] < width {
			j++
		}
		b1, b2 := ref[j], ref[j+1]
		switch {
		case b2 < a1:
			e.putCode(passCode)
			a0 = b2
		case a1-b1 <= 3 && b1-a1 <= 3:
			e.putCode(modeCodes[a1-b1+3])
			a0 = a1
			black = !black
			i++
		default:
			a2 := cur[i+1]
			start := max(a0, 0)
			e.putCode(horizCode)
			if black {
				e.putRun(int(a1-start), &blackCodes)
				e.putRun(int(a2-a1), &whiteCodes)
			} else {
				e.putRun(int(a1-start), &whiteCodes)
				e.putRun(int(a2-a1), &blackCodes)
			}
			a0 = a2
			i += 2
		}
	}
}

// EncodePage codes every row of p and returns the coded page, ended as opts
// say.
func EncodePage(p *page.Page, opts Options) ([]byte, error) {
	e, err := NewEncoder(nil, p.Width, opts)
	if err != nil {
		return nil, err
	}
	// A coded fax page is typically a tenth of its bitmap.
	e.out = make([]byte, 0, len(p.Bits)/8+64)
	for y := 0; y < p.Height; y++ {
		if err := e.WriteRow(p.Row(y)); err != nil {
			return nil, err
		}
	}
	if err := e.Close(); err != nil {
		return nil, err
	}
	return e.out, nil
}
