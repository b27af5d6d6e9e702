// Package pdf writes fax pages as PDF. Coded fax data (MH, MR or MMR) is
// wrapped as is in an image with the CCITTFaxDecode filter, so a received
// fax becomes a PDF without being decoded and coded again, and the PDF is
// hardly larger than the fax data. Each page is drawn at its physical size,
// so non-square fax resolutions show with the right aspect.
package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4"
	"github.com/faxhaven/faxhaven/fax/tiff"
)

// Fixed object numbers; each page then takes three objects: the page, its
// content stream and its image.
const (
	objCatalog = 1
	objPages   = 2
	objInfo    = 3
	objFirst   = 4
)

// A Writer writes a PDF document page by page. Call Close to finish it.
type Writer struct {
	w       io.Writer
	n       int64   // bytes written
	offsets []int64 // offsets[i] is where object i+1 starts
	pages   int
	err     error
	closed  bool
}

// NewWriter starts a PDF document on w.
func NewWriter(w io.Writer) *Writer {
	pw := &Writer{w: w, offsets: make([]int64, objFirst-1)}
	// The comment of high bytes marks the file as binary for transfer tools.
	pw.printf("%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n")
	return pw
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.w.Write(b)
	w.n += int64(n)
	if err != nil {
		w.err = fmt.Errorf("pdf: write: %w", err)
	}
}

func (w *Writer) printf(format string, args ...any) {
	w.write(fmt.Appendf(nil, format, args...))
}

// startObj records the offset of object num and writes its header.
func (w *Writer) startObj(num int) {
	for len(w.offsets) < num {
		w.offsets = append(w.offsets, 0)
	}
	w.offsets[num-1] = w.n
	w.printf("%d 0 obj\n", num)
}

// WritePage codes p as MMR and adds it as the next page.
func (w *Writer) WritePage(p *page.Page) error {
	c, err := t4.Encode(p, t4.Options{Format: t4.MMR, EndOfPage: true})
	if err != nil {
		return fmt.Errorf("pdf: page %d: %w", w.pages+1, err)
	}
	return w.WriteCoded(c)
}

// WriteCoded adds a coded page as the next page, wrapping its data as is.
// Data coded LSB first is bit-reversed. A page whose Stats report bad rows
// is decoded and coded afresh, so that the PDF shows the rows as our
// decoder repaired them rather than as each viewer guesses.
func (w *Writer) WriteCoded(c *t4.CodedPage) error {
	if w.closed {
		return errors.New("pdf: WriteCoded after Close")
	}
	if w.err != nil {
		return w.err
	}
	num := w.pages + 1
	if c.Width < 1 || c.Width > page.MaxWidth || c.Height < 1 || c.Height > page.MaxHeight {
		return fmt.Errorf("pdf: page %d: size %dx%d is empty or exceeds the page limit", num, c.Width, c.Height)
	}
	o := c.Options
	data := c.Data
	if c.Stats != nil && c.Stats.BadRows > 0 || o.Format == t4.MH && !o.EOL && !o.AlignRows {
		p, _, err := c.Decode()
		if err != nil {
			return fmt.Errorf("pdf: page %d: %w", num, err)
		}
		return w.WritePage(p)
	}
	if o.LSBFirst {
		data = make([]byte, len(c.Data))
		for i, b := range c.Data {
			data[i] = bits.Reverse8(b)
		}
	}
	var parms []byte
	switch o.Format {
	case t4.MMR:
		parms = append(parms, "/K -1"...)
	case t4.MH:
		parms = append(parms, "/K 0"...)
	case t4.MR:
		// Decoders read the tag bits; K only needs to be positive and at
		// least the real one.
		k := o.K
		if k <= 0 {
			k = page.MaxHeight
		}
		parms = fmt.Appendf(parms, "/K %d", k)
	default:
		return fmt.Errorf("pdf: page %d: unknown coding %v", num, o.Format)
	}
	if o.Format != t4.MMR && o.EOL {
		parms = append(parms, " /EndOfLine true"...)
	}
	if o.AlignRows {
		parms = append(parms, " /EncodedByteAlign true"...)
	}
	parms = fmt.Appendf(parms, " /Columns %d /Rows %d /EndOfBlock false", c.Width, c.Height)

	res := c.Res
	if !(res.X > 0 && res.Y > 0) {
		res = page.Fine
	}
	wPt := float64(c.Width) * 72 / res.X
	hPt := float64(c.Height) * 72 / res.Y
	base := objFirst + 3*w.pages
	w.startObj(base)
	w.printf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>\nendobj\n",
		objPages, num4(wPt), num4(hPt), base+2, base+1)
	content := fmt.Appendf(nil, "q %s 0 0 %s 0 0 cm /Im0 Do Q\n", num4(wPt), num4(hPt))
	w.startObj(base + 1)
	w.printf("<< /Length %d >>\nstream\n", len(content))
	w.write(content)
	w.printf("endstream\nendobj\n")
	// An image mask (0 paints black, which is what CCITTFaxDecode yields
	// for black by default) rather than a DeviceGray image: Poppler smooths
	// 1-bit grey images even at 1:1 scale, but draws masks pixel-exact.
	w.startObj(base + 2)
	w.printf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ImageMask true /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << %s >> /Length %d >>\nstream\n",
		c.Width, c.Height, parms, len(data))
	w.write(data)
	w.printf("\nendstream\nendobj\n")
	w.pages++
	return w.err
}

