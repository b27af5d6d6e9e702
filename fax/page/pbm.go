package page

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

// WritePBM writes pages as raw PBM (P4) images, one after another. P4's bit
// order (1 is black, most significant bit first, rows padded to a byte) is
// the page's own, so the rows are written as they are.
func WritePBM(w io.Writer, pages []*Page) error {
	for _, p := range pages {
		if _, err := fmt.Fprintf(w, "P4\n%d %d\n", p.Width, p.Height); err != nil {
			return err
		}
		if _, err := w.Write(p.Bits[:p.Stride*p.Height]); err != nil {
			return err
		}
	}
	return nil
}

// ReadPBM reads one or more raw PBM (P4) images, one after another, as
// pages at resolution res. Header comments ("#" to the end of the line),
// as Ghostscript writes them, are skipped; sizes beyond the page limits
// are refused before anything is allocated.
func ReadPBM(data []byte, res Resolution) ([]*Page, error) {
	var pages []*Page
	i := 0
	for {
		i = skipSpace(data, i)
		if i == len(data) {
			if len(pages) == 0 {
				return nil, errors.New("page: PBM: no image")
			}
			return pages, nil
		}
		var fields [3]string
		for k := range fields {
			i = skipSpace(data, i)
			j := i
			for j < len(data) && !isSpace(data[j]) {
				j++
			}
			fields[k], i = string(data[i:j]), j
		}
		if fields[0] != "P4" {
			return nil, fmt.Errorf("page: PBM image %d: %q is not a raw PBM (P4)", len(pages)+1, fields[0])
		}
		w, errW := strconv.Atoi(fields[1])
		h, errH := strconv.Atoi(fields[2])
		if errW != nil || errH != nil {
			return nil, fmt.Errorf("page: PBM image %d: bad size %q x %q", len(pages)+1, fields[1], fields[2])
		}
		p, err := New(w, h, res)
		if err != nil {
			return nil, fmt.Errorf("page: PBM image %d: %w", len(pages)+1, err)
		}
		i++ // the one white-space byte that ends the header
		if len(data)-i < len(p.Bits) {
			return nil, fmt.Errorf("page: PBM image %d holds %d bytes of pixels, want %d", len(pages)+1, max(len(data)-i, 0), len(p.Bits))
		}
		copy(p.Bits, data[i:])
		i += len(p.Bits)
		if pad := w % 8; pad != 0 {
			for y := 0; y < h; y++ {
				p.Bits[(y+1)*p.Stride-1] &= byte(0xff << (8 - pad))
			}
		}
		pages = append(pages, p)
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// skipSpace skips white space and comments from data[i] on.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch {
		case isSpace(data[i]):
			i++
		case data[i] == '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}
