package render

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"runtime"
	"sync"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/enums"
	pdfiumerr "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/structs"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/faxhaven/faxhaven/fax/page"
)

// PDFMemoryLimit is the most memory one PDFium instance may use, in bytes.
// A PDF that needs more (say, a page with a gigantic image) fails instead of
// exhausting the machine.
const PDFMemoryLimit = 1 << 30

// engine is the process-wide PDFium pool, started on first use.
var engine struct {
	mu    sync.Mutex
	pool  pdfium.Pool
	slots chan struct{} // one per instance in use
}

// pdfPool starts PDFium once per process. A failed start is not
// remembered, so a later call may succeed (say, once the cache directory is
// writable).
func pdfPool(cacheDir string) (pdfium.Pool, error) {
	engine.mu.Lock()
	defer engine.mu.Unlock()
	if engine.pool != nil {
		return engine.pool, nil
	}
	rc := wazero.NewRuntimeConfig().
		// The PDFium build lowers setjmp/longjmp to WebAssembly exceptions.
		WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
		WithMemoryLimitPages(PDFMemoryLimit / 65536).
		// Lets a cancelled context stop a runaway render. It about doubles
		// the CPU time of rendering (docs/benchmarks.md), but a hostile PDF
		// can otherwise keep PDFium busy for minutes.
		WithCloseOnContextDone(true)
	if cacheDir != "" {
		if err := os.MkdirAll(cacheDir, 0o750); err != nil {
			return nil, fmt.Errorf("render: PDF engine cache: %w", err)
		}
		cache, err := wazero.NewCompilationCacheWithDir(cacheDir)
		if err != nil {
			return nil, fmt.Errorf("render: PDF engine cache %s: %w", cacheDir, err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	pool, err := webassembly.Init(webassembly.Config{
		MinIdle:  0,
		MaxIdle:  runtime.GOMAXPROCS(0),
		MaxTotal: runtime.GOMAXPROCS(0),
		// No file system: the sandbox sees only the bytes we hand it.
		FSConfig:      wazero.NewFSConfig(),
		RuntimeConfig: rc,
		Stdout:        io.Discard,
		Stderr:        io.Discard,
	})
	if err != nil {
		return nil, fmt.Errorf("render: starting the PDF engine: %w", err)
	}
	engine.pool = pool
	engine.slots = make(chan struct{}, runtime.GOMAXPROCS(0))
	return pool, nil
}

// WarmUp starts the PDF engine now rather than on the first PDF, so that
// compiling it (seconds on the first run of a machine without a cache)
// happens at a time of the caller's choosing.
func WarmUp(cacheDir string) error {
	_, err := pdfPool(cacheDir)
	return err
}

// renderPDF renders every page of a PDF in sandboxed PDFium instances
// that are killed if ctx ends first. A document of several pages is split
// over as many instances as there are idle processors.
func renderPDF(ctx context.Context, data []byte, opts Options) (pages []*page.Page, err error) {
	pool, err := pdfPool(opts.CacheDir)
	if err != nil {
		return nil, err
	}
	// One slot per processor bounds the engine's memory and CPU; the
	// first is waited for, extra ones are only taken when free.
	select {
	case engine.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("render: PDF: waiting for a free PDF engine: %w", ctx.Err())
	}
	defer func() { <-engine.slots }()
	parent := ctx
	defer func() {
		if parent.Err() != nil {
			pages, err = nil, fmt.Errorf("render: PDF: gave up after the time limit: %w", parent.Err())
		}
	}()

	// Cancelled when one worker fails, to stop the others.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err = withInstance(ctx, pool, func(inst pdfium.Pdfium) error {
		doc, n, err := openPDF(inst, data, opts)
		if err != nil {
			return err
		}
		defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc})
		pages = make([]*page.Page, n)
		workers := 1
	take:
		for workers < n/2+1 && workers < cap(engine.slots) {
			select {
			case engine.slots <- struct{}{}:
				workers++
			default:
				break take
			}
		}
		errs := make(chan error, workers)
		for k := 1; k < workers; k++ {
			go func(k int) {
				defer func() { <-engine.slots }()
				errs <- withInstance(ctx, pool, func(inst pdfium.Pdfium) error {
					doc, _, err := openPDF(inst, data, opts)
					if err != nil {
						return err
					}
					defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc})
					return renderPDFPages(ctx, inst, doc, pages, k, workers, opts)
				})
			}(k)
		}
		errs <- renderPDFPages(ctx, inst, doc, pages, 0, workers, opts)
		var first error
		for k := 0; k < workers; k++ {
			if err := <-errs; err != nil && first == nil {
				first = err
				cancel() // stop the other workers
			}
		}
		return first
	})
	if err != nil {
		return nil, err
	}
	return pages, nil
}