// num4 formats a length in points with up to four decimals, rounded down:
// renderers size the page in pixels by rounding up, and a page a fraction
// of a point too large would gain a row or column of pixels and shift the
// image by one.
func num4(v float64) string {
	v = math.Floor(v*1e4+1e-6) / 1e4
	s := strconv.FormatFloat(v, 'f', 4, 64)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// Close writes the page tree, the document information, the cross-reference
// table and the trailer. It does not close the underlying io.Writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.pages == 0 {
		return errors.New("pdf: no pages to write; a PDF document needs at least one")
	}
	w.startObj(objPages)
	w.printf("<< /Type /Pages /Count %d /Kids [", w.pages)
	for i := range w.pages {
		if i > 0 {
			w.printf(" ")
		}
		w.printf("%d 0 R", objFirst+3*i)
	}
	w.printf("] >>\nendobj\n")
	w.startObj(objCatalog)
	w.printf("<< /Type /Catalog /Pages %d 0 R >>\nendobj\n", objPages)
	w.startObj(objInfo)
	w.printf("<< /Producer (Faxhaven) >>\nendobj\n")

	xref := w.n
	var b bytes.Buffer
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets)+1)
	for _, off := range w.offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(w.offsets)+1, objCatalog, objInfo, xref)
	w.write(b.Bytes())
	return w.err
}

// FromTIFF turns a TIFF file, typically a received fax, into a PDF. CCITT
// coded pages are wrapped without decoding; other bilevel pages are coded
// as MMR.
func FromTIFF(data []byte, opts *tiff.ReadOptions) ([]byte, error) {
	var buf bytes.Buffer
	// The PDF is the coded data plus a few hundred bytes per page.
	buf.Grow(len(data) + 4096)
	if err := WriteFromTIFF(&buf, data, opts); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteFromTIFF is FromTIFF writing to w, for example straight to storage.
// Every page is read and checked before the first byte is written, so a
// file the TIFF reader rejects leaves w untouched.
func WriteFromTIFF(w io.Writer, data []byte, opts *tiff.ReadOptions) error {
	r, err := tiff.Open(data, opts)
	if err != nil {
		return err
	}
	pages := make([]*t4.CodedPage, r.NumPages())
	for i := range pages {
		if pages[i], err = r.Coded(i); err != nil {
			return err
		}
	}
	pw := NewWriter(w)
	for _, c := range pages {
		if err := pw.WriteCoded(c); err != nil {
			return err
		}
	}
	return pw.Close()
}
