package t4

import (
	"errors"
	"fmt"
	"io"

	"github.com/faxhaven/faxhaven/fax/page"
)

// Stats describes the quality of a decoded page.
type Stats struct {
	Rows           int // rows decoded, bad rows included
	BadRows        int // rows that could not be decoded and repeat the previous row
	MaxConsecutive int // longest run of consecutive bad rows
}

// Why a row does not decode. For MH and MR they stay internal, as a T.4
// receiver only counts bad rows; MMR errors carry them.
var (
	errCode     = errors.New("invalid code")
	errOverflow = errors.New("runs exceed the row width")
	errOrder    = errors.New("changing element out of order")
	errEnd      = errors.New("data ends inside the row")
	errNoEOL    = errors.New("row not followed by EOL")
	errEOL      = errors.New("unexpected EOL")
)

// rtcEOLs is how many consecutive EOLs end a T.4 page.
const rtcEOLs = 5

// A Decoder yields the rows of one coded page one at a time.
type Decoder struct {
	br     bitReader
	width  int
	stride int
	opts   Options

	ref  []int32 // changing elements of the previous good row, then sentinels
	refN int     // number of changing elements in ref
	cur  []int32 // changing elements of the row being decoded

	stats  Stats
	badRun int
	done   bool
	err    error
}

// NewDecoder returns a Decoder for a page of the given width, coded as opts
// say, read from r.
func NewDecoder(r io.Reader, width int, opts Options) (*Decoder, error) {
	d, err := newDecoder(width, opts)
	if err != nil {
		return nil, err
	}
	d.br.r = r
	return d, nil
}

// NewDecoderBytes returns a Decoder for coded data held in memory; it reads
// data in place, without copying.
func NewDecoderBytes(data []byte, width int, opts Options) (*Decoder, error) {
	d, err := newDecoder(width, opts)
	if err != nil {
		return nil, err
	}
	d.br.buf = data
	return d, nil
}

func newDecoder(width int, opts Options) (*Decoder, error) {
	if opts.Format == MR {
		opts.EOL = true
	}
	if err := opts.check(width); err != nil {
		return nil, err
	}
	d := &Decoder{width: width, stride: (width + 7) >> 3, opts: opts}
	d.br.lsb = opts.LSBFirst
	d.ref = make([]int32, sentinels, 64)
	d.cur = make([]int32, 0, 64)
	for i := range d.ref {
		d.ref[i] = int32(width)
	}
	return d, nil
}

// Stats returns the statistics of the rows read so far.
func (d *Decoder) Stats() Stats { return d.stats }

// ReadRow decodes the next row into dst, which must hold at least
// (width+7)/8 bytes. At the end of the page (RTC, EOFB, Options.Rows rows,
// or the end of the data) it returns io.EOF. For MH and MR a row that does
// not decode is not an error: dst receives the previous good row and Stats
// counts it.
func (d *Decoder) ReadRow(dst []byte) error {
	if d.err != nil {
		return d.err
	}
	if d.done || d.opts.Rows > 0 && d.stats.Rows >= d.opts.Rows {
		return io.EOF
	}
	if len(dst) < d.stride {
		return fmt.Errorf("t4: row buffer of %d bytes, want %d for width %d", len(dst), d.stride, d.width)
	}
	dst = dst[:d.stride]
	var err error
	if d.opts.Format == MMR {
		err = d.readMMRRow()
	} else {
		err = d.readT4Row()
	}
	if err == io.EOF {
		d.done = true
	}
	if d.br.err != nil {
		err = fmt.Errorf("t4: row %d: %w", d.stats.Rows, d.br.err)
	}
	if err != nil {
		if err != io.EOF {
			d.err = err
		}
		return err
	}
	if d.stats.Rows >= page.MaxHeight {
		d.err = fmt.Errorf("t4: row %d: %w (more than %d rows)", d.stats.Rows, page.ErrTooLarge, page.MaxHeight)
		return d.err
	}
	d.stats.Rows++
	fillRow(dst, d.ref[:d.refN], d.width)
	return nil
}

// accept makes the freshly decoded row the reference for the next one.
func (d *Decoder) accept() {
	d.refN = len(d.cur)
	for range sentinels {
		d.cur = append(d.cur, int32(d.width))
	}
	d.ref, d.cur = d.cur, d.ref
	d.badRun = 0
}

