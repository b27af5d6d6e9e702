package t4

import (
	"errors"
	"fmt"

	"github.com/faxhaven/faxhaven/fax/page"
)

// Format is a fax image coding scheme.
type Format int

// The coding schemes of T.4 and T.6.
const (
	MH  Format = iota // T.4 one-dimensional coding, Modified Huffman
	MR                // T.4 two-dimensional coding, Modified READ
	MMR               // T.6 coding, Modified Modified READ (Group 4)
)

// String returns the usual abbreviation of the format.
func (f Format) String() string {
	switch f {
	case MH:
		return "MH"
	case MR:
		return "MR"
	case MMR:
		return "MMR"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Options describe a coded stream. The same Options that encoded a stream
// decode it; fields that only one side uses say so.
type Options struct {
	// Format selects MH, MR or MMR.
	Format Format

	// K is the MR parameter: every Kth row is coded one-dimensionally and
	// the rows between two-dimensionally. T.4 asks for 2 at standard
	// resolution and 4 at fine. K <= 0 means K is infinite: only the first
	// row is one-dimensional. Encoding only; the decoder reads the tag bit.
	K int

	// EOL precedes every row with an end-of-line code, as T.4 streams and
	// TIFF compression 3 do. MR requires it (the tag bit follows the EOL);
	// MMR ignores it. Without EOL an MH stream is the bare run codes of
	// TIFF compression 2 (usually together with AlignRows).
	EOL bool

	// AlignEOL inserts fill bits so that every EOL ends on a byte boundary
	// (T.30 "EOL alignment", TIFF T4Options bit 2). The decoder accepts fill
	// whether or not this is set.
	AlignEOL bool

	// AlignRows starts every row on a byte boundary, as TIFF compression 2
	// (CCITT RLE) does. MH without EOL only.
	AlignRows bool

	// MinRowBits is the minimum number of bits per row, EOL included, that
	// the negotiated minimum scan-line time requires; short rows get fill
	// bits before the next EOL. Encoding only; zero means no minimum.
	MinRowBits int

	// EndOfPage ends the stream with RTC (six EOLs, each with tag bit 1 for
	// MR) or, for MMR, with EOFB. Encoding only: the decoder stops at
	// RTC/EOFB whether or not this is set.
	EndOfPage bool

	// LSBFirst packs the first bit of the stream in the least significant
	// bit of each byte, as T.38/T.30 lines and TIFF FillOrder 2 do. The
	// default is most significant bit first (TIFF FillOrder 1).
	LSBFirst bool

	// Rows, if positive, is the number of rows to decode; decoding stops
	// there even without RTC/EOFB. Decoding only.
	Rows int
}

// ErrWidth reports a row width outside 1..page.MaxWidth.
var ErrWidth = errors.New("t4: row width out of range")

func (o *Options) check(width int) error {
	if width < 1 || width > page.MaxWidth {
		return fmt.Errorf("%w: %d pixels (want 1 to %d)", ErrWidth, width, page.MaxWidth)
	}
	switch o.Format {
	case MH:
		if o.AlignRows && o.EOL {
			return errors.New("t4: AlignRows is for MH without EOLs (TIFF compression 2); with EOLs use AlignEOL")
		}
	case MR:
		if !o.EOL {
			return errors.New("t4: MR coding needs EOL codes (the tag bit follows each EOL); set Options.EOL")
		}
		if o.AlignRows {
			return errors.New("t4: AlignRows applies to MH only")
		}
	case MMR:
		if o.AlignRows {
			return errors.New("t4: AlignRows applies to MH only")
		}
	default:
		return fmt.Errorf("t4: unknown format %v (want MH, MR or MMR)", o.Format)
	}
	if o.Rows > page.MaxHeight {
		return fmt.Errorf("t4: %d rows exceed the page limit of %d", o.Rows, page.MaxHeight)
	}
	return nil
}
