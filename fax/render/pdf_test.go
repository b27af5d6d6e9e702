package render

import (
	"context"
	"image"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
)

// A4 in points.
const a4w, a4h = 595.276, 841.89

func TestPDFRectangle(t *testing.T) {
	// A black box 1 inch in from the left, 2 inches down from the top,
	// 2 inches wide and 1 inch tall, on an A4 page.
	x, yTop, w, h := 72.0, 144.0, 144.0, 72.0
	pdf := makePDF(a4w, a4h, fmtf("0 g %g %g %g %g re f", x, a4h-yTop-h, w, h))
	for _, res := range []page.Resolution{page.Standard, page.Fine, page.Superfine} {
		t.Run(res.String(), func(t *testing.T) {
			opts := Options{Resolution: res, CacheDir: testCache}
			pages, err := Document(context.Background(), pdf, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != 1 {
				t.Fatalf("got %d pages, want 1", len(pages))
			}
			p := pages[0]
			if p.Width != page.WidthA4 || p.Height != A4.Rows(res) {
				t.Fatalf("page is %dx%d, want %dx%d", p.Width, p.Height, page.WidthA4, A4.Rows(res))
			}
			savePNG(t, "pdf-rect-"+res.String(), p)
			// A4 is narrower than the fax line: centred, at scale 1.
			ox := (float64(page.WidthA4) - a4w/72*res.X) / 2
			want := image.Rect(
				int(ox+x/72*res.X+0.5), int(yTop/72*res.Y+0.5),
				int(ox+(x+w)/72*res.X+0.5), int((yTop+h)/72*res.Y+0.5))
			got := inkBox(p)
			if d := rectDiff(got, want); d > 2 {
				t.Errorf("box at %v, want %v (off by %d px)", got, want, d)
			}
			if n, all := blackIn(p, want.Inset(2)), want.Inset(2).Dx()*want.Inset(2).Dy(); n != all {
				t.Errorf("%d of %d pixels inside the box are black", n, all)
			}
		})
	}
}
