package render

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	xtiff "golang.org/x/image/tiff"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4"
	"github.com/faxhaven/faxhaven/fax/tiff"
)

// boxImage is a white w x h picture with a black rectangle r.
func boxImage(w, h int, r image.Rectangle) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if image.Pt(x, y).In(r) {
				c = color.NRGBA{0, 0, 0, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encode(t *testing.T, f Format, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch f {
	case PNG:
		err = png.Encode(&b, img)
	case JPEG:
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 95})
	case GIF:
		// Two colours, so the encoder need not quantise (slowly).
		pal := image.NewPaletted(img.Bounds(), color.Palette{color.White, color.Black})
		draw.Draw(pal, pal.Rect, img, img.Bounds().Min, draw.Src)
		err = gif.Encode(&b, pal, nil)
	case BMP:
		err = bmp.Encode(&b, img)
	case TIFF:
		err = xtiff.Encode(&b, img, &xtiff.Options{Compression: xtiff.Deflate})
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImageFormats(t *testing.T) {
	// A portrait picture 1000 x 1400 with a box a fifth of the way in.
	const iw, ih = 1000, 1400
	box := image.Rect(200, 280, 500, 700)
	img := boxImage(iw, ih, box)
	for _, f := range []Format{PNG, JPEG, GIF, BMP, TIFF} {
		for _, res := range []page.Resolution{page.Standard, page.Fine} {
			t.Run(f.String()+"-"+res.String(), func(t *testing.T) {
				data := encode(t, f, img)
				if got, err := Detect(data); got != f || err != nil {
					t.Fatalf("Detect = %v, %v; want %v", got, err, f)
				}
				pages, err := Document(context.Background(), data, Options{Resolution: res})
				if err != nil {
					t.Fatal(err)
				}
				p := pages[0]
				// Height limits: the picture fills the page's height.
				H := A4.Rows(res)
				inches := float64(H) / res.Y / ih // inches per image pixel
				dw := math.Round(iw * inches * res.X)
				ox := (float64(page.WidthA4) - dw) / 2
				want := image.Rect(
					int(ox+float64(box.Min.X)*inches*res.X+0.5), int(float64(box.Min.Y)*inches*res.Y+0.5),
					int(ox+float64(box.Max.X)*inches*res.X+0.5), int(float64(box.Max.Y)*inches*res.Y+0.5))
				if got := inkBox(p); rectDiff(got, want) > 2 {
					t.Errorf("box at %v, want %v", got, want)
				}
			})
		}
	}
}

func TestImageLandscapeTurns(t *testing.T) {
	// A landscape picture with a mark in its top-left corner: turned a
	// quarter counter-clockwise the mark lands at the bottom left.
	img := boxImage(1400, 1000, image.Rect(0, 0, 200, 200))
	pages, err := Document(context.Background(), encode(t, PNG, img), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := pages[0]
	box := inkBox(p)
	if box.Min.X > p.Width/4 || box.Max.Y < p.Height*3/4 {
		t.Errorf("mark at %v, want it in the bottom-left corner of %dx%d", box, p.Width, p.Height)
	}
	// Turned, the picture is 1000 x 1400 and fills the page's height,
	// centred across: its left edge (the mark's) is at (W - width) / 2.
	inches := 297 / 25.4 / 1400
	wantX := (float64(p.Width) - 1000*inches*204) / 2
	if math.Abs(float64(box.Min.X)-wantX) > 2 || box.Max.Y < p.Height-2 {
		t.Errorf("mark at %v, want its left edge at %.0f and its bottom at %d", box, wantX, p.Height)
	}
}

func TestImageCircleStaysRound(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 600, 600))
	for y := 0; y < 600; y++ {
		for x := 0; x < 600; x++ {
			img.Pix[y*600+x] = 255
			if (x-300)*(x-300)+(y-300)*(y-300) < 250*250 {
				img.Pix[y*600+x] = 0
			}
		}
	}
	for _, res := range []page.Resolution{page.Standard, page.Fine, page.Superfine} {
		pages, err := Document(context.Background(), encode(t, PNG, img), Options{Resolution: res})
		if err != nil {
			t.Fatal(err)
		}
		box := inkBox(pages[0])
		wmm, hmm := float64(box.Dx())/res.X*25.4, float64(box.Dy())/res.Y*25.4
		if math.Abs(wmm-hmm) > 1 {
			t.Errorf("%v: disc is %.1f x %.1f mm on paper", res, wmm, hmm)
		}
	}
}

// pngBomb is a valid PNG header (signature, IHDR with a good CRC) claiming
// w x h pixels, with no image data after it.
func pngBomb(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 0 // 8-bit greyscale
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

func TestImageBadInput(t *testing.T) {
	good := encode(t, PNG, boxImage(50, 50, image.Rect(10, 10, 20, 20)))
	tests := []struct {
		name string
		data []byte
		opts Options
		want error
	}{
		{"png bomb", pngBomb(100000, 100000), Options{}, ErrTooLarge},
		{"png over a custom limit", good, Options{MaxPixels: 2000}, ErrTooLarge},
		{"truncated png", good[:len(good)/2], Options{}, ErrCorrupt},
		{"png header only", good[:20], Options{}, ErrCorrupt},
		{"zero-size png", pngBomb(0, 10), Options{}, ErrCorrupt},
		{"bad jpeg", []byte("\xff\xd8\xff\xe0garbage"), Options{}, ErrCorrupt},
		{"bad gif", []byte("GIF89a\x01"), Options{}, ErrCorrupt},
		{"bad bmp", append([]byte("BM"), make([]byte, 60)...), Options{}, ErrCorrupt},
		{"bad tiff", []byte("II*\x00\x08\x00\x00\x00\xff\xff"), Options{}, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Document(context.Background(), tt.data, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("took %v to refuse", el)
			}
		})
	}
}

// ramp is a picture of eight vertical bands from black to white.
func ramp(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Pix[y*w+x] = uint8(x * 8 / w * 255 / 7)
		}
	}
	return img
}

