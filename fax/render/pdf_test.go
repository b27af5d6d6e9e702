package render

import (
	"context"
	"errors"
	"image"
	"math"
	"testing"
	"time"

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

func TestPDFLandscapeTurns(t *testing.T) {
	// A landscape A4 page with a mark in its top-left corner.
	pdf := makePDF(a4h, a4w, fmtf("0 g 36 %g 72 72 re f", a4w-36-72))
	pages, err := Document(context.Background(), pdf, Options{CacheDir: testCache})
	if err != nil {
		t.Fatal(err)
	}
	p := pages[0]
	savePNG(t, "pdf-landscape", p)
	// Turned a quarter counter-clockwise: the page's top runs down the
	// left edge, so the mark sits at the bottom left, 0.5 in from the
	// left and bottom edges of the turned page.
	box := inkBox(p)
	fit := math.Min(float64(p.Width)*72/204/a4w, float64(p.Height)*72/196/a4h)
	ox := (float64(p.Width) - a4w*fit*204/72) / 2
	want := image.Rect(int(ox+36*fit*204/72+0.5), int((a4h-36-72)*fit*196/72+0.5),
		int(ox+108*fit*204/72+0.5), int((a4h-36)*fit*196/72+0.5))
	if rectDiff(box, want) > 2 {
		t.Errorf("mark at %v, want %v", box, want)
	}
}

func TestPDFShapesKeepProportions(t *testing.T) {
	// A filled circle 4 inches across, drawn with Bézier curves.
	const k = 0.5523 * 144
	circle := fmtf("0 g 300 500 m 300 %g %g 644 444 644 c %g 644 588 %g 588 500 c 588 %g %g 356 444 356 c %g 356 300 %g 300 500 c f",
		500+k, 444-k, 444+k, 500+k, 500-k, 444+k, 444-k, 500-k)
	pdf := makePDF(a4w, a4h, circle)
	for _, res := range []page.Resolution{page.Standard, page.Fine, page.Superfine} {
		pages, err := Document(context.Background(), pdf, Options{Resolution: res, CacheDir: testCache})
		if err != nil {
			t.Fatal(err)
		}
		box := inkBox(pages[0])
		wmm, hmm := float64(box.Dx())/res.X*25.4, float64(box.Dy())/res.Y*25.4
		if math.Abs(wmm-101.6) > 0.6 || math.Abs(hmm-101.6) > 0.6 {
			t.Errorf("%v: circle is %.1f x %.1f mm on paper, want 101.6 x 101.6", res, wmm, hmm)
		}
	}
}

func TestPDFLetterPaper(t *testing.T) {
	// A Letter page on Letter paper fills the page's height; on A4 paper
	// it is scaled to the fax line's width (Letter is 1734 px wide at 204
	// dpi, a hair over 1728).
	const lw, lh = 612, 792
	pdf := makePDF(lw, lh, fmtf("0 g 0 0 %d %d re f", lw, lh))
	for _, paper := range []Paper{A4, Letter} {
		pages, err := Document(context.Background(), pdf, Options{Paper: paper, CacheDir: testCache})
		if err != nil {
			t.Fatal(err)
		}
		p := pages[0]
		if p.Height != paper.Rows(page.Fine) {
			t.Errorf("%v: page has %d rows, want %d", paper, p.Height, paper.Rows(page.Fine))
		}
		box := inkBox(p)
		wantH := int(math.Round(lh * (1728.0 / 1734) * 196 / 72))
		if box.Dx() < 1726 || math.Abs(float64(box.Dy()-wantH)) > 2 || box.Min.Y != 0 {
			t.Errorf("%v: a full black page covers %v, want 1728 x %d from the top", paper, box, wantH)
		}
	}
}

func TestPDFGreyAndColour(t *testing.T) {
	// Four boxes: 25% grey, 75% grey, pure red, pale yellow; in Photo mode
	// each becomes dots at the density of its luminance.
	pdf := makePDF(a4w, a4h,
		"0.25 g 72 600 144 144 re f 0.75 g 288 600 144 144 re f "+
			"1 0 0 rg 72 300 144 144 re f 1 1 0.6 rg 288 300 144 144 re f")
	pages, err := Document(context.Background(), pdf, Options{Mode: Photo, CacheDir: testCache})
	if err != nil {
		t.Fatal(err)
	}
	p := pages[0]
	savePNG(t, "pdf-grey", p)
	ox := (float64(p.Width) - a4w/72*204) / 2
	box := func(x, y float64) image.Rectangle { // PDF box with corner (x, y), 2 in square
		r := image.Rect(int(ox+x/72*204), int((a4h-y-144)/72*196), int(ox+(x+144)/72*204), int((a4h-y)/72*196))
		return r.Inset(10)
	}
	lum := func(r, g, b float64) float64 { return 0.299*r + 0.587*g + 0.114*b }
	for _, c := range []struct {
		name string
		r    image.Rectangle
		grey float64
	}{
		{"25% grey", box(72, 600), 0.25},
		{"75% grey", box(288, 600), 0.75},
		{"red", box(72, 300), lum(1, 0, 0)},
		{"pale yellow", box(288, 300), lum(1, 1, 0.6)},
	} {
		got := float64(blackIn(p, c.r)) / float64(c.r.Dx()*c.r.Dy())
		if math.Abs(got-(1-c.grey)) > 0.03 {
			t.Errorf("%s: %.3f black, want %.3f", c.name, got, 1-c.grey)
		}
	}
}

func TestPDFOddPages(t *testing.T) {
	// Pages that are rotated, tiny, huge or without a usable MediaBox all
	// render onto a fax page of the usual size, or fail cleanly.
	rotated := pdfObjects([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Rotate 90 /Contents 4 0 R >>",
		"<< /Length 21 >>\nstream\n0 g 50 50 100 700 re f\nendstream",
	})
	for name, pdf := range map[string][]byte{
		"rotate 90":   rotated,
		"tiny":        makePDF(10, 20, "0 g 0 0 5 10 re f"),
		"huge":        makePDF(14000, 9000, "0 g 0 0 7000 4500 re f"),
		"no mediabox": pdfObjects([]string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R >>"}),
		"empty page":  makePDF(a4w, a4h, ""),
	} {
		t.Run(name, func(t *testing.T) {
			pages, err := Document(context.Background(), pdf, Options{CacheDir: testCache})
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("err = %v, want a page or ErrCorrupt", err)
				}
				return
			}
			for _, p := range pages {
				if p.Width != page.WidthA4 || p.Height != A4.Rows(page.Fine) {
					t.Errorf("page is %dx%d", p.Width, p.Height)
				}
			}
			savePNG(t, "pdf-odd-"+name, pages[0])
		})
	}
}

func FuzzPDF(f *testing.F) {
	f.Add(makePDF(a4w, a4h, "0 g 72 72 72 72 re f"))
	f.Add(manyPagePDF(3))
	f.Add(pdfObjects([]string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>"}))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj trailer << /Root 1 0 R >>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if fm, _ := Detect(data); fm != PDF {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		pages, err := Document(ctx, data, Options{Resolution: page.Standard, MaxPages: 5, CacheDir: testCache})
		if err == nil && (len(pages) == 0 || len(pages) > 5) {
			t.Fatalf("%d pages without an error", len(pages))
		}
	})
}
