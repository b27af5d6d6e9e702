package t30

import (
	"fmt"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4"
)

// T4Coder is the Coder built on fax/t4. It is what a Session uses when
// Config.Coder is nil.
type T4Coder struct{}

func t4Options(enc Encoding, res page.Resolution) (t4.Options, error) {
	o := t4.Options{EOL: true}
	switch enc {
	case MH:
		o.Format = t4.MH
	case MR:
		o.Format = t4.MR
		// T.4 4.2.1: K = 2 at 3.85 lines/mm, 4 at 7.7; higher
		// resolutions use a larger K the same way.
		o.K = 2
		switch {
		case res.Y > 300:
			o.K = 8
		case res.Y > 150:
			o.K = 4
		}
	case MMR:
		o.Format = t4.MMR
		o.EOL = false
	default:
		return o, fmt.Errorf("t30: unknown encoding %v", enc)
	}
	return o, nil
}

// Encode codes p with RTC (MH, MR) or EOFB (MMR) at the end.
func (T4Coder) Encode(p *page.Page, enc Encoding, minRowBits int) ([]byte, error) {
	o, err := t4Options(enc, p.Res)
	if err != nil {
		return nil, err
	}
	o.MinRowBits = minRowBits
	o.EndOfPage = true
	return t4.EncodePage(p, o)
}

// Decode decodes a received page and counts its damaged rows.
func (T4Coder) Decode(data []byte, enc Encoding, width int, res page.Resolution) (*page.Page, int, error) {
	o, err := t4Options(enc, res)
	if err != nil {
		return nil, 0, err
	}
	p, st, err := t4.DecodePage(data, width, o)
	if p != nil {
		p.Res = res
	}
	return p, st.BadRows, err
}

// Coded returns the page as a t4.CodedPage, ready for fax/tiff or fax/pdf
// without decoding it again.
func (r ReceivedPage) Coded() *t4.CodedPage {
	o, _ := t4Options(r.Encoding, r.Res)
	c := &t4.CodedPage{Width: r.Width, Res: r.Res, Options: o, Data: r.Data}
	if r.Page != nil {
		c.Height = r.Page.Height
	}
	if r.BadRows > 0 {
		c.Stats = &t4.Stats{Rows: c.Height, BadRows: r.BadRows}
	}
	return c
}
