package render

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
)

// pdfObjects writes a PDF from numbered objects (1-based, in order) with a
// correct cross-reference table. Object 1 must be the catalog.
func pdfObjects(objs []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// makePDF writes a PDF with one page of w x h points per content stream.
func makePDF(w, h float64, contents ...string) []byte {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", ""}
	kids := ""
	for _, c := range contents {
		n := len(objs) + 1
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Contents %d 0 R /Resources << >> >>", w, h, n+1),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(c), c))
		kids += fmt.Sprintf("%d 0 R ", n)
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids, len(contents))
	return pdfObjects(objs)
}

// savePNG writes a page as a PNG under FAXHAVEN_RENDER_DUMP, if set, so a
// person can look at it. Rows are repeated to undo the non-square pixels.
func savePNG(t testing.TB, name string, p *page.Page) {
	dir := os.Getenv("FAXHAVEN_RENDER_DUMP")
	if dir == "" {
		return
	}
	rep := int(p.Res.X/p.Res.Y + 0.5)
	if rep < 1 {
		rep = 1
	}
	img := image.NewGray(image.Rect(0, 0, p.Width, p.Height*rep))
	for y := 0; y < p.Height*rep; y++ {
		for x := 0; x < p.Width; x++ {
			if !p.Black(x, y/rep) {
				img.Pix[y*img.Stride+x] = 0xff
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// blackIn counts black pixels of p inside r.
func blackIn(p *page.Page, r image.Rectangle) int {
	r = r.Intersect(image.Rect(0, 0, p.Width, p.Height))
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if p.Black(x, y) {
				n++
			}
		}
	}
	return n
}

// inkBox is the bounding box of the black pixels of p.
func inkBox(p *page.Page) image.Rectangle {
	var r image.Rectangle
	for y := 0; y < p.Height; y++ {
		for x := 0; x < p.Width; x++ {
			if p.Black(x, y) {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func fmtf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// rectDiff is the largest distance between corresponding edges.
func rectDiff(a, b image.Rectangle) int {
	d := 0
	for _, v := range []int{a.Min.X - b.Min.X, a.Min.Y - b.Min.Y, a.Max.X - b.Max.X, a.Max.Y - b.Max.Y} {
		if v < 0 {
			v = -v
		}
		d = max(d, v)
	}
	return d
}
