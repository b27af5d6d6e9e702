package pdf

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
	fxrender "github.com/faxhaven/faxhaven/fax/render"
	"github.com/faxhaven/faxhaven/fax/t4"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
)

// TestPDFium renders our PDFs with PDFium (the engine of Chromium's PDF
// viewer), through fax/render, which runs it as WebAssembly. A page exactly
// the size of the fax page render produces maps pixel to pixel, and Text
// mode only thresholds, so the pixels must come back unchanged.
func TestPDFium(t *testing.T) {
	if testing.Short() {
		t.Skip("PDFium start-up is slow; skipped in -short mode")
	}
	for _, res := range []page.Resolution{page.Fine, page.Standard, page.Superfine} {
		h := fxrender.A4.Rows(res)
		for _, c := range []struct {
			gen  string
			opts t4.Options
		}{
			{"text", t4.Options{Format: t4.MMR, EndOfPage: true}},
			{"stripes", t4.Options{Format: t4.MR, K: 4, EOL: true, LSBFirst: true}},
			{"edges", t4.Options{Format: t4.MH, EOL: true, AlignEOL: true}},
		} {
			if res != page.Fine && c.opts.Format != t4.MMR {
				continue // the codings are covered at fine resolution
			}
			t.Run(res.String()+"/"+c.gen+"/"+c.opts.Format.String(), func(t *testing.T) {
				p, err := t4test.Page(c.gen, page.WidthA4, h, 21)
				if err != nil {
					t.Fatal(err)
				}
				p.Res = res
				data := encodePDF(t, []testCase{{"", p, c.opts}})
				got, err := fxrender.Document(context.Background(), data, fxrender.Options{Resolution: res, Mode: fxrender.Text, CacheDir: pdfiumCache})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || !got[0].Equal(p) {
					n := -1
					if len(got) == 1 {
						n = countDiff(got[0], p)
					}
					t.Fatalf("PDFium rendering differs (%d pages, %d pixels differ)", len(got), n)
				}
			})
		}
	}
}

// pdfiumCache keeps PDFium's compiled WebAssembly between test runs; it is
// the cache fax/render's own tests use.
var pdfiumCache = filepath.Join(os.TempDir(), "faxhaven-render-test-cache")

func countDiff(a, b *page.Page) int {
	if a.Width != b.Width || a.Height != b.Height {
		return -1
	}
	n := 0
	for y := 0; y < a.Height; y++ {
		for x := 0; x < a.Width; x++ {
			if a.Black(x, y) != b.Black(x, y) {
				n++
			}
		}
	}
	return n
}
