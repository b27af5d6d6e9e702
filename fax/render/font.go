package render

import (
	"fmt"
	"image"
	"math"
	"sync"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/faxhaven/faxhaven/fax/page"
)

// The embedded Go fonts (BSD licence), parsed on first use.
var fonts struct {
	once                          sync.Once
	mono, monoBold, regular, bold *sfnt.Font
	err                           error
}

type fontID int

const (
	fontMono fontID = iota
	fontMonoBold
	fontRegular
	fontBold
)

func loadFont(id fontID) (*sfnt.Font, error) {
	fonts.once.Do(func() {
		parse := func(b []byte) *sfnt.Font {
			f, err := sfnt.Parse(b)
			if err != nil && fonts.err == nil {
				fonts.err = fmt.Errorf("render: embedded font: %w", err)
			}
			return f
		}
		fonts.mono = parse(gomono.TTF)
		fonts.monoBold = parse(gomonobold.TTF)
		fonts.regular = parse(goregular.TTF)
		fonts.bold = parse(gobold.TTF)
	})
	if fonts.err != nil {
		return nil, fonts.err
	}
	return [...]*sfnt.Font{fonts.mono, fonts.monoBold, fonts.regular, fonts.bold}[id], nil
}

// glyph is one rasterised glyph: a coverage mask whose top-left corner sits
// at (dx, dy) from the pen position on the baseline.
type glyph struct {
	mask   *image.Alpha
	dx, dy int
}

// face draws one font at one size for one fax resolution. Glyph outlines
// are scaled by the horizontal density across and the vertical density
// down, so letters keep their shape on non-square fax pixels. It is safe
// for concurrent use.
type face struct {
	f      *sfnt.Font
	ppem   fixed.Int26_6 // pixels per em across
	yscale float64       // rows per pixel-width: yres / xres

	// Line metrics in rows (vertical) of the target resolution.
	ascent, descent, lineHeight int

	mu     sync.Mutex
	buf    sfnt.Buffer
	glyphs map[rune]*glyph
	adv    map[rune]fixed.Int26_6
}

type faceKey struct {
	id  fontID
	pt  float64
	res page.Resolution
}

var faces = struct {
	sync.Mutex
	m map[faceKey]*face
}{m: map[faceKey]*face{}}

// getFace returns the shared face for font id at pt points for res.
func getFace(id fontID, pt float64, res page.Resolution) (*face, error) {
	k := faceKey{id, pt, res}
	faces.Lock()
	defer faces.Unlock()
	if fc := faces.m[k]; fc != nil {
		return fc, nil
	}
	f, err := loadFont(id)
	if err != nil {
		return nil, err
	}
	ppem := pt / 72 * res.X
	fc := &face{
		f:      f,
		ppem:   fixed.Int26_6(math.Round(ppem * 64)),
		yscale: res.Y / res.X,
		glyphs: map[rune]*glyph{},
		adv:    map[rune]fixed.Int26_6{},
	}
	m, err := f.Metrics(&fc.buf, fc.ppem, 0)
	if err != nil {
		return nil, fmt.Errorf("render: font metrics: %w", err)
	}
	fc.ascent = int(math.Ceil(float64(m.Ascent) / 64 * fc.yscale))
	fc.descent = int(math.Ceil(float64(m.Descent) / 64 * fc.yscale))
	// 1.2 em leading reads well and leaves room for accents.
	fc.lineHeight = int(math.Round(ppem * 1.2 * fc.yscale))
	faces.m[k] = fc
	return fc, nil
}

// advance is the pen movement for r, in 26.6 pixels.
func (fc *face) advance(r rune) fixed.Int26_6 {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if a, ok := fc.adv[r]; ok {
		return a
	}
	idx, err := fc.f.GlyphIndex(&fc.buf, r)
	var a fixed.Int26_6
	if err == nil {
		a, err = fc.f.GlyphAdvance(&fc.buf, idx, fc.ppem, 0)
		if err != nil {
			a = 0
		}
	}
	fc.adv[r] = a
	return a
}

