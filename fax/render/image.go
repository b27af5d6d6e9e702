package render

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/bmp"
	xtiff "golang.org/x/image/tiff"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/tiff"
)

// codec is a decoder pair for one raster format.
type codec struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

var codecs = map[Format]codec{
	PNG:  {png.DecodeConfig, png.Decode},
	JPEG: {jpeg.DecodeConfig, jpeg.Decode},
	GIF:  {gif.DecodeConfig, gif.Decode},
	BMP:  {bmp.DecodeConfig, bmp.Decode},
	TIFF: {xtiff.DecodeConfig, xtiff.Decode},
}

// renderImage decodes a raster image and lays it out on one page. Bilevel
// TIFF files (faxes, scans) are read by fax/tiff, every page of them.
func renderImage(data []byte, f Format, opts Options) ([]*page.Page, error) {
	if f == TIFF {
		pages, err := renderFaxTIFF(data, opts)
		if err == nil || !errors.Is(err, errNotBilevel) {
			return pages, err
		}
	}
	c, ok := codecs[f]
	if !ok {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, f)
	}
	img, err := decodeImage(data, f, c, opts.MaxPixels)
	if err != nil {
		return nil, err
	}
	g := toGray(img)
	if f == JPEG {
		g = orient(g, jpegOrientation(data))
	}
	p, err := imagePage(g, opts)
	if err != nil {
		return nil, err
	}
	return []*page.Page{p}, nil
}

// decodeImage checks the claimed size against maxPixels before decoding, so
// that a small file claiming a huge picture is refused cheaply.
func decodeImage(data []byte, f Format, c codec, maxPixels int) (img image.Image, err error) {
	cfg, err := c.config(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the %v header: %v", ErrCorrupt, f, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: the %v claims %dx%d pixels", ErrCorrupt, f, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, fmt.Errorf("%w: the %v claims %dx%d pixels, over the limit of %d megapixels; scale it down before sending",
			ErrTooLarge, f, cfg.Width, cfg.Height, maxPixels/1_000_000)
	}
	// The decoders are robust, but a panic on hostile input must not take
	// the service down.
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("%w: the %v decoder failed: %v", ErrCorrupt, f, r)
		}
	}()
	img, err = c.decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: decoding the %v: %v", ErrCorrupt, f, err)
	}
	return img, nil
}

// errNotBilevel says a TIFF is for the general image decoder.
var errNotBilevel = errors.New("render: not a bilevel TIFF")

// renderFaxTIFF reads a bilevel TIFF. A page that is already a fax page at
// the wanted resolution is kept as it is, without any resampling; other
// pages are scaled to the paper like any picture, minding their own
// (possibly non-square) resolution.
func renderFaxTIFF(data []byte, opts Options) ([]*page.Page, error) {
	r, ferr := tiff.Open(data, &tiff.ReadOptions{MaxPages: opts.MaxPages})
	if ferr != nil {
		// Not one fax/tiff reads: let the general decoder try, but keep
		// this error for a file neither can read.
		if _, err := xtiff.DecodeConfig(bytes.NewReader(data)); err == nil {
			return nil, errNotBilevel
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, ferr)
	}
	pages := make([]*page.Page, 0, r.NumPages())
	for i := 0; i < r.NumPages(); i++ {
		p, err := r.Page(i)
		if err != nil {
			return nil, fmt.Errorf("%w: TIFF page %d: %v", ErrCorrupt, i+1, err)
		}
		if isFaxPage(p, opts.Resolution) {
			p.Res = opts.Resolution
			pages = append(pages, p)
			continue
		}
		if p.Width*p.Height > opts.MaxPixels {
			return nil, fmt.Errorf("%w: TIFF page %d is %dx%d pixels, over the limit of %d megapixels",
				ErrTooLarge, i+1, p.Width, p.Height, opts.MaxPixels/1_000_000)
		}
		aspect := 1.0
		if p.Res.X > 0 && p.Res.Y > 0 {
			aspect = p.Res.X / p.Res.Y
		}
		canvas, err := placeImage(bitsToGray(p), aspect, opts)
		if err != nil {
			return nil, err
		}
		q, err := bilevel(canvas, opts.Mode, opts.Resolution)
		if err != nil {
			return nil, err
		}
		pages = append(pages, q)
	}
	return pages, nil
}

// isFaxPage reports whether p is already a fax page at resolution res
// (within the rounding of the metric and inch resolutions).
func isFaxPage(p *page.Page, res page.Resolution) bool {
	near := func(a, b float64) bool { return math.Abs(a-b) <= b*0.03 }
	return p.Width == page.WidthA4 && near(p.Res.X, res.X) && near(p.Res.Y, res.Y)
}

// bitsToGray expands a bilevel page to 8-bit grey.
func bitsToGray(p *page.Page) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, p.Width, p.Height))
	for y := 0; y < p.Height; y++ {
		row := p.Row(y)
		out := g.Pix[y*g.Stride : y*g.Stride+p.Width]
		for x := range out {
			if row[x>>3]&(0x80>>(x&7)) == 0 {
				out[x] = 0xff
			}
		}
	}
	return g
}

// imagePage fits a picture of square pixels onto a fax page: as large as the
// page allows with its aspect kept, turned a quarter if a landscape picture
// is larger that way, and centred.
func imagePage(g *image.Gray, opts Options) (*page.Page, error) {
	canvas, err := placeImage(g, 1, opts)
	if err != nil {
		return nil, err
	}
	return bilevel(canvas, opts.Mode, opts.Resolution)
}

// placeImage is imagePage before the conversion to black and white, for
// pixels aspect times as tall as they are wide.
func placeImage(g *image.Gray, aspect float64, opts Options) (*image.Gray, error) {
	W, H := opts.size()
	iw, ih := g.Rect.Dx(), g.Rect.Dy()
	if iw == 0 || ih == 0 {
		return nil, fmt.Errorf("%w: the image is empty", ErrCorrupt)
	}
	// The page in inches.
	pw, ph := float64(W)/opts.Resolution.X, float64(H)/opts.Resolution.Y
	// The picture in pixel widths: iw across, ih*aspect down.
	fw, fh := float64(iw), float64(ih)*aspect
	fit := math.Min(pw/fw, ph/fh) // inches per pixel width
	turn := false
	if fw > fh {
		if turned := math.Min(pw/fh, ph/fw); turned > fit {
			fw, fh = fh, fw
			fit, turn = turned, true
		}
	}
	dw := min(W, max(1, int(math.Round(fw*fit*opts.Resolution.X))))
	dh := min(H, max(1, int(math.Round(fh*fit*opts.Resolution.Y))))
	canvas := newCanvas(W, H)
	if !turn {
		resize(g, canvas, (W-dw)/2, (H-dh)/2, dw, dh)
		return canvas, nil
	}
	// Scale first, then turn: turning the smaller picture is cheaper.
	scaled := image.NewGray(image.Rect(0, 0, dh, dw))
	resize(g, scaled, 0, 0, dh, dw)
	turned := rotate(scaled)
	ox, oy := (W-dw)/2, (H-dh)/2
	for y := 0; y < dh; y++ {
		copy(canvas.Pix[(oy+y)*canvas.Stride+ox:], turned.Pix[y*turned.Stride:y*turned.Stride+dw])
	}
	return canvas, nil
}
