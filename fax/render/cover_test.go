package render

import (
	"image"
	"image/color"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
)

func TestCoverTextsComplete(t *testing.T) {
	for _, lang := range CoverLanguages {
		ct, ok := coverTexts[lang]
		if !ok {
			t.Fatalf("no cover texts for %q", lang)
		}
		v := reflect.ValueOf(ct)
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			switch f.Kind() {
			case reflect.String:
				if f.String() == "" {
					t.Errorf("%s: %s is empty", lang, v.Type().Field(i).Name)
				}
			case reflect.Array:
				for j := 0; j < f.Len(); j++ {
					if f.Index(j).String() == "" {
						t.Errorf("%s: %s[%d] is empty", lang, v.Type().Field(i).Name, j)
					}
				}
			}
		}
	}
	if len(coverTexts) != len(CoverLanguages) {
		t.Errorf("coverTexts has %d languages, CoverLanguages lists %d", len(coverTexts), len(CoverLanguages))
	}
}

func TestFormatDate(t *testing.T) {
	d := time.Date(2026, 3, 5, 14, 5, 0, 0, time.UTC)
	for lang, want := range map[string]string{"en": "5 March 2026", "nl": "5 maart 2026"} {
		if got := coverTexts[lang].formatDate(d); got != want {
			t.Errorf("%s: got %q, want %q", lang, got, want)
		}
	}
}

