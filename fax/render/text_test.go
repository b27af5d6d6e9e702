package render

import (
	"context"
	"errors"
	"image"
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
)

func TestDecodeText(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"utf8", []byte("Café ĳs ß ø"), "Café ĳs ß ø"},
		{"bom", []byte("\xef\xbb\xbfHallo"), "Hallo"},
		{"latin1", []byte("Caf\xe9 \xeb \xdf \xf8"), "Café ë ß ø"},
		{"cp1252", []byte("\x80 5 \x93ok\x94"), "€ 5 \u201cok\u201d"},
		{"cp1252 hole", []byte("a\x81b\xff"), "abÿ"},
		{"utf16le", []byte("\xff\xfeC\x00a\x00f\x00\xe9\x003\x01"), "Caféĳ"},
		{"utf16be", []byte("\xfe\xff\x00C\x00a\x00f\x00\xe9\x013"), "Caféĳ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeText(tt.in); got != tt.want {
				t.Errorf("decodeText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLayoutText(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		cols, rows int
		want       [][]string
	}{
		{"one line", "hello", 10, 5, [][]string{{"hello"}}},
		{"wrap at space", "the quick brown fox", 10, 5, [][]string{{"the quick", "brown fox"}}},
		{"hard break long word", "abcdefghijklmnop", 6, 5, [][]string{{"abcdef", "ghijkl", "mnop"}}},
		{"tabs", "a\tb\tc", 20, 5, [][]string{{"a       b       c"}}},
		{"tab after 3", "abc\td", 20, 5, [][]string{{"abc     d"}}},
		{"crlf", "a\r\nb\rc", 10, 5, [][]string{{"a", "b", "c"}}},
		{"form feed", "p1\fp2", 10, 5, [][]string{{"p1"}, {"p2"}}},
		{"trailing form feed", "p1\f", 10, 5, [][]string{{"p1"}}},
		{"overflow", "1\n2\n3\n4\n5", 10, 2, [][]string{{"1", "2"}, {"3", "4"}, {"5"}}},
		{"runes not bytes", "ééééé ééééé", 5, 5, [][]string{{"ééééé", "ééééé"}}},
		{"drops controls", "a\x1bb", 10, 5, [][]string{{"ab"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := layoutText(tt.in, tt.cols, tt.rows, 100)
			if err != nil {
				t.Fatal(err)
			}
			if !equalPages(got, tt.want) {
				t.Errorf("layoutText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if _, err := layoutText(strings.Repeat("x\n", 50), 10, 2, 10); !errors.Is(err, ErrTooManyPages) {
		t.Errorf("25 pages with a limit of 10: err = %v, want ErrTooManyPages", err)
	}
}

func equalPages(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\n") != strings.Join(b[i], "\n") || len(a[i]) != len(b[i]) {
			return false
		}
	}
	return true
}

func TestTextPage(t *testing.T) {
	doc := "Geachte heer Van Dijk,\n\n" +
		"Hierbij de offerte voor het ĳzeren hek: één stuk, ß, ø, ë, ç, Å.\n" +
		"\tTab-ingesprongen regel.\n" +
		strings.Repeat("Een lange zin die over de rand van de pagina moet lopen en dus wordt afgebroken. ", 4) +
		"\n\fTweede pagina."
	for _, res := range []page.Resolution{page.Standard, page.Fine, page.Superfine} {
		t.Run(res.String(), func(t *testing.T) {
			pages, err := Document(context.Background(), []byte(doc), Options{Resolution: res})
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != 2 {
				t.Fatalf("got %d pages, want 2 (form feed)", len(pages))
			}
			p := pages[0]
			savePNG(t, "text-"+res.String(), p)
			left := mmToPx(marginLeftMM, res.X)
			right := p.Width - mmToPx(marginRightMM, res.X)
			top := mmToPx(marginTopMM, res.Y)
			box := inkBox(p)
			if box.Empty() {
				t.Fatal("no ink on the text page")
			}
			// Ink only inside the margins (a glyph may overhang by a pixel).
			inside := image.Rect(left-2, top, right+2, p.Height-mmToPx(marginBottomMM, res.Y))
			if !box.In(inside) {
				t.Errorf("ink box %v is outside the text area %v", box, inside)
			}
			// The first line starts at the left margin and at the top
			// margin; the wrapped sentence reaches near the right margin.
			if box.Min.X > left+3 || box.Min.Y > top+mmToPx(4, res.Y) {
				t.Errorf("text starts at %v, want near (%d, %d)", box.Min, left, top)
			}
			if box.Max.X < right-mmToPx(15, res.X) {
				t.Errorf("text ends at x=%d, want wrapped lines near the right margin %d", box.Max.X, right)
			}
			// Letter height scales with the vertical density: a capital
			// of 10 pt Go Mono is about 7 pt tall on paper.
			capRows := capHeight(t, res)
			wantRows := 10 * 0.7 / 72 * res.Y
			if d := float64(capRows) - wantRows; d < -2 || d > 2 {
				t.Errorf("capital H is %d rows tall, want about %.1f", capRows, wantRows)
			}
		})
	}
}

// capHeight renders "H" and measures its height in rows.
func capHeight(t *testing.T, res page.Resolution) int {
	pages, err := Document(context.Background(), []byte("H"), Options{Resolution: res})
	if err != nil {
		t.Fatal(err)
	}
	return inkBox(pages[0]).Dy()
}

func TestTextLimits(t *testing.T) {
	long := strings.Repeat("regel\n", 70*20)
	_, err := Document(context.Background(), []byte(long), Options{MaxPages: 5})
	if !errors.Is(err, ErrTooManyPages) {
		t.Errorf("err = %v, want ErrTooManyPages", err)
	}
}