// withInstance runs fn on a PDFium instance from pool. A watchdog kills the
// instance when ctx ends, which makes fn's calls fail promptly; a panic in
// the binding becomes an error.
func withInstance(ctx context.Context, pool pdfium.Pool, fn func(pdfium.Pdfium) error) (err error) {
	inst, err := pool.GetInstanceWithContext(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("render: PDF: waiting for a free PDF engine: %w", ctx.Err())
		}
		return fmt.Errorf("render: PDF: %w", err)
	}
	done := make(chan struct{})
	killed := make(chan bool, 1)
	go func() {
		select {
		case <-ctx.Done():
			inst.Kill()
			killed <- true
		case <-done:
			killed <- false
		}
	}()
	defer func() {
		close(done)
		if !<-killed {
			inst.Close()
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: the PDF engine failed: %v", ErrCorrupt, r)
		}
	}()
	return fn(inst)
}

// openPDF loads a document and checks its page count against the limits.
func openPDF(inst pdfium.Pdfium, data []byte, opts Options) (references.FPDF_DOCUMENT, int, error) {
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		switch {
		case errors.Is(err, pdfiumerr.ErrPassword):
			return "", 0, fmt.Errorf("%w: remove the password (print it to a new PDF) and send it again", ErrEncrypted)
		case errors.Is(err, pdfiumerr.ErrSecurity):
			return "", 0, fmt.Errorf("%w with an encryption PDFium does not support; save it without encryption", ErrEncrypted)
		}
		return "", 0, fmt.Errorf("%w: PDF: %v", ErrCorrupt, err)
	}
	cnt, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	switch {
	case err != nil:
		err = fmt.Errorf("%w: PDF page count: %v", ErrCorrupt, err)
	case cnt.PageCount <= 0:
		err = fmt.Errorf("%w (the PDF has an empty page tree)", ErrNoPages)
	case cnt.PageCount > opts.MaxPages:
		err = fmt.Errorf("%w: the PDF has %d pages, the limit is %d; split it", ErrTooManyPages, cnt.PageCount, opts.MaxPages)
	}
	if err != nil {
		inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
		return "", 0, err
	}
	return doc.Document, cnt.PageCount, nil
}

// renderPDFPages renders pages first, first+step, ... into out, through one
// grey bitmap reused for every page.
func renderPDFPages(ctx context.Context, inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, out []*page.Page, first, step int, opts Options) error {
	W, H := opts.size()
	bm, err := inst.FPDFBitmap_CreateEx(&requests.FPDFBitmap_CreateEx{
		// PDFium draws into 32-bit colour about a third faster than into
		// 8-bit grey, more than paying for the conversion here.
		Width: W, Height: H, Format: enums.FPDF_BITMAP_FORMAT_BGRX, Pointer: uint64(0),
	})
	if err != nil {
		return fmt.Errorf("render: PDF: page bitmap: %w", err)
	}
	defer inst.FPDFBitmap_Destroy(&requests.FPDFBitmap_Destroy{Bitmap: bm.Bitmap})
	grey := image.NewGray(image.Rect(0, 0, W, H))
	for i := first; i < len(out); i += step {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := renderPDFPage(inst, doc, bm.Bitmap, grey, i, opts)
		if err != nil {
			return fmt.Errorf("render: PDF page %d: %w", i+1, err)
		}
		out[i] = p
	}
	return nil
}

