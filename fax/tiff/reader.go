package tiff

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4"
	"golang.org/x/image/tiff/lzw"
)

// ReadOptions bound what a file may make the reader allocate. The zero
// value, or a nil *ReadOptions, means the defaults.
type ReadOptions struct {
	// MaxPages is the most IFDs (pages) a file may hold; default 1000.
	MaxPages int
	// MaxPixels bounds the pixels of all pages together; default 2^29
	// (64 MiB of bitmap, about 130 A4 pages at fine resolution).
	MaxPixels int64
}

const (
	defaultMaxPages  = 1000
	defaultMaxPixels = 1 << 29
)

// ErrFormat reports a file that is not a TIFF or is damaged.
var ErrFormat = errors.New("tiff: not a valid TIFF file")

// A Reader gives access to the pages of a TIFF file held in memory.
type Reader struct {
	data  []byte
	bo    binary.ByteOrder
	pages []*pageInfo
}

// pageInfo is what the reader keeps of one image IFD.
type pageInfo struct {
	n              int // 1-based page number, for errors
	width, height  int
	comp           Compression
	t4opts         uint32
	minIsBlack     bool
	lsbFirst       bool
	rowsPerStrip   int
	offsets, sizes []uint32
	claimed        [][2]uint32 // strips cut short by the end of the file: index, claimed size
	res            page.Resolution
	stats          *t4.Stats
}

// Read decodes every page of a TIFF file.
func Read(data []byte, opts *ReadOptions) ([]*page.Page, error) {
	r, err := Open(data, opts)
	if err != nil {
		return nil, err
	}
	pages := make([]*page.Page, r.NumPages())
	for i := range pages {
		if pages[i], err = r.Page(i); err != nil {
			return nil, err
		}
	}
	return pages, nil
}

// Open parses the structure of a TIFF file and checks that every page is a
// bilevel image this package can read, within the limits of opts. Reduced
// resolution images (thumbnails) are skipped.
func Open(data []byte, opts *ReadOptions) (*Reader, error) {
	maxPages, maxPixels := defaultMaxPages, int64(defaultMaxPixels)
	if opts != nil {
		if opts.MaxPages > 0 {
			maxPages = opts.MaxPages
		}
		if opts.MaxPixels > 0 {
			maxPixels = opts.MaxPixels
		}
	}
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: %d bytes is too short for a TIFF header", ErrFormat, len(data))
	}
	r := &Reader{data: data}
	switch string(data[:4]) {
	case "II*\x00":
		r.bo = binary.LittleEndian
	case "MM\x00*":
		r.bo = binary.BigEndian
	case "II+\x00", "MM\x00+":
		return nil, fmt.Errorf("tiff: BigTIFF files are not supported; save the image as a classic TIFF, PNG or PDF")
	default:
		return nil, fmt.Errorf("%w: bad header (want II*\\0 or MM\\0*)", ErrFormat)
	}
	var pixels int64
	seen := map[uint32]bool{}
	off := r.bo.Uint32(data[4:])
	for ifds := 0; off != 0; ifds++ {
		if ifds >= maxPages {
			return nil, fmt.Errorf("tiff: more than %d images in the file (ReadOptions.MaxPages)", maxPages)
		}
		if seen[off] {
			return nil, fmt.Errorf("%w: the image directories form a loop (offset %d)", ErrFormat, off)
		}
		seen[off] = true
		p, next, err := r.parseIFD(off, len(r.pages)+1)
		if err != nil {
			return nil, err
		}
		off = next
		if p == nil {
			continue // a thumbnail or mask
		}
		pixels += int64(p.width) * int64(p.height)
		if pixels > maxPixels {
			return nil, errPage(p.n, "the pages so far claim %d pixels, more than the limit of %d (ReadOptions.MaxPixels)", pixels, maxPixels)
		}
		r.pages = append(r.pages, p)
	}
	if len(r.pages) == 0 {
		return nil, fmt.Errorf("tiff: the file holds no page")
	}
	return r, nil
}

// NumPages returns the number of pages.
func (r *Reader) NumPages() int { return len(r.pages) }

// entry is one IFD field.
type entry struct {
	typ   uint16
	count uint32
	raw   []byte // the 4 value bytes of the entry
}

