package render

import (
	"context"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/faxhaven/faxhaven/fax/page"
)

func FuzzDetect(f *testing.F) {
	f.Add([]byte("%PDF-1.4\n"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("GIF89a"))
	f.Add([]byte("II*\x00"))
	f.Add([]byte("PK\x03\x04"))
	f.Add(zipOf(f, [2]string{"mimetype", "application/vnd.oasis.opendocument.text"}))
	f.Add(zipOf(f, [2]string{"word/document.xml", "<x/>"}))
	f.Add([]byte("Geachte heer,\f\tĳs"))
	f.Add([]byte("Caf\xe9"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Detect(data)
		if (err == nil) == (got == Unknown) {
			t.Fatalf("Detect = %v, %v: a format comes with no error, Unknown with one", got, err)
		}
		if err != nil && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("error %v does not wrap ErrUnsupported", err)
		}
		again, _ := Detect(data)
		if again != got {
			t.Fatalf("Detect is not deterministic: %v then %v", got, again)
		}
	})
}

func FuzzText(f *testing.F) {
	f.Add([]byte("Geachte heer,\n\nHierbij ĳzer, één, ß, ø.\fPagina 2"), 40)
	f.Add([]byte("\t\t\tx\ty\r\n\r"), 5)
	f.Add([]byte("Caf\xe9 \x80\x81\x9f"), 10)
	f.Add([]byte("averyveryverylongwordthatneverends"), 3)
	f.Fuzz(func(t *testing.T, data []byte, cols int) {
		if cols < 1 || cols > 200 {
			return
		}
		text := decodeText(data)
		if !utf8.ValidString(text) {
			t.Fatal("decodeText returned invalid UTF-8")
		}
		pages, err := layoutText(text, cols, 7, 50)
		if err != nil {
			if !errors.Is(err, ErrTooManyPages) {
				t.Fatal(err)
			}
			return
		}
		for _, lines := range pages {
			if len(lines) > 7 {
				t.Fatalf("page of %d lines, want at most 7", len(lines))
			}
			for _, l := range lines {
				if n := utf8.RuneCountInString(l); n > cols {
					t.Fatalf("line of %d runes, want at most %d: %q", n, cols, l)
				}
			}
		}
		// The whole text path, on the smallest page setting, must not fail
		// on anything Detect calls text.
		if len(data) > 4000 {
			return
		}
		if f, _ := Detect(data); f == PlainText {
			ps, err := Document(context.Background(), data, Options{Resolution: page.Standard, MaxPages: 50})
			if err != nil && !errors.Is(err, ErrTooManyPages) {
				t.Fatal(err)
			}
			for _, p := range ps {
				if p.Width != page.WidthA4 || p.Height != A4.Rows(page.Standard) {
					t.Fatalf("page %dx%d", p.Width, p.Height)
				}
			}
		}
	})
}

func FuzzImage(f *testing.F) {
	f.Add(pngBomb(10, 10))
	f.Add([]byte("GIF89a\x02\x00\x02\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00\x02\x00\x02\x00\x00\x02\x02\x84Q\x00;"))
	f.Add([]byte("II*\x00\x08\x00\x00\x00"))
	f.Add(append([]byte("BM"), make([]byte, 60)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		fm, err := Detect(data)
		if err != nil || fm < PNG || fm > TIFF {
			return
		}
		// Small limit: the fuzzer should find crashes, not allocate.
		pages, err := Document(context.Background(), data, Options{Resolution: page.Standard, MaxPixels: 1 << 20})
		if err == nil && len(pages) != 1 {
			t.Fatalf("%d pages from one image", len(pages))
		}
	})
}
