package tiff

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/faxhaven/faxhaven/fax/t4"
)

// FuzzRead feeds arbitrary bytes to the reader, seeded with valid files of
// every coding; it must never panic and must respect the pixel budget.
func FuzzRead(f *testing.F) {
	pages := testPages(f)[3:5] // small pages keep the seeds short
	for _, o := range []WriteOptions{{Format: t4.MH}, {Format: t4.MR, K: 2}, {Format: t4.MMR}} {
		f.Add(writeTIFF(f, pages, &o))
	}
	golden, _ := filepath.Glob(filepath.Join("testdata", "*.tif"))
	for _, name := range golden {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const budget = 1 << 22
		r, err := Open(data, &ReadOptions{MaxPixels: budget, MaxPages: 20})
		if err != nil {
			return
		}
		var pixels int
		for i := range r.NumPages() {
			p, err := r.Page(i)
			if err != nil {
				continue
			}
			pixels += p.Width * p.Height
			if _, err := r.Coded(i); err != nil {
				t.Fatalf("page %d decodes but Coded fails: %v", i, err)
			}
		}
		if pixels > budget {
			t.Fatalf("decoded %d pixels, over the budget of %d", pixels, budget)
		}
	})
}