// reject counts a bad row; the reference, and so the row returned, stays
// the previous good row.
func (d *Decoder) reject() {
	d.stats.BadRows++
	d.badRun++
	d.stats.MaxConsecutive = max(d.stats.MaxConsecutive, d.badRun)
}

// readMMRRow decodes one T.6 row into ref.
func (d *Decoder) readMMRRow() error {
	br := &d.br
	if br.peek(eolLen) <= eolCode {
		// EOFB (two EOLs), or zero padding after the last row.
		for eols := 0; eols < 2; eols++ {
			br.skipZeros(1 << 30)
			if br.atEnd() {
				return io.EOF
			}
			br.skip(1)
			if eols == 0 && br.peek(eolLen) > eolCode && !br.atEnd() {
				return fmt.Errorf("t4: MMR row %d: %w", d.stats.Rows, errEOL)
			}
		}
		return io.EOF
	}
	if br.atEnd() {
		return io.EOF
	}
	if err := d.decode2D(); err != nil {
		return fmt.Errorf("t4: MMR row %d: %w", d.stats.Rows, err)
	}
	d.accept()
	return nil
}

// readT4Row decodes one MH or MR row into ref, or counts it as bad.
func (d *Decoder) readT4Row() error {
	br := &d.br
	if d.opts.AlignRows {
		br.align()
	}
	// Fill and EOLs. Consecutive EOLs end the page (RTC is six; five
	// suffice, as one may be damaged); fewer are extra EOLs some senders
	// insert. More zeros than any code holds are fill.
	eols, twoD := 0, false
	for br.peek(eolLen) <= eolCode {
		br.skipZeros(1 << 30)
		if br.atEnd() {
			return io.EOF
		}
		br.skip(1)
		if d.opts.Format == MR {
			twoD = br.bit() == 0
		}
		eols++
		if eols >= rtcEOLs && d.stats.Rows > 0 {
			return io.EOF
		}
	}
	if br.atEnd() {
		return io.EOF
	}
	var err error
	switch {
	case d.opts.Format == MR && eols == 0 && d.stats.Rows > 0:
		err = errNoEOL // the tag bit is missing, so the row cannot be read
	case twoD:
		err = d.decode2D()
	default:
		err = d.decode1D()
	}
	if err == nil && d.opts.EOL && br.peek(eolLen) > eolCode && !br.atEnd() {
		err = errNoEOL
	}
	if err == nil && br.past {
		err = errEnd
	}
	if err != nil {
		d.reject()
		d.resync()
		return nil
	}
	d.accept()
	return nil
}

// resync skips to the next EOL, or the end of the data, after a bad row.
func (d *Decoder) resync() {
	br := &d.br
	for br.peek(eolLen) > eolCode {
		if br.atEnd() {
			return
		}
		br.skip(1)
	}
}

// addChange appends a changing element; two at the same position cancel,
// which is how a zero-length run in the middle of a row decodes.
func addChange(ch []int32, x int32) []int32 {
	if n := len(ch); n > 0 && ch[n-1] == x {
		return ch[:n-1]
	}
	return append(ch, x)
}

// The hot decoding loops keep the bit accumulator in local variables, which
// the compiler holds in registers, and write it back when they return.

// fill tops up a local copy of the accumulator.
func (b *bitReader) fill(acc uint64, n uint) (uint64, uint) {
	b.acc, b.n = acc, n
	b.refill()
	return b.acc, b.n
}

// readRun reads the codes of one run of the given colour.
func (d *Decoder) readRun(acc uint64, n uint, black bool) (int, uint64, uint, error) {
	run := 0
	for {
		if n < blackBits {
			acc, n = d.br.fill(acc, n)
		}
		var e uint16
		if black {
			e = blackTable[acc>>(64-blackBits)]
		} else {
			e = whiteTable[acc>>(64-whiteBits)]
		}
		l := uint(e >> 12)
		if e == 0 {
			if n == 0 {
				return 0, acc, n, errEnd
			}
			return 0, acc, n, errCode
		}
		if l > n {
			return 0, acc, n, errEnd
		}
		acc <<= l
		n -= l
		r := int(e & 0xfff)
		run += r
		if r < 64 {
			return run, acc, n, nil
		}
		if run > d.width {
			return 0, acc, n, errOverflow
		}
	}
}

