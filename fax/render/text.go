package render

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/faxhaven/faxhaven/fax/page"
)

// Text layout, in points and millimetres as a typist would set them.
const (
	textPoints     = 10 // Go Mono at 10 pt: about 89 columns across the fax line
	textTabWidth   = 8
	marginLeftMM   = 15
	marginRightMM  = 10
	marginTopMM    = 15 // leaves the header strip free
	marginBottomMM = 10
)

// cp1252 holds the letters and punctuation Windows puts at 0x80-0x9f, where
// Latin-1 has control codes nobody types. Zero means no character.
var cp1252 = [32]rune{
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
}

// decodeText returns data as a string: UTF-16 if it starts with a UTF-16
// byte order mark, UTF-8 if it is valid UTF-8, otherwise read as Latin-1
// (with the Windows letters at 0x80-0x9f), which is what older systems in
// Western Europe write.
func decodeText(data []byte) string {
	if isUTF16(data) {
		var order binary.ByteOrder = binary.LittleEndian
		if data[0] == 0xfe {
			order = binary.BigEndian
		}
		units := make([]uint16, 0, len(data)/2-1)
		for i := 2; i+1 < len(data); i += 2 {
			units = append(units, order.Uint16(data[i:]))
		}
		return string(utf16.Decode(units))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return string(data)
	}
	var b strings.Builder
	b.Grow(len(data) * 2)
	for _, c := range data {
		switch {
		case c >= 0x80 && c < 0xa0:
			if r := cp1252[c-0x80]; r != 0 {
				b.WriteRune(r)
			}
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

// layoutText breaks text into pages of at most rows lines of at most cols
// columns: form feeds start a page, tabs go to the next multiple of eight,
// long lines wrap at spaces (or mid-word when a word is longer than a line).
// It stops with an error past maxPages.
func layoutText(text string, cols, rows, maxPages int) ([][]string, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	var pages [][]string
	for _, chunk := range strings.Split(text, "\f") {
		var cur []string
		for _, line := range strings.Split(chunk, "\n") {
			for _, l := range wrapLine(expandTabs(line), cols) {
				if len(cur) == rows {
					pages = append(pages, cur)
					cur = nil
					if len(pages) > maxPages {
						return nil, fmt.Errorf("%w: the text runs past %d pages", ErrTooManyPages, maxPages)
					}
				}
				cur = append(cur, l)
			}
		}
		pages = append(pages, cur)
		if len(pages) > maxPages {
			return nil, fmt.Errorf("%w: the text runs past %d pages", ErrTooManyPages, maxPages)
		}
	}
	// A form feed at the very end ends the last page; it does not begin an
	// empty one.
	if n := len(pages); n > 1 && isBlank(pages[n-1]) {
		pages = pages[:n-1]
	}
	return pages, nil
}

func isBlank(lines []string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			return false
		}
	}
	return true
}

// expandTabs replaces tabs with spaces to the next tab stop and drops other
// control characters, which have no glyph.
func expandTabs(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	col := 0
	for _, r := range s {
		switch {
		case r == '\t':
			n := textTabWidth - col%textTabWidth
			b.WriteString(strings.Repeat(" ", n))
			col += n
		case unicode.IsControl(r):
		default:
			b.WriteRune(r)
			col++
		}
	}
	return b.String()
}

// wrapLine splits a line into pieces of at most cols runes, breaking after
// the last space that fits.
func wrapLine(s string, cols int) []string {
	rs := []rune(s)
	if len(rs) <= cols {
		return []string{s}
	}
	var out []string
	for len(rs) > cols {
		cut := -1
		for i := cols; i > 0; i-- {
			if rs[i] == ' ' {
				cut = i
				break
			}
		}
		if cut <= 0 {
			out = append(out, string(rs[:cols]))
			rs = rs[cols:]
			continue
		}
		out = append(out, strings.TrimRight(string(rs[:cut]), " "))
		rs = rs[cut:]
		// The space that broke the line is not carried to the next one.
		for len(rs) > 0 && rs[0] == ' ' {
			rs = rs[1:]
		}
	}
	if len(rs) > 0 || len(out) == 0 {
		out = append(out, string(rs))
	}
	return out
}

// mmToPx converts millimetres at density dpi.
func mmToPx(mm, dpi float64) int { return int(math.Round(mm / 25.4 * dpi)) }

// renderText sets plain text in Go Mono on as many pages as it needs.
func renderText(data []byte, opts Options) ([]*page.Page, error) {
	fc, err := getFace(fontMono, textPoints, opts.Resolution)
	if err != nil {
		return nil, err
	}
	W, H := opts.size()
	left := mmToPx(marginLeftMM, opts.Resolution.X)
	right := mmToPx(marginRightMM, opts.Resolution.X)
	top := mmToPx(marginTopMM, opts.Resolution.Y)
	bottom := mmToPx(marginBottomMM, opts.Resolution.Y)
	colWidth := fc.advance('0').Ceil()
	cols := (W - left - right) / colWidth
	rows := (H - top - bottom - fc.descent) / fc.lineHeight

	layout, err := layoutText(decodeText(data), cols, rows, opts.MaxPages)
	if err != nil {
		return nil, err
	}
	pages := make([]*page.Page, 0, len(layout))
	for _, lines := range layout {
		p, err := page.New(W, H, opts.Resolution)
		if err != nil {
			return nil, err
		}
		y := top + fc.ascent
		for _, l := range lines {
			fc.drawString(p, left, y, l)
			y += fc.lineHeight
		}
		pages = append(pages, p)
	}
	return pages, nil
}