// values returns the field as unsigned integers (BYTE, SHORT or LONG),
// reading at most max of them.
func (r *Reader) values(e entry, max int) ([]uint32, error) {
	if e.typ != typeByte && e.typ != typeShort && e.typ != typeLong {
		return nil, fmt.Errorf("field type %d where an integer was expected", e.typ)
	}
	if int64(e.count) > int64(max) {
		return nil, fmt.Errorf("%d values, more than the %d allowed", e.count, max)
	}
	size := typeSize[e.typ]
	n := int(e.count)
	b := e.raw
	if n*size > 4 {
		off := r.bo.Uint32(e.raw)
		if uint64(off)+uint64(n*size) > uint64(len(r.data)) {
			return nil, fmt.Errorf("values at offset %d run past the end of the file", off)
		}
		b = r.data[off : int(off)+n*size]
	}
	v := make([]uint32, n)
	for i := range v {
		switch e.typ {
		case typeByte:
			v[i] = uint32(b[i])
		case typeShort:
			v[i] = uint32(r.bo.Uint16(b[2*i:]))
		default:
			v[i] = r.bo.Uint32(b[4*i:])
		}
	}
	return v, nil
}

// rational reads a single RATIONAL field as a float.
func (r *Reader) rational(e entry) (float64, error) {
	if e.typ != typeRational || e.count < 1 {
		v, err := r.values(e, 1)
		if err != nil || len(v) == 0 {
			return 0, fmt.Errorf("field type %d where a rational was expected", e.typ)
		}
		return float64(v[0]), nil
	}
	off := r.bo.Uint32(e.raw)
	if uint64(off)+8 > uint64(len(r.data)) {
		return 0, fmt.Errorf("rational at offset %d lies past the end of the file", off)
	}
	num, den := r.bo.Uint32(r.data[off:]), r.bo.Uint32(r.data[off+4:])
	if den == 0 {
		return 0, nil
	}
	return float64(num) / float64(den), nil
}

