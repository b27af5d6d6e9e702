package main

import (
	"fmt"
	"io"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/pdf"
	"github.com/faxhaven/faxhaven/fax/t4"
	"github.com/faxhaven/faxhaven/fax/tiff"
)

// parseEncoding reads mh, mr or mmr.
func parseEncoding(s string) (t4.Format, error) {
	switch s {
	case "mh", "MH":
		return t4.MH, nil
	case "mr", "MR":
		return t4.MR, nil
	case "mmr", "MMR":
		return t4.MMR, nil
	}
	return 0, fmt.Errorf("unknown encoding %q (want mh, mr or mmr)", s)
}

// tiffWriter writes TIFF Class F coded as encoding says.
func tiffWriter(encoding string) (func(io.Writer, []*page.Page) error, error) {
	f, err := parseEncoding(encoding)
	if err != nil {
		return nil, err
	}
	return func(w io.Writer, pages []*page.Page) error {
		tw := tiff.NewWriter(w, &tiff.WriteOptions{Format: f})
		for _, p := range pages {
			if err := tw.WritePage(p); err != nil {
				return err
			}
		}
		return tw.Close()
	}, nil
}

// pdfWriter writes a PDF whose pages wrap the fax data coded as encoding
// says, exactly as it would go on the line.
func pdfWriter(encoding string) (func(io.Writer, []*page.Page) error, error) {
	f, err := parseEncoding(encoding)
	if err != nil {
		return nil, err
	}
	return func(w io.Writer, pages []*page.Page) error {
		pw := pdf.NewWriter(w)
		for i, p := range pages {
			c, err := t4.Encode(p, t4.Options{Format: f, K: 4, EOL: f != t4.MMR, EndOfPage: true})
			if err != nil {
				return fmt.Errorf("page %d: %w", i+1, err)
			}
			if err := pw.WriteCoded(c); err != nil {
				return err
			}
		}
		return pw.Close()
	}, nil
}
