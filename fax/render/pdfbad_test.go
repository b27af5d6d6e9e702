package render

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/internal/peer"
)

// testCache shares PDFium's compiled module between test runs.
var testCache = filepath.Join(os.TempDir(), "faxhaven-render-test-cache")

// manyPagePDF writes a PDF whose page tree lists n pages that all share one
// content stream, a cheap way to get a document over the page limit.
func manyPagePDF(n int) []byte {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "",
		"<< /Length 19 >>\nstream\n0 g 72 72 72 72 re f\nendstream"}
	var kids strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&kids, "%d 0 R ", len(objs)+1)
		objs = append(objs, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>")
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids.String(), n)
	return pdfObjects(objs)
}

// gsPDF makes a PDF from PostScript with Ghostscript's pdfwrite device.
func gsPDF(t testing.TB, ps string, extra ...string) []byte {
	t.Helper()
	gs := peer.Command(t, "gs", "ghostscript")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.ps"), filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(in, []byte(ps), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-sOutputFile=" + out}, extra...)
	if b, err := exec.Command(gs, append(args, in)...).CombinedOutput(); err != nil {
		t.Fatalf("gs: %v: %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

const boxPS = "%!PS\n<< /PageSize [595 842] >> setpagedevice\nnewpath 100 100 moveto 200 0 rlineto 0 200 rlineto -200 0 rlineto closepath fill showpage\n"

func TestPDFBadInput(t *testing.T) {
	good := makePDF(a4w, a4h, "0 g 72 72 72 72 re f")
	tests := []struct {
		name string
		data func(t *testing.T) []byte
		opts Options
		want error
		msg  string
	}{
		{"truncated", func(*testing.T) []byte { return good[:40] }, Options{}, ErrCorrupt, ""},
		{"garbage after header", func(*testing.T) []byte { return []byte("%PDF-1.7\n\x00\x01garbage{{{[[[<<<") }, Options{}, ErrCorrupt, ""},
		{"zero pages", func(*testing.T) []byte {
			return pdfObjects([]string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>"})
		}, Options{}, ErrNoPages, ""},
		{"over the page limit", func(*testing.T) []byte { return manyPagePDF(2000) }, Options{}, ErrTooManyPages, "2000 pages, the limit is 1000"},
		{"over a custom limit", func(*testing.T) []byte { return manyPagePDF(3) }, Options{MaxPages: 2}, ErrTooManyPages, "limit is 2"},
		{"user password", func(t *testing.T) []byte {
			return gsPDF(t, boxPS, "-sOwnerPassword=eigenaar", "-sUserPassword=geheim")
		}, Options{}, ErrEncrypted, "remove the password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.CacheDir = testCache
			pages, err := Document(context.Background(), tt.data(t), tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if pages != nil {
				t.Error("pages returned with an error")
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %q, want it to say %q", err, tt.msg)
			}
		})
	}
}

func TestPDFOwnerPasswordOnly(t *testing.T) {
	// A PDF with only an owner password opens without one: it must render.
	data := gsPDF(t, boxPS, "-sOwnerPassword=eigenaar", "-sUserPassword=")
	pages, err := Document(context.Background(), data, Options{CacheDir: testCache})
	if err != nil {
		t.Fatal(err)
	}
	if blackIn(pages[0], inkBox(pages[0])) == 0 {
		t.Error("blank page")
	}
}

func TestPDFManyPagesWithinLimit(t *testing.T) {
	pages, err := Document(context.Background(), manyPagePDF(30), Options{Resolution: page.Standard, CacheDir: testCache})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 30 {
		t.Fatalf("%d pages, want 30", len(pages))
	}
	for i := range pages {
		if !pages[i].Equal(pages[0]) {
			t.Fatalf("page %d differs from page 1 though they share one content stream", i+1)
		}
	}
}

func TestPDFDeadline(t *testing.T) {
	// A page that takes long to draw: many thousands of tiny filled paths.
	var b strings.Builder
	b.WriteString("0 g ")
	for i := 0; i < 200000; i++ {
		fmt.Fprintf(&b, "%d %d 3 3 re f ", i%500+20, (i/500)%800+20)
	}
	data := makePDF(a4w, a4h, strings.Repeat(b.String(), 1))
	if _, err := Document(context.Background(), makePDF(a4w, a4h, "0 g"), Options{CacheDir: testCache}); err != nil {
		t.Fatal(err) // warm the engine so the deadline is spent rendering
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Document(ctx, data, Options{CacheDir: testCache})
	if err == nil {
		t.Skip("the page rendered within 50 ms; cannot observe the deadline on this machine")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("render stopped %v after a 50 ms deadline", el)
	}
	// The engine still works afterwards.
	if _, err := Document(context.Background(), makePDF(a4w, a4h, "0 g 72 72 72 72 re f"), Options{CacheDir: testCache}); err != nil {
		t.Fatalf("after a killed render: %v", err)
	}
}

func TestPDFConcurrent(t *testing.T) {
	docs := [][]byte{
		makePDF(a4w, a4h, "0 g 72 72 72 72 re f"),
		makePDF(a4w, a4h, "0 g 300 300 100 50 re f", "0 g 100 600 50 50 re f"),
		manyPagePDF(5),
	}
	want := make([][]*page.Page, len(docs))
	for i, d := range docs {
		var err error
		if want[i], err = Document(context.Background(), d, Options{CacheDir: testCache}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for g := 0; g < 12; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			i := g % len(docs)
			got, err := Document(context.Background(), docs[i], Options{CacheDir: testCache})
			if err != nil {
				errs <- err
				return
			}
			for j := range got {
				if !got[j].Equal(want[i][j]) {
					errs <- fmt.Errorf("doc %d page %d differs when rendered concurrently", i, j+1)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPDFImageBomb(t *testing.T) {
	// An image that claims 50,000 x 50,000 grey pixels with almost no data:
	// PDFium must either draw what there is or fail inside its memory
	// limit, and the engine must keep working afterwards.
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 1<<16))
	zw.Close()
	content := "q 500 0 0 700 50 50 cm /Im0 Do Q"
	pdf := pdfObjects([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /Im0 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width 50000 /Height 50000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", z.Len(), z.String()),
	})
	// PDFium grinds through such an image for minutes: the deadline must
	// stop it.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	pages, err := Document(ctx, pdf, Options{CacheDir: testCache})
	if el := time.Since(start); el > 13*time.Second {
		t.Errorf("render went on %v after a 3 s deadline", el)
	}
	t.Logf("image bomb: %d pages, err %v", len(pages), err)
	if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a page, ErrCorrupt or a deadline", err)
	}
	if _, err := Document(context.Background(), makePDF(a4w, a4h, "0 g 72 72 72 72 re f"), Options{CacheDir: testCache}); err != nil {
		t.Fatalf("after the image bomb: %v", err)
	}
}
