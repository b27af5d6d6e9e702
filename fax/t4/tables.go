package t4

// The code tables of ITU-T T.4 (tables 1, 2, 3 and 4). Codes are written as
// bit strings so they can be checked against the recommendation by eye; they
// are turned into encode and decode tables once, at package initialisation.

// whiteTerm holds the white terminating codes for runs 0 to 63.
var whiteTerm = [64]string{
	"00110101", "000111", "0111", "1000", "1011", "1100", "1110", "1111",
	"10011", "10100", "00111", "01000", "001000", "000011", "110100", "110101",
	"101010", "101011", "0100111", "0001100", "0001000", "0010111", "0000011", "0000100",
	"0101000", "0101011", "0010011", "0100100", "0011000", "00000010", "00000011", "00011010",
	"00011011", "00010010", "00010011", "00010100", "00010101", "00010110", "00010111", "00101000",
	"00101001", "00101010", "00101011", "00101100", "00101101", "00000100", "00000101", "00001010",
	"00001011", "01010010", "01010011", "01010100", "01010101", "00100100", "00100101", "01011000",
	"01011001", "01011010", "01011011", "01001010", "01001011", "00110010", "00110011", "00110100",
}

// blackTerm holds the black terminating codes for runs 0 to 63.
var blackTerm = [64]string{
	"0000110111", "010", "11", "10", "011", "0011", "0010", "00011",
	"000101", "000100", "0000100", "0000101", "0000111", "00000100", "00000111", "000011000",
	"0000010111", "0000011000", "0000001000", "00001100111", "00001101000", "00001101100", "00000110111", "00000101000",
	"00000010111", "00000011000", "000011001010", "000011001011", "000011001100", "000011001101", "000001101000", "000001101001",
	"000001101010", "000001101011", "000011010010", "000011010011", "000011010100", "000011010101", "000011010110", "000011010111",
	"000001101100", "000001101101", "000011011010", "000011011011", "000001010100", "000001010101", "000001010110", "000001010111",
	"000001100100", "000001100101", "000001010010", "000001010011", "000000100100", "000000110111", "000000111000", "000000100111",
	"000000101000", "000001011000", "000001011001", "000000101011", "000000101100", "000001011010", "000001100110", "000001100111",
}

// whiteMakeup and blackMakeup hold the make-up codes for runs 64, 128, ...,
// 1728 (index i is run 64*(i+1)).
var whiteMakeup = [27]string{
	"11011", "10010", "010111", "0110111", "00110110", "00110111", "01100100", "01100101",
	"01101000", "01100111", "011001100", "011001101", "011010010", "011010011", "011010100", "011010101",
	"011010110", "011010111", "011011000", "011011001", "011011010", "011011011", "010011000", "010011001",
	"010011010", "011000", "010011011",
}

var blackMakeup = [27]string{
	"0000001111", "000011001000", "000011001001", "000001011011", "000000110011", "000000110100", "000000110101", "0000001101100",
	"0000001101101", "0000001001010", "0000001001011", "0000001001100", "0000001001101", "0000001110010", "0000001110011", "0000001110100",
	"0000001110101", "0000001110110", "0000001110111", "0000001010010", "0000001010011", "0000001010100", "0000001010101", "0000001011010",
	"0000001011011", "0000001100100", "0000001100101",
}

// extMakeup holds the make-up codes shared by both colours for runs 1792 to
// 2560 (index i is run 1792+64*i).
var extMakeup = [13]string{
	"00000001000", "00000001100", "00000001101", "000000010010", "000000010011", "000000010100", "000000010101",
	"000000010110", "000000010111", "000000011100", "000000011101", "000000011110", "000000011111",
}

// Two-dimensional mode codes (T.4 table 4).
const (
	codePass  = "0001"
	codeHoriz = "001"
	codeV0    = "1"
	codeVR1   = "011"
	codeVR2   = "000011"
	codeVR3   = "0000011"
	codeVL1   = "010"
	codeVL2   = "000010"
	codeVL3   = "0000010"
)

// eolCode is the end-of-line code: eleven zeros and a one.
const (
	eolCode = 0x001
	eolLen  = 12
)

// maxRun is the longest run one make-up code covers; longer runs repeat it.
const maxRun = 2560

// code is a variable-length code: its bits right-aligned in v.
type code struct {
	v   uint32
	len uint8
}

func parseCode(s string) code {
	var c code
	for i := 0; i < len(s); i++ {
		c.v = c.v<<1 | uint32(s[i]-'0')
	}
	c.len = uint8(len(s))
	return c
}

// runCodes is the encoder's view of one colour: the terminating code for
// runs below 64 and the make-up code for each multiple of 64 up to 2560.
type runCodes struct {
	term   [64]code
	makeup [41]code // index run/64; 0 unused
}

var (
	whiteCodes, blackCodes runCodes
	modeCodes              [7]code // vertical modes indexed by delta+3
	passCode, horizCode    code
)

// Decode tables. Each entry packs a run length (low 12 bits) and the code
// length (high 4 bits); a zero entry marks a bit pattern that starts no
// code: an EOL, fill, or corrupt data.
const (
	whiteBits = 12
	blackBits = 13
	modeBits  = 7
)

var (
	whiteTable [1 << whiteBits]uint16
	blackTable [1 << blackBits]uint16
	modeTable  [1 << modeBits]uint8 // mode<<4 | code length
)

// Modes of two-dimensional coding as stored in modeTable.
const (
	modeInvalid = iota
	modePass
	modeHoriz
	modeVL3
	modeVL2
	modeVL1
	modeV0
	modeVR1
	modeVR2
	modeVR3
)

func init() {
	build := func(rc *runCodes, table []uint16, bits uint, term []string, makeup []string) {
		add := func(run int, s string) {
			c := parseCode(s)
			shift := bits - uint(c.len)
			base := c.v << shift
			for i := uint32(0); i < 1<<shift; i++ {
				table[base|i] = uint16(run) | uint16(c.len)<<12
			}
		}
		for run, s := range term {
			rc.term[run] = parseCode(s)
			add(run, s)
		}
		for i, s := range makeup {
			rc.makeup[i+1] = parseCode(s)
			add(64*(i+1), s)
		}
		for i, s := range extMakeup {
			rc.makeup[28+i] = parseCode(s)
			add(1792+64*i, s)
		}
	}
	build(&whiteCodes, whiteTable[:], whiteBits, whiteTerm[:], whiteMakeup[:])
	build(&blackCodes, blackTable[:], blackBits, blackTerm[:], blackMakeup[:])

	passCode = parseCode(codePass)
	horizCode = parseCode(codeHoriz)
	for i, s := range []string{codeVL3, codeVL2, codeVL1, codeV0, codeVR1, codeVR2, codeVR3} {
		modeCodes[i] = parseCode(s)
	}
	addMode := func(mode uint8, c code) {
		shift := modeBits - uint(c.len)
		for i := uint32(0); i < 1<<shift; i++ {
			modeTable[c.v<<shift|i] = mode<<4 | c.len
		}
	}
	addMode(modePass, passCode)
	addMode(modeHoriz, horizCode)
	for i, c := range modeCodes {
		addMode(uint8(modeVL3+i), c)
	}
}
