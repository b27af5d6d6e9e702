package t4

import (
	"bytes"
	"io"
	"testing"

	"github.com/faxhaven/faxhaven/fax/t4/t4test"
)

// fuzzDecode decodes arbitrary data; whatever decodes must survive a
// re-encode and decode unchanged.
func fuzzDecode(f *testing.F, opts Options) {
	for _, g := range []string{"text", "halftone", "longruns", "edges"} {
		for _, w := range []int{1728, 9} {
			p, err := t4test.Page(g, w, 12, 1)
			if err != nil {
				f.Fatal(err)
			}
			enc := opts
			enc.EndOfPage = true
			data, err := EncodePage(p, enc)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data, uint16(w), false)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, width uint16, lsb bool) {
		w := int(width%2500) + 1
		o := opts
		o.LSBFirst = lsb
		p, st, err := DecodePage(data, w, o)
		// Reading through an io.Reader a few bytes at a time must give
		// exactly what reading from memory gives.
		d, derr := NewDecoder(&trickle{data: data, n: 5}, w, o)
		if derr != nil {
			t.Fatal(derr)
		}
		row := make([]byte, (w+7)/8)
		for y := 0; ; y++ {
			rerr := d.ReadRow(row)
			if rerr == io.EOF || rerr != nil {
				if (rerr == io.EOF) != (err == nil) || err == nil && y != p.Height {
					t.Fatalf("streaming: %v after %d rows; in memory: %v", rerr, y, err)
				}
				break
			}
			if err == nil && (y >= p.Height || !bytes.Equal(row, p.Row(y))) {
				t.Fatalf("streaming: row %d differs", y)
			}
		}
		if err != nil {
			return
		}
		if d.Stats() != st {
			t.Fatalf("streaming stats %+v, in memory %+v", d.Stats(), st)
		}
		if p.Height != st.Rows || st.BadRows > st.Rows || st.MaxConsecutive > st.BadRows {
			t.Fatalf("inconsistent: height %d, stats %+v", p.Height, st)
		}
		again, err := EncodePage(p, o)
		if err != nil {
			t.Fatal(err)
		}
		q, st2, err := DecodePage(again, w, o)
		if err != nil || st2.BadRows != 0 || !q.Equal(p) {
			t.Fatalf("re-encoded page does not round trip: %v, %+v", err, st2)
		}
	})
}

func FuzzDecodeMH(f *testing.F)  { fuzzDecode(f, Options{Format: MH, EOL: true}) }
func FuzzDecodeMR(f *testing.F)  { fuzzDecode(f, Options{Format: MR, EOL: true, K: 4}) }
func FuzzDecodeMMR(f *testing.F) { fuzzDecode(f, Options{Format: MMR}) }
