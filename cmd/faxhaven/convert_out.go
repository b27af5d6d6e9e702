package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4"
	"github.com/faxhaven/faxhaven/fax/tiff"
)

// errNoWriter reports an output format whose package is not in this build.
var errNoWriter = errors.New("this output format is not available yet; use .tiff or .pbm")

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

func pdfWriter(encoding string) (func(io.Writer, []*page.Page) error, error) {
	if _, err := parseEncoding(encoding); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("PDF output: %w", errNoWriter)
}
