package render

import (
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
)

// CoverSheet is what a cover page says. Empty fields are left out.
type CoverSheet struct {
	Lang    string // "nl" or "en" (the default)
	To      string // recipient's name
	ToFax   string // recipient's fax number
	From    string // sender's name
	FromFax string // sender's fax number
	Subject string
	Note    string // wrapped to the page; line breaks are kept
	Pages   int    // pages in the whole fax, this cover included; 0 leaves it out
	Date    time.Time
	Brand   string      // name printed at the top
	Logo    image.Image // optional, printed at the top left
}

// coverText is the wording of a cover page in one language.
type coverText struct {
	title, to, from, fax, date, subject, pages, inclCover, message, misdelivered string
	months                                                                       [12]string
}

// coverTexts holds every language a cover page can be printed in.
var coverTexts = map[string]coverText{
	"en": {
		title: "Fax", to: "To", from: "From", fax: "Fax number", date: "Date",
		subject: "Subject", pages: "Pages", inclCover: "including this cover page",
		message:      "Message",
		misdelivered: "If this fax reached you by mistake, please tell the sender and destroy it.",
		months: [12]string{"January", "February", "March", "April", "May", "June",
			"July", "August", "September", "October", "November", "December"},
	},
	"nl": {
		title: "Fax", to: "Aan", from: "Van", fax: "Faxnummer", date: "Datum",
		subject: "Onderwerp", pages: "Pagina's", inclCover: "inclusief dit voorblad",
		message:      "Bericht",
		misdelivered: "Hebt u deze fax per vergissing ontvangen? Laat het de afzender weten en vernietig hem.",
		months: [12]string{"januari", "februari", "maart", "april", "mei", "juni",
			"juli", "augustus", "september", "oktober", "november", "december"},
	},
}

// CoverLanguages lists the languages Cover accepts.
var CoverLanguages = []string{"en", "nl"}

// formatDate writes a date the way the language does: "26 November 2026".
func (ct coverText) formatDate(t time.Time) string {
	return fmt.Sprintf("%d %s %d", t.Day(), ct.months[t.Month()-1], t.Year())
}

// Cover type sizes in points, and the page margin.
const (
	coverMarginMM = 20
	coverTitlePt  = 36
	coverBrandPt  = 18
	coverBodyPt   = 12
	coverSmallPt  = 9
)

// Cover draws a cover page for opts' paper and resolution.
func Cover(c CoverSheet, opts Options) (*page.Page, error) {
	opts, err := opts.norm()
	if err != nil {
		return nil, err
	}
	lang := c.Lang
	if lang == "" {
		lang = "en"
	}
	ct, ok := coverTexts[lang]
	if !ok {
		return nil, fmt.Errorf("render: cover page: unknown language %q (want %s)", c.Lang, strings.Join(CoverLanguages, " or "))
	}
	res := opts.Resolution
	W, H := opts.size()
	p, err := page.New(W, H, res)
	if err != nil {
		return nil, err
	}
	face := func(id fontID, pt float64) *face {
		if err != nil {
			return nil
		}
		var fc *face
		fc, err = getFace(id, pt, res)
		return fc
	}
	title, brand := face(fontBold, coverTitlePt), face(fontBold, coverBrandPt)
	label, body := face(fontBold, coverBodyPt), face(fontRegular, coverBodyPt)
	small := face(fontRegular, coverSmallPt)
	if err != nil {
		return nil, err
	}

	left, right := mmToPx(coverMarginMM, res.X), W-mmToPx(coverMarginMM, res.X)
	y := mmToPx(coverMarginMM, res.Y)
	bottom := H - mmToPx(coverMarginMM, res.Y)

	// Logo and brand name side by side at the top.
	x := left
	top := y
	if c.Logo != nil {
		lw, lh, err := drawLogo(p, c.Logo, left, y, mmToPx(60, res.X), mmToPx(25, res.Y), opts)
		if err != nil {
			return nil, err
		}
		x += lw + mmToPx(6, res.X)
		y += lh
	}
	if c.Brand != "" {
		brand.drawString(p, x, top+brand.ascent, fitWidth(brand, c.Brand, right-x))
		y = max(y, top+brand.ascent+brand.descent)
	}
	if c.Logo != nil || c.Brand != "" {
		y += mmToPx(10, res.Y)
	}

	title.drawString(p, left, y+title.ascent, ct.title)
	y += title.ascent + title.descent + mmToPx(3, res.Y)
	fillRect(p, left, y, right-left, max(1, mmToPx(0.5, res.Y)))
	y += mmToPx(6, res.Y)

	// The table of fields: labels in bold, values beside them.
	type field struct{ label, value string }
	var fields []field
	add := func(l, v string) {
		if strings.TrimSpace(v) != "" {
			fields = append(fields, field{l, v})
		}
	}
	add(ct.to, c.To)
	add(ct.fax, c.ToFax)
	add(ct.from, c.From)
	add(ct.fax, c.FromFax)
	if !c.Date.IsZero() {
		add(ct.date, ct.formatDate(c.Date))
	}
	add(ct.subject, c.Subject)
	if c.Pages > 0 {
		add(ct.pages, strconv.Itoa(c.Pages)+" ("+ct.inclCover+")")
	}
	col := left
	for _, f := range fields {
		col = max(col, left+label.width(f.label+":")+mmToPx(8, res.X))
	}
	for _, f := range fields {
		label.drawString(p, left, y+label.ascent, f.label+":")
		for _, l := range wrapWidth(body, f.value, right-col) {
			if y+body.lineHeight > bottom {
				break
			}
			body.drawString(p, col, y+body.ascent, l)
			y += body.lineHeight
		}
		y += body.lineHeight / 3
	}
	y += mmToPx(4, res.Y)
	fillRect(p, left, y, right-left, max(1, mmToPx(0.3, res.Y)))
	y += mmToPx(6, res.Y)

	// The note, wrapped, as far down as the page allows.
	footer := bottom - small.lineHeight
	if strings.TrimSpace(c.Note) != "" {
		label.drawString(p, left, y+label.ascent, ct.message+":")
		y += label.lineHeight + label.lineHeight/3
		lines := wrapWidth(body, c.Note, right-left)
		for i, l := range lines {
			if y+2*body.lineHeight > footer && i < len(lines)-1 {
				body.drawString(p, left, y+body.ascent, fitWidth(body, l+" …", right-left))
				break
			}
			body.drawString(p, left, y+body.ascent, l)
			y += body.lineHeight
		}
	}
	small.drawString(p, left, footer+small.ascent, fitWidth(small, ct.misdelivered, right-left))
	return p, nil
}

