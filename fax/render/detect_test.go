package render

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/peer"
)

// zipOf builds a ZIP archive holding the named members.
func zipOf(t testing.TB, members ...[2]string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, m := range members {
		w, err := zw.Create(m[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(m[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want Format
	}{
		{"pdf", []byte("%PDF-1.7\n..."), PDF},
		{"pdf after junk", []byte("\x00\x00junk%PDF-1.4\n"), PDF},
		{"png", []byte("\x89PNG\r\n\x1a\nrest"), PNG},
		{"jpeg", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10}, JPEG},
		{"gif87", []byte("GIF87a..."), GIF},
		{"gif89", []byte("GIF89a..."), GIF},
		{"bmp", append([]byte("BM"), make([]byte, 40)...), BMP},
		{"tiff le", []byte("II*\x00\x08\x00\x00\x00"), TIFF},
		{"tiff be", []byte("MM\x00*\x00\x00\x00\x08"), TIFF},
		{"ole", []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0}, OLE},
		{"rtf", []byte(`{\rtf1\ansi hello}`), RTF},
		{"docx", zipOf(t, [2]string{"[Content_Types].xml", "<x/>"}, [2]string{"word/document.xml", "<x/>"}), DOCX},
		{"xlsx", zipOf(t, [2]string{"[Content_Types].xml", "<x/>"}, [2]string{"xl/workbook.xml", "<x/>"}), XLSX},
		{"pptx", zipOf(t, [2]string{"ppt/presentation.xml", "<x/>"}), PPTX},
		{"odt", zipOf(t, [2]string{"mimetype", "application/vnd.oasis.opendocument.text"}), ODT},
		{"ods", zipOf(t, [2]string{"mimetype", "application/vnd.oasis.opendocument.spreadsheet"}), ODS},
		{"odp", zipOf(t, [2]string{"mimetype", "application/vnd.oasis.opendocument.presentation"}), ODP},
		{"utf8 text", []byte("Geachte heer,\n\tdank u wel. ĳs\f"), PlainText},
		{"latin1 text", []byte("Caf\xe9 cr\xe8me\r\n"), PlainText},
		{"bom text", []byte("\xef\xbb\xbfhello"), PlainText},
		{"short bm is text", []byte("BM"), PlainText},
		{"utf16 text", []byte("\xff\xfeH\x00i\x00\n\x00"), PlainText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(tt.data)
			if err != nil || got != tt.want {
				t.Errorf("Detect = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestDetectUnsupported(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":       {},
		"binary":      {0x7f, 'E', 'L', 'F', 2, 1, 1, 0},
		"nul in text": []byte("hello\x00world"),
		"plain zip":   zipOf(t, [2]string{"a.txt", "x"}),
		"odf other":   zipOf(t, [2]string{"mimetype", "application/vnd.oasis.opendocument.graphics"}),
		"broken zip":  []byte("PK\x03\x04broken"),
	} {
		t.Run(name, func(t *testing.T) {
			f, err := Detect(data)
			if !errors.Is(err, ErrUnsupported) || f != Unknown {
				t.Fatalf("Detect = %v, %v; want ErrUnsupported", f, err)
			}
			if name != "empty" && !strings.Contains(err.Error(), "PDF, PNG, JPEG") {
				t.Errorf("error %q does not list the supported types", err)
			}
			if _, err := Document(context.Background(), data, Options{}); !errors.Is(err, ErrUnsupported) {
				t.Errorf("Document: err = %v, want ErrUnsupported", err)
			}
		})
	}
}

func TestOfficeMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no LibreOffice here
	doc := zipOf(t, [2]string{"word/document.xml", "<x/>"})
	_, err := Document(context.Background(), doc, Options{})
	if !errors.Is(err, ErrNeedTool) {
		t.Fatalf("err = %v, want ErrNeedTool", err)
	}
	for _, want := range []string{"LibreOffice", "libreoffice-writer", "DOCX"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	_, err = Document(context.Background(), zipOf(t, [2]string{"xl/workbook.xml", "<x/>"}), Options{})
	if err == nil || !strings.Contains(err.Error(), "libreoffice-calc") {
		t.Errorf("XLSX: err = %v, want it to name libreoffice-calc", err)
	}
}

func TestOfficeConvert(t *testing.T) {
	peer.Command(t, "soffice", "libreoffice-writer-nogui (or libreoffice-writer)")
	const docxBody = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:rPr><w:sz w:val="48"/></w:rPr><w:t>Faxhaven DOCX</w:t></w:r></w:p>
<w:p><w:r><w:br w:type="page"/></w:r><w:r><w:t>Tweede pagina</w:t></w:r></w:p>
</w:body></w:document>`
	docx := zipOf(t,
		[2]string{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		[2]string{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		[2]string{"word/document.xml", docxBody})
	tests := []struct {
		name  string
		data  []byte
		pages int
	}{
		{"rtf", []byte(`{\rtf1\ansi\deff0{\fonttbl{\f0 Helvetica;}}\f0\fs48 Faxhaven RTF\par}`), 1},
		{"docx", docx, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages, err := Document(context.Background(), tt.data, Options{CacheDir: testCache})
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != tt.pages {
				t.Fatalf("got %d pages, want %d", len(pages), tt.pages)
			}
			savePNG(t, "office-"+tt.name, pages[0])
			// 24 pt text in the top part of the page, inside the margins.
			box := inkBox(pages[0])
			if box.Empty() || box.Min.Y > pages[0].Height/4 || box.Min.X < 50 {
				t.Errorf("ink at %v, want a heading near the top left inside the margin", box)
			}
			if h := float64(box.Dy()) / 196 * 72; h < 12 || h > 30 {
				t.Errorf("first-page text is %.1f pt tall, want a 24 pt line", h)
			}
		})
	}
}

func TestOfficeTimeout(t *testing.T) {
	// A fake LibreOffice that never finishes: the deadline must end it.
	dir := t.TempDir()
	script := "#!/bin/sh\nsleep 30\n"
	if err := os.WriteFile(dir+"/soffice", []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	_, err := Document(context.Background(), []byte(`{\rtf1 x}`), Options{Timeout: 200 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "did not finish in time") {
		t.Errorf("err = %v, want a time-out", err)
	}
}