// decode1D decodes an MH row into cur.
func (d *Decoder) decode1D() error {
	acc, n := d.br.acc, d.br.n
	cur := d.cur[:0]
	x, black := 0, false
	var err error
	for {
		var run int
		run, acc, n, err = d.readRun(acc, n, black)
		if err != nil {
			break
		}
		x += run
		if x > d.width {
			err = errOverflow
			break
		}
		if x == d.width {
			break
		}
		cur = addChange(cur, int32(x))
		black = !black
	}
	d.br.acc, d.br.n = acc, n
	d.cur = cur
	return err
}

// decode2D decodes an MR or MMR row against ref into cur.
func (d *Decoder) decode2D() error {
	acc, n, err := d.decode2DBits(d.br.acc, d.br.n)
	d.br.acc, d.br.n = acc, n
	return err
}

func (d *Decoder) decode2DBits(acc uint64, n uint) (uint64, uint, error) {
	ref := d.ref
	cur := d.cur[:0]
	defer func() { d.cur = cur }()
	width := int32(d.width)
	a0 := int32(-1)
	black := false
	j := 0
	for a0 < width {
		// b1 is the first changing element of ref right of a0 with the
		// colour opposite a0's (even entries start black). a0 only moves
		// right, so the search resumes where it stopped, at most one
		// entry back.
		if j > 0 && ref[j-1] > a0 {
			j--
		}
		// The sentinels equal width > a0 and end the search; the parity
		// step may move onto the next sentinel.
		for ref[j] <= a0 {
			j++
		}
		if (j&1 == 1) != black {
			j++
		}
		b1 := ref[j]
		if n < modeBits {
			acc, n = d.br.fill(acc, n)
		}
		e := modeTable[acc>>(64-modeBits)]
		l := uint(e & 15)
		if l > n {
			return acc, n, errEnd
		}
		acc <<= l
		n -= l
		switch mode := e >> 4; mode {
		case modePass:
			a0 = ref[j+1]
		case modeHoriz:
			var r1, r2 int
			var err error
			if r1, acc, n, err = d.readRun(acc, n, black); err != nil {
				return acc, n, err
			}
			if r2, acc, n, err = d.readRun(acc, n, !black); err != nil {
				return acc, n, err
			}
			a1 := max(a0, 0) + int32(r1)
			a2 := a1 + int32(r2)
			if a2 > width {
				return acc, n, errOverflow
			}
			if a1 < width {
				cur = addChange(cur, a1)
			}
			if a2 < width {
				cur = addChange(cur, a2)
			}
			a0 = a2
		case modeInvalid:
			if n == 0 {
				return acc, n, errEnd
			}
			return acc, n, errCode
		default:
			a1 := b1 + int32(mode) - modeV0
			if a1 <= a0 || a1 > width {
				return acc, n, errOrder
			}
			if a1 < width {
				cur = append(cur, a1) // a1 > a0: it cannot cancel a change
			}
			a0 = a1
			black = !black
		}
	}
	return acc, n, nil
}

// DecodePage decodes a whole coded page of the given width. The page gets
// resolution page.Fine; callers that know better set Res. For MH and MR the
// Stats tell how many rows were damaged; for MMR damage is an error.
func DecodePage(data []byte, width int, opts Options) (*page.Page, Stats, error) {
	d, err := newDecoder(width, opts)
	if err != nil {
		return nil, Stats{}, err
	}
	d.br.buf = data
	p := &page.Page{Width: width, Stride: d.stride, Res: page.Fine}
	if opts.Rows > 0 {
		p.Bits = make([]byte, 0, opts.Rows*d.stride)
	}
	for {
		n := len(p.Bits)
		p.Bits = append(p.Bits, make([]byte, d.stride)...)
		err := d.ReadRow(p.Bits[n:])
		if err == io.EOF {
			p.Bits = p.Bits[:n]
			break
		}
		if err != nil {
			return nil, d.stats, err
		}
	}
	p.Height = len(p.Bits) / d.stride
	return p, d.stats, nil
}
