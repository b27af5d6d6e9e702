package t4

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
	"golang.org/x/image/ccitt"
)

// codings lists the option sets every round trip runs through.
var codings = []struct {
	name string
	opts Options
}{
	{"MH", Options{Format: MH, EOL: true, EndOfPage: true}},
	{"MH-RLE", Options{Format: MH, AlignRows: true}},
	{"MH-aligned-LSB", Options{Format: MH, EOL: true, AlignEOL: true, LSBFirst: true, EndOfPage: true}},
	{"MH-minbits", Options{Format: MH, EOL: true, MinRowBits: 400, EndOfPage: true}},
	{"MR-K2", Options{Format: MR, K: 2, EOL: true, EndOfPage: true}},
	{"MR-K4-aligned", Options{Format: MR, K: 4, EOL: true, AlignEOL: true, EndOfPage: true}},
	{"MR-Kinf-LSB", Options{Format: MR, EOL: true, LSBFirst: true}},
	{"MMR", Options{Format: MMR, EndOfPage: true}},
	{"MMR-noEOFB-LSB", Options{Format: MMR, LSBFirst: true}},
}

var widths = []int{1728, 2048, 2432, 1, 7, 9, 1000}

func TestRoundTrip(t *testing.T) {
	for _, c := range codings {
		for _, w := range widths {
			for _, g := range t4test.Generators {
				name := fmt.Sprintf("%s/%d/%s", c.name, w, g.Name)
				t.Run(name, func(t *testing.T) {
					h := 37
					if w < 64 {
						h = 70
					}
					p, err := t4test.Page(g.Name, w, h, 1)
					if err != nil {
						t.Fatal(err)
					}
					data, err := EncodePage(p, c.opts)
					if err != nil {
						t.Fatal(err)
					}
					got, st, err := DecodePage(data, w, c.opts)
					if err != nil {
						t.Fatalf("decode: %v", err)
					}
					if st.BadRows != 0 || st.Rows != h {
						t.Fatalf("stats %+v, want %d good rows", st, h)
					}
					if !got.Equal(p) {
						t.Fatalf("decoded page differs from the input (first differing row %d)", firstDiff(p, got))
					}
				})
			}
		}
	}
}

func firstDiff(a, b *page.Page) int {
	for y := 0; y < min(a.Height, b.Height); y++ {
		if !bytes.Equal(a.Row(y), b.Row(y)) {
			return y
		}
	}
	return min(a.Height, b.Height)
}

// TestStreaming codes through io.Writer and io.Reader in small pieces, so
// that buffer refills happen inside codes.
func TestStreaming(t *testing.T) {
	p, err := t4test.Page("text", 1728, 300, 7)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codings {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			e, err := NewEncoder(&buf, p.Width, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			for y := 0; y < p.Height; y++ {
				if err := e.WriteRow(p.Row(y)); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			whole, err := EncodePage(p, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), whole) {
				t.Fatal("streamed coding differs from EncodePage")
			}
			d, err := NewDecoder(&trickle{data: buf.Bytes(), n: 3}, p.Width, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			row := make([]byte, p.Stride)
			for y := 0; ; y++ {
				err := d.ReadRow(row)
				if err == io.EOF {
					if y != p.Height {
						t.Fatalf("EOF after %d rows, want %d", y, p.Height)
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if y >= p.Height || !bytes.Equal(row, p.Row(y)) {
					t.Fatalf("row %d differs", y)
				}
			}
		})
	}
}

// trickle is a reader that returns at most n bytes per call.
type trickle struct {
	data []byte
	n    int
}

func (r *trickle) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.data)
	r.data = r.data[k:]
	return k, nil
}

