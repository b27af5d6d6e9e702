package render

import (
	"bytes"
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

// renderImage decodes a raster image and lays it out on one page.
func renderImage(data []byte, f Format, opts Options) ([]*page.Page, error) {
	c, ok := codecs[f]
	if !ok {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, f)
	}
	img, err := decodeImage(data, f, c, opts.MaxPixels)
	if err != nil {
		return nil, err
	}
	p, err := imagePage(toGray(img), opts)
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

// imagePage fits a picture of square pixels onto a fax page: as large as the
// page allows with its aspect kept, turned a quarter if a landscape picture
// is larger that way, and centred.
func imagePage(g *image.Gray, opts Options) (*page.Page, error) {
	canvas, err := placeImage(g, opts)
	if err != nil {
		return nil, err
	}
	return bilevel(canvas, opts.Mode, opts.Resolution)
}

// placeImage is imagePage before the conversion to black and white.
func placeImage(g *image.Gray, opts Options) (*image.Gray, error) {
	W, H := opts.size()
	iw, ih := g.Rect.Dx(), g.Rect.Dy()
	if iw == 0 || ih == 0 {
		return nil, fmt.Errorf("%w: the image is empty", ErrCorrupt)
	}
	// The page in inches.
	pw, ph := float64(W)/opts.Resolution.X, float64(H)/opts.Resolution.Y
	fit := math.Min(pw/float64(iw), ph/float64(ih))
	if iw > ih {
		if turned := math.Min(pw/float64(ih), ph/float64(iw)); turned > fit {
			g = rotate(g)
			iw, ih = ih, iw
			fit = turned
		}
	}
	dw := min(W, max(1, int(math.Round(float64(iw)*fit*opts.Resolution.X))))
	dh := min(H, max(1, int(math.Round(float64(ih)*fit*opts.Resolution.Y))))
	canvas := newCanvas(W, H)
	resize(g, canvas, (W-dw)/2, (H-dh)/2, dw, dh)
	return canvas, nil
}
