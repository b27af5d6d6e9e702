package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/render"
	"github.com/faxhaven/faxhaven/fax/tiff"
	"github.com/faxhaven/faxhaven/internal/peer"
)

// readPBM parses concatenated raw P4 bitmaps.
func readPBM(t *testing.T, data []byte) []*page.Page {
	t.Helper()
	pages, err := page.ReadPBM(data, page.Fine)
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

func convert(t *testing.T, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(context.Background(), append([]string{"convert"}, args...), &o, &e)
	return code, o.String(), e.String()
}

func TestConvertHelp(t *testing.T) {
	code, out, _ := convert(t, "--help")
	if code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, f := range []string{"-resolution", "-encoding", "-paper", "-header", "-cover-note", "-mode", "-lang", "-cache-dir", "-o "} {
		if !strings.Contains(out, f) {
			t.Errorf("--help does not list %s", f)
		}
	}
}

func TestConvertPBM(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "brief.txt")
	if err := os.WriteFile(txt, []byte("Eerste pagina\n\fTweede pagina\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := render.Document(context.Background(), []byte("Eerste pagina\n\fTweede pagina\n"), render.Options{Resolution: page.Standard})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		pages int
		rows  int
		exact bool // pages equal the library's rendering
	}{
		{"plain", []string{txt, "-o", "OUT", "--resolution", "standard"}, 2, render.A4.Rows(page.Standard), true},
		{"flags first", []string{"--resolution", "standard", "-o", "OUT", txt}, 2, 0, true},
		{"two inputs", []string{txt, "--resolution=standard", txt, "-o", "OUT"}, 4, 0, false},
		{"cover and header", []string{"--cover-note", "Zie bijlage", "--lang", "nl", "--header", "Faxhaven", txt, "-o", "OUT"}, 3, 0, false},
		{"letter superfine", []string{"--paper", "letter", "--resolution", "superfine", txt, "-o", "OUT"}, 2, render.Letter.Rows(page.Superfine), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.pbm")
			for i, a := range tt.args {
				if a == "OUT" {
					tt.args[i] = out
				}
			}
			code, _, stderr := convert(t, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			got := readPBM(t, data)
			if len(got) != tt.pages {
				t.Fatalf("%d pages, want %d", len(got), tt.pages)
			}
			for _, p := range got {
				if p.Width != page.WidthA4 {
					t.Errorf("page width %d", p.Width)
				}
				if tt.rows != 0 && p.Height != tt.rows {
					t.Errorf("page height %d, want %d", p.Height, tt.rows)
				}
			}
			if tt.exact {
				for i := range want {
					if !want[i].Equal(got[i]) {
						t.Errorf("page %d differs from render.Document", i+1)
					}
				}
			}
		})
	}
}

func TestConvertErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.bin")
	os.WriteFile(junk, []byte{0, 1, 2, 3, 0xff, 0xfe}, 0o644)
	txt := filepath.Join(dir, "a.txt")
	os.WriteFile(txt, []byte("hi"), 0o644)
	out := filepath.Join(dir, "out.pbm")
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no inputs", []string{"-o", out}, 2, "no input"},
		{"no output", []string{txt}, 2, "-o OUT"},
		{"bad extension", []string{txt, "-o", filepath.Join(dir, "x.doc")}, 2, ".tiff, .pdf or .pbm"},
		{"bad resolution", []string{txt, "-o", out, "--resolution", "ultra"}, 2, "standard, fine or superfine"},
		{"bad paper", []string{txt, "-o", out, "--paper", "a3"}, 2, "a4 or letter"},
		{"bad flag", []string{txt, "-o", out, "--colour"}, 2, "--help"},
		{"missing input", []string{filepath.Join(dir, "nope.pdf"), "-o", out}, 1, "no such file"},
		{"unsupported input", []string{junk, "-o", out}, 1, "PDF, PNG"},
		{"bad cover language", []string{txt, "-o", out, "--cover-note", "x", "--lang", "fr"}, 1, "en or nl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := convert(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (%s)", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr %q does not mention %q", stderr, tt.msg)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a failed run left %s behind", out)
			}
		})
	}
}

