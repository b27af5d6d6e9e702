package t4

import (
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
)

// Realistic pages: A4 at fine resolution (1728 x 2292).
func benchPages(b *testing.B) map[string]*page.Page {
	b.Helper()
	m := map[string]*page.Page{}
	for _, g := range []string{"text", "halftone"} {
		p, err := t4test.Page(g, page.WidthA4, 2292, 1)
		if err != nil {
			b.Fatal(err)
		}
		m[g] = p
	}
	return m
}

var benchCodings = []struct {
	name string
	opts Options
}{
	{"MMR", Options{Format: MMR, EndOfPage: true}},
	{"MR-K4", Options{Format: MR, K: 4, EOL: true, EndOfPage: true}},
	{"MH", Options{Format: MH, EOL: true, EndOfPage: true}},
}

func BenchmarkEncode(b *testing.B) {
	pages := benchPages(b)
	for _, c := range benchCodings {
		for _, name := range []string{"text", "halftone"} {
			p := pages[name]
			b.Run(c.name+"/"+name, func(b *testing.B) {
				b.SetBytes(int64(len(p.Bits)))
				for b.Loop() {
					if _, err := EncodePage(p, c.opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	pages := benchPages(b)
	for _, c := range benchCodings {
		for _, name := range []string{"text", "halftone"} {
			p := pages[name]
			data, err := EncodePage(p, c.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(c.name+"/"+name, func(b *testing.B) {
				b.SetBytes(int64(len(p.Bits)))
				row := make([]byte, p.Stride)
				for b.Loop() {
					d, err := NewDecoderBytes(data, p.Width, c.opts)
					if err != nil {
						b.Fatal(err)
					}
					for {
						if err := d.ReadRow(row); err != nil {
							break
						}
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			})
		}
	}
}