// parseIFD reads the directory at off. It returns nil for an image that is
// not a page (a reduced-resolution copy or a mask).
func (r *Reader) parseIFD(off uint32, n int) (*pageInfo, uint32, error) {
	data := r.data
	if uint64(off)+2 > uint64(len(data)) {
		return nil, 0, fmt.Errorf("%w: page %d: directory offset %d lies past the end of the file (%d bytes); the file is truncated", ErrFormat, n, off, len(data))
	}
	count := int(r.bo.Uint16(data[off:]))
	end := uint64(off) + 2 + 12*uint64(count)
	if end+4 > uint64(len(data)) {
		return nil, 0, fmt.Errorf("%w: page %d: directory of %d fields runs past the end of the file; the file is truncated", ErrFormat, n, count)
	}
	fields := map[uint16]entry{}
	for i := range count {
		b := data[int(off)+2+12*i:]
		tag := r.bo.Uint16(b)
		e := entry{typ: r.bo.Uint16(b[2:]), count: r.bo.Uint32(b[4:]), raw: b[8:12]}
		if int(e.typ) >= len(typeSize) || e.typ == 0 {
			continue // unknown types are to be ignored
		}
		fields[tag] = e
	}
	next := r.bo.Uint32(data[end:])

	p := &pageInfo{n: n, comp: None, rowsPerStrip: math.MaxInt32, res: page.Fine}
	// one reads a single integer field, with a default when absent.
	var ferr error
	one := func(tag uint16, def uint32) uint32 {
		e, ok := fields[tag]
		if !ok || ferr != nil {
			return def
		}
		v, err := r.values(e, 16)
		if err != nil {
			ferr = fmt.Errorf("tag %d: %w", tag, err)
			return def
		}
		if len(v) == 0 {
			return def
		}
		return v[0]
	}
	if one(tagNewSubfileType, 0)&(1|4) != 0 {
		return nil, next, ferr // reduced resolution image or transparency mask
	}
	w, h := one(tagImageWidth, 0), one(tagImageLength, 0)
	bps := one(tagBitsPerSample, 1)
	spp := one(tagSamplesPerPixel, 1)
	p.comp = Compression(one(tagCompression, 1))
	photo := one(tagPhotometric, 0)
	fill := one(tagFillOrder, 1)
	p.t4opts = one(tagT4Options, 0)
	if rps := one(tagRowsPerStrip, math.MaxUint32); rps > 0 && rps < math.MaxInt32 {
		p.rowsPerStrip = int(rps)
	}
	if ferr != nil {
		return nil, 0, errPage(n, "%v", ferr)
	}

	switch {
	case w == 0 || h == 0:
		return nil, 0, errPage(n, "the image has no size (width %d, height %d)", w, h)
	case w > page.MaxWidth || h > page.MaxHeight:
		return nil, 0, errPage(n, "%dx%d pixels: %w (%dx%d)", w, h, page.ErrTooLarge, page.MaxWidth, page.MaxHeight)
	case spp != 1 || bps != 1:
		return nil, 0, errPage(n, "%d samples of %d bits per pixel is not a bilevel image; convert colour and greyscale images to PNG or PDF first", spp, bps)
	case photo > 1:
		return nil, 0, errPage(n, "photometric interpretation %d is not a bilevel image (want 0 min-is-white or 1 min-is-black); convert the image to PNG or PDF first", photo)
	}
	p.width, p.height = int(w), int(h)
	p.minIsBlack = photo == 1
	switch fill {
	case 1:
	case 2:
		p.lsbFirst = true
	default:
		return nil, 0, errPage(n, "fill order %d is invalid (want 1 or 2)", fill)
	}
	switch p.comp {
	case None, CCITTRLE, CCITTFax3, CCITTFax4, PackBits, LZW, Deflate, deflateOld:
	default:
		return nil, 0, errPage(n, "compression %d (%v) is not a bilevel fax format; convert the image to PNG or PDF first", uint16(p.comp), p.comp)
	}
	if p.comp == CCITTFax3 && p.t4opts&t4OptUnc != 0 || p.comp == CCITTFax4 && one(tagT6Options, 0)&t4OptUnc != 0 {
		return nil, 0, errPage(n, "CCITT uncompressed mode is not supported; re-save the image with plain Group 3 or Group 4 compression")
	}
	if pred := one(tagPredictor, 1); pred != 1 {
		return nil, 0, errPage(n, "predictor %d is not defined for bilevel images; the file is damaged", pred)
	}
	if _, tiled := fields[tagTileWidth]; tiled {
		return nil, 0, errPage(n, "tiled images are not supported; save the image in strips (for example with tiffcp -s)")
	}
	if _, tiled := fields[tagTileOffsets]; tiled {
		return nil, 0, errPage(n, "tiled images are not supported; save the image in strips (for example with tiffcp -s)")
	}

	strips := (p.height + p.rowsPerStrip - 1) / p.rowsPerStrip
	eo, ok1 := fields[tagStripOffsets]
	ec, ok2 := fields[tagStripByteCounts]
	if !ok1 || !ok2 {
		return nil, 0, errPage(n, "the strip offsets or byte counts are missing; the file is damaged")
	}
	var err error
	if p.offsets, err = r.values(eo, strips); err != nil {
		return nil, 0, errPage(n, "strip offsets: %v", err)
	}
	if p.sizes, err = r.values(ec, strips); err != nil {
		return nil, 0, errPage(n, "strip byte counts: %v", err)
	}
	if len(p.offsets) != strips || len(p.sizes) != strips {
		return nil, 0, errPage(n, "%d strip offsets and %d byte counts for %d strips; the file is damaged", len(p.offsets), len(p.sizes), strips)
	}
	for i := range strips {
		if p.offsets[i] > uint32(len(data)) || p.offsets[i] == uint32(len(data)) && p.sizes[i] > 0 {
			return nil, 0, errPage(n, "strip %d starts at offset %d, past the end of the file (%d bytes); the file is truncated", i, p.offsets[i], len(data))
		}
		// Some writers overstate the last strip's size; like libtiff,
		// read what is there. Missing rows are reported when decoding.
		if uint64(p.offsets[i])+uint64(p.sizes[i]) > uint64(len(data)) {
			p.claimed = append(p.claimed, [2]uint32{uint32(i), p.sizes[i]})
			p.sizes[i] = uint32(len(data)) - p.offsets[i]
		}
	}

	p.res = r.resolution(fields, one(tagResolutionUnit, 2))
	if e, ok := fields[tagBadFaxLines]; ok {
		bad, err := r.values(e, 1)
		if err == nil && len(bad) == 1 {
			st := &t4.Stats{Rows: p.height, BadRows: int(bad[0])}
			st.MaxConsecutive = int(one(tagConsecutiveBadFax, 0))
			p.stats = st
		}
	}
	return p, next, nil
}

