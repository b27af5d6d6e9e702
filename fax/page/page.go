// Package page defines the fax page: a bilevel bitmap together with the
// resolution it was scanned or rendered at.
//
// A Page is the unit the rest of the fax stack exchanges. Documents are turned
// into Pages, Pages are coded row by row by fax/t4, stored in TIFF Class F by
// fax/tiff and wrapped in PDF by fax/pdf.
package page

import (
	"errors"
	"fmt"
)

// Standard fax page widths in pixels at 8 pixels per millimetre (204 dpi).
const (
	WidthA4 = 1728 // A4 and Letter
	WidthB4 = 2048
	WidthA3 = 2432
)

// Resolution is the scan density of a page in dots per inch.
type Resolution struct {
	X, Y float64
}

// The resolutions of Group 3 fax. The "dpi" names follow common usage; T.30
// defines the metric ones as 8 pels/mm horizontally and 3.85, 7.7 or 15.4
// lines/mm vertically.
var (
	Standard  = Resolution{204, 98}
	Fine      = Resolution{204, 196}
	Superfine = Resolution{204, 391}
	R300      = Resolution{300, 300}
	R400      = Resolution{408, 391} // 16 pels/mm x 15.4 lines/mm
	R300x600  = Resolution{300, 600}
	R400x800  = Resolution{400, 800}
)

// String names a resolution in the words users see.
func (r Resolution) String() string {
	switch r {
	case Standard:
		return "standard"
	case Fine:
		return "fine"
	case Superfine:
		return "superfine"
	}
	return fmt.Sprintf("%gx%g", r.X, r.Y)
}

// ParseResolution reads "standard", "fine" or "superfine".
func ParseResolution(s string) (Resolution, error) {
	switch s {
	case "standard":
		return Standard, nil
	case "fine":
		return Fine, nil
	case "superfine":
		return Superfine, nil
	}
	return Resolution{}, fmt.Errorf("page: unknown resolution %q (want standard, fine or superfine)", s)
}

// MaxWidth and MaxHeight bound the size of a page any decoder in the fax stack
// will allocate, so a small hostile file cannot claim a huge bitmap. A3 at
// 400 dpi is 4864 pixels wide; a very long page at 800 lines per inch is well
// under the height limit.
const (
	MaxWidth  = 8192
	MaxHeight = 65536
)

// ErrTooLarge reports a page whose dimensions exceed MaxWidth or MaxHeight.
var ErrTooLarge = errors.New("page: dimensions exceed the fax page limit")

// Page is a bilevel bitmap. Bits holds Height rows of Stride bytes; within a
// byte the most significant bit is the leftmost pixel; a set bit is black.
// Bits past Width in the last byte of a row are zero.
type Page struct {
	Width, Height int
	Stride        int
	Res           Resolution
	Bits          []byte
}

// New returns a white page of the given size.
func New(width, height int, res Resolution) (*Page, error) {
	if width <= 0 || height < 0 {
		return nil, fmt.Errorf("page: invalid size %dx%d", width, height)
	}
	if width > MaxWidth || height > MaxHeight {
		return nil, fmt.Errorf("%w: %dx%d", ErrTooLarge, width, height)
	}
	stride := (width + 7) / 8
	return &Page{Width: width, Height: height, Stride: stride, Res: res, Bits: make([]byte, stride*height)}, nil
}

// Row returns row y as a slice of Stride bytes sharing the page's storage.
func (p *Page) Row(y int) []byte {
	return p.Bits[y*p.Stride : (y+1)*p.Stride]
}

// Black reports whether the pixel at (x, y) is black.
func (p *Page) Black(x, y int) bool {
	return p.Bits[y*p.Stride+x/8]&(0x80>>(x%8)) != 0
}

// Set paints the pixel at (x, y) black or white.
func (p *Page) Set(x, y int, black bool) {
	i := y*p.Stride + x/8
	m := byte(0x80 >> (x % 8))
	if black {
		p.Bits[i] |= m
	} else {
		p.Bits[i] &^= m
	}
}

// Equal reports whether two pages have the same size and pixels. Resolution
// is not compared.
func (p *Page) Equal(q *Page) bool {
	if p.Width != q.Width || p.Height != q.Height {
		return false
	}
	for y := 0; y < p.Height; y++ {
		a, b := p.Row(y), q.Row(y)
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
	}
	return true
}

// WidthMM is the physical width of the page in millimetres.
func (p *Page) WidthMM() float64 { return float64(p.Width) / p.Res.X * 25.4 }

// HeightMM is the physical height of the page in millimetres.
func (p *Page) HeightMM() float64 { return float64(p.Height) / p.Res.Y * 25.4 }
