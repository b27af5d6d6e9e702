package tiff

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4"
	"github.com/faxhaven/faxhaven/internal/peer"
)

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
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

// TestLibtiffReadsOurs checks that libtiff and ImageMagick decode the files
// we write to exactly our pixels.
func TestLibtiffReadsOurs(t *testing.T) {
	tiffcp := peer.Command(t, "tiffcp", "libtiff-tools")
	tiffinfo := peer.Command(t, "tiffinfo", "libtiff-tools")
	convert := peer.Command(t, "convert", "imagemagick")
	pages := testPages(t)
	dir := t.TempDir()
	for _, o := range writeOptions {
		name := fmt.Sprintf("%v-K%d-align%v", o.Format, o.K, o.AlignEOL)
		t.Run(name, func(t *testing.T) {
			src := filepath.Join(dir, name+".tif")
			if err := os.WriteFile(src, writeTIFF(t, pages, &o), 0o644); err != nil {
				t.Fatal(err)
			}
			// tiffinfo -D decodes every strip and complains on stderr.
			cmd := exec.Command(tiffinfo, "-D", src)
			out, err := cmd.CombinedOutput()
			if err != nil || bytes.Contains(out, []byte("Warning")) || bytes.Contains(out, []byte("rror")) {
				t.Fatalf("tiffinfo -D: %v\n%s", err, out)
			}
			plain := filepath.Join(dir, name+"-none.tif")
			run(t, tiffcp, "-c", "none", src, plain)
			data, err := os.ReadFile(plain)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Read(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			samePages(t, got, pages)
			// ImageMagick, one PBM per page.
			for i, p := range pages {
				pbm := run(t, convert, fmt.Sprintf("%s[%d]", src, i), "pbm:-")
				samePages(t, []*page.Page{readPBM(t, pbm)}, []*page.Page{p})
			}
		})
	}
}

// TestReadLibtiffFiles reads TIFFs that libtiff writes in every bilevel
// flavour and compares them with what libtiff itself decodes.
func TestReadLibtiffFiles(t *testing.T) {
	tiffcp := peer.Command(t, "tiffcp", "libtiff-tools")
	pages := testPages(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src.tif")
	if err := os.WriteFile(src, writeTIFF(t, pages, &WriteOptions{Format: t4.MMR}), 0o644); err != nil {
		t.Fatal(err)
	}
	variants := [][]string{
		{"-c", "none"}, {"-c", "packbits"}, {"-c", "g3"}, {"-c", "g3:2d"}, {"-c", "g3:fill"},
		{"-c", "g3:2d:fill"}, {"-c", "g4"}, {"-c", "g4", "-r", "16"}, {"-c", "g3:2d", "-r", "7"},
		{"-c", "none", "-r", "5"}, {"-c", "none", "-f", "lsb2msb"}, {"-c", "packbits", "-f", "lsb2msb"},
		{"-c", "g3", "-f", "lsb2msb"}, {"-c", "g3:2d:fill", "-f", "lsb2msb"}, {"-c", "g4", "-f", "lsb2msb"},
		{"-c", "g4", "-B"}, {"-c", "g3:2d", "-B"}, {"-c", "lzw"}, {"-c", "zip"}, {"-c", "lzw", "-f", "lsb2msb"},
		{"-c", "zip", "-r", "9"},
	}
	for _, v := range variants {
		name := strings.Join(v, "")
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(dir, name+".tif")
			run(t, tiffcp, append(append([]string{}, v...), src, out)...)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Read(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			samePages(t, got, pages)
		})
	}
}

// testPS is a two-page PostScript document with text, lines and a grey
// fill that dithers.
const testPS = `%!PS
/Helvetica findfont 28 scalefont setfont
72 700 moveto (Faxhaven test page one) show
4 setlinewidth 72 650 moveto 540 600 lineto stroke
0.5 setgray 100 300 200 200 rectfill 0 setgray
1 1 40 { dup 12 mul 72 add 200 moveto 0 80 rlineto stroke } for
showpage
/Times-Roman findfont 40 scalefont setfont
90 500 moveto (Page two) show
0.2 setgray 300 100 150 300 rectfill
showpage
`

// TestReadGhostscriptFiles renders PostScript with Ghostscript's fax TIFF
// devices (tiffcrle is CCITT RLE, compression 2, which tiffcp cannot write)
// and compares our decoding with libtiff's.
func TestReadGhostscriptFiles(t *testing.T) {
	gs := peer.Command(t, "gs", "ghostscript")
	tiffcp := peer.Command(t, "tiffcp", "libtiff-tools")
	dir := t.TempDir()
	ps := filepath.Join(dir, "in.ps")
	if err := os.WriteFile(ps, []byte(testPS), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dev := range []string{"tiffg3", "tiffg32d", "tiffg4", "tiffcrle", "tiffpack"} {
		t.Run(dev, func(t *testing.T) {
			out := filepath.Join(dir, dev+".tif")
			run(t, gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE="+dev, "-r204x196", "-sPAPERSIZE=a4",
				"-sOutputFile="+out, ps)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Read(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			plain := filepath.Join(dir, dev+"-none.tif")
			run(t, tiffcp, "-c", "none", out, plain)
			data, err = os.ReadFile(plain)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Read(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("%d pages, want 2", len(got))
			}
			samePages(t, got, want)
			if got[0].Res.X != 204 || got[0].Res.Y != 196 {
				t.Errorf("resolution %v, want 204x196", got[0].Res)
			}
			black := 0
			for _, b := range got[0].Bits {
				if b != 0 {
					black++
				}
			}
			if black == 0 {
				t.Fatal("page one is blank; the test document did not render")
			}
		})
	}
}

// TestReadImageMagickFiles reads min-is-black files, which libtiff's tools
// do not make, written by ImageMagick from a PBM of our page.
func TestReadImageMagickFiles(t *testing.T) {
	convert := peer.Command(t, "convert", "imagemagick")
	dir := t.TempDir()
	p := testPages(t)[3] // odd width, so row padding matters
	src := filepath.Join(dir, "src.pbm")
	pbm := append(fmt.Appendf(nil, "P4\n%d %d\n", p.Width, p.Height), p.Bits...)
	if err := os.WriteFile(src, pbm, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"Group4", "Fax", "None", "LZW", "Zip"} {
		for _, polarity := range []string{"min-is-black", "min-is-white"} {
			t.Run(c+"-"+polarity, func(t *testing.T) {
				out := filepath.Join(dir, c+polarity+".tif")
				run(t, convert, src, "-define", "quantum:polarity="+polarity, "-compress", c, out)
				data, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Read(data, nil)
				if err != nil {
					t.Fatal(err)
				}
				samePages(t, got, []*page.Page{p})
			})
		}
	}
}

// TestLibtiffReadsOurRLE checks the CCITT RLE (compression 2) files we
// write when handed EOL-less, row-aligned MH data.
func TestLibtiffReadsOurRLE(t *testing.T) {
	tiffcp := peer.Command(t, "tiffcp", "libtiff-tools")
	dir := t.TempDir()
	pages := testPages(t)
	var buf bytes.Buffer
	w := NewWriter(&buf, nil)
	for _, p := range pages {
		c, err := t4.Encode(p, t4.Options{Format: t4.MH, AlignRows: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteCoded(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	src, plain := filepath.Join(dir, "rle.tif"), filepath.Join(dir, "plain.tif")
	if err := os.WriteFile(src, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, tiffcp, "-c", "none", src, plain)
	data, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	samePages(t, got, pages)
}
