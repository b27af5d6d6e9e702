package tiff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4"
)

// WriteOptions choose how a Writer codes the pages it is given as bitmaps.
type WriteOptions struct {
	// Format is MH (the default), MR or MMR.
	Format t4.Format
	// K is the MR parameter (see t4.Options.K); 0 means 4.
	K int
	// AlignEOL byte-aligns every EOL (TIFF T4Options "fill bits").
	AlignEOL bool
}

// A Writer writes a TIFF Class F file. Pages are gathered in coded form
// and the file is written by Close, once the page count that every page
// records is known.
type Writer struct {
	w      io.Writer
	opts   WriteOptions
	pages  []*t4.CodedPage
	closed bool
}

// NewWriter returns a Writer that writes to w when closed. opts may be nil.
func NewWriter(w io.Writer, opts *WriteOptions) *Writer {
	tw := &Writer{w: w}
	if opts != nil {
		tw.opts = *opts
	}
	if tw.opts.K == 0 {
		tw.opts.K = 4
	}
	return tw
}

// WritePage codes p and adds it as the next page.
func (w *Writer) WritePage(p *page.Page) error {
	o := t4.Options{Format: w.opts.Format, K: w.opts.K, EOL: w.opts.Format != t4.MMR, AlignEOL: w.opts.AlignEOL, EndOfPage: w.opts.Format == t4.MMR}
	c, err := t4.Encode(p, o)
	if err != nil {
		return fmt.Errorf("tiff: page %d: %w", len(w.pages)+1, err)
	}
	return w.WriteCoded(c)
}

// WriteCoded adds an already coded page, for example one as received from
// the line, without decoding it. Data coded LSB first is bit-reversed, since
// Class F asks for fill order 1; MH data without EOLs and unaligned rows,
// which no TIFF compression describes, is decoded and coded afresh.
func (w *Writer) WriteCoded(c *t4.CodedPage) error {
	n := len(w.pages) + 1
	if w.closed {
		return errors.New("tiff: WriteCoded after Close")
	}
	if c.Width < 1 || c.Height < 1 {
		return fmt.Errorf("tiff: page %d: %dx%d is an empty page; TIFF pages need at least one row and column", n, c.Width, c.Height)
	}
	if c.Width > page.MaxWidth || c.Height > page.MaxHeight {
		return fmt.Errorf("tiff: page %d: %dx%d: %w", n, c.Width, c.Height, page.ErrTooLarge)
	}
	o := c.Options
	if o.Format == t4.MH && !o.EOL && !o.AlignRows {
		p, st, err := c.Decode()
		if err != nil {
			return fmt.Errorf("tiff: page %d: %w", n, err)
		}
		if err := w.WritePage(p); err != nil {
			return err
		}
		last := w.pages[len(w.pages)-1]
		if c.Stats != nil {
			last.Stats = c.Stats
		} else if st.BadRows > 0 {
			last.Stats = &st
		}
		return nil
	}
	if o.LSBFirst {
		cc := *c
		cc.Data = make([]byte, len(c.Data))
		for i, b := range c.Data {
			cc.Data[i] = bits.Reverse8(b)
		}
		cc.Options.LSBFirst = false
		c = &cc
	}
	if uint64(len(c.Data)) > math.MaxUint32/2 {
		return fmt.Errorf("tiff: page %d: %d bytes of data is too large for a TIFF file", n, len(c.Data))
	}
	w.pages = append(w.pages, c)
	return nil
}

// Close writes the file. It does not close the underlying io.Writer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if len(w.pages) == 0 {
		return errors.New("tiff: no pages to write; a TIFF file needs at least one")
	}
	_, err := w.w.Write(layout(w.pages))
	if err != nil {
		return fmt.Errorf("tiff: write: %w", err)
	}
	return nil
}

// ifdEntry is a field to be written; values hold SHORTs, LONGs or, for
// RATIONAL, numerator and denominator pairs.
type ifdEntry struct {
	tag, typ uint16
	values   []uint32
	ascii    string
}

