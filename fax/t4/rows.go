package t4

import (
	"encoding/binary"
	"math/bits"
)

// A row is handled internally as its list of changing elements: the
// positions where the colour changes, starting from an imaginary white pixel
// left of the row. Even entries start black runs, odd entries start white
// runs. The list is followed by sentinels equal to the width so that the
// two-dimensional coders can look past the last change without bounds
// checks.

const sentinels = 3

// nextChange returns the first position at or after x, below width, whose
// pixel is not of the given colour, or width if there is none. row holds
// exactly (width+7)/8 bytes.
func nextChange(row []byte, x, width int, black bool) int {
	var inv byte
	var inv64 uint64
	if black {
		inv, inv64 = 0xff, ^uint64(0)
	}
	i := x >> 3
	n := len(row)
	if b := (row[i] ^ inv) & (0xff >> uint(x&7)); b != 0 {
		return min(i<<3+bits.LeadingZeros8(b), width)
	}
	i++
	for ; i+8 <= n; i += 8 {
		if w := binary.BigEndian.Uint64(row[i:]) ^ inv64; w != 0 {
			return min(i<<3+bits.LeadingZeros64(w), width)
		}
	}
	for ; i < n; i++ {
		if b := row[i] ^ inv; b != 0 {
			return min(i<<3+bits.LeadingZeros8(b), width)
		}
	}
	return width
}

// appendChanges appends the changing elements of row, then the sentinels.
func appendChanges(dst []int32, row []byte, width int) []int32 {
	row = row[:(width+7)>>3]
	x, black := 0, false
	for {
		x = nextChange(row, x, width, black)
		if x >= width {
			break
		}
		dst = append(dst, int32(x))
		black = !black
	}
	for range sentinels {
		dst = append(dst, int32(width))
	}
	return dst
}

// fillRow paints row from its changing elements (without sentinels).
func fillRow(row []byte, ch []int32, width int) {
	clear(row)
	for i := 0; i < len(ch); i += 2 {
		end := width
		if i+1 < len(ch) {
			end = int(ch[i+1])
		}
		setRun(row, int(ch[i]), end)
	}
}

// setRun paints pixels a to b-1 black.
func setRun(row []byte, a, b int) {
	if a >= b {
		return
	}
	i, j := a>>3, (b-1)>>3
	first := byte(0xff >> uint(a&7))
	last := byte(0xff << uint(7-(b-1)&7))
	if i == j {
		row[i] |= first & last
		return
	}
	row[i] |= first
	for k := i + 1; k < j; k++ {
		row[k] = 0xff
	}
	row[j] |= last
}
