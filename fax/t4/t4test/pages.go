// Package t4test generates bilevel test pages that stress fax coders: text,
// halftone noise, checkerboards, very long runs and runs that end exactly on
// byte boundaries. The pages are deterministic for a given seed so that
// failures reproduce.
package t4test

import (
	"fmt"
	"math/rand/v2"

	"github.com/faxhaven/faxhaven/fax/page"
)

// A Generator paints a test pattern on a white page.
type Generator struct {
	Name  string
	Paint func(p *page.Page, rng *rand.Rand)
}

// Generators lists every pattern, hardest cases included.
var Generators = []Generator{
	{"white", func(*page.Page, *rand.Rand) {}},
	{"black", paintBlack},
	{"dot", paintDot},
	{"text", PaintText},
	{"halftone", PaintHalftone},
	{"checker", paintChecker},
	{"stripes", paintStripes},
	{"longruns", paintLongRuns},
	{"bytebounds", paintByteBounds},
	{"edges", paintEdges},
}

// Page returns a page of the given size painted by the named generator.
func Page(name string, width, height int, seed uint64) (*page.Page, error) {
	for _, g := range Generators {
		if g.Name == name {
			p, err := page.New(width, height, page.Fine)
			if err != nil {
				return nil, err
			}
			g.Paint(p, rand.New(rand.NewPCG(seed, uint64(width))))
			return p, nil
		}
	}
	return nil, fmt.Errorf("t4test: no generator %q", name)
}

// Fill paints pixels x0..x1-1 of row y black.
func Fill(p *page.Page, y, x0, x1 int) {
	for x := max(x0, 0); x < min(x1, p.Width); x++ {
		p.Set(x, y, true)
	}
}

func paintBlack(p *page.Page, _ *rand.Rand) {
	for y := 0; y < p.Height; y++ {
		Fill(p, y, 0, p.Width)
	}
}

func paintDot(p *page.Page, _ *rand.Rand) {
	p.Set(p.Width/2, p.Height/2, true)
}

// PaintText draws rows of random glyph-like blocks separated by white
// lines, the statistics of a typed page.
func PaintText(p *page.Page, rng *rand.Rand) {
	const lineH, glyphW = 24, 14
	for top := 8; top+lineH < p.Height; top += lineH + 12 {
		x := 20 + rng.IntN(40)
		for x+glyphW < p.Width-20 {
			if rng.IntN(7) == 0 {
				x += glyphW // a space
				continue
			}
			// A glyph: a few vertical and horizontal strokes.
			for s := 0; s < 3; s++ {
				if rng.IntN(2) == 0 {
					sx := x + rng.IntN(glyphW-2)
					for y := top + rng.IntN(6); y < top+lineH-rng.IntN(6); y++ {
						Fill(p, y, sx, sx+2)
					}
				} else {
					sy := top + rng.IntN(lineH-2)
					for y := sy; y < sy+2; y++ {
						Fill(p, y, x+rng.IntN(4), x+glyphW-rng.IntN(4))
					}
				}
			}
			x += glyphW + 2
		}
	}
}

// PaintHalftone fills the page with an ordered dither of a smooth gradient
// plus noise, like a scanned photograph.
func PaintHalftone(p *page.Page, rng *rand.Rand) {
	bayer := [4][4]int{{0, 8, 2, 10}, {12, 4, 14, 6}, {3, 11, 1, 9}, {15, 7, 13, 5}}
	for y := 0; y < p.Height; y++ {
		for x := 0; x < p.Width; x++ {
			level := (x*16/max(p.Width, 1) + y*16/max(p.Height, 1)) / 2
			level += rng.IntN(5) - 2
			if level > bayer[y&3][x&3] {
				p.Set(x, y, true)
			}
		}
	}
}

func paintChecker(p *page.Page, _ *rand.Rand) {
	for y := 0; y < p.Height; y++ {
		for x := y & 1; x < p.Width; x += 2 {
			p.Set(x, y, true)
		}
	}
}

// paintStripes draws vertical stripes whose width changes every row, so
// that every vertical, pass and horizontal mode occurs.
func paintStripes(p *page.Page, rng *rand.Rand) {
	for y := 0; y < p.Height; y++ {
		x := rng.IntN(8)
		for x < p.Width {
			w := 1 + rng.IntN(12)
			Fill(p, y, x, x+w)
			x += w + 1 + rng.IntN(12)
		}
	}
}

// paintLongRuns makes runs longer than 2560 (and exactly 2560, 2561, 64,
// 63) where the width allows it.
func paintLongRuns(p *page.Page, _ *rand.Rand) {
	lengths := []int{2560, 2561, 64, 63, 1728, 5000, 1, 2624, 127}
	for y := 0; y < p.Height; y++ {
		x, black := 0, y%3 == 0
		for i := y; x < p.Width; i++ {
			n := lengths[i%len(lengths)]
			if black {
				Fill(p, y, x, x+n)
			}
			x += n
			black = !black
		}
	}
}

// paintByteBounds draws runs that start and end on byte and word
// boundaries, and just before and after them.
func paintByteBounds(p *page.Page, _ *rand.Rand) {
	for y := 0; y < p.Height; y++ {
		off := y%3 - 1
		for x := 8; x < p.Width; x += 64 {
			Fill(p, y, x+off, x+8+off*(y%2))
			Fill(p, y, x+16, x+48+off)
		}
	}
}

// paintEdges blackens the first and last pixel of every row and a run that
// ends exactly at the right edge every other row.
func paintEdges(p *page.Page, _ *rand.Rand) {
	for y := 0; y < p.Height; y++ {
		p.Set(0, y, true)
		p.Set(p.Width-1, y, true)
		if y%2 == 0 {
			Fill(p, y, p.Width-p.Width/3-1, p.Width)
		}
	}
}