func TestDitherDensity(t *testing.T) {
	const W, H = 1728, 400
	g := ramp(W, H)
	p, err := bilevel(g, Photo, page.Fine)
	if err != nil {
		t.Fatal(err)
	}
	savePNG(t, "ramp", p)
	band := W / 8
	for i := 0; i < 8; i++ {
		// Skip the band edges and the first rows, where the error is settling.
		r := image.Rect(i*band+8, 20, (i+1)*band-8, H)
		got := float64(blackIn(p, r)) / float64(r.Dx()*r.Dy())
		want := 1 - float64(i*255/7)/255
		if math.Abs(got-want) > 0.03 {
			t.Errorf("band %d (grey %d): %.3f black, want %.3f", i, i*255/7, got, want)
		}
	}
	// Threshold makes every band solid.
	p, _ = bilevel(g, Text, page.Fine)
	for i := 0; i < 8; i++ {
		r := image.Rect(i*band+2, 0, (i+1)*band-2, H)
		n := blackIn(p, r)
		if want := i*255/7 < 128; (n == r.Dx()*r.Dy()) != want || (n == 0) == want {
			t.Errorf("threshold band %d: %d of %d black", i, n, r.Dx()*r.Dy())
		}
	}
}

func TestAutoMode(t *testing.T) {
	// A page with lines of "text" (with soft, anti-aliased edges) in its
	// top half and a grey photograph-like gradient in its bottom half.
	const W, H = 800, 640
	g := newCanvas(W, H)
	for y := 40; y < 300; y += 20 {
		for x := 50; x < 750; x++ {
			if x%9 < 3 {
				g.Pix[y*W+x] = 0
				g.Pix[(y+1)*W+x] = 0
				g.Pix[(y-1)*W+x] = 128 // the soft edge
			} else if x%9 == 3 {
				g.Pix[y*W+x] = 140
			}
		}
	}
	photo := image.Rect(64, 352, 736, 608) // on tile boundaries
	for y := photo.Min.Y; y < photo.Max.Y; y++ {
		for x := photo.Min.X; x < photo.Max.X; x++ {
			g.Pix[y*W+x] = uint8(140 + (x-photo.Min.X)*60/photo.Dx())
		}
	}
	tiles := photoTiles(g, false)
	for ty := 0; ty < tiles.rows; ty++ {
		for tx := 0; tx < tiles.cols; tx++ {
			r := image.Rect(tx*tileSize, ty*tileSize, (tx+1)*tileSize, (ty+1)*tileSize)
			if want := r.In(photo); tiles.photo[ty*tiles.cols+tx] != want {
				t.Errorf("tile %v: marked %v, want %v", r, !want, want)
			}
		}
	}
	auto, _ := bilevel(g, Auto, page.Fine)
	text, _ := bilevel(g, Text, page.Fine)
	dith, _ := bilevel(g, Photo, page.Fine)
	// The text half is thresholded exactly.
	top := image.Rect(0, 0, W, 320)
	for y := top.Min.Y; y < top.Max.Y; y++ {
		for x := 0; x < W; x++ {
			if auto.Black(x, y) != text.Black(x, y) {
				t.Fatalf("auto differs from threshold in the text at (%d, %d)", x, y)
			}
		}
	}
	// The photograph is dithered: its mean grey survives as dot density,
	// where a threshold would leave it white.
	inner := photo.Inset(8)
	area := float64(inner.Dx() * inner.Dy())
	got := float64(blackIn(auto, inner)) / area
	want := float64(blackIn(dith, inner)) / area
	if math.Abs(got-want) > 0.02 || math.Abs(float64(blackIn(text, inner))/area-got) < 0.1 {
		t.Errorf("photo density: auto %.3f, photo mode %.3f, threshold %.3f", got, want, float64(blackIn(text, inner))/area)
	}
	// A blank page and pure text mark no tile.
	if photoTiles(newCanvas(100, 100), false).any {
		t.Error("blank page has a photo tile")
	}
}

