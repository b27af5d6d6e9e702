package t4_test

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4"
)

// Code a page row by row as a T.30 sender does (MR, K=4, LSB first, RTC at
// the end), then read it back row by row as the receiver does.
func Example() {
	p, err := page.New(page.WidthA4, 100, page.Fine)
	if err != nil {
		log.Fatal(err)
	}
	for y := 10; y < 90; y++ {
		for x := 100; x < 400; x++ {
			p.Set(x, y, true) // a black box
		}
	}
	opts := t4.Options{Format: t4.MR, K: 4, EOL: true, LSBFirst: true, EndOfPage: true, MinRowBits: 96}

	var line bytes.Buffer
	enc, err := t4.NewEncoder(&line, p.Width, opts)
	if err != nil {
		log.Fatal(err)
	}
	for y := 0; y < p.Height; y++ {
		if err := enc.WriteRow(p.Row(y)); err != nil {
			log.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		log.Fatal(err)
	}

	dec, err := t4.NewDecoder(&line, p.Width, opts)
	if err != nil {
		log.Fatal(err)
	}
	row := make([]byte, p.Stride)
	same := true
	for y := 0; ; y++ {
		err := dec.ReadRow(row)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		same = same && bytes.Equal(row, p.Row(y))
	}
	fmt.Printf("%+v, same pixels: %v\n", dec.Stats(), same)
	// Output: {Rows:100 BadRows:0 MaxConsecutive:0}, same pixels: true
}
