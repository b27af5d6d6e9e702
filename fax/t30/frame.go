package t30

import (
	"errors"
	"fmt"
	"strings"
)

// HDLC address and control octets of T.30 frames.
const (
	hdlcAddress      = 0xFF
	hdlcControl      = 0x03 // non-final frame
	hdlcControlFinal = 0x13 // final frame: the other side may answer
)

// Frame is one T.30 HDLC frame: its facsimile control field and its
// information field.
type Frame struct {
	FCF   FCF
	X     bool   // the X bit was set: sent by the station that received DIS
	Final bool   // last frame of its carrier
	Info  []byte // facsimile information field (FIF), may be empty
}

// Errors from ParseFrame.
var (
	ErrShortFrame = errors.New("t30: frame shorter than address, control and FCF")
	ErrBadAddress = errors.New("t30: frame address is not 0xFF")
	ErrBadControl = errors.New("t30: frame control is neither 0x03 nor 0x13")
)

// ParseFrame decodes an HDLC frame given without its FCS. The returned
// Info aliases b.
func ParseFrame(b []byte) (Frame, error) {
	if len(b) < 3 {
		return Frame{}, fmt.Errorf("%w (%d octets)", ErrShortFrame, len(b))
	}
	if b[0] != hdlcAddress {
		return Frame{}, fmt.Errorf("%w (got %#02x)", ErrBadAddress, b[0])
	}
	if b[1] != hdlcControl && b[1] != hdlcControlFinal {
		return Frame{}, fmt.Errorf("%w (got %#02x)", ErrBadControl, b[1])
	}
	f := fcfOf(b[2])
	x := b[2]&xBit != 0
	if identClass[b[2]] {
		x = false
	}
	return Frame{FCF: f, X: x, Final: b[1] == hdlcControlFinal, Info: b[3:]}, nil
}

// Marshal encodes f as address, control, FCF and FIF octets, ready for
// Modem.SendFrames.
func (f Frame) Marshal() []byte {
	b := make([]byte, 3, 3+len(f.Info))
	b[0] = hdlcAddress
	b[1] = hdlcControl
	if f.Final {
		b[1] = hdlcControlFinal
	}
	b[2] = byte(f.FCF)
	if f.X && !identClass[b[2]] {
		b[2] |= xBit
	}
	return append(b, f.Info...)
}

// String describes the frame for logs, e.g. "MCF" or "DCS 00 c6 ...".
func (f Frame) String() string {
	if len(f.Info) == 0 {
		return f.FCF.String()
	}
	n := len(f.Info)
	if n > 8 {
		n = 8
	}
	s := fmt.Sprintf("%s % x", f.FCF, f.Info[:n])
	if len(f.Info) > n {
		s += " ..."
	}
	return s
}

// IdentLen is the length of a T.30 identity (CSI, TSI, CIG): 20 characters.
const IdentLen = 20

// CheckIdent reports whether s can be sent as a T.30 identity. T.30 allows
// digits, "+" and space; letters and other printable ASCII are accepted too
// because real machines send them.
func CheckIdent(s string) error {
	if len(s) > IdentLen {
		return fmt.Errorf("t30: identity %q is %d characters long; the limit is %d", s, len(s), IdentLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return fmt.Errorf("t30: identity %q holds a character (%#02x) that is not printable ASCII", s, s[i])
		}
	}
	return nil
}

// EncodeIdent returns the 20-octet FIF of an identity frame: the characters
// in reverse order (the last one is sent first), padded with spaces. s must
// pass CheckIdent.
func EncodeIdent(s string) []byte {
	b := make([]byte, IdentLen)
	for i := range b {
		b[i] = ' '
	}
	for i := 0; i < len(s) && i < IdentLen; i++ {
		b[i] = s[len(s)-1-i]
	}
	return b
}

// DecodeIdent reads an identity FIF: it restores the character order, drops
// the padding and replaces anything unprintable by '?'. A short or long FIF
// is read as far as it goes.
func DecodeIdent(fif []byte) string {
	if len(fif) > IdentLen {
		fif = fif[:IdentLen]
	}
	b := make([]byte, len(fif))
	for i, c := range fif {
		if c < 0x20 || c > 0x7E {
			c = '?'
		}
		b[len(fif)-1-i] = c
	}
	return strings.TrimSpace(string(b))
}