func TestConvertTIFF(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "brief.txt")
	body := "Eerste pagina\n\fTweede pagina, ĳs en één\n"
	os.WriteFile(txt, []byte(body), 0o644)
	want, err := render.Document(context.Background(), []byte(body), render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{"mh", "mr", "mmr"} {
		t.Run(enc, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.tiff")
			if code, _, stderr := convert(t, txt, "-o", out, "--encoding", enc); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tiff.Read(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d pages, want %d", len(got), len(want))
			}
			for i := range want {
				if !got[i].Equal(want[i]) {
					t.Errorf("page %d differs after the TIFF round trip", i+1)
				}
				if got[i].Res != page.Fine {
					t.Errorf("page %d resolution %v", i+1, got[i].Res)
				}
			}
		})
	}
	if code, _, stderr := convert(t, txt, "-o", filepath.Join(dir, "x.tiff"), "--encoding", "jbig"); code != 2 || !strings.Contains(stderr, "mh, mr or mmr") {
		t.Errorf("bad encoding: exit %d, %s", code, stderr)
	}
}

func TestConvertTIFFPeer(t *testing.T) {
	tiffinfo := peer.Command(t, "tiffinfo", "libtiff-tools")
	dir := t.TempDir()
	txt := filepath.Join(dir, "a.txt")
	os.WriteFile(txt, []byte("Hallo\fTwee\fDrie"), 0o644)
	out := filepath.Join(dir, "out.tiff")
	if code, _, stderr := convert(t, txt, "-o", out, "--resolution", "standard", "--header", "Faxhaven"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := exec.Command(tiffinfo, out).CombinedOutput()
	if err != nil {
		t.Fatalf("tiffinfo: %v: %s", err, b)
	}
	info := string(b)
	if n := strings.Count(info, "Image Width: 1728"); n != 3 {
		t.Errorf("tiffinfo sees %d pages 1728 wide, want 3:\n%s", n, info)
	}
	if !strings.Contains(info, "CCITT Group 4") {
		t.Errorf("tiffinfo does not report Group 4 coding:\n%s", info)
	}
}

// TestConvertPDF renders our PDF output with Poppler and compares the
// pixels with the pages we wrote.
func TestConvertPDF(t *testing.T) {
	pdftoppm := peer.Command(t, "pdftoppm", "poppler-utils")
	dir := t.TempDir()
	txt := filepath.Join(dir, "brief.txt")
	body := "Eerste pagina met tekst\n\fTweede pagina\n"
	os.WriteFile(txt, []byte(body), 0o644)
	want, err := render.Document(context.Background(), []byte(body), render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{"mh", "mr", "mmr"} {
		t.Run(enc, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.pdf")
			if code, _, stderr := convert(t, txt, "-o", out, "--encoding", enc); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			// Fine pages are 204x196 dpi; render at 204 dpi across and
			// compare the first page row by row at the matching height.
			prefix := filepath.Join(t.TempDir(), "pg")
			if b, err := exec.Command(pdftoppm, "-mono", "-rx", "204", "-ry", "196", "-f", "1", "-l", "1", out, prefix).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v: %s", err, b)
			}
			matches, _ := filepath.Glob(prefix + "*.pbm")
			if len(matches) != 1 {
				t.Fatalf("pdftoppm wrote %v", matches)
			}
			data, _ := os.ReadFile(matches[0])
			got := readPBM(t, data)
			if len(got) != 1 || got[0].Width != want[0].Width || got[0].Height != want[0].Height {
				t.Fatalf("Poppler's page is %dx%d, ours %dx%d", got[0].Width, got[0].Height, want[0].Width, want[0].Height)
			}
			if !got[0].Equal(want[0]) {
				diff := 0
				for y := 0; y < want[0].Height; y++ {
					for x := 0; x < want[0].Width; x++ {
						if got[0].Black(x, y) != want[0].Black(x, y) {
							diff++
						}
					}
				}
				if diff > 50 {
					t.Errorf("Poppler's rendering differs in %d pixels", diff)
				}
			}
		})
	}
}