func testLogo() image.Image {
	// A black disc on white, 200 x 200 pixels.
	img := image.NewNRGBA(image.Rect(0, 0, 200, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 200; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if (x-100)*(x-100)+(y-100)*(y-100) < 90*90 {
				c = color.NRGBA{0, 0, 80, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func TestCover(t *testing.T) {
	base := CoverSheet{
		To: "Bakkerij Jansen", ToFax: "+31 20 765 4321",
		From: "Notariskantoor De Vries", FromFax: "+31 20 123 4567",
		Subject: "Koopakte", Pages: 4,
		Date:  time.Date(2026, 11, 26, 14, 5, 0, 0, time.UTC),
		Brand: "Faxhaven",
		Note:  strings.Repeat("Graag ondertekend retour vóór vrijdag. ", 12) + "\nMet vriendelijke groet,\nJan",
	}
	for _, lang := range []string{"en", "nl"} {
		for _, res := range []page.Resolution{page.Standard, page.Fine} {
			t.Run(lang+"-"+res.String(), func(t *testing.T) {
				c := base
				c.Lang = lang
				c.Logo = testLogo()
				p, err := Cover(c, Options{Resolution: res})
				if err != nil {
					t.Fatal(err)
				}
				savePNG(t, "cover-"+lang+"-"+res.String(), p)
				if p.Width != page.WidthA4 || p.Height != A4.Rows(res) {
					t.Fatalf("cover is %dx%d", p.Width, p.Height)
				}
				m := mmToPx(coverMarginMM, res.X)
				box := inkBox(p)
				inside := image.Rect(m, mmToPx(coverMarginMM, res.Y), p.Width-m, p.Height-mmToPx(coverMarginMM, res.Y))
				if !box.In(inside) {
					t.Errorf("ink %v outside the margins %v", box, inside)
				}
				// The logo is a disc: as wide on paper as it is tall.
				logo := logoBox(p, m, mmToPx(coverMarginMM, res.Y))
				wmm := float64(logo.Dx()) / res.X * 25.4
				hmm := float64(logo.Dy()) / res.Y * 25.4
				if wmm < 15 || hmm/wmm < 0.95 || hmm/wmm > 1.05 {
					t.Errorf("logo is %.1f x %.1f mm, want a round disc about 25 mm across", wmm, hmm)
				}
			})
		}
	}
	// The note's words reach the page (it is not empty below the table).
	p1, _ := Cover(base, Options{})
	noNote := base
	noNote.Note = ""
	p2, _ := Cover(noNote, Options{})
	if blackIn(p1, image.Rect(0, 0, p1.Width, p1.Height)) <= blackIn(p2, image.Rect(0, 0, p2.Width, p2.Height))+1000 {
		t.Error("a note adds no ink")
	}
	if _, err := Cover(CoverSheet{Lang: "fr"}, Options{}); err == nil || !strings.Contains(err.Error(), "nl") {
		t.Errorf("unknown language: err = %v, want one naming the languages", err)
	}
}

// logoBox finds the ink connected to the top-left corner area where the
// logo sits: the bounding box of black pixels in the first 30 mm square.
func logoBox(p *page.Page, x0, y0 int) image.Rectangle {
	var r image.Rectangle
	w, h := mmToPx(30, p.Res.X), mmToPx(30, p.Res.Y)
	for y := y0; y < y0+h; y++ {
		for x := x0; x < x0+w; x++ {
			if p.Black(x, y) {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func TestHeader(t *testing.T) {
	h := HeaderLine{
		Time: time.Date(2026, 11, 26, 14, 5, 0, 0, time.UTC),
		From: "+31 20 123 4567", To: "+31 10 000 0000", Name: "Faxhaven", Page: 2, Pages: 3,
	}
	if got, want := h.Text(), "2026-11-26 14:05  From: +31 20 123 4567  Faxhaven  Page 2/3"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	h2 := h
	h2.Template = "{to} {unknown} {page}"
	if got, want := h2.Text(), "+31 10 000 0000 {unknown} 2"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	for _, res := range []page.Resolution{page.Standard, page.Fine, page.Superfine} {
		p, _ := page.New(page.WidthA4, A4.Rows(res), res)
		// Content under the strip is cleared; content below is kept.
		fillRect(p, 0, 0, p.Width, p.Height)
		if err := Header(p, h); err != nil {
			t.Fatal(err)
		}
		rows := HeaderRows(res)
		if rows < mmToPx(3, res.Y) || rows > mmToPx(8, res.Y) {
			t.Errorf("%v: header strip is %d rows", res, rows)
		}
		strip := image.Rect(0, 0, p.Width, rows)
		ink := blackIn(p, strip)
		if ink == 0 || ink > strip.Dx()*strip.Dy()/4 {
			t.Errorf("%v: %d black pixels in the header strip, want text", res, ink)
		}
		below := image.Rect(0, rows, p.Width, p.Height)
		if n := blackIn(p, below); n != below.Dx()*below.Dy() {
			t.Errorf("%v: header touched the page below its strip", res)
		}
		savePNG(t, "header-"+res.String(), p)
	}
	// A long header is cut, not drawn past the margin.
	p, _ := page.New(page.WidthA4, 100, page.Fine)
	long := h
	long.Name = strings.Repeat("Very Long Company Name ", 20)
	if err := Header(p, long); err != nil {
		t.Fatal(err)
	}
	if box := inkBox(p); box.Max.X > p.Width-mmToPx(headerMarginMM, 204)+2 {
		t.Errorf("long header reaches x=%d", box.Max.X)
	}
}

func TestHeaders(t *testing.T) {
	var pages []*page.Page
	for i := 0; i < 3; i++ {
		p, _ := page.New(page.WidthA4, 200, page.Fine)
		pages = append(pages, p)
	}
	h := HeaderLine{Template: "Page {page}/{pages}"}
	if err := Headers(pages, h); err != nil {
		t.Fatal(err)
	}
	// Each page differs (1/3, 2/3, 3/3), so the strips differ.
	if pages[0].Equal(pages[1]) || pages[1].Equal(pages[2]) {
		t.Error("pages got the same header")
	}
	// And equal to drawing it by hand.
	q, _ := page.New(page.WidthA4, 200, page.Fine)
	h.Page, h.Pages = 2, 3
	Header(q, h)
	if !q.Equal(pages[1]) {
		t.Error("Headers page 2 differs from Header with Page 2/3")
	}
}
