package pdf

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
	"github.com/faxhaven/faxhaven/fax/tiff"
	"github.com/faxhaven/faxhaven/internal/peer"
)

type testCase struct {
	name string
	page *page.Page
	opts t4.Options
}

func cases(t *testing.T) []testCase {
	mk := func(gen string, w, h int, res page.Resolution) *page.Page {
		p, err := t4test.Page(gen, w, h, 11)
		if err != nil {
			t.Fatal(err)
		}
		p.Res = res
		return p
	}
	return []testCase{
		{"MMR-fine", mk("text", 1728, 300, page.Fine), t4.Options{Format: t4.MMR, EndOfPage: true}},
		{"MMR-standard", mk("halftone", 1728, 150, page.Standard), t4.Options{Format: t4.MMR}},
		{"MMR-superfine-B4", mk("stripes", 2048, 200, page.Superfine), t4.Options{Format: t4.MMR, LSBFirst: true}},
		{"MH-EOL", mk("text", 1728, 120, page.Fine), t4.Options{Format: t4.MH, EOL: true, EndOfPage: true}},
		{"MH-aligned-LSB", mk("longruns", 2432, 100, page.Fine), t4.Options{Format: t4.MH, EOL: true, AlignEOL: true, LSBFirst: true}},
		{"MH-RLE", mk("edges", 1728, 100, page.Standard), t4.Options{Format: t4.MH, AlignRows: true}},
		{"MR-K4", mk("text", 1728, 120, page.Fine), t4.Options{Format: t4.MR, K: 4, EOL: true, EndOfPage: true}},
		{"MR-Kinf-aligned", mk("bytebounds", 1728, 100, page.Fine), t4.Options{Format: t4.MR, EOL: true, AlignEOL: true}},
		{"MMR-300", mk("halftone", 1000, 90, page.R300), t4.Options{Format: t4.MMR}},
	}
}

func encodePDF(t *testing.T, cs []testCase) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, c := range cs {
		cp, err := t4.Encode(c.page, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteCoded(cp); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestStructure checks the xref table against the objects it points to.
func TestStructure(t *testing.T) {
	data := encodePDF(t, cases(t))
	if !bytes.HasPrefix(data, []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")) {
		t.Fatal("bad header")
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no startxref at the end")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(data[xref:], []byte("xref\n0 ")) {
		t.Fatalf("startxref %d does not point at the xref table", xref)
	}
	lines := strings.Split(string(data[xref:]), "\n")
	n, _ := strconv.Atoi(strings.Fields(lines[1])[1])
	if want := 3 + 3*len(cases(t)) + 1; n != want {
		t.Fatalf("xref has %d entries, want %d", n, want)
	}
	for i := 1; i < n; i++ {
		e := lines[2+i]
		if len(e)+1 != 20 {
			t.Fatalf("xref entry %d is %d bytes, want 20", i, len(e)+1)
		}
		off, _ := strconv.Atoi(e[:10])
		if !bytes.HasPrefix(data[off:], fmt.Appendf(nil, "%d 0 obj\n", i)) {
			t.Fatalf("xref entry %d points at %q", i, data[off:off+12])
		}
	}
	if !bytes.Contains(data, []byte("/Producer (Faxhaven)")) {
		t.Error("no Producer")
	}
	// Physical size: 1728 pixels at 204 dpi is 609.88 points (215.1 mm),
	// rounded down.
	if !bytes.Contains(data, []byte("/MediaBox [0 0 609.8823 ")) {
		t.Error("A4 fine page does not have the expected width")
	}
}

// TestPoppler renders each page with pdftoppm at the page's own resolution
// and compares the pixels with ours.
func TestPoppler(t *testing.T) {
	pdftoppm := peer.Command(t, "pdftoppm", "poppler-utils")
	dir := t.TempDir()
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, c.name+".pdf")
			if err := os.WriteFile(file, encodePDF(t, []testCase{c}), 0o644); err != nil {
				t.Fatal(err)
			}
			got := render(t, pdftoppm, file, 1, c.page.Res)
			if !got.Equal(c.page) {
				t.Fatalf("rendered %dx%d pixels differ from the %dx%d page", got.Width, got.Height, c.page.Width, c.page.Height)
			}
		})
	}
}

// TestRepairedAndBitmapPages covers the paths that code afresh: a bitmap
// page, and a received page with bad rows, which must show our repair (the
// previous row repeated) whatever the viewer's decoder would make of it.
func TestRepairedAndBitmapPages(t *testing.T) {
	pdftoppm := peer.Command(t, "pdftoppm", "poppler-utils")
	p := cases(t)[0].page
	good, err := t4.EncodePage(p, t4.Options{Format: t4.MH, EOL: true})
	if err != nil {
		t.Fatal(err)
	}
	// Damage one row: 0xff bytes are runs of white 7 that overflow the row.
	data := append([]byte{}, good[:len(good)/2]...)
	data = append(data, 0x00, 0x1f, 0xff, 0xff, 0xff)
	data = append(data, good[len(good)/2:]...)
	_, st, err := t4.DecodePage(data, p.Width, t4.Options{Format: t4.MH, EOL: true})
	if err != nil {
		t.Fatal(err)
	}
	received := &t4.CodedPage{Width: p.Width, Height: st.Rows, Res: p.Res, Options: t4.Options{Format: t4.MH, EOL: true}, Data: data}
	repaired, st2, err := received.Decode()
	if err != nil || st2.BadRows == 0 {
		t.Fatalf("damaged page: %v, %+v", err, st2)
	}
	received.Stats = &st2

	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WritePage(p); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteCoded(received); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "x.pdf")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := render(t, pdftoppm, file, 1, p.Res); !got.Equal(p) {
		t.Error("bitmap page: rendered pixels differ")
	}
	if got := render(t, pdftoppm, file, 2, p.Res); !got.Equal(repaired) {
		t.Error("repaired page: rendered pixels differ from our decoding")
	}
}

