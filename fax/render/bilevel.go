package render

import (
	"image"

	"github.com/faxhaven/faxhaven/fax/page"
)

// newCanvas returns a white 8-bit grey canvas of w x h pixels.
func newCanvas(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 0xff
	}
	return g
}

// bilevel turns a grey canvas into a fax page, by threshold or dithering as
// mode says (Auto decides from the canvas itself).
func bilevel(g *image.Gray, mode Mode, res page.Resolution) (*page.Page, error) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	p, err := page.New(w, h, res)
	if err != nil {
		return nil, err
	}
	if mode == Auto {
		mode = pickMode(g)
	}
	if mode == Photo {
		dither(g, p)
	} else {
		threshold(g, p)
	}
	return p, nil
}

// threshold sets every pixel darker than mid-grey black.
func threshold(g *image.Gray, p *page.Page) {
	w := p.Width
	for y := 0; y < p.Height; y++ {
		src := g.Pix[y*g.Stride : y*g.Stride+w]
		dst := p.Row(y)
		x := 0
		for ; x+8 <= w; x += 8 {
			s := src[x : x+8 : x+8]
			var b byte
			// Each comparison becomes the pixel's bit, MSB first.
			b |= (s[0] >> 7) << 7
			b |= (s[1] >> 7) << 6
			b |= (s[2] >> 7) << 5
			b |= (s[3] >> 7) << 4
			b |= (s[4] >> 7) << 3
			b |= (s[5] >> 7) << 2
			b |= (s[6] >> 7) << 1
			b |= s[7] >> 7
			dst[x>>3] = ^b
		}
		if x < w {
			var b byte
			for i := 0; x+i < w; i++ {
				if src[x+i] < 0x80 {
					b |= 0x80 >> i
				}
			}
			dst[x>>3] = b
		}
	}
}

// dither renders grey as dot density with Floyd-Steinberg error diffusion,
// scanning alternate rows in opposite directions so the error does not
// drift into diagonal streaks.
func dither(g *image.Gray, p *page.Page) {
	w := p.Width
	// Two error rows with a guard cell at each end.
	cur := make([]int32, w+2)
	next := make([]int32, w+2)
	for y := 0; y < p.Height; y++ {
		src := g.Pix[y*g.Stride : y*g.Stride+w]
		dst := p.Row(y)
		for i := range next {
			next[i] = 0
		}
		if y&1 == 0 {
			for x := 0; x < w; x++ {
				v := int32(src[x]) + cur[x+1]>>4
				e := v
				if v < 128 {
					dst[x>>3] |= 0x80 >> (x & 7)
				} else {
					e = v - 255
				}
				cur[x+2] += e * 7
				next[x] += e * 3
				next[x+1] += e * 5
				next[x+2] += e
			}
		} else {
			for x := w - 1; x >= 0; x-- {
				v := int32(src[x]) + cur[x+1]>>4
				e := v
				if v < 128 {
					dst[x>>3] |= 0x80 >> (x & 7)
				} else {
					e = v - 255
				}
				cur[x] += e * 7
				next[x+2] += e * 3
				next[x+1] += e * 5
				next[x] += e
			}
		}
		cur, next = next, cur
	}
}

// pickMode chooses Photo when a page has areas of flat mid-grey, the mark
// of a photograph or a shaded picture, and Text otherwise. The edges of
// anti-aliased text are grey too, but a grey edge pixel sits between a dark
// and a light neighbour, so only runs of similar grey pixels are counted.
func pickMode(g *image.Gray) Mode {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w < 3 {
		return Text
	}
	var flat, total int
	// Every other row is plenty for a statistic and halves the cost.
	for y := 0; y < h; y += 2 {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		for x := 1; x < w-1; x++ {
			v := row[x]
			if v < 48 || v > 208 {
				continue
			}
			l, r := row[x-1], row[x+1]
			if absDiff(v, l) < 24 && absDiff(v, r) < 24 {
				flat++
			}
		}
		total += w
	}
	// One percent of the page in flat grey is a picture, not text.
	if flat*100 > total {
		return Photo
	}
	return Text
}

func absDiff(a, b byte) byte {
	if a > b {
		return a - b
	}
	return b - a
}
