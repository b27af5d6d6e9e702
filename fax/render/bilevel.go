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

// bilevel turns a grey canvas into a fax page: Text thresholds every
// pixel, Photo dithers every pixel, and Auto decides tile by tile, so a
// page of text with a photograph on it keeps crisp letters and a
// readable picture.
func bilevel(g *image.Gray, mode Mode, res page.Resolution) (*page.Page, error) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	p, err := page.New(w, h, res)
	if err != nil {
		return nil, err
	}
	threshold(g, p)
	if mode == Text {
		return p, nil
	}
	tiles := photoTiles(g, mode == Photo)
	if tiles.any {
		dither(g, p, tiles)
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
			// Each pixel's top bit is 1 for light grey; gather them MSB
			// first and invert, so dark pixels become set bits.
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

// tileSize is the side of the squares Auto classifies, in pixels: a
// multiple of 8 so a tile's pixels fill whole bytes of a row.
const tileSize = 32

// tileMap marks the tiles to dither.
type tileMap struct {
	cols, rows int
	photo      []bool // cols*rows, row-major
	any        bool
}

// photoTiles marks the tiles that hold a picture: enough pixels of flat
// mid-grey. The edges of anti-aliased text are grey too, but an edge pixel
// sits between a dark and a light neighbour, so only grey pixels with
// similar neighbours count. With all set, every tile is marked.
func photoTiles(g *image.Gray, all bool) tileMap {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	t := tileMap{cols: (w + tileSize - 1) / tileSize, rows: (h + tileSize - 1) / tileSize}
	t.photo = make([]bool, t.cols*t.rows)
	if all {
		for i := range t.photo {
			t.photo[i] = true
		}
		t.any = len(t.photo) > 0
		return t
	}
	counts := make([]int, t.cols)
	for ty := 0; ty < t.rows; ty++ {
		clear(counts)
		// Every other row is plenty for a statistic and halves the cost.
		for y := ty * tileSize; y < min(h, (ty+1)*tileSize); y += 2 {
			row := g.Pix[y*g.Stride : y*g.Stride+w]
			for x := 1; x < w-1; x++ {
				v := row[x]
				if v < 48 || v > 208 {
					continue
				}
				if absDiff(v, row[x-1]) < 24 && absDiff(v, row[x+1]) < 24 {
					counts[x/tileSize]++
				}
			}
		}
		// A tenth of the sampled pixels in flat grey makes a picture.
		for tx, n := range counts {
			if n*10*2 > tileSize*tileSize {
				t.photo[ty*t.cols+tx] = true
				t.any = true
			}
		}
	}
	return t
}

// dither redraws the marked tiles as dot density with Floyd-Steinberg
// error diffusion, scanning alternate rows in opposite directions so the
// error does not drift into diagonal streaks. Error is not carried into
// unmarked tiles, which keep their thresholded pixels.
func dither(g *image.Gray, p *page.Page, t tileMap) {
	w := p.Width
	// Two error rows with a guard cell at each end.
	cur := make([]int32, w+2)
	next := make([]int32, w+2)
	for y := 0; y < p.Height; y++ {
		src := g.Pix[y*g.Stride : y*g.Stride+w]
		dst := p.Row(y)
		clear(next)
		marks := t.photo[(y/tileSize)*t.cols : (y/tileSize+1)*t.cols]
		for i, m := range marks {
			if !m {
				continue
			}
			// The tile's bytes start white; dots are set below.
			x0, x1 := i*tileSize, min(w, (i+1)*tileSize)
			clear(dst[x0>>3 : (x1+7)>>3])
		}
		if y&1 == 0 {
			for i, m := range marks {
				if !m {
					continue
				}
				for x := i * tileSize; x < min(w, (i+1)*tileSize); x++ {
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
			}
		} else {
			for i := len(marks) - 1; i >= 0; i-- {
				if !marks[i] {
					continue
				}
				for x := min(w, (i+1)*tileSize) - 1; x >= i*tileSize; x-- {
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
		}
		cur, next = next, cur
	}
}

func absDiff(a, b byte) byte {
	if a > b {
		return a - b
	}
	return b - a
}