// render rasterises one page with pdftoppm -mono into a page.
func render(t *testing.T, pdftoppm, file string, n int, res page.Resolution) *page.Page {
	t.Helper()
	out := file + fmt.Sprint(n)
	cmd := exec.Command(pdftoppm, "-mono", "-aa", "no", "-aaVector", "no", "-f", fmt.Sprint(n), "-l", fmt.Sprint(n),
		"-rx", fmt.Sprint(res.X), "-ry", fmt.Sprint(res.Y), "-singlefile", file, out)
	if msg, err := cmd.CombinedOutput(); err != nil || len(msg) > 0 {
		t.Fatalf("pdftoppm: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out + ".pbm")
	if err != nil {
		t.Fatal(err)
	}
	return readPBM(t, data)
}

// readPBM reads a raw (P4) PBM file of one page.
func readPBM(t *testing.T, data []byte) *page.Page {
	t.Helper()
	pages, err := page.ReadPBM(data, page.Fine)
	if err != nil {
		t.Fatal(err)
	}
	return pages[0]
}

// TestFromTIFF converts a multi-page Class F file and checks size and
// pixels.
func TestFromTIFF(t *testing.T) {
	pdftoppm := peer.Command(t, "pdftoppm", "poppler-utils")
	cs := cases(t)[:4]
	for _, format := range []t4.Format{t4.MH, t4.MR, t4.MMR} {
		t.Run(format.String(), func(t *testing.T) {
			var buf bytes.Buffer
			tw := tiff.NewWriter(&buf, &tiff.WriteOptions{Format: format, AlignEOL: format == t4.MH})
			for _, c := range cs {
				if err := tw.WritePage(c.page); err != nil {
					t.Fatal(err)
				}
			}
			if err := tw.Close(); err != nil {
				t.Fatal(err)
			}
			data, err := FromTIFF(buf.Bytes(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if over := len(data) - buf.Len(); over > 600*len(cs) {
				t.Errorf("PDF is %d bytes larger than the TIFF, more than 600 per page", over)
			}
			file := filepath.Join(t.TempDir(), "fax.pdf")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			for i, c := range cs {
				if got := render(t, pdftoppm, file, i+1, c.page.Res); !got.Equal(c.page) {
					t.Fatalf("page %d: rendered pixels differ", i+1)
				}
			}
		})
	}
}

// TestGhostscript renders with a second, independent PDF interpreter.
func TestGhostscript(t *testing.T) {
	gs := peer.Command(t, "gs", "ghostscript")
	dir := t.TempDir()
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, c.name+".pdf")
			if err := os.WriteFile(file, encodePDF(t, []testCase{c}), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, c.name+".pbm")
			cmd := exec.Command(gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pbmraw",
				fmt.Sprintf("-r%gx%g", c.page.Res.X, c.page.Res.Y), "-o", out, file)
			if msg, err := cmd.CombinedOutput(); err != nil || len(msg) > 0 {
				t.Fatalf("gs: %v\n%s", err, msg)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := readPBM(t, data); !got.Equal(c.page) {
				t.Fatalf("rendered %dx%d pixels differ from the %dx%d page", got.Width, got.Height, c.page.Width, c.page.Height)
			}
		})
	}
}

// TestFromTIFFMinIsBlack converts a min-is-black Group 4 file (written by
// ImageMagick), which cannot be wrapped as is.
func TestFromTIFFMinIsBlack(t *testing.T) {
	convert := peer.Command(t, "convert", "imagemagick")
	pdftoppm := peer.Command(t, "pdftoppm", "poppler-utils")
	dir := t.TempDir()
	p := cases(t)[0].page
	src := filepath.Join(dir, "p.pbm")
	if err := os.WriteFile(src, append(fmt.Appendf(nil, "P4\n%d %d\n", p.Width, p.Height), p.Bits...), 0o644); err != nil {
		t.Fatal(err)
	}
	tif := filepath.Join(dir, "p.tif")
	if msg, err := exec.Command(convert, src, "-define", "quantum:polarity=min-is-black", "-compress", "Group4",
		"-density", "204x196", "-units", "PixelsPerInch", tif).CombinedOutput(); err != nil {
		t.Fatalf("convert: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(tif)
	if err != nil {
		t.Fatal(err)
	}
	out, err := FromTIFF(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "p.pdf")
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := render(t, pdftoppm, file, 1, p.Res); !got.Equal(p) {
		t.Fatal("rendered pixels differ")
	}
}
