package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
)

// DefaultHeaderTemplate is the header line most fax machines print.
const DefaultHeaderTemplate = "{date} {time}  From: {from}  {name}  Page {page}/{pages}"

// HeaderLine is the line printed across the top of every sent page.
//
// Template holds text with fields in braces: {date} (2006-01-02), {time}
// (15:04), {from}, {to}, {name}, {page} and {pages}. Unknown fields are left
// as they are. An empty Template means DefaultHeaderTemplate.
//
// The header is drawn over the top strip of the page (HeaderRows tall),
// which is cleared to white first, the way fax machines print it: the page
// keeps its size and the rest of the content stays where it was. Documents
// rendered by this package leave that strip blank (text pages have a 15 mm
// top margin; most PDFs have one of their own).
type HeaderLine struct {
	Template string
	Time     time.Time
	From     string // the sender's number or ID
	To       string // the recipient's number
	Name     string // the sender's name or brand
	Page     int    // this page, from 1
	Pages    int    // pages in the whole fax
}

// Text expands the template.
func (h HeaderLine) Text() string {
	t := h.Template
	if t == "" {
		t = DefaultHeaderTemplate
	}
	r := strings.NewReplacer(
		"{date}", h.Time.Format("2006-01-02"),
		"{time}", h.Time.Format("15:04"),
		"{from}", h.From,
		"{to}", h.To,
		"{name}", h.Name,
		"{page}", strconv.Itoa(h.Page),
		"{pages}", strconv.Itoa(h.Pages),
	)
	return r.Replace(t)
}

// Header type size and placement.
const (
	headerPoints   = 9
	headerMarginMM = 5
)

// HeaderRows is the height in rows of the strip a header line takes at
// resolution res.
func HeaderRows(res page.Resolution) int {
	fc, err := getFace(fontRegular, headerPoints, res)
	if err != nil {
		return 0
	}
	return headerRows(fc, res)
}

func headerRows(fc *face, res page.Resolution) int {
	return fc.ascent + fc.descent + 2*mmToPx(1, res.Y)
}

// Header draws h's text across the top of p. Text that does not fit the
// line is cut off at the right margin.
func Header(p *page.Page, h HeaderLine) error {
	if p == nil {
		return fmt.Errorf("render: header: no page")
	}
	if p.Res.X <= 0 || p.Res.Y <= 0 {
		return fmt.Errorf("render: header: page has no resolution")
	}
	fc, err := getFace(fontRegular, headerPoints, p.Res)
	if err != nil {
		return err
	}
	rows := min(headerRows(fc, p.Res), p.Height)
	clear(p.Bits[:rows*p.Stride])
	margin := mmToPx(headerMarginMM, p.Res.X)
	text := fitWidth(fc, h.Text(), p.Width-2*margin)
	fc.drawString(p, margin, mmToPx(1, p.Res.Y)+fc.ascent, text)
	// Bits past the width must stay zero; a clipped glyph never sets them,
	// but make it certain for the codecs.
	clearTail(p, rows)
	return nil
}

// Headers draws the header on every page, numbering them 1..len(pages).
func Headers(pages []*page.Page, h HeaderLine) error {
	h.Pages = len(pages)
	for i, p := range pages {
		h.Page = i + 1
		if err := Header(p, h); err != nil {
			return fmt.Errorf("render: header on page %d: %w", i+1, err)
		}
	}
	return nil
}

// fitWidth cuts s so it is at most w pixels wide.
func fitWidth(fc *face, s string, w int) string {
	if fc.width(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && fc.width(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

// clearTail zeroes the padding bits past Width in the first rows of p.
func clearTail(p *page.Page, rows int) {
	if p.Width%8 == 0 {
		return
	}
	mask := byte(0xff) << (8 - p.Width%8)
	for y := 0; y < rows; y++ {
		p.Bits[y*p.Stride+p.Stride-1] &= mask
	}
}