// resolution reads X/YResolution, falling back to fax fine resolution when
// they are absent or absurd.
func (r *Reader) resolution(fields map[uint16]entry, unit uint32) page.Resolution {
	ex, ok1 := fields[tagXResolution]
	ey, ok2 := fields[tagYResolution]
	if !ok1 || !ok2 {
		return page.Fine
	}
	x, err1 := r.rational(ex)
	y, err2 := r.rational(ey)
	if err1 != nil || err2 != nil {
		return page.Fine
	}
	switch unit {
	case 3: // centimetre
		x, y = x*2.54, y*2.54
	case 2:
	default:
		return page.Fine // no absolute unit
	}
	if !(x >= 10 && x <= 10000 && y >= 10 && y <= 10000) {
		return page.Fine
	}
	return page.Resolution{X: x, Y: y}
}

// strip returns the bytes of strip i and the number of rows it holds.
func (p *pageInfo) strip(data []byte, i int) ([]byte, int) {
	rows := min(p.rowsPerStrip, p.height-i*p.rowsPerStrip)
	return data[p.offsets[i] : p.offsets[i]+p.sizes[i]], rows
}

// codingOptions returns the t4 options that decode the page's CCITT data.
func (p *pageInfo) codingOptions() t4.Options {
	o := t4.Options{LSBFirst: p.lsbFirst}
	switch p.comp {
	case CCITTRLE:
		o.Format, o.AlignRows = t4.MH, true
	case CCITTFax3:
		o.Format, o.EOL = t4.MH, true
		if p.t4opts&t4Opt2D != 0 {
			o.Format = t4.MR
		}
		o.AlignEOL = p.t4opts&t4OptFill != 0
	case CCITTFax4:
		o.Format = t4.MMR
	}
	return o
}

// Page decodes page i (counting from 0).
func (r *Reader) Page(i int) (*page.Page, error) {
	pg, err := r.decode(i)
	if err != nil && len(r.pages[i].claimed) > 0 {
		c := r.pages[i].claimed[0]
		return nil, fmt.Errorf("%w (strip %d claims %d bytes but the file ends after %d; the file is truncated)", err, c[0], c[1], r.pages[i].sizes[c[0]])
	}
	return pg, err
}

func (r *Reader) decode(i int) (*page.Page, error) {
	p := r.pages[i]
	pg, err := page.New(p.width, p.height, p.res)
	if err != nil {
		return nil, errPage(p.n, "%v", err)
	}
	stride := pg.Stride
	y := 0
	for s := range p.offsets {
		data, rows := p.strip(r.data, s)
		dst := pg.Bits[y*stride : (y+rows)*stride]
		switch p.comp {
		case None:
			if len(data) < len(dst) {
				return nil, errPage(p.n, "strip %d holds %d bytes, %d rows of %d pixels need %d; the file is truncated", s, len(data), rows, p.width, len(dst))
			}
			copy(dst, data)
			if p.lsbFirst {
				reverseBits(dst)
			}
		case PackBits:
			if p.lsbFirst {
				data = reversed(data)
			}
			if err := unpackBits(dst, data); err != nil {
				return nil, errPage(p.n, "strip %d: %v", s, err)
			}
		case LZW, Deflate, deflateOld:
			if p.lsbFirst {
				data = reversed(data)
			}
			if err := inflate(dst, data, p.comp); err != nil {
				return nil, errPage(p.n, "strip %d: %v", s, err)
			}
		default:
			o := p.codingOptions()
			o.Rows = rows
			if err := decodeStrip(dst, data, p.width, rows, o); err != nil {
				return nil, errPage(p.n, "strip %d: %v", s, err)
			}
		}
		y += rows
	}
	if p.minIsBlack {
		invert(pg)
	} else if p.width&7 != 0 && p.comp != CCITTRLE && p.comp != CCITTFax3 && p.comp != CCITTFax4 {
		clearPadding(pg)
	}
	return pg, nil
}

func decodeStrip(dst, data []byte, width, rows int, o t4.Options) error {
	d, err := t4.NewDecoderBytes(data, width, o)
	if err != nil {
		return err
	}
	stride := (width + 7) / 8
	for y := range rows {
		if err := d.ReadRow(dst[y*stride : (y+1)*stride]); err != nil {
			if err == io.EOF {
				return fmt.Errorf("the data ends after row %d of %d; the file is truncated or damaged", y, rows)
			}
			return err
		}
	}
	return nil
}

