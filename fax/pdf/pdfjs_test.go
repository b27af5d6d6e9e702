package pdf

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/faxhaven/faxhaven/internal/peer"
)

// TestPDFJS decodes the image of every page with pdf.js (the viewer of
// Firefox and many web applications) running in Node. pdf.js is not a
// Debian package: the test runs when FAXHAVEN_PDFJS_DIST names an
// installed pdfjs-dist directory (npm install pdfjs-dist) and skips
// otherwise.
func TestPDFJS(t *testing.T) {
	dist := os.Getenv("FAXHAVEN_PDFJS_DIST")
	if dist == "" {
		const how = "set FAXHAVEN_PDFJS_DIST to a pdfjs-dist directory (npm install pdfjs-dist) to run this test"
		peer.Missing(t, "pdf.js", "nodejs, then npm install pdfjs-dist and "+how)
	}
	node := peer.Command(t, "node", "nodejs")
	cs := cases(t)
	file := filepath.Join(t.TempDir(), "all.pdf")
	if err := os.WriteFile(file, encodePDF(t, cs), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("testdata", "pdfjs_mask.mjs"), dist, file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdf.js: %v\n%s", err, stderr.Bytes())
	}
	for i, c := range cs {
		var w, h int
		if _, err := fmt.Fscanf(bytes.NewReader(out), "P4\n%d %d\n", &w, &h); err != nil {
			t.Fatalf("page %d: pdf.js output: %v", i+1, err)
		}
		header := len(fmt.Sprintf("P4\n%d %d\n", w, h))
		n := header + (w+7)/8*h
		if n > len(out) {
			t.Fatalf("page %d: pdf.js output is short", i+1)
		}
		got := readPBM(t, out[:n])
		out = out[n:]
		if !got.Equal(c.page) {
			t.Errorf("%s: pdf.js decodes %dx%d pixels that differ from the %dx%d page", c.name, got.Width, got.Height, c.page.Width, c.page.Height)
		}
	}
}