// TestKnownCodes checks exact bit strings from T.4 for a few rows, so that
// a table error shared by encoder and decoder cannot hide.
func TestKnownCodes(t *testing.T) {
	row := func(w int, runs ...int) []byte {
		p, _ := page.New(w, 1, page.Fine)
		x, black := 0, false
		for _, r := range runs {
			if black {
				t4test.Fill(p, 0, x, x+r)
			}
			x += r
			black = !black
		}
		return p.Row(0)
	}
	tests := []struct {
		name  string
		width int
		opts  Options
		row   []byte
		want  string // bits, MSB first, padded with zeros to a byte
	}{
		// EOL, white 8 (10011), black 2 (11), white 6 (1110).
		{"MH", 16, Options{Format: MH, EOL: true}, row(16, 8, 2, 6), "000000000001" + "10011" + "11" + "1110"},
		// White 0 (00110101), black 16 (0000010111).
		{"MH black start", 16, Options{Format: MH}, row(16, 0, 16), "00110101" + "0000010111"},
		// White 1792+64 = 1856 (00000001100) then white 0 (00110101).
		{"MH makeup ext", 1856, Options{Format: MH}, row(1856, 1856), "00000001100" + "00110101"},
		// Runs over 2560: white 2560 (000000011111), 2560-1792... here 3000:
		// 2560 + 384 (00110111) + 56 (01011001).
		{"MH long", 3000, Options{Format: MH}, row(3000, 3000), "000000011111" + "00110111" + "01011001"},
		// MMR on an imaginary white reference: H white 3 (1000) black 2
		// (11), then V0 for b1=width... here a1 = 5, b1 = 8 (width): VL3?
		// a1=5, b1=8 -> |a1-b1| = 3 -> VL3 (0000010); then a0=5 black,
		// b1 = 8, a1 = 8 (end) -> V0 (1).
		{"MMR", 8, Options{Format: MMR}, row(8, 5, 3), "0000010" + "1"},
		// MR tag: EOL + 1 then MH white 8 (10011).
		{"MR", 8, Options{Format: MR, EOL: true}, row(8, 8), "000000000001" + "1" + "10011"},
		// LSB first: white 0 (0x35) reversed is 0xAC, black 8 (000101, padded) reversed 0x28.
		{"LSB", 8, Options{Format: MH, LSBFirst: true}, row(8, 0, 8), "10101100" + "00101000"},
		// EOFB after an all-white MMR row: V0 then two EOLs.
		{"EOFB", 8, Options{Format: MMR, EndOfPage: true}, row(8, 8), "1" + "000000000001" + "000000000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			e, err := NewEncoder(&buf, tt.width, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.WriteRow(tt.row); err != nil {
				t.Fatal(err)
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			want := tt.want
			for len(want)%8 != 0 {
				want += "0"
			}
			if got := bitString(buf.Bytes()); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func bitString(b []byte) string {
	var s []byte
	for _, c := range b {
		for i := 7; i >= 0; i-- {
			s = append(s, '0'+c>>uint(i)&1)
		}
	}
	return string(s)
}

// TestCCITTPeer decodes our MMR and MH output with golang.org/x/image/ccitt,
// an independent decoder.
func TestCCITTPeer(t *testing.T) {
	for _, g := range t4test.Generators {
		for _, w := range []int{1728, 9} {
			p, err := t4test.Page(g.Name, w, 40, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				sf   ccitt.SubFormat
				opts Options
			}{
				{ccitt.Group4, Options{Format: MMR, EndOfPage: true}},
				{ccitt.Group3, Options{Format: MH, EOL: true, EndOfPage: true}},
			} {
				data, err := EncodePage(p, c.opts)
				if err != nil {
					t.Fatal(err)
				}
				r := ccitt.NewReader(bytes.NewReader(data), ccitt.MSB, c.sf, w, p.Height, &ccitt.Options{Invert: true})
				got, err := io.ReadAll(r)
				if err != nil {
					t.Fatalf("%s %d %v: x/image/ccitt: %v", g.Name, w, c.opts.Format, err)
				}
				if !bytes.Equal(got, p.Bits) {
					t.Fatalf("%s %d %v: x/image/ccitt decodes other pixels", g.Name, w, c.opts.Format)
				}
			}
		}
	}
}

// eolEnds returns the bit positions where EOLs (eleven or more zeros and
// a one) end, given the stream as a bit string.
func eolEnds(bits string) []int {
	var ends []int
	zeros := 0
	for i := 0; i < len(bits); i++ {
		if bits[i] == '0' {
			zeros++
			continue
		}
		if zeros >= 11 {
			ends = append(ends, i)
		}
		zeros = 0
	}
	return ends
}

// TestFillOptions checks MinRowBits and AlignEOL on the coded bits.
func TestFillOptions(t *testing.T) {
	p, err := t4test.Page("text", 1728, 40, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{
		{Format: MH, EOL: true, MinRowBits: 1000},
		{Format: MR, K: 2, EOL: true, MinRowBits: 700, AlignEOL: true},
		{Format: MH, EOL: true, AlignEOL: true},
	} {
		data, err := EncodePage(p, o)
		if err != nil {
			t.Fatal(err)
		}
		ends := eolEnds(bitString(data))
		if len(ends) != p.Height {
			t.Fatalf("%+v: %d EOLs, want %d", o, len(ends), p.Height)
		}
		for i, e := range ends {
			if o.AlignEOL && e%8 != 7 {
				t.Errorf("%+v: EOL %d ends at bit %d, not on a byte boundary", o, i, e)
			}
			// A row runs from its EOL's first bit to the next EOL's
			// first bit; fill sits before the next EOL.
			if i > 0 && o.MinRowBits > 0 {
				if n := (e - 11) - (ends[i-1] - 11); n < o.MinRowBits {
					t.Errorf("%+v: row %d has %d bits, want at least %d", o, i-1, n, o.MinRowBits)
				}
			}
		}
	}
}