// Stats returns the quality that the file records for page i (the Class F
// BadFaxLines and ConsecutiveBadFaxLines tags), or nil if it records none.
func (r *Reader) Stats(i int) *t4.Stats { return r.pages[i].stats }

// Coded returns page i as coded data. For CCITT pages in one strip (and
// for MH and MR pages in any number of strips) Data is the file's own
// bytes, not decoded; other pages are decoded and coded afresh as MMR.
func (r *Reader) Coded(i int) (*t4.CodedPage, error) {
	p := r.pages[i]
	raw := !p.minIsBlack && len(p.claimed) == 0 && (p.comp == CCITTFax3 || p.comp == CCITTRLE || p.comp == CCITTFax4 && len(p.offsets) == 1)
	if raw {
		c := &t4.CodedPage{Width: p.width, Height: p.height, Res: p.res, Options: p.codingOptions(), Stats: p.stats}
		if len(p.offsets) == 1 {
			c.Data, _ = p.strip(r.data, 0)
		} else {
			for s := range p.offsets {
				d, _ := p.strip(r.data, s)
				c.Data = append(c.Data, d...)
			}
		}
		return c, nil
	}
	pg, err := r.Page(i)
	if err != nil {
		return nil, err
	}
	c, err := t4.Encode(pg, t4.Options{Format: t4.MMR, EndOfPage: true})
	if err != nil {
		return nil, errPage(p.n, "%v", err)
	}
	c.Stats = p.stats
	return c, nil
}

// inflate decompresses an LZW or Deflate strip into dst, which it fills
// exactly; it never reads more than dst holds, whatever the data claims.
func inflate(dst, src []byte, c Compression) error {
	var r io.ReadCloser
	if c == LZW {
		r = lzw.NewReader(bytes.NewReader(src), lzw.MSB, 8)
	} else {
		var err error
		if r, err = zlib.NewReader(bytes.NewReader(src)); err != nil {
			return fmt.Errorf("%v data: %w; the file is damaged", c, err)
		}
	}
	defer r.Close()
	if n, err := io.ReadFull(r, dst); err != nil {
		return fmt.Errorf("%v data ends after %d of %d bytes (%v); the file is truncated or damaged", c, n, len(dst), err)
	}
	return nil
}

// unpackBits decodes PackBits data into dst, which it fills exactly.
func unpackBits(dst, src []byte) error {
	j := 0
	for i := 0; j < len(dst); {
		if i >= len(src) {
			return fmt.Errorf("PackBits data ends after %d of %d bytes; the file is truncated", j, len(dst))
		}
		n := int(int8(src[i]))
		i++
		switch {
		case n >= 0:
			if i+n+1 > len(src) || j+n+1 > len(dst) {
				return fmt.Errorf("PackBits literal of %d bytes overruns the data; the file is damaged", n+1)
			}
			copy(dst[j:], src[i:i+n+1])
			i += n + 1
			j += n + 1
		case n == -128:
			// no operation
		default:
			if i >= len(src) || j-n+1 > len(dst) {
				return fmt.Errorf("PackBits run of %d bytes overruns the data; the file is damaged", -n+1)
			}
			b := src[i]
			i++
			for k := 0; k < -n+1; k++ {
				dst[j+k] = b
			}
			j += -n + 1
		}
	}
	return nil
}

func reverseBits(b []byte) {
	for i, c := range b {
		b[i] = bits.Reverse8(c)
	}
}

func reversed(b []byte) []byte {
	c := make([]byte, len(b))
	for i, v := range b {
		c[i] = bits.Reverse8(v)
	}
	return c
}

// invert swaps black and white, keeping the padding bits of each row clear.
func invert(p *page.Page) {
	for i := range p.Bits {
		p.Bits[i] = ^p.Bits[i]
	}
	clearPadding(p)
}

func clearPadding(p *page.Page) {
	if p.Width&7 == 0 {
		return
	}
	mask := byte(0xff << uint(8-p.Width&7))
	for y := 0; y < p.Height; y++ {
		p.Bits[(y+1)*p.Stride-1] &= mask
	}
}
