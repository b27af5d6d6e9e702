package t30

import "github.com/faxhaven/faxhaven/fax/page"

// Coder turns pages into T.4/T.6 coded data and back. The data is a bit
// stream packed with the first bit in the most significant position of each
// octet (TIFF FillOrder 1).
type Coder interface {
	// Encode codes p. With MH and MR it ends every row at no fewer than
	// minRowBits bits (fill before the EOL) and appends RTC; with MMR it
	// appends EOFB.
	Encode(p *page.Page, enc Encoding, minRowBits int) ([]byte, error)
	// Decode rebuilds a page of the given width from data as received.
	// It recovers from damaged rows where the coding allows and counts
	// them in badRows; err is for data that yields no page at all.
	Decode(data []byte, enc Encoding, width int, res page.Resolution) (p *page.Page, badRows int, err error)
}

// ReceivedPage is a page as the receiving Session delivers it.
type ReceivedPage struct {
	PageResult
	// Page is the decoded image. Rows the decoder could not read are
	// filled as it chose (usually by repeating the previous row).
	Page *page.Page
	// Data is the coded image as received, in Encoding, so that it can
	// be stored in TIFF or PDF without coding it again.
	Data []byte
}
