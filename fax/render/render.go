// Package render turns documents into fax pages.
//
// A document (PDF, image, plain text or, through LibreOffice, an office file)
// becomes a list of bilevel page.Page values at a fax resolution and paper
// size. The package also draws the two things a fax service adds to a
// document: a cover page (Cover) and a header line across the top of every
// page (Header).
//
// Every page is 1728 pixels wide, the Group 3 line for A4 and Letter. Its
// height follows from the paper and the vertical resolution. Fax pixels are
// not square at standard and fine resolution (204 dpi across, 98 or 196 dpi
// down); the package scales by each axis's own density, so a circle in the
// document is still a circle on paper.
//
// Inputs are untrusted. PDFs are rendered by PDFium compiled to WebAssembly
// and run in a sandbox (no file system, a memory ceiling, a deadline);
// images are checked for their claimed size before they are decoded.
package render

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
)

// Paper is a sheet size the fax page stands for.
type Paper int

// The paper sizes a page can be rendered for.
const (
	A4     Paper = iota // 210 x 297 mm
	Letter              // 8.5 x 11 in
)

// String names the paper as users write it.
func (p Paper) String() string {
	switch p {
	case A4:
		return "a4"
	case Letter:
		return "letter"
	}
	return fmt.Sprintf("Paper(%d)", int(p))
}

// ParsePaper reads "a4" or "letter".
func ParsePaper(s string) (Paper, error) {
	switch s {
	case "a4", "A4":
		return A4, nil
	case "letter", "Letter":
		return Letter, nil
	}
	return 0, fmt.Errorf("render: unknown paper %q (want a4 or letter)", s)
}

// heightInches is the physical height of the paper.
func (p Paper) heightInches() float64 {
	if p == Letter {
		return 11
	}
	return 297 / 25.4
}

// Rows is the page height in rows for paper p at resolution r.
func (p Paper) Rows(r page.Resolution) int {
	return int(math.Round(p.heightInches() * r.Y))
}

// Mode chooses how grey becomes black and white.
type Mode int

// The bilevel conversion modes.
const (
	// Auto picks Text or Photo for each 32x32-pixel tile of a page: tiles
	// with areas of flat mid-grey (pictures) are dithered, the rest (text,
	// lines, blank paper) thresholded, so a letter with a photo in it keeps
	// crisp type and a readable picture.
	Auto Mode = iota
	// Text thresholds at mid-grey, which keeps text and lines crisp.
	Text
	// Photo diffuses the rounding error (Floyd-Steinberg), so grey tones
	// survive as dot density.
	Photo
)

// String names the mode as users write it.
func (m Mode) String() string {
	switch m {
	case Auto:
		return "auto"
	case Text:
		return "text"
	case Photo:
		return "photo"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode reads "auto", "text" or "photo".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "text":
		return Text, nil
	case "photo":
		return Photo, nil
	}
	return 0, fmt.Errorf("render: unknown mode %q (want auto, text or photo)", s)
}

// Defaults for the zero values of Options.
const (
	DefaultMaxPages = 1000
	DefaultTimeout  = 2 * time.Minute
	// DefaultMaxPixels bounds the pixel count of an image input (width x
	// height as its header claims), about 100 megapixels.
	DefaultMaxPixels = 100_000_000
)

// Options says how to render. The zero value renders A4 at fine resolution
// in Auto mode with the default limits.
type Options struct {
	// Resolution is the fax resolution; the zero value means page.Fine.
	// Only the horizontal density 204 dpi is supported.
	Resolution page.Resolution
	Paper      Paper
	Mode       Mode
	// MaxPages refuses documents with more pages; 0 means DefaultMaxPages.
	MaxPages int
	// MaxPixels refuses images whose claimed width x height exceeds it;
	// 0 means DefaultMaxPixels.
	MaxPixels int
	// Timeout bounds the work on one document when ctx has no earlier
	// deadline; 0 means DefaultTimeout.
	Timeout time.Duration
	// CacheDir keeps PDFium's compiled WebAssembly module between runs, so
	// only the first run of a machine pays for compiling it. It is created
	// if missing. Empty means no cache. The PDFium engine starts once per
	// process, so the CacheDir of the first PDF rendered is the one used.
	CacheDir string
}

// norm fills in defaults and checks the options.
func (o Options) norm() (Options, error) {
	if o.Resolution == (page.Resolution{}) {
		o.Resolution = page.Fine
	}
	if o.Resolution.X != 204 || o.Resolution.Y <= 0 || o.Resolution.Y > 800 {
		return o, fmt.Errorf("render: unsupported resolution %v (want standard, fine or superfine)", o.Resolution)
	}
	if o.Paper != A4 && o.Paper != Letter {
		return o, fmt.Errorf("render: unknown paper %d", o.Paper)
	}
	if o.Mode < Auto || o.Mode > Photo {
		return o, fmt.Errorf("render: unknown mode %d", o.Mode)
	}
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return o, nil
}

// size is the page size in pixels for these (normalised) options.
func (o Options) size() (w, h int) {
	return page.WidthA4, o.Paper.Rows(o.Resolution)
}

// Errors a caller may want to tell apart. Each is wrapped with detail.
var (
	ErrUnsupported  = errors.New("render: unsupported document type")
	ErrCorrupt      = errors.New("render: document is damaged or not what it claims to be")
	ErrEncrypted    = errors.New("render: document is password-protected")
	ErrNoPages      = errors.New("render: document has no pages")
	ErrTooManyPages = errors.New("render: document has too many pages")
	ErrTooLarge     = errors.New("render: image is too large")
	ErrNeedTool     = errors.New("render: a helper program is missing")
)

// Document renders data, whose type is detected from its content (see
// Detect), into fax pages. ctx bounds the work (see Options.Timeout).
//
// PDF pages (and office files, converted to PDF by LibreOffice) keep their
// physical size where it fits and are otherwise scaled down to the page,
// centred across and set at the top. Images fill as much of the page as
// their proportions allow, centred; JPEG photos are first turned the way
// their Exif orientation says. A landscape page or picture is turned a
// quarter counter-clockwise when that makes it larger. Bilevel TIFF pages
// that already are fax pages at the wanted resolution pass through
// untouched. Plain text is set in 10 pt Go Mono with 15 mm top and left
// margins; a form feed starts a new page.
func Document(ctx context.Context, data []byte, opts Options) ([]*page.Page, error) {
	opts, err := opts.norm()
	if err != nil {
		return nil, err
	}
	f, err := Detect(data)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	var pages []*page.Page
	switch f {
	case PDF:
		pages, err = renderPDF(ctx, data, opts)
	case PNG, JPEG, GIF, BMP, TIFF:
		pages, err = renderImage(data, f, opts)
	case PlainText:
		pages, err = renderText(data, opts)
	default:
		if f.office() {
			pages, err = renderOffice(ctx, data, f, opts)
		} else {
			err = fmt.Errorf("%w: %v", ErrUnsupported, f)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("%w (%v)", ErrNoPages, f)
	}
	if len(pages) > opts.MaxPages {
		return nil, fmt.Errorf("%w: %d pages, the limit is %d", ErrTooManyPages, len(pages), opts.MaxPages)
	}
	return pages, nil
}