func TestResizeFlat(t *testing.T) {
	// Resampling keeps flat grey flat, shrinking or enlarging.
	for _, sz := range [][4]int{{100, 100, 37, 250}, {1000, 700, 1728, 2292}, {3000, 10, 1728, 3}, {1, 1, 50, 50}} {
		src := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
		for i := range src.Pix {
			src.Pix[i] = 77
		}
		dst := image.NewGray(image.Rect(0, 0, sz[2], sz[3]))
		resize(src, dst, 0, 0, sz[2], sz[3])
		for i, v := range dst.Pix {
			if v != 77 {
				t.Fatalf("%v: pixel %d is %d, want 77", sz, i, v)
			}
		}
	}
}

func TestToGray(t *testing.T) {
	// Transparent pixels are paper; colours become luminance.
	n := image.NewNRGBA(image.Rect(0, 0, 4, 1))
	n.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 0})
	n.SetNRGBA(1, 0, color.NRGBA{0, 0, 0, 255})
	n.SetNRGBA(2, 0, color.NRGBA{255, 0, 0, 255})
	n.SetNRGBA(3, 0, color.NRGBA{0, 0, 0, 128})
	want := []uint8{255, 0, 76, 127}
	rgba := image.NewRGBA(n.Rect)
	for x := 0; x < 4; x++ {
		rgba.Set(x, 0, n.At(x, 0))
	}
	pal := image.NewPaletted(n.Rect, color.Palette{color.NRGBA{0, 0, 0, 0}, color.Black, color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 0, 128}})
	for x := 0; x < 4; x++ {
		pal.SetColorIndex(x, 0, uint8(x))
	}
	cmyk := image.NewCMYK(n.Rect)
	for x := 0; x < 4; x++ {
		cmyk.Set(x, 0, n.At(x, 0))
	}
	for name, img := range map[string]image.Image{"nrgba": n, "rgba": rgba, "paletted": pal} {
		g := toGray(img)
		for x, w := range want {
			if d := int(g.Pix[x]) - int(w); d < -1 || d > 1 {
				t.Errorf("%s pixel %d: %d, want %d", name, x, g.Pix[x], w)
			}
		}
	}
	// CMYK has no alpha; black is black, red is red's luminance.
	g := toGray(cmyk)
	if g.Pix[1] > 1 || g.Pix[2] < 70 || g.Pix[2] > 82 {
		t.Errorf("cmyk: %v", g.Pix)
	}
}

