package render

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Format is a document type, as found from the document's content.
type Format int

// The formats Detect knows. Unknown is never returned with a nil error.
const (
	Unknown Format = iota
	PDF
	PNG
	JPEG
	GIF
	BMP
	TIFF
	PlainText
	DOCX // Word 2007+
	XLSX // Excel 2007+
	PPTX // PowerPoint 2007+
	ODT  // OpenDocument text
	ODS  // OpenDocument spreadsheet
	ODP  // OpenDocument presentation
	OLE  // Word, Excel or PowerPoint 97-2003 (.doc, .xls, .ppt)
	RTF
)

var formatNames = [...]string{
	Unknown: "unknown", PDF: "PDF", PNG: "PNG", JPEG: "JPEG", GIF: "GIF",
	BMP: "BMP", TIFF: "TIFF", PlainText: "plain text", DOCX: "DOCX",
	XLSX: "XLSX", PPTX: "PPTX", ODT: "ODT", ODS: "ODS", ODP: "ODP",
	OLE: "Office 97-2003 (DOC/XLS/PPT)", RTF: "RTF",
}

// String names the format.
func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// office reports whether f is converted through LibreOffice.
func (f Format) office() bool { return f >= DOCX && f <= RTF }

// ext is the file name extension LibreOffice expects for f.
func (f Format) ext() string {
	switch f {
	case OLE:
		return ".doc"
	case PlainText:
		return ".txt"
	}
	return "." + strings.ToLower(f.String())
}

// Supported is the list of accepted types, for error messages.
const Supported = "PDF, PNG, JPEG, GIF, BMP, TIFF, plain text (UTF-8, UTF-16 or Latin-1), " +
	"and with LibreOffice installed DOCX, XLSX, PPTX, ODT, ODS, ODP, DOC, XLS, PPT and RTF"

// Detect finds a document's format from its first bytes (and, for ZIP-based
// office files, its member names). It returns an error wrapping
// ErrUnsupported for anything else.
func Detect(data []byte) (Format, error) {
	if len(data) == 0 {
		return Unknown, fmt.Errorf("%w: the document is empty", ErrUnsupported)
	}
	head := data
	if len(head) > 1024 {
		head = head[:1024]
	}
	switch {
	// PDF readers accept the header anywhere in the first kilobyte.
	case bytes.Contains(head, []byte("%PDF-")):
		return PDF, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, nil
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return JPEG, nil
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return GIF, nil
	case bytes.HasPrefix(data, []byte("BM")) && len(data) >= 26:
		return BMP, nil
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return TIFF, nil
	case bytes.HasPrefix(data, []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}):
		return OLE, nil
	case bytes.HasPrefix(data, []byte(`{\rtf`)):
		return RTF, nil
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		if f := detectZip(data); f != Unknown {
			return f, nil
		}
		return Unknown, fmt.Errorf("%w: a ZIP archive that is not an office document; send %s", ErrUnsupported, Supported)
	}
	if isUTF16(data) || isText(data) {
		return PlainText, nil
	}
	return Unknown, fmt.Errorf("%w; send %s", ErrUnsupported, Supported)
}

// detectZip tells the ZIP-based office formats apart by their members.
func detectZip(data []byte) Format {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Unknown
	}
	for i, f := range zr.File {
		if i > 200 { // the telling members come early; do not walk a huge archive
			break
		}
		switch {
		case f.Name == "mimetype":
			return odfType(f)
		case strings.HasPrefix(f.Name, "word/"):
			return DOCX
		case strings.HasPrefix(f.Name, "xl/"):
			return XLSX
		case strings.HasPrefix(f.Name, "ppt/"):
			return PPTX
		}
	}
	return Unknown
}

// odfType reads the OpenDocument mimetype member.
func odfType(f *zip.File) Format {
	if f.UncompressedSize64 > 100 {
		return Unknown
	}
	rc, err := f.Open()
	if err != nil {
		return Unknown
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 100))
	if err != nil {
		return Unknown
	}
	switch strings.TrimSpace(string(b)) {
	case "application/vnd.oasis.opendocument.text":
		return ODT
	case "application/vnd.oasis.opendocument.spreadsheet":
		return ODS
	case "application/vnd.oasis.opendocument.presentation":
		return ODP
	}
	return Unknown
}

// isUTF16 reports whether data starts with a UTF-16 byte order mark, as
// text saved as "Unicode" on Windows does, and has whole code units.
func isUTF16(data []byte) bool {
	return len(data)%2 == 0 && (bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}))
}

// isText reports whether data looks like plain text: valid UTF-8 or
// Latin-1 without control characters other than tab, line feed, carriage
// return and form feed (and escape, which some printers' files carry).
func isText(data []byte) bool {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		data = data[3:]
	}
	for _, b := range data {
		if b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f' && b != 0x1b {
			return false
		}
		if b == 0x7f {
			return false
		}
	}
	// Any byte sequence that is not UTF-8 is read as Latin-1 (see
	// decodeText), so there is nothing more to check.
	return true
}