// wrapWidth breaks text into lines at most w pixels wide, at spaces where
// it can, keeping the text's own line breaks.
func wrapWidth(fc *face, text string, w int) []string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	var out []string
	for _, para := range strings.Split(text, "\n") {
		para = expandTabs(para)
		line := ""
		for _, word := range strings.Fields(para) {
			try := word
			if line != "" {
				try = line + " " + word
			}
			if fc.width(try) <= w {
				line = try
				continue
			}
			if line != "" {
				out = append(out, line)
			}
			// A word wider than the line is cut into pieces.
			for fc.width(word) > w {
				rs := []rune(word)
				n := len(rs)
				for n > 1 && fc.width(string(rs[:n])) > w {
					n--
				}
				out = append(out, string(rs[:n]))
				word = string(rs[n:])
			}
			line = word
		}
		out = append(out, line)
	}
	return out
}

// fillRect paints a black rectangle, clipped to the page.
func fillRect(p *page.Page, x0, y0, w, h int) {
	r := image.Rect(x0, y0, x0+w, y0+h).Intersect(image.Rect(0, 0, p.Width, p.Height))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p.Set(x, y, true)
		}
	}
}

// drawLogo fits img into a box of at most bw x bh pixels at (x0, y0),
// keeping its proportions on the fax's non-square pixels, and returns the
// size it took.
func drawLogo(p *page.Page, img image.Image, x0, y0, bw, bh int, opts Options) (int, int, error) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return 0, 0, nil
	}
	if b.Dx()*b.Dy() > opts.MaxPixels {
		return 0, 0, fmt.Errorf("%w: logo is %dx%d pixels", ErrTooLarge, b.Dx(), b.Dy())
	}
	res := opts.Resolution
	// Inches per logo pixel, fitting the box.
	fit := math.Min(float64(bw)/res.X/float64(b.Dx()), float64(bh)/res.Y/float64(b.Dy()))
	w := max(1, int(math.Round(float64(b.Dx())*fit*res.X)))
	h := max(1, int(math.Round(float64(b.Dy())*fit*res.Y)))
	canvas := newCanvas(w, h)
	resize(toGray(img), canvas, 0, 0, w, h)
	lp, err := bilevel(canvas, Auto, res)
	if err != nil {
		return 0, 0, err
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if lp.Black(x, y) && x0+x < p.Width && y0+y < p.Height {
				p.Set(x0+x, y0+y, true)
			}
		}
	}
	return w, h, nil
}