// layout lays out a Class F file holding the given coded pages, which must
// be MSB first. Each page is one strip, preceded by its directory.
func layout(pages []*t4.CodedPage) []byte {
	le := binary.LittleEndian
	var out []byte
	out = append(out, 'I', 'I', 42, 0, 8, 0, 0, 0)
	for i, c := range pages {
		comp, t4opts := CCITTFax3, uint32(0)
		switch {
		case c.Options.Format == t4.MMR:
			comp = CCITTFax4
		case c.Options.Format == t4.MH && !c.Options.EOL:
			comp = CCITTRLE
		case c.Options.Format == t4.MR:
			t4opts |= t4Opt2D
		}
		if c.Options.AlignEOL {
			t4opts |= t4OptFill
		}
		xres, yres := c.Res.X, c.Res.Y
		if !(xres > 0) || !(yres > 0) {
			xres, yres = page.Fine.X, page.Fine.Y
		}
		entries := []ifdEntry{
			{tag: tagNewSubfileType, typ: typeLong, values: []uint32{2}},
			{tag: tagImageWidth, typ: typeLong, values: []uint32{uint32(c.Width)}},
			{tag: tagImageLength, typ: typeLong, values: []uint32{uint32(c.Height)}},
			{tag: tagBitsPerSample, typ: typeShort, values: []uint32{1}},
			{tag: tagCompression, typ: typeShort, values: []uint32{uint32(comp)}},
			{tag: tagPhotometric, typ: typeShort, values: []uint32{0}},
			{tag: tagFillOrder, typ: typeShort, values: []uint32{1}},
			{tag: tagStripOffsets, typ: typeLong, values: []uint32{0}}, // set below
			{tag: tagSamplesPerPixel, typ: typeShort, values: []uint32{1}},
			{tag: tagRowsPerStrip, typ: typeLong, values: []uint32{uint32(c.Height)}},
			{tag: tagStripByteCounts, typ: typeLong, values: []uint32{uint32(len(c.Data))}},
			{tag: tagXResolution, typ: typeRational, values: rat(xres)},
			{tag: tagYResolution, typ: typeRational, values: rat(yres)},
		}
		switch comp {
		case CCITTFax3:
			entries = append(entries, ifdEntry{tag: tagT4Options, typ: typeLong, values: []uint32{t4opts}})
		case CCITTFax4:
			entries = append(entries, ifdEntry{tag: tagT6Options, typ: typeLong, values: []uint32{0}})
		}
		entries = append(entries,
			ifdEntry{tag: tagResolutionUnit, typ: typeShort, values: []uint32{2}},
			ifdEntry{tag: tagPageNumber, typ: typeShort, values: []uint32{uint32(i), uint32(len(pages))}},
			ifdEntry{tag: tagSoftware, typ: typeASCII, ascii: "Faxhaven\x00"},
		)
		if st := c.Stats; st != nil {
			clean := uint32(faxDataClean)
			if st.BadRows > 0 {
				clean = faxDataRegenerated
			}
			entries = append(entries,
				ifdEntry{tag: tagBadFaxLines, typ: typeLong, values: []uint32{uint32(st.BadRows)}},
				ifdEntry{tag: tagCleanFaxData, typ: typeShort, values: []uint32{clean}},
				ifdEntry{tag: tagConsecutiveBadFax, typ: typeLong, values: []uint32{uint32(st.MaxConsecutive)}},
			)
		}

		// Layout: directory, then values too long to sit in their entries,
		// then the strip.
		vals := make([][]byte, len(entries))
		ifdStart := len(out)
		dataStart := ifdStart + 2 + 12*len(entries) + 4
		for k, e := range entries {
			vals[k] = e.bytes()
			if n := len(vals[k]); n > 4 {
				dataStart += n + n&1
			}
		}
		next := 0
		if i+1 < len(pages) {
			next = dataStart + len(c.Data) + len(c.Data)&1
		}
		binary.LittleEndian.PutUint32(vals[7], uint32(dataStart)) // StripOffsets

		out = le.AppendUint16(out, uint16(len(entries)))
		var ext []byte
		valOff := ifdStart + 2 + 12*len(entries) + 4
		for k, e := range entries {
			v := vals[k]
			out = le.AppendUint16(out, e.tag)
			out = le.AppendUint16(out, e.typ)
			out = le.AppendUint32(out, uint32(len(v)/typeSize[e.typ]))
			if len(v) <= 4 {
				var inline [4]byte
				copy(inline[:], v)
				out = append(out, inline[:]...)
				continue
			}
			out = le.AppendUint32(out, uint32(valOff+len(ext)))
			ext = append(ext, v...)
			if len(v)&1 == 1 {
				ext = append(ext, 0) // values start on a word boundary
			}
		}
		out = le.AppendUint32(out, uint32(next))
		out = append(out, ext...)
		out = append(out, c.Data...)
		if len(c.Data)&1 == 1 && next != 0 {
			out = append(out, 0)
		}
	}
	return out
}

// bytes returns the field's value bytes, little-endian.
func (e ifdEntry) bytes() []byte {
	if e.typ == typeASCII {
		return []byte(e.ascii)
	}
	var v []byte
	for _, x := range e.values {
		if e.typ == typeShort {
			v = binary.LittleEndian.AppendUint16(v, uint16(x))
		} else {
			v = binary.LittleEndian.AppendUint32(v, x)
		}
	}
	return v
}

// rat returns a resolution as a RATIONAL with two decimals of precision.
func rat(v float64) []uint32 {
	if v == math.Trunc(v) {
		return []uint32{uint32(v), 1}
	}
	return []uint32{uint32(math.Round(v * 100)), 100}
}
