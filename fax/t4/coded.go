package t4

import (
	"fmt"

	"github.com/faxhaven/faxhaven/fax/page"
)

// A CodedPage is one page of coded image data together with everything
// needed to decode it. fax/tiff reads and writes CodedPages without
// decoding them, fax/pdf wraps them, and a T.30 receiver produces them.
type CodedPage struct {
	Width, Height int
	Res           page.Resolution
	// Options tell how Data is coded. For MR, K is informative only.
	Options Options
	Data    []byte
	// Stats, if not nil, describe a received page's quality (TIFF
	// BadFaxLines and friends).
	Stats *Stats
}

// Encode codes p as opts say and returns it as a CodedPage.
func Encode(p *page.Page, opts Options) (*CodedPage, error) {
	data, err := EncodePage(p, opts)
	if err != nil {
		return nil, err
	}
	opts.Rows = 0
	return &CodedPage{Width: p.Width, Height: p.Height, Res: p.Res, Options: opts, Data: data}, nil
}

// Decode decodes c into a page of c.Height rows with c's resolution. Rows
// missing at the end of the data are an error.
func (c *CodedPage) Decode() (*page.Page, Stats, error) {
	if c.Height < 0 || c.Height > page.MaxHeight {
		return nil, Stats{}, fmt.Errorf("t4: %d rows: %w", c.Height, page.ErrTooLarge)
	}
	o := c.Options
	o.Rows = c.Height
	if c.Height == 0 {
		p, err := page.New(c.Width, 0, c.Res)
		return p, Stats{}, err
	}
	p, st, err := DecodePage(c.Data, c.Width, o)
	if err != nil {
		return nil, st, err
	}
	if p.Height < c.Height {
		return nil, st, fmt.Errorf("t4: %v data ends after row %d of %d; the data is truncated", c.Options.Format, p.Height, c.Height)
	}
	p.Res = c.Res
	return p, st, nil
}
