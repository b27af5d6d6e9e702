package render

import (
	"context"
	"os"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
)

// benchDoc is the 20-page document of bench/render, made with Ghostscript.
func benchDoc(b *testing.B) []byte {
	ps, err := os.ReadFile("../../bench/render/doc.ps")
	if err != nil {
		b.Fatal(err)
	}
	return gsPDF(b, string(ps))
}

func BenchmarkPDFDocument(b *testing.B) {
	pdf := benchDoc(b)
	opts := Options{Resolution: page.Fine, CacheDir: testCache}
	if _, err := Document(context.Background(), pdf, opts); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Document(context.Background(), pdf, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(20*b.N)/b.Elapsed().Seconds(), "pages/s")
}

func BenchmarkBilevel(b *testing.B) {
	g := ramp(page.WidthA4, A4.Rows(page.Fine))
	for _, m := range []Mode{Text, Photo, Auto} {
		b.Run(m.String(), func(b *testing.B) {
			b.SetBytes(int64(len(g.Pix)))
			for i := 0; i < b.N; i++ {
				bilevel(g, m, page.Fine)
			}
		})
	}
}

func BenchmarkTextPage(b *testing.B) {
	doc := make([]byte, 0, 6000)
	for len(doc) < 5000 {
		doc = append(doc, "Faxhaven zet platte tekst op een faxpagina, ĳverig en snel. "...)
	}
	for i := 0; i < b.N; i++ {
		if _, err := Document(context.Background(), doc, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPhotoPage(b *testing.B) {
	// A 12-megapixel greyscale picture scaled onto a fine page.
	g := ramp(4000, 3000)
	opts, _ := Options{}.norm()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := imagePage(g, opts); err != nil {
			b.Fatal(err)
		}
	}
}
