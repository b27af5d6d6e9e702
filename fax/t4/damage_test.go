package t4

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
)

func mustEncode(t *testing.T, p *page.Page, o Options) []byte {
	t.Helper()
	b, err := EncodePage(p, o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func subPage(p *page.Page, y0, y1 int) *page.Page {
	q := *p
	q.Height = y1 - y0
	q.Bits = p.Bits[y0*p.Stride : y1*p.Stride]
	return &q
}

// TestDamagedRow splices a garbage row between two good parts of a page and
// checks that the decoder reports exactly one bad row, repeats the previous
// row in its place and decodes everything after it.
func TestDamagedRow(t *testing.T) {
	p, err := t4test.Page("text", 1728, 60, 5)
	if err != nil {
		t.Fatal(err)
	}
	a, b := subPage(p, 0, 30), subPage(p, 30, 60)
	garbage := []byte{0x00, 0x1f, 0xff, 0xff, 0x13, 0x77}
	tests := []struct {
		name string
		opts Options
	}{
		{"MH", Options{Format: MH, EOL: true}},
		{"MH-aligned", Options{Format: MH, EOL: true, AlignEOL: true}},
		{"MR-K4", Options{Format: MR, EOL: true, K: 4}},
		{"MR-LSB", Options{Format: MR, EOL: true, K: 2, LSBFirst: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := garbage
			if tt.opts.LSBFirst {
				g = bytes.Clone(g)
				for i := range g {
					g[i] = reverse[g[i]]
				}
			}
			end := tt.opts
			end.EndOfPage = true
			var data []byte
			data = append(data, mustEncode(t, a, tt.opts)...)
			data = append(data, g...)
			data = append(data, mustEncode(t, b, end)...)
			got, st, err := DecodePage(data, p.Width, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			want := Stats{Rows: 61, BadRows: 1, MaxConsecutive: 1}
			if st != want {
				t.Fatalf("stats %+v, want %+v", st, want)
			}
			for y := 0; y < got.Height; y++ {
				src := y
				switch {
				case y == 30:
					src = 29 // the bad row repeats the last good one
				case y > 30:
					src = y - 1
				}
				if !bytes.Equal(got.Row(y), p.Row(src)) {
					t.Fatalf("row %d differs from input row %d", y, src)
				}
			}
		})
	}
}

// TestTolerance feeds streams with the quirks real machines produce.
func TestTolerance(t *testing.T) {
	p, err := t4test.Page("stripes", 1728, 20, 9)
	if err != nil {
		t.Fatal(err)
	}
	mh := Options{Format: MH, EOL: true}
	body := mustEncode(t, p, mh)
	eols := bytes.Repeat([]byte{0x00, 0x10, 0x01}, 3) // EOL, fill, EOL
	tests := []struct {
		name string
		data []byte
		opts Options
	}{
		{"extra EOLs before the page", append(bytes.Clone(eols), body...), mh},
		{"fill before EOLs", append([]byte{0, 0, 0, 0}, body...), mh},
		{"no RTC, zero padding", append(bytes.Clone(body), 0, 0, 0), mh},
		{"extra EOLs mid-page", append(append(mustEncode(t, subPage(p, 0, 10), mh), eols[:3]...), mustEncode(t, subPage(p, 10, 20), mh)...), mh},
		{"RTC then junk", append(mustEncode(t, p, Options{Format: MH, EOL: true, EndOfPage: true}), 0xde, 0xad), mh},
		// With EOL alignment the first EOL is the two bytes 00 01.
		{"first EOL missing", mustEncode(t, p, Options{Format: MH, EOL: true, AlignEOL: true})[2:], mh},
		{"MMR with EOFB and padding", append(mustEncode(t, p, Options{Format: MMR, EndOfPage: true}), 0, 0), Options{Format: MMR}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st, err := DecodePage(tt.data, p.Width, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if st.BadRows != 0 || !got.Equal(p) {
				t.Fatalf("stats %+v, equal %v", st, got.Equal(p))
			}
		})
	}
}

func TestMMRCorruptNamesRow(t *testing.T) {
	p, err := t4test.Page("text", 1728, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	data := mustEncode(t, p, Options{Format: MMR})
	data[len(data)/2] = 0
	data[len(data)/2+1] = 0
	_, _, err = DecodePage(data, p.Width, Options{Format: MMR})
	if err == nil || !strings.Contains(err.Error(), "MMR row ") {
		t.Fatalf("got %v, want an error naming the row", err)
	}
}

func TestLimits(t *testing.T) {
	for _, w := range []int{0, -1, page.MaxWidth + 1} {
		if _, _, err := DecodePage(nil, w, Options{}); !errors.Is(err, ErrWidth) {
			t.Errorf("width %d: got %v, want ErrWidth", w, err)
		}
		if _, err := NewEncoder(nil, w, Options{}); !errors.Is(err, ErrWidth) {
			t.Errorf("encoder width %d: got %v, want ErrWidth", w, err)
		}
	}
	// Each 1 bit is a whole white MMR row (V0) of width 1: this small
	// stream claims more rows than any page may have.
	data := bytes.Repeat([]byte{0xff}, page.MaxHeight/8+10)
	if _, _, err := DecodePage(data, 1, Options{Format: MMR}); !errors.Is(err, page.ErrTooLarge) {
		t.Errorf("got %v, want page.ErrTooLarge", err)
	}
	if _, err := NewEncoder(nil, 8, Options{Format: MR}); err == nil {
		t.Error("MR without EOL: want an error")
	}
	if _, err := NewEncoder(nil, 8, Options{Format: MH, EOL: true, AlignRows: true}); err == nil {
		t.Error("AlignRows with EOL: want an error")
	}
	if _, err := NewEncoder(nil, 8, Options{Format: Format(7)}); err == nil {
		t.Error("unknown format: want an error")
	}
}
