package t30

import (
	"errors"
	"fmt"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
)

// Encoding is a one-bit image coding scheme of T.4 and T.6.
type Encoding int

// Image encodings. MMR requires ECM.
const (
	MH  Encoding = iota + 1 // T.4 one-dimensional (Modified Huffman)
	MR                      // T.4 two-dimensional (Modified READ)
	MMR                     // T.6 (Modified Modified READ)
)

// String returns "MH", "MR" or "MMR".
func (e Encoding) String() string {
	switch e {
	case MH:
		return "MH"
	case MR:
		return "MR"
	case MMR:
		return "MMR"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// ParseEncoding reads "mh", "mr" or "mmr" in any case.
func ParseEncoding(s string) (Encoding, error) {
	switch s {
	case "mh", "MH":
		return MH, nil
	case "mr", "MR":
		return MR, nil
	case "mmr", "MMR":
		return MMR, nil
	}
	return 0, fmt.Errorf("t30: unknown encoding %q (want mh, mr or mmr)", s)
}

// PaperWidth is a recording width class of T.30: A4, B4 or A3.
type PaperWidth int

// Recording widths. At 8 pels/mm they are 1728, 2048 and 2432 pixels.
const (
	WidthA4 PaperWidth = iota
	WidthB4
	WidthA3
)

// Pixels returns the scan-line length of the width class at horizontal
// resolution xdpi (204, 300 or 408).
func (w PaperWidth) Pixels(xdpi float64) int {
	base := [...]int{1728, 2048, 2432}[w]
	switch {
	case xdpi > 350:
		return base * 2
	case xdpi > 250:
		// 300 dpi widths are the inch-based 2592, 3072, 3648.
		return [...]int{2592, 3072, 3648}[w]
	}
	return base
}

// String returns "A4", "B4" or "A3".
func (w PaperWidth) String() string {
	switch w {
	case WidthA4:
		return "A4"
	case WidthB4:
		return "B4"
	case WidthA3:
		return "A3"
	}
	return fmt.Sprintf("PaperWidth(%d)", int(w))
}

// widthClass finds the width class of a scan line of n pixels at xdpi.
func widthClass(n int, xdpi float64) (PaperWidth, bool) {
	for w := WidthA4; w <= WidthA3; w++ {
		if w.Pixels(xdpi) == n {
			return w, true
		}
	}
	return 0, false
}

// PaperLength is a recording length limit of T.30.
type PaperLength int

// Recording lengths.
const (
	LengthA4        PaperLength = iota // 297 mm
	LengthB4                           // 364 mm
	LengthUnlimited                    // any length
)

// ScanTime is the minimum scan-line time field of DIS/DTC/DCS (bits 21 to
// 23) as the 3-bit value b21 b22 b23.
type ScanTime uint8

// scanMS gives the base time in ms of each ScanTime code and whether the
// time halves at 7.7 lines/mm.
var scanMS = [8]struct {
	ms   int
	half bool
}{
	{20, false}, {40, false}, {10, false}, {10, true},
	{5, false}, {40, true}, {20, true}, {0, false},
}

// Duration returns the minimum scan-line time for rows of vertical
// resolution ydpi. halves15 is DIS bit 46: at 15.4 lines/mm and above the
// time halves again.
func (s ScanTime) Duration(ydpi float64, halves15 bool) time.Duration {
	e := scanMS[s&7]
	d := time.Duration(e.ms) * time.Millisecond
	if ydpi > 150 && e.half {
		d /= 2
	}
	if ydpi > 300 && halves15 {
		d /= 2
	}
	return d
}

// dcsScanTime returns the DCS code of a scan time in ms (0, 5, 10, 20, 40).
func dcsScanTime(d time.Duration) ScanTime {
	switch {
	case d <= 0:
		return 7
	case d <= 5*time.Millisecond:
		return 4
	case d <= 10*time.Millisecond:
		return 2
	case d <= 20*time.Millisecond:
		return 0
	}
	return 1
}

// Caps is what a DIS or DTC says a station can do.
type Caps struct {
	ReadyToTransmit bool // bit 9: has a document to be polled
	CanReceive      bool // bit 10: can receive a fax
	// Modulations: V.27ter is always present; 2400Only means the
	// rate field was 0000 (V.27ter fallback mode, 2400 bit/s).
	V27ter2400Only bool
	V29, V17       bool
	Fine           bool // 204x196
	Superfine      bool // 204x391
	R300           bool // 300x300
	R400           bool // 408x391
	MR             bool // two-dimensional coding
	MMR            bool // T.6 coding (with ECM)
	ECM            bool
	Prefer64       bool // bit 7: prefers 64-octet ECM frames
	Width          PaperWidth
	Length         PaperLength
	MinScan        ScanTime
	ScanHalves15   bool // bit 46
	InchPreferred  bool // bit 44
	MetricPrefer   bool // bit 45
	FNV            bool // bit 33
	SelectivePoll  bool // bit 47
	Subaddressing  bool // bit 49
	Password       bool // bit 50
}

// Supports reports whether the station can receive modulation m.
func (c Caps) Supports(m Modulation) bool {
	switch m {
	case V27ter2400:
		return true
	case V27ter4800:
		return !c.V27ter2400Only
	case V29_7200, V29_9600:
		return c.V29
	case V17_7200, V17_9600, V17_12000, V17_14400:
		return c.V17
	}
	return false
}

// SupportsRes reports whether the station can receive resolution r.
func (c Caps) SupportsRes(r page.Resolution) bool {
	switch r {
	case page.Standard:
		return true
	case page.Fine:
		return c.Fine
	case page.Superfine:
		return c.Superfine
	case page.R300:
		return c.R300
	case page.R400:
		return c.R400
	}
	return false
}

// bits is a T.30 bit field; bit n (from 1) is bit (n-1)%8 of octet (n-1)/8.
type bits []byte

func (b bits) get(n int) bool {
	i := (n - 1) / 8
	return i < len(b) && b[i]&(1<<((n-1)%8)) != 0
}

func (b bits) set(n int, v bool) {
	if v {
		b[(n-1)/8] |= 1 << ((n - 1) % 8)
	}
}

// finish sets the extension bits (24, 32, 40, ...) of every octet before
// the last one that holds something, and trims trailing empty octets beyond
// the first three.
func (b bits) finish() []byte {
	n := len(b)
	for n > 3 && b[n-1] == 0 {
		n--
	}
	for i := 2; i < n-1; i++ {
		b[i] |= 0x80
	}
	return b[:n]
}

// MinDISLen is the shortest valid DIS, DTC or DCS information field.
const MinDISLen = 3

// ErrShortDIS reports a DIS, DTC or DCS field shorter than MinDISLen.
var ErrShortDIS = errors.New("t30: DIS/DTC/DCS information field shorter than 3 octets")

// ParseCaps decodes the FIF of a DIS or DTC frame.
func ParseCaps(fif []byte) (Caps, error) {
	if len(fif) < MinDISLen {
		return Caps{}, fmt.Errorf("%w (%d octets)", ErrShortDIS, len(fif))
	}
	b := bits(fif)
	var c Caps
	c.ReadyToTransmit = b.get(9)
	c.CanReceive = b.get(10)
	c.V29 = b.get(11)
	c.V17 = b.get(14)
	c.V27ter2400Only = !b.get(11) && !b.get(12) && !b.get(14)
	c.Fine = b.get(15)
	c.MR = b.get(16)
	switch {
	case b.get(18):
		c.Width = WidthA3
	case b.get(17):
		c.Width = WidthB4
	}
	switch {
	case b.get(20):
		c.Length = LengthUnlimited
	case b.get(19):
		c.Length = LengthB4
	}
	c.MinScan = scanField(b)
	c.Prefer64 = b.get(7)
	// Bits beyond 24 count only if the extension bits say they exist.
	if b.get(24) {
		c.ECM = b.get(27)
		c.MMR = b.get(31) && c.ECM
		if b.get(32) {
			c.FNV = b.get(33)
			if b.get(40) {
				c.Superfine = b.get(41)
				c.R300 = b.get(42)
				c.R400 = b.get(43)
				c.InchPreferred = b.get(44)
				c.MetricPrefer = b.get(45)
				c.ScanHalves15 = b.get(46)
				c.SelectivePoll = b.get(47)
				if b.get(48) {
					c.Subaddressing = b.get(49)
					c.Password = b.get(50)
				}
			}
		}
	}
	return c, nil
}

func scanField(b bits) ScanTime {
	var s ScanTime
	if b.get(21) {
		s |= 4
	}
	if b.get(22) {
		s |= 2
	}
	if b.get(23) {
		s |= 1
	}
	return s
}

func setScanField(b bits, s ScanTime) {
	b.set(21, s&4 != 0)
	b.set(22, s&2 != 0)
	b.set(23, s&1 != 0)
}

// Marshal encodes c as a DIS/DTC FIF.
func (c Caps) Marshal() []byte {
	b := make(bits, 7)
	b.set(7, c.Prefer64)
	b.set(9, c.ReadyToTransmit)
	b.set(10, c.CanReceive)
	if !c.V27ter2400Only {
		b.set(12, true)
		b.set(11, c.V29)
		b.set(14, c.V17)
	}
	b.set(15, c.Fine)
	b.set(16, c.MR)
	b.set(17, c.Width == WidthB4)
	b.set(18, c.Width == WidthA3)
	b.set(19, c.Length == LengthB4)
	b.set(20, c.Length == LengthUnlimited)
	setScanField(b, c.MinScan)
	b.set(27, c.ECM)
	b.set(31, c.MMR && c.ECM)
	b.set(33, c.FNV)
	b.set(41, c.Superfine)
	b.set(42, c.R300)
	b.set(43, c.R400)
	b.set(44, c.InchPreferred)
	b.set(45, c.MetricPrefer)
	b.set(46, c.ScanHalves15)
	b.set(47, c.SelectivePoll)
	b.set(49, c.Subaddressing)
	b.set(50, c.Password)
	return b.finish()
}

// Params is what a DCS commands: the settings of the coming pages.
type Params struct {
	Receive    bool // bit 10: the receiver is to receive a fax
	Mod        Modulation
	Res        page.Resolution
	Encoding   Encoding
	Width      PaperWidth
	Length     PaperLength
	MinScan    time.Duration // 0, 5, 10, 20 or 40 ms
	ECM        bool
	Frame64    bool // 64-octet ECM frames instead of 256
	Subaddress bool // bit 49: a SUB frame is sent
	SenderID   bool // bit 50: a SID frame is sent
	InchBased  bool // bit 44
}

// FrameSize returns the ECM frame size in octets.
func (p Params) FrameSize() int {
	if p.Frame64 {
		return 64
	}
	return 256
}

// MinRowBits returns the minimum number of bits of a coded row, or 0 when
// no minimum applies (ECM, or a 0 ms scan time).
func (p Params) MinRowBits() int {
	if p.ECM {
		return 0
	}
	return int(int64(p.Mod.Rate()) * int64(p.MinScan) / int64(time.Second))
}

// rateBits maps DCS bits 11 to 14 (as b11|b12<<1|b13<<2|b14<<3) to the
// modulation they select.
var rateBits = map[uint8]Modulation{
	0x0: V27ter2400,
	0x2: V27ter4800,
	0x1: V29_9600,
	0x3: V29_7200,
	0x8: V17_14400,
	0xA: V17_12000,
	0x9: V17_9600,
	0xB: V17_7200,
}

func modRateBits(m Modulation) uint8 {
	for k, v := range rateBits {
		if v == m {
			return k
		}
	}
	return 0
}

// ErrBadRate reports a DCS or CTC whose rate field names no modulation.
var ErrBadRate = errors.New("t30: DCS selects an unknown data signalling rate")

func rateField(b bits) uint8 {
	var v uint8
	for i, n := range []int{11, 12, 13, 14} {
		if b.get(n) {
			v |= 1 << i
		}
	}
	return v
}

func setRateField(b bits, m Modulation) {
	v := modRateBits(m)
	for i, n := range []int{11, 12, 13, 14} {
		b.set(n, v&(1<<i) != 0)
	}
}

// ParseParams decodes the FIF of a DCS frame.
func ParseParams(fif []byte) (Params, error) {
	if len(fif) < MinDISLen {
		return Params{}, fmt.Errorf("%w (%d octets)", ErrShortDIS, len(fif))
	}
	b := bits(fif)
	var p Params
	p.Receive = b.get(10)
	rf := rateField(b)
	m, ok := rateBits[rf]
	if !ok {
		return Params{}, fmt.Errorf("%w (bits 11-14 = %04b)", ErrBadRate, rf)
	}
	p.Mod = m
	p.Encoding = MH
	if b.get(16) {
		p.Encoding = MR
	}
	switch {
	case b.get(18):
		p.Width = WidthA3
	case b.get(17):
		p.Width = WidthB4
	}
	switch {
	case b.get(20):
		p.Length = LengthUnlimited
	case b.get(19):
		p.Length = LengthB4
	}
	p.MinScan = time.Duration(scanMS[scanField(b)].ms) * time.Millisecond
	p.Res = page.Standard
	if b.get(15) {
		p.Res = page.Fine
	}
	if b.get(24) {
		p.ECM = b.get(27)
		p.Frame64 = p.ECM && b.get(28)
		if b.get(31) {
			if !p.ECM {
				return Params{}, errors.New("t30: DCS selects T.6 (MMR) coding without ECM, which T.30 forbids")
			}
			p.Encoding = MMR
		}
		if b.get(32) && b.get(40) {
			switch {
			case b.get(43):
				p.Res = page.R400
			case b.get(42):
				p.Res = page.R300
			case b.get(41):
				p.Res = page.Superfine
			}
			p.InchBased = b.get(44)
			if b.get(48) {
				p.Subaddress = b.get(49)
				p.SenderID = b.get(50)
			}
		}
	}
	return p, nil
}

// Marshal encodes p as a DCS FIF.
func (p Params) Marshal() []byte {
	b := make(bits, 7)
	b.set(10, p.Receive)
	setRateField(b, p.Mod)
	switch p.Res {
	case page.Fine:
		b.set(15, true)
	case page.Superfine:
		b.set(41, true)
	case page.R300:
		b.set(42, true)
	case page.R400:
		b.set(43, true)
	}
	b.set(16, p.Encoding == MR)
	b.set(17, p.Width == WidthB4)
	b.set(18, p.Width == WidthA3)
	b.set(19, p.Length == LengthB4)
	b.set(20, p.Length == LengthUnlimited)
	setScanField(b, dcsScanTime(p.MinScan))
	b.set(27, p.ECM)
	b.set(28, p.ECM && p.Frame64)
	b.set(31, p.ECM && p.Encoding == MMR)
	b.set(44, p.InchBased)
	b.set(49, p.Subaddress)
	b.set(50, p.SenderID)
	return b.finish()
}
