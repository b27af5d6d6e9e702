package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/faxhaven/faxhaven/fax/page"
)

// errNoWriter reports an output format whose package is not in this build.
var errNoWriter = errors.New("this output format is not available yet; use .pbm")

func tiffWriter(encoding string) (func(io.Writer, []*page.Page) error, error) {
	return nil, fmt.Errorf("TIFF output: %w", errNoWriter)
}

func pdfWriter(encoding string) (func(io.Writer, []*page.Page) error, error) {
	return nil, fmt.Errorf("PDF output: %w", errNoWriter)
}
