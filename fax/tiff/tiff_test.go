package tiff

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
)

func testPages(t testing.TB) []*page.Page {
	t.Helper()
	var pages []*page.Page
	for i, spec := range []struct {
		gen string
		w   int
	}{{"text", 1728}, {"halftone", 1728}, {"longruns", 2432}, {"edges", 1000}, {"checker", 9}, {"bytebounds", 2048}} {
		p, err := t4test.Page(spec.gen, spec.w, 50+i, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
	}
	pages[1].Res = page.Standard
	pages[2].Res = page.Superfine
	return pages
}

func writeTIFF(t testing.TB, pages []*page.Page, o *WriteOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, o)
	for _, p := range pages {
		if err := w.WritePage(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func samePages(t *testing.T, got, want []*page.Page) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d pages, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Width != want[i].Width || got[i].Height != want[i].Height {
			t.Fatalf("page %d: %dx%d, want %dx%d", i+1, got[i].Width, got[i].Height, want[i].Width, want[i].Height)
		}
		if !got[i].Equal(want[i]) {
			t.Fatalf("page %d: pixels differ", i+1)
		}
	}
}

var writeOptions = []WriteOptions{
	{Format: t4.MH},
	{Format: t4.MH, AlignEOL: true},
	{Format: t4.MR, K: 2},
	{Format: t4.MR, K: 4, AlignEOL: true},
	{Format: t4.MMR},
}

func TestWriteRead(t *testing.T) {
	pages := testPages(t)
	for _, o := range writeOptions {
		t.Run(fmt.Sprintf("%v-K%d-align%v", o.Format, o.K, o.AlignEOL), func(t *testing.T) {
			data := writeTIFF(t, pages, &o)
			got, err := Read(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			samePages(t, got, pages)
			for i := range got {
				if got[i].Res != pages[i].Res {
					t.Errorf("page %d: resolution %v, want %v", i+1, got[i].Res, pages[i].Res)
				}
			}
		})
	}
}

// TestCodedPassThrough stores received data as is, LSB first and with
// quality figures, and reads both back.
func TestCodedPassThrough(t *testing.T) {
	p := testPages(t)[0]
	c, err := t4.Encode(p, t4.Options{Format: t4.MR, K: 4, EOL: true, LSBFirst: true, EndOfPage: true})
	if err != nil {
		t.Fatal(err)
	}
	c.Stats = &t4.Stats{Rows: p.Height, BadRows: 3, MaxConsecutive: 2}
	var buf bytes.Buffer
	w := NewWriter(&buf, nil)
	if err := w.WriteCoded(c); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(buf.Bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(0); st == nil || st.BadRows != 3 || st.MaxConsecutive != 2 {
		t.Errorf("stats %+v, want 3 bad rows, 2 consecutive", st)
	}
	raw, err := r.Coded(0)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Options.Format != t4.MR || raw.Options.LSBFirst || len(raw.Data) != len(c.Data) {
		t.Errorf("coded page %v, %d bytes; want MR MSB first, %d bytes", raw.Options, len(raw.Data), len(c.Data))
	}
	got, err := r.Page(0)
	if err != nil {
		t.Fatal(err)
	}
	samePages(t, []*page.Page{got}, []*page.Page{p})
}

// tiffBuilder assembles hostile files by hand.
type tiffBuilder struct {
	bo      binary.AppendByteOrder
	entries [][3]uint32 // tag, type, value (count 1)
	next    uint32
	data    []byte
}

func (b *tiffBuilder) build() []byte {
	out := []byte("II*\x00")
	out = b.bo.AppendUint32(out, 8)
	out = b.bo.AppendUint16(out, uint16(len(b.entries)))
	for _, e := range b.entries {
		out = b.bo.AppendUint16(out, uint16(e[0]))
		out = b.bo.AppendUint16(out, uint16(e[1]))
		out = b.bo.AppendUint32(out, 1)
		if e[1] == typeShort {
			out = b.bo.AppendUint16(out, uint16(e[2]))
			out = append(out, 0, 0)
		} else {
			out = b.bo.AppendUint32(out, e[2])
		}
	}
	out = b.bo.AppendUint32(out, b.next)
	return append(out, b.data...)
}

func basicEntries(w, h, comp, dataOff, dataLen uint32) [][3]uint32 {
	return [][3]uint32{
		{tagImageWidth, typeLong, w}, {tagImageLength, typeLong, h},
		{tagCompression, typeShort, comp}, {tagStripOffsets, typeLong, dataOff},
		{tagRowsPerStrip, typeLong, h}, {tagStripByteCounts, typeLong, dataLen},
	}
}

func TestBadInput(t *testing.T) {
	good := writeTIFF(t, testPages(t)[:2], &WriteOptions{Format: t4.MMR})
	loop := &tiffBuilder{bo: binary.LittleEndian, entries: basicEntries(8, 1, 1, 0, 1), next: 8}
	huge := &tiffBuilder{bo: binary.LittleEndian, entries: basicEntries(100000, 100000, 4, 8, 1)}
	big := &tiffBuilder{bo: binary.LittleEndian, entries: basicEntries(8000, 60000, 4, 8, 1)}
	jpeg := &tiffBuilder{bo: binary.LittleEndian, entries: basicEntries(8, 1, 7, 8, 1)}
	past := &tiffBuilder{bo: binary.LittleEndian, entries: basicEntries(8, 1, 1, 5000, 10)}
	short := &tiffBuilder{bo: binary.LittleEndian, entries: basicEntries(64, 100, 1, 8+2+12*6+4, 800)}
	short.data = make([]byte, 300) // 37 of 100 rows
	tiled := &tiffBuilder{bo: binary.LittleEndian, entries: append(basicEntries(8, 1, 1, 8, 1), [3]uint32{tagTileWidth, typeLong, 16})}
	grey := &tiffBuilder{bo: binary.LittleEndian, entries: append(basicEntries(8, 1, 1, 8, 1), [3]uint32{tagBitsPerSample, typeShort, 8})}
	shortRows := &tiffBuilder{bo: binary.LittleEndian, entries: basicEntries(1728, 100, 4, 8+2+12*6+4, 4)}
	shortRows.data = []byte{0xff, 0xff, 0xff, 0xff} // 32 white MMR rows, then nothing
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"not tiff", []byte("%PDF-1.4 hello"), "bad header"},
		{"truncated", good[:len(good)/2], "truncated"},
		{"ifd loop", loop.build(), "loop"},
		{"absurd size", huge.build(), "exceed"},
		{"pixel budget", big.build(), "MaxPixels"},
		{"jpeg", jpeg.build(), "compression 7 (JPEG) is not a bilevel fax format"},
		{"strip past end", past.build(), "past the end of the file"},
		{"short strip", short.build(), "holds 300 bytes"},
		{"tiled", tiled.build(), "tiled"},
		{"greyscale", grey.build(), "not a bilevel image"},
		{"missing rows", shortRows.build(), "ends after row 32 of 100"},
		{"bigtiff", []byte("II+\x00\x08\x00\x00\x00\x00\x00\x00\x00"), "BigTIFF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(tt.data, &ReadOptions{MaxPixels: 100 << 20})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := Read(huge.build(), nil); !errors.Is(err, page.ErrTooLarge) {
		t.Errorf("absurd size: %v, want page.ErrTooLarge", err)
	}
}

func TestUnpackBits(t *testing.T) {
	tests := []struct {
		src, want []byte
		ok        bool
	}{
		{[]byte{0xfe, 0xaa, 0x02, 0x80, 0x00, 0x2a}, []byte{0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a}, true},
		{[]byte{0x80, 0x00, 0x07}, []byte{0x07}, true},
		{[]byte{0x05, 0x01}, make([]byte, 6), false},
		{[]byte{0x81, 0x01}, make([]byte, 4), false},
	}
	for i, tt := range tests {
		dst := make([]byte, len(tt.want))
		err := unpackBits(dst, tt.src)
		if (err == nil) != tt.ok || tt.ok && !bytes.Equal(dst, tt.want) {
			t.Errorf("case %d: got %x, %v", i, dst, err)
		}
	}
}

// TestWriteCodedForms stores coded pages in each form a caller may hold
// and checks the compression chosen and the pixels read back.
func TestWriteCodedForms(t *testing.T) {
	p := testPages(t)[3]
	tests := []struct {
		opts t4.Options
		want Compression
	}{
		{t4.Options{Format: t4.MH, AlignRows: true}, CCITTRLE},
		{t4.Options{Format: t4.MH}, CCITTFax3}, // no TIFF form: coded afresh
		{t4.Options{Format: t4.MH, EOL: true, AlignEOL: true, LSBFirst: true}, CCITTFax3},
		{t4.Options{Format: t4.MMR, LSBFirst: true}, CCITTFax4},
	}
	for _, tt := range tests {
		c, err := t4.Encode(p, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		w := NewWriter(&buf, nil)
		if err := w.WriteCoded(c); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := Open(buf.Bytes(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.pages[0].comp; got != tt.want {
			t.Errorf("%+v: compression %v, want %v", tt.opts, got, tt.want)
		}
		got, err := r.Page(0)
		if err != nil {
			t.Fatal(err)
		}
		samePages(t, []*page.Page{got}, []*page.Page{p})
	}
}

func TestWriterRejects(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, nil)
	for _, c := range []*t4.CodedPage{
		{Width: 1728, Height: 0, Options: t4.Options{Format: t4.MMR}},
		{Width: 0, Height: 10, Options: t4.Options{Format: t4.MMR}},
		{Width: page.MaxWidth + 1, Height: 10, Options: t4.Options{Format: t4.MMR}},
	} {
		if err := w.WriteCoded(c); err == nil {
			t.Errorf("%dx%d page: want an error", c.Width, c.Height)
		}
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "no pages") {
		t.Errorf("Close with no pages: got %v", err)
	}
}