// faxTIFF writes pages as a TIFF Class F file with fax/tiff.
func faxTIFF(t *testing.T, pages ...*page.Page) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tiff.NewWriter(&b, &tiff.WriteOptions{Format: t4.MMR})
	for _, p := range pages {
		if err := w.WritePage(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFaxTIFF(t *testing.T) {
	// Two fine pages with different marks.
	mk := func(res page.Resolution, x int) *page.Page {
		p, _ := page.New(page.WidthA4, A4.Rows(res), res)
		fillRect(p, x, 100, 300, 200)
		return p
	}
	p1, p2 := mk(page.Fine, 100), mk(page.Fine, 900)
	data := faxTIFF(t, p1, p2)

	// At the same resolution the pages pass through untouched.
	got, err := Document(context.Background(), data, Options{Resolution: page.Fine})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Equal(p1) || !got[1].Equal(p2) {
		t.Fatalf("fine TIFF at fine: %d pages, equal: %v", len(got), len(got) == 2 && got[0].Equal(p1) && got[1].Equal(p2))
	}

	// At standard, rows halve and the mark keeps its place on paper.
	got, err = Document(context.Background(), data, Options{Resolution: page.Standard})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Height != A4.Rows(page.Standard) {
		t.Fatalf("fine TIFF at standard: %d pages", len(got))
	}
	want := image.Rect(100, 50, 400, 150)
	if box := inkBox(got[0]); rectDiff(box, want) > 2 {
		t.Errorf("mark at %v, want %v", box, want)
	}

	// A damaged fax TIFF is a clear error.
	if _, err := Document(context.Background(), data[:len(data)/2], Options{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated TIFF: err = %v, want ErrCorrupt", err)
	}
}

func TestFaxTIFFLimits(t *testing.T) {
	// A 300 dpi scan (not a fax page) over a small pixel limit is refused;
	// a fax page passes through whatever the limit, since it is not scaled.
	scan, _ := page.New(2480, 3508, page.R300)
	fillRect(scan, 100, 100, 50, 50)
	if _, err := Document(context.Background(), faxTIFF(t, scan), Options{MaxPixels: 1_000_000}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("large scan: err = %v, want ErrTooLarge", err)
	}
	pages, err := Document(context.Background(), faxTIFF(t, scan), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 2480 pixels at 300 dpi is 8.27 in: scaled to the page, the mark
	// keeps its place on paper (1/3 in from the top left corner).
	box := inkBox(pages[0])
	if box.Empty() || math.Abs(float64(box.Min.Y)-100.0/300*196) > 3 {
		t.Errorf("mark at %v", box)
	}
}

func TestRotate(t *testing.T) {
	// Sizes around the block size, every pixel distinct.
	for _, sz := range [][2]int{{1, 1}, {3, 2}, {70, 40}, {33, 65}} {
		w, h := sz[0], sz[1]
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = uint8(i*7 + i/251)
		}
		r := rotate(g)
		if r.Rect.Dx() != h || r.Rect.Dy() != w {
			t.Fatalf("%dx%d turned is %v", w, h, r.Rect)
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if r.GrayAt(y, w-1-x) != g.GrayAt(x, y) {
					t.Fatalf("%dx%d: pixel (%d, %d) did not land at (%d, %d)", w, h, x, y, y, w-1-x)
				}
			}
		}
	}
}