// renderPDFPage draws page i into the bitmap bm, converts it to grey in g
// and from there to black and white.
func renderPDFPage(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, bm references.FPDF_BITMAP, g *image.Gray, i int, opts Options) (*page.Page, error) {
	W, H := opts.size()
	size, err := inst.FPDF_GetPageSizeByIndexF(&requests.FPDF_GetPageSizeByIndexF{Document: doc, Index: i})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	pw, ph := float64(size.Size.Width), float64(size.Size.Height)
	if !(pw > 0 && ph > 0) || math.IsInf(pw, 0) || math.IsInf(ph, 0) {
		return nil, fmt.Errorf("%w: page size %gx%g points", ErrCorrupt, pw, ph)
	}
	m := pdfMatrix(pw, ph, W, H, opts.Resolution)

	pg, err := inst.FPDF_LoadPage(&requests.FPDF_LoadPage{Document: doc, Index: i})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	defer inst.FPDF_ClosePage(&requests.FPDF_ClosePage{Page: pg.Page})

	if _, err := inst.FPDFBitmap_FillRect(&requests.FPDFBitmap_FillRect{
		Bitmap: bm, Width: W, Height: H, Color: 0xffffffff,
	}); err != nil {
		return nil, err
	}
	if _, err := inst.FPDF_RenderPageBitmapWithMatrix(&requests.FPDF_RenderPageBitmapWithMatrix{
		Bitmap:   bm,
		Page:     requests.Page{ByReference: &pg.Page},
		Matrix:   m,
		Clipping: structs.FPDF_FS_RECTF{Left: 0, Top: 0, Right: float32(W), Bottom: float32(H)},
		Flags:    enums.FPDF_RENDER_FLAG_ANNOT,
	}); err != nil {
		return nil, err
	}
	buf, err := inst.FPDFBitmap_GetBuffer(&requests.FPDFBitmap_GetBuffer{Bitmap: bm})
	if err != nil {
		return nil, err
	}
	if len(buf.Buffer) < 4*W*H {
		return nil, fmt.Errorf("render: PDF engine returned %d bytes for a %dx%d page", len(buf.Buffer), W, H)
	}
	// The buffer is a view of the sandbox's memory; read it in place.
	bgrxToGray(g, buf.Buffer, len(buf.Buffer)/H)
	return bilevel(g, opts.Mode, opts.Resolution)
}

// pdfMatrix maps a page of pw x ph points onto a W x H fax page: scaled by
// each axis's density so shapes keep their proportions, as large as fits,
// turned a quarter counter-clockwise if a landscape page is larger that
// way, centred across and set at the top, as a printer would.
func pdfMatrix(pw, ph float64, W, H int, res page.Resolution) structs.FPDF_FS_MATRIX {
	// The fax page in points.
	aw, ah := float64(W)*72/res.X, float64(H)*72/res.Y
	fit := math.Min(aw/pw, ah/ph)
	turn := false
	if pw > ph {
		if t := math.Min(aw/ph, ah/pw); t > fit {
			fit, turn = t, true
		}
	}
	sx, sy := fit*res.X/72, fit*res.Y/72 // pixels per point
	if !turn {
		ox := (float64(W) - pw*sx) / 2
		return structs.FPDF_FS_MATRIX{A: float32(sx), D: float32(sy), E: float32(ox)}
	}
	// Page point (u, v), v down, goes to (sx*v + ox, sy*(pw-u)).
	ox := (float64(W) - ph*sx) / 2
	return structs.FPDF_FS_MATRIX{B: float32(-sy), C: float32(sx), E: float32(ox), F: float32(sy * pw)}
}

// bgrxToGray converts 32-bit blue-green-red-unused pixels to luminance.
func bgrxToGray(g *image.Gray, src []byte, stride int) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	for y := 0; y < h; y++ {
		s := src[y*stride : y*stride+4*w]
		d := g.Pix[y*g.Stride : y*g.Stride+w]
		for x := range d {
			p := s[4*x : 4*x+3 : 4*x+3]
			d[x] = uint8((uint32(p[2])*19595 + uint32(p[1])*38470 + uint32(p[0])*7471 + 1<<15) >> 16)
		}
	}
}
