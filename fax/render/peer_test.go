package render

import (
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/internal/peer"
)

// A page exactly one fax page in size (1728 x 2292 pixels at fine), so
// Ghostscript's rendering and ours need no offset to line up.
const faxPagePt = "609.882 841.959"

// peerPS draws text, lines and round shapes: the things a fax carries.
const peerPS = `%!PS
<< /PageSize [` + faxPagePt + `] >> setpagedevice
/Helvetica findfont 14 scalefont setfont
72 760 moveto (Faxhaven: vergelijking met Ghostscript, 14 pt Helvetica) show
/Times-Roman findfont 10 scalefont setfont
72 740 moveto (De snelle bruine vos springt over de luie hond. 0123456789) show
/Helvetica-Bold findfont 28 scalefont setfont
72 690 moveto (FAX 2026) show
2 setlinewidth
72 600 moveto 540 600 lineto stroke
0.5 setlinewidth
72 580 moveto 540 560 lineto stroke
newpath 200 400 100 0 360 arc closepath fill
newpath 420 400 80 0 360 arc closepath 3 setlinewidth stroke
72 150 150 100 rectfill
showpage
`

// readPBMPage reads one raw P4 page.
func readPBMPage(t *testing.T, data []byte, res page.Resolution) *page.Page {
	t.Helper()
	pages, err := page.ReadPBM(data, res)
	if err != nil {
		t.Fatal(err)
	}
	return pages[0]
}

func TestAgainstGhostscript(t *testing.T) {
	gs := peer.Command(t, "gs", "ghostscript")
	pdf := gsPDF(t, peerPS)
	for _, res := range []page.Resolution{page.Standard, page.Fine, page.Superfine} {
		t.Run(res.String(), func(t *testing.T) {
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pbm")
			os.WriteFile(in, pdf, 0o644)
			cmd := exec.Command(gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pbmraw",
				fmt.Sprintf("-r%gx%g", res.X, res.Y), "-sOutputFile="+out, in)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("gs: %v: %s", err, b)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			theirs := readPBMPage(t, data, res)
			pages, err := Document(context.Background(), pdf, Options{Resolution: res, Mode: Text, CacheDir: testCache})
			if err != nil {
				t.Fatal(err)
			}
			ours := pages[0]
			savePNG(t, "gs-ours-"+res.String(), ours)
			savePNG(t, "gs-theirs-"+res.String(), theirs)
			if ours.Width != theirs.Width || ours.Height != theirs.Height {
				t.Fatalf("our page is %dx%d, Ghostscript's %dx%d", ours.Width, ours.Height, theirs.Width, theirs.Height)
			}
			var same, both, either int
			for y := 0; y < ours.Height; y++ {
				for x := 0; x < ours.Width; x++ {
					a, b := ours.Black(x, y), theirs.Black(x, y)
					if a == b {
						same++
					}
					if a && b {
						both++
					}
					if a || b {
						either++
					}
				}
			}
			agree := float64(same) / float64(ours.Width*ours.Height)
			iou := float64(both) / float64(either)
			t.Logf("%v: %.4f of pixels agree; black overlap (IoU) %.3f", res, agree, iou)
			// The renderers differ in anti-aliasing and font hinting, so the
			// edges of shapes and glyphs differ by a pixel here and there.
			if agree < 0.995 {
				t.Errorf("only %.4f of pixels agree with Ghostscript", agree)
			}
			if iou < 0.93 {
				t.Errorf("black pixels overlap Ghostscript's by only %.3f (IoU)", iou)
			}
			// And the ink sits in the same place.
			if d := rectDiff(inkBox(ours), inkBox(theirs)); d > 3 {
				t.Errorf("ink box %v, Ghostscript's %v", inkBox(ours), inkBox(theirs))
			}
			// Every region holds ink in both, or in neither.
			for _, r := range []image.Rectangle{image.Rect(0, 0, ours.Width, ours.Height/4), image.Rect(0, ours.Height/2, ours.Width, ours.Height)} {
				if (blackIn(ours, r) == 0) != (blackIn(theirs, r) == 0) {
					t.Errorf("region %v: ink in only one rendering", r)
				}
			}
		})
	}
}
