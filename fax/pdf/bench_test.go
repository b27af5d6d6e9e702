package pdf

import (
	"bytes"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
	"github.com/faxhaven/faxhaven/fax/tiff"
)

// BenchmarkFromTIFF converts a ten-page received fax (text pages, A4 fine).
func BenchmarkFromTIFF(b *testing.B) {
	for _, f := range []t4.Format{t4.MH, t4.MR, t4.MMR} {
		var buf bytes.Buffer
		w := tiff.NewWriter(&buf, &tiff.WriteOptions{Format: f})
		for i := range 10 {
			p, err := t4test.Page("text", page.WidthA4, 2292, uint64(i))
			if err != nil {
				b.Fatal(err)
			}
			if err := w.WritePage(p); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		b.Run(f.String(), func(b *testing.B) {
			b.SetBytes(int64(buf.Len()))
			for b.Loop() {
				if _, err := FromTIFF(buf.Bytes(), nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(10*b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}