// glyph returns the mask for r, or nil for a blank glyph.
func (fc *face) glyph(r rune) *glyph {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if g, ok := fc.glyphs[r]; ok {
		return g
	}
	g := fc.rasterize(r)
	fc.glyphs[r] = g
	return g
}

// rasterize draws r's outline (or the font's missing-glyph box) with y
// stretched by yscale. The caller holds fc.mu.
func (fc *face) rasterize(r rune) *glyph {
	idx, err := fc.f.GlyphIndex(&fc.buf, r)
	if err != nil {
		return nil
	}
	segs, err := fc.f.LoadGlyph(&fc.buf, idx, fc.ppem, nil)
	if err != nil || len(segs) == 0 {
		return nil
	}
	// Bounds of the control points, y already scaled.
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, s := range segs {
		for _, p := range s.Args[:argCount(s.Op)] {
			x, y := float64(p.X)/64, float64(p.Y)/64*fc.yscale
			minX, maxX = math.Min(minX, x), math.Max(maxX, x)
			minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		}
	}
	x0, y0 := int(math.Floor(minX)), int(math.Floor(minY))
	w, h := int(math.Ceil(maxX))-x0, int(math.Ceil(maxY))-y0
	if w <= 0 || h <= 0 || w > 4096 || h > 4096 {
		return nil
	}
	z := vector.NewRasterizer(w, h)
	pt := func(p fixed.Point26_6) (float32, float32) {
		return float32(float64(p.X)/64 - float64(x0)), float32(float64(p.Y)/64*fc.yscale - float64(y0))
	}
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			z.MoveTo(pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			z.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			ax, ay := pt(s.Args[0])
			bx, by := pt(s.Args[1])
			z.QuadTo(ax, ay, bx, by)
		case sfnt.SegmentOpCubeTo:
			ax, ay := pt(s.Args[0])
			bx, by := pt(s.Args[1])
			cx, cy := pt(s.Args[2])
			z.CubeTo(ax, ay, bx, by, cx, cy)
		}
	}
	z.ClosePath()
	mask := image.NewAlpha(image.Rect(0, 0, w, h))
	z.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})
	return &glyph{mask: mask, dx: x0, dy: y0}
}

func argCount(op sfnt.SegmentOp) int {
	switch op {
	case sfnt.SegmentOpQuadTo:
		return 2
	case sfnt.SegmentOpCubeTo:
		return 3
	}
	return 1
}

// inkLevel is the coverage from which a glyph pixel is black. A little
// under half keeps thin strokes of small type from breaking up.
const inkLevel = 0x70

// drawString draws s on p with its baseline at row y, starting at column x,
// and returns the pen position after it (in pixels). Pixels outside p are
// clipped.
func (fc *face) drawString(p *page.Page, x, y int, s string) int {
	pen := fixed.I(x)
	for _, r := range s {
		if g := fc.glyph(r); g != nil {
			drawMask(p, pen.Round()+g.dx, y+g.dy, g.mask)
		}
		pen += fc.advance(r)
	}
	return pen.Round()
}

// width is the advance of s in pixels.
func (fc *face) width(s string) int {
	var w fixed.Int26_6
	for _, r := range s {
		w += fc.advance(r)
	}
	return w.Round()
}

// drawMask sets the pixels of p black where m is inked, with m's top-left
// at (x0, y0).
func drawMask(p *page.Page, x0, y0 int, m *image.Alpha) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	for y := 0; y < h; y++ {
		py := y0 + y
		if py < 0 || py >= p.Height {
			continue
		}
		row := p.Row(py)
		src := m.Pix[y*m.Stride : y*m.Stride+w]
		for x, a := range src {
			px := x0 + x
			if a >= inkLevel && px >= 0 && px < p.Width {
				row[px>>3] |= 0x80 >> (px & 7)
			}
		}
	}
}
