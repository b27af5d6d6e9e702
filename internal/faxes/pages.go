package faxes

import (
	"bytes"
	"fmt"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/pdf"
	"github.com/faxhaven/faxhaven/fax/t4"
	"github.com/faxhaven/faxhaven/fax/tiff"
	"github.com/faxhaven/faxhaven/internal/carrier"
)

// storedPages is how fax pages are kept: MMR, the most compact coding every
// reader of TIFF Class F understands.
var storedPages = &tiff.WriteOptions{Format: t4.MMR}

// maxStoredPixels bounds what reading a stored fax may allocate: the page
// limit times an A4 page at superfine resolution, with room to spare.
const maxStoredPixels = 1000 * 1728 * 4800

// encodeTIFF writes bitmaps, or pages as received, as TIFF Class F.
// Received pages keep their coding as it came off the line.
func encodeTIFF(pages []*page.Page, received []carrier.ReceivedPage) ([]byte, error) {
	var buf bytes.Buffer
	w := tiff.NewWriter(&buf, storedPages)
	for _, p := range pages {
		if err := w.WritePage(p); err != nil {
			return nil, err
		}
	}
	for i, r := range received {
		var err error
		switch {
		case r.Coded != nil:
			err = w.WriteCoded(r.Coded)
		case r.Page != nil:
			err = w.WritePage(r.Page)
		default:
			err = fmt.Errorf("received page %d is empty", i+1)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeTIFF reads stored fax pages back into bitmaps.
func decodeTIFF(data []byte) ([]*page.Page, error) {
	return tiff.Read(data, &tiff.ReadOptions{MaxPixels: maxStoredPixels})
}

// pdfFromTIFF wraps stored fax pages in a PDF without re-coding them.
func pdfFromTIFF(data []byte) ([]byte, error) {
	return pdf.FromTIFF(data, &tiff.ReadOptions{MaxPixels: maxStoredPixels})
}
