package t38

import (
	"errors"
	"fmt"
)

// UDPTLPacket is one UDPTL datagram (T.38 clause 9.1): a sequence number,
// the primary IFP packet and the error recovery information.
//
// In redundancy mode, Secondary[i] is a copy of the IFP packet with
// sequence number Seq-1-i. In parity FEC mode, FEC holds the parity
// entries. A packet with neither uses the redundancy alternative with no
// secondary packets.
type UDPTLPacket struct {
	Seq       uint16
	Primary   []byte
	Secondary [][]byte
	FEC       *FECInfo
}

// FECInfo is the fec-info alternative of a UDPTL packet. Data[m] is the XOR
// of the IFP packets Seq+m-Span*E+k*E for k = 0..Span-1, with E the number
// of entries, shorter packets padded with zeros.
type FECInfo struct {
	Span int // fec-npackets: how many IFP packets each entry covers
	Data [][]byte
}

// maxUnconstrained is the largest length coded without fragmentation.
const maxUnconstrained = 16383

// AppendUDPTL appends the PER encoding of p to dst.
func AppendUDPTL(dst []byte, p *UDPTLPacket) ([]byte, error) {
	if len(p.Primary) == 0 {
		return dst, errors.New("t38: UDPTL encode: empty primary IFP packet")
	}
	if len(p.Primary) > maxUnconstrained {
		return dst, fmt.Errorf("t38: UDPTL encode: primary IFP packet of %d bytes exceeds %d", len(p.Primary), maxUnconstrained)
	}
	dst = append(dst, byte(p.Seq>>8), byte(p.Seq))
	dst = appendLength(dst, len(p.Primary))
	dst = append(dst, p.Primary...)
	if p.FEC == nil {
		if len(p.Secondary) > maxUnconstrained {
			return dst, fmt.Errorf("t38: UDPTL encode: %d secondary packets are too many", len(p.Secondary))
		}
		dst = append(dst, 0x00) // choice secondary-ifp-packets
		dst = appendLength(dst, len(p.Secondary))
		for i, s := range p.Secondary {
			if len(s) == 0 || len(s) > maxUnconstrained {
				return dst, fmt.Errorf("t38: UDPTL encode: secondary packet %d has invalid length %d", i, len(s))
			}
			dst = appendLength(dst, len(s))
			dst = append(dst, s...)
		}
		return dst, nil
	}
	if len(p.Secondary) > 0 {
		return dst, errors.New("t38: UDPTL encode: a packet carries either secondary packets or FEC, not both")
	}
	if p.FEC.Span < 0 {
		return dst, fmt.Errorf("t38: UDPTL encode: negative FEC span %d", p.FEC.Span)
	}
	if len(p.FEC.Data) > maxUnconstrained {
		return dst, fmt.Errorf("t38: UDPTL encode: %d FEC entries are too many", len(p.FEC.Data))
	}
	dst = append(dst, 0x80) // choice fec-info
	dst = appendInteger(dst, p.FEC.Span)
	dst = appendLength(dst, len(p.FEC.Data))
	for i, d := range p.FEC.Data {
		if len(d) > maxUnconstrained {
			return dst, fmt.Errorf("t38: UDPTL encode: FEC entry %d of %d bytes is too long", i, len(d))
		}
		dst = appendLength(dst, len(d))
		dst = append(dst, d...)
	}
	return dst, nil
}

// appendInteger codes a non-negative unconstrained INTEGER: a length
// determinant and the minimal two's complement octets.
func appendInteger(dst []byte, v int) []byte {
	n := 1
	for x := v >> 7; x != 0; x >>= 8 {
		n++
	}
	dst = append(dst, byte(n))
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst
}

// DecodeUDPTL decodes one UDPTL datagram. The IFP and FEC slices alias b.
// Errors wrap ErrMalformed.
func DecodeUDPTL(b []byte) (UDPTLPacket, error) {
	p, err := decodeUDPTL(b)
	if err != nil {
		return UDPTLPacket{}, fmt.Errorf("t38: UDPTL: %w", err)
	}
	return p, nil
}

func decodeUDPTL(b []byte) (UDPTLPacket, error) {
	var p UDPTLPacket
	if len(b) < 2 {
		return p, malformed("datagram of %d bytes is too short", len(b))
	}
	p.Seq = uint16(b[0])<<8 | uint16(b[1])
	pos := 2
	var err error
	if p.Primary, err = readOctets(b, &pos); err != nil {
		return p, fmt.Errorf("primary IFP: %w", err)
	}
	if len(p.Primary) == 0 {
		return p, malformed("empty primary IFP packet")
	}
	if pos >= len(b) {
		return p, malformed("error recovery missing")
	}
	choice := b[pos]
	pos++
	if choice&0x7F != 0 {
		return p, malformed("non-zero padding bits in error recovery choice 0x%02x", choice)
	}
	if choice == 0 {
		n, err := readLength(b, &pos)
		if err != nil {
			return p, fmt.Errorf("secondary count: %w", err)
		}
		if n > len(b)-pos {
			return p, malformed("%d secondary packets announced, only %d bytes left", n, len(b)-pos)
		}
		if n > 0 {
			p.Secondary = make([][]byte, n)
		}
		for i := range p.Secondary {
			if p.Secondary[i], err = readOctets(b, &pos); err != nil {
				return p, fmt.Errorf("secondary packet %d: %w", i, err)
			}
			if len(p.Secondary[i]) == 0 {
				return p, malformed("secondary packet %d is empty", i)
			}
		}
	} else {
		span, err := readInteger(b, &pos)
		if err != nil {
			return p, fmt.Errorf("fec-npackets: %w", err)
		}
		n, err := readLength(b, &pos)
		if err != nil {
			return p, fmt.Errorf("fec-data count: %w", err)
		}
		if n > len(b)-pos {
			return p, malformed("%d FEC entries announced, only %d bytes left", n, len(b)-pos)
		}
		p.FEC = &FECInfo{Span: span}
		if n > 0 {
			p.FEC.Data = make([][]byte, n)
		}
		for i := range p.FEC.Data {
			if p.FEC.Data[i], err = readOctets(b, &pos); err != nil {
				return p, fmt.Errorf("FEC entry %d: %w", i, err)
			}
		}
	}
	if pos != len(b) {
		return p, malformed("%d trailing bytes", len(b)-pos)
	}
	return p, nil
}

// readOctets reads a length determinant and that many octets.
func readOctets(b []byte, pos *int) ([]byte, error) {
	n, err := readLength(b, pos)
	if err != nil {
		return nil, err
	}
	if n > len(b)-*pos {
		return nil, malformed("%d bytes announced at byte %d, only %d left", n, *pos, len(b)-*pos)
	}
	s := b[*pos : *pos+n : *pos+n]
	*pos += n
	return s, nil
}

// readInteger reads a non-negative unconstrained INTEGER of at most three
// octets, minimally coded.
func readInteger(b []byte, pos *int) (int, error) {
	v, err := readOctets(b, pos)
	if err != nil {
		return 0, err
	}
	switch {
	case len(v) == 0:
		return 0, malformed("integer of zero octets")
	case len(v) > 3:
		return 0, malformed("integer of %d octets is out of range", len(v))
	case v[0]&0x80 != 0:
		return 0, malformed("negative integer")
	case len(v) > 1 && v[0] == 0 && v[1]&0x80 == 0:
		return 0, malformed("non-minimal integer")
	}
	n := 0
	for _, c := range v {
		n = n<<8 | int(c)
	}
	return n, nil
}
