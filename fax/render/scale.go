package render

import (
	"image"
	"image/color"
	"math"
)

// fixed-point scale of resampling weights
const wbits = 14

// taps holds, for every output sample, the first source index and the
// weights of n consecutive source samples (summing to 1<<wbits).
type taps struct {
	n     int
	start []int
	w     []int32
}

// makeTaps builds a triangle (linear) filter from srcN to dstN samples.
// When shrinking, the triangle widens to cover the source pixels that fall
// into one output pixel, so detail averages instead of aliasing.
func makeTaps(srcN, dstN int) taps {
	scale := float64(srcN) / float64(dstN)
	r := math.Max(1, scale)
	n := int(math.Ceil(2*r)) + 1
	t := taps{n: n, start: make([]int, dstN), w: make([]int32, dstN*n)}
	fw := make([]float64, n)
	for i := 0; i < dstN; i++ {
		c := (float64(i)+0.5)*scale - 0.5
		first := int(math.Floor(c-r)) + 1
		sum := 0.0
		for k := 0; k < n; k++ {
			d := math.Abs(float64(first+k)-c) / r
			fw[k] = math.Max(0, 1-d)
			sum += fw[k]
		}
		// Keep the taps inside the source: fold the weight of samples past
		// an edge onto the edge sample by shifting the window.
		start := first
		if start < 0 {
			start = 0
		}
		if start+n > srcN {
			start = srcN - n
			if start < 0 {
				start = 0
			}
		}
		t.start[i] = start
		ws := t.w[i*n : (i+1)*n]
		var total int32
		for k := 0; k < n; k++ {
			j := first + k
			if j < 0 {
				j = 0
			}
			if j > srcN-1 {
				j = srcN - 1
			}
			if j-start >= n || j-start < 0 {
				continue // only when srcN < n; the weight is dropped
			}
			v := int32(math.Round(fw[k] / sum * (1 << wbits)))
			ws[j-start] += v
			total += v
		}
		// Put rounding leftovers on the largest tap so flat grey stays flat.
		if d := int32(1<<wbits) - total; d != 0 {
			best := 0
			for k := range ws {
				if ws[k] > ws[best] {
					best = k
				}
			}
			ws[best] += d
		}
	}
	return t
}

// resize resamples a grey image to dw x dh and draws it onto dst at (ox, oy).
func resize(src *image.Gray, dst *image.Gray, ox, oy, dw, dh int) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if sw == 0 || sh == 0 || dw <= 0 || dh <= 0 {
		return
	}
	hx := makeTaps(sw, dw)
	hy := makeTaps(sh, dh)
	// Horizontal pass into tmp (sh rows of dw samples).
	tmp := make([]uint8, sh*dw)
	for y := 0; y < sh; y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+sw]
		out := tmp[y*dw : (y+1)*dw]
		for x := 0; x < dw; x++ {
			s := row[hx.start[x]:]
			ws := hx.w[x*hx.n : (x+1)*hx.n]
			var acc int32
			for k, wt := range ws {
				if k < len(s) {
					acc += wt * int32(s[k])
				}
			}
			out[x] = clamp8(acc)
		}
	}
	// Vertical pass, row by row, accumulating whole rows for locality.
	acc := make([]int32, dw)
	for y := 0; y < dh; y++ {
		ty := oy + y
		if ty < 0 || ty >= dst.Rect.Dy() {
			continue
		}
		for i := range acc {
			acc[i] = 0
		}
		ws := hy.w[y*hy.n : (y+1)*hy.n]
		for k, wt := range ws {
			sy := hy.start[y] + k
			if wt == 0 || sy >= sh {
				continue
			}
			in := tmp[sy*dw : (sy+1)*dw]
			for x, v := range in {
				acc[x] += wt * int32(v)
			}
		}
		out := dst.Pix[ty*dst.Stride:]
		for x := 0; x < dw; x++ {
			tx := ox + x
			if tx >= 0 && tx < dst.Rect.Dx() {
				out[tx] = clamp8(acc[x])
			}
		}
	}
}

func clamp8(acc int32) uint8 {
	v := (acc + 1<<(wbits-1)) >> wbits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// rotate turns a grey image a quarter turn counter-clockwise, so that the
// top of a landscape picture runs along the left edge of a portrait page.
// It works in square blocks so both images are walked cache-friendly.
func rotate(src *image.Gray) *image.Gray {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewGray(image.Rect(0, 0, h, w))
	const b = 32
	for by := 0; by < h; by += b {
		for bx := 0; bx < w; bx += b {
			for y := by; y < min(by+b, h); y++ {
				row := src.Pix[y*src.Stride:]
				// Source (x, y) goes to (y, w-1-x).
				for x := bx; x < min(bx+b, w); x++ {
					dst.Pix[(w-1-x)*dst.Stride+y] = row[x]
				}
			}
		}
	}
	return dst
}

// toGray flattens any image onto white paper as 8-bit luminance.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	g := image.NewGray(image.Rect(0, 0, w, h))
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+w], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.YCbCr:
		// JPEG's Y is the luminance already.
		for y := 0; y < h; y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+w], m.Y[m.YOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			o := m.PixOffset(b.Min.X, b.Min.Y+y)
			s := m.Pix[o : o+4*w]
			d := g.Pix[y*g.Stride : y*g.Stride+w]
			for x := range d {
				p := s[4*x : 4*x+4 : 4*x+4]
				l := luma(uint32(p[0]), uint32(p[1]), uint32(p[2]))
				a := uint32(p[3])
				d[x] = uint8((l*a + 255*(255-a) + 127) / 255)
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			o := m.PixOffset(b.Min.X, b.Min.Y+y)
			s := m.Pix[o : o+4*w]
			d := g.Pix[y*g.Stride : y*g.Stride+w]
			for x := range d {
				p := s[4*x : 4*x+4 : 4*x+4]
				// Premultiplied: add the white that shows through.
				v := luma(uint32(p[0]), uint32(p[1]), uint32(p[2])) + 255 - uint32(p[3])
				if v > 255 {
					v = 255
				}
				d[x] = uint8(v)
			}
		}
	case *image.Paletted:
		var lut [256]uint8
		for i, c := range m.Palette {
			lut[i] = grayOnWhite(c)
		}
		for y := 0; y < h; y++ {
			o := m.PixOffset(b.Min.X, b.Min.Y+y)
			s := m.Pix[o : o+w]
			d := g.Pix[y*g.Stride : y*g.Stride+w]
			for x, v := range s {
				d[x] = lut[v]
			}
		}
	default:
		for y := 0; y < h; y++ {
			d := g.Pix[y*g.Stride : y*g.Stride+w]
			for x := range d {
				d[x] = grayOnWhite(img.At(b.Min.X+x, b.Min.Y+y))
			}
		}
	}
	return g
}

// luma weighs 8-bit R, G and B by Rec. 601 in fixed point.
func luma(r, g, b uint32) uint32 {
	return (r*19595 + g*38470 + b*7471 + 1<<15) >> 16
}

// grayOnWhite composites one colour over white and returns its luminance.
func grayOnWhite(c color.Color) uint8 {
	r, g, b, a := c.RGBA() // premultiplied, 16 bits
	l := (r*19595 + g*38470 + b*7471 + 1<<15) >> 16
	l += 0xffff - a
	if l > 0xffff {
		l = 0xffff
	}
	return uint8(l >> 8)
}
