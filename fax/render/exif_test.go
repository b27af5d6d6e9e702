package render

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"testing"
)

// withOrientation inserts an Exif segment with the Orientation tag after
// the start-of-image marker of a JPEG.
func withOrientation(jpg []byte, o uint16, order binary.ByteOrder) []byte {
	var t bytes.Buffer
	if order == binary.LittleEndian {
		t.WriteString("II*\x00")
	} else {
		t.WriteString("MM\x00*")
	}
	binary.Write(&t, order, uint32(8))
	binary.Write(&t, order, uint16(1))                  // one entry
	binary.Write(&t, order, [4]uint16{0x0112, 3, 1, 0}) // tag, SHORT, count 1 (2 words)
	binary.Write(&t, order, [2]uint16{o, 0})            // value, padding
	binary.Write(&t, order, uint32(0))                  // no next IFD
	seg := append([]byte("Exif\x00\x00"), t.Bytes()...)
	var b bytes.Buffer
	b.Write(jpg[:2])
	b.Write([]byte{0xff, 0xe1})
	binary.Write(&b, binary.BigEndian, uint16(len(seg)+2))
	b.Write(seg)
	b.Write(jpg[2:])
	return b.Bytes()
}

func TestJPEGOrientation(t *testing.T) {
	base := encode(t, JPEG, boxImage(60, 90, image.Rect(0, 0, 10, 10)))
	for _, o := range []uint16{1, 2, 3, 4, 5, 6, 7, 8} {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			if got := jpegOrientation(withOrientation(base, o, order)); got != int(o) {
				t.Errorf("orientation %d (%v): read %d", o, order, got)
			}
		}
	}
	for name, data := range map[string][]byte{
		"none":      base,
		"truncated": withOrientation(base, 6, binary.LittleEndian)[:30],
		"not jpeg":  []byte("hello"),
		"bad value": withOrientation(base, 9, binary.BigEndian),
	} {
		if got := jpegOrientation(data); got != 1 {
			t.Errorf("%s: orientation %d, want 1", name, got)
		}
	}

	// A 3 x 2 picture with a distinct value at each pixel, through every
	// orientation: the top-left shown pixel is the stored one named.
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(g.Pix, []uint8{1, 2, 3, 4, 5, 6})
	for o, want := range map[int][]uint8{
		1: {1, 2, 3, 4, 5, 6},
		2: {3, 2, 1, 6, 5, 4},
		3: {6, 5, 4, 3, 2, 1},
		4: {4, 5, 6, 1, 2, 3},
		5: {1, 4, 2, 5, 3, 6},
		6: {4, 1, 5, 2, 6, 3},
		7: {6, 3, 5, 2, 4, 1},
		8: {3, 6, 2, 5, 1, 4},
	} {
		if got := orient(g, o).Pix; !bytes.Equal(got, want) {
			t.Errorf("orient %d: %v, want %v", o, got, want)
		}
	}

	// End to end: a portrait photo stored upside down (orientation 3)
	// with its mark at the stored top left shows the mark at bottom right.
	img := boxImage(600, 900, image.Rect(0, 0, 100, 100))
	pages, err := Document(context.Background(), withOrientation(encode(t, JPEG, img), 3, binary.BigEndian), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := pages[0]
	if box := inkBox(p); box.Min.X < p.Width/2 || box.Min.Y < p.Height/2 {
		t.Errorf("mark at %v, want it in the bottom-right quarter", box)
	}
}

func FuzzJPEGOrientation(f *testing.F) {
	f.Add(withOrientation([]byte{0xff, 0xd8, 0xff, 0xd9}, 6, binary.LittleEndian))
	f.Add(withOrientation([]byte{0xff, 0xd8, 0xff, 0xd9}, 8, binary.BigEndian))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe1, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d outside 1..8", o)
		}
	})
}
