package t38

import (
	"fmt"
)

// ErrorRecovery selects the UDPTL error recovery scheme an Encoder uses
// (the SDP attribute T38FaxUdpEC).
type ErrorRecovery int

// The UDPTL error recovery schemes.
const (
	// RecoveryNone sends no copies: every packet has an empty
	// secondary-ifp-packets list.
	RecoveryNone ErrorRecovery = iota
	// RecoveryRedundancy repeats the previous IFP packets in each
	// datagram (t38UDPRedundancy).
	RecoveryRedundancy
	// RecoveryFEC sends XOR parity over earlier IFP packets (t38UDPFEC).
	RecoveryFEC
)

// String names the scheme as SDP does.
func (r ErrorRecovery) String() string {
	switch r {
	case RecoveryNone:
		return "none"
	case RecoveryRedundancy:
		return "t38UDPRedundancy"
	case RecoveryFEC:
		return "t38UDPFEC"
	}
	return fmt.Sprintf("recovery(%d)", int(r))
}

// EncoderConfig configures a UDPTL Encoder.
type EncoderConfig struct {
	Recovery ErrorRecovery
	// Depth is how many previous IFP packets each datagram repeats in
	// redundancy mode. Default 2.
	Depth int
	// Span and Entries shape parity FEC: each of the Entries parity
	// entries is the XOR of Span earlier packets. Defaults 3 and 3.
	Span, Entries int
	// MaxDatagram is the largest UDPTL datagram the far end accepts
	// (T38FaxMaxDatagram), 0 for no limit. Error recovery is cut back
	// until a datagram fits; a primary IFP that cannot fit is an error.
	MaxDatagram int
	// FirstSeq is the sequence number of the first datagram.
	FirstSeq uint16
}

// maxHistory bounds the packets an Encoder keeps and the redundancy or FEC
// window a Decoder follows.
const maxHistory = 64

// Encoder frames IFP packets into UDPTL datagrams, numbering them and
// adding the configured error recovery. It is not safe for concurrent use.
type Encoder struct {
	cfg  EncoderConfig
	sent int      // IFP packets framed so far
	hist [][]byte // last IFP packets, hist[len-1] the newest
}

// NewEncoder checks cfg, fills in defaults and returns an Encoder.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	switch cfg.Recovery {
	case RecoveryNone:
	case RecoveryRedundancy:
		if cfg.Depth == 0 {
			cfg.Depth = 2
		}
		if cfg.Depth < 0 || cfg.Depth > maxHistory-1 {
			return nil, fmt.Errorf("t38: UDPTL redundancy depth %d out of range 1..%d", cfg.Depth, maxHistory-1)
		}
	case RecoveryFEC:
		if cfg.Span == 0 {
			cfg.Span = 3
		}
		if cfg.Entries == 0 {
			cfg.Entries = 3
		}
		if cfg.Span < 1 || cfg.Entries < 1 || cfg.Span*cfg.Entries > maxHistory-1 {
			return nil, fmt.Errorf("t38: UDPTL FEC span %d x entries %d out of range (product at most %d)", cfg.Span, cfg.Entries, maxHistory-1)
		}
	default:
		return nil, fmt.Errorf("t38: unknown UDPTL error recovery %d", int(cfg.Recovery))
	}
	if cfg.MaxDatagram < 0 {
		return nil, fmt.Errorf("t38: negative maximum datagram size %d", cfg.MaxDatagram)
	}
	return &Encoder{cfg: cfg}, nil
}

// NextSeq is the sequence number the next datagram will carry.
func (e *Encoder) NextSeq() uint16 { return e.cfg.FirstSeq + uint16(e.sent) }

// Encode frames ifp as the next datagram and appends it to dst. The
// Encoder keeps its own copy of ifp.
func (e *Encoder) Encode(dst []byte, ifp []byte) ([]byte, error) {
	if len(ifp) == 0 {
		return dst, fmt.Errorf("t38: UDPTL encode: empty IFP packet")
	}
	p := UDPTLPacket{Seq: e.NextSeq(), Primary: ifp}
	var out []byte
	var err error
	switch e.cfg.Recovery {
	case RecoveryNone:
		out, err = e.fit(dst, &p)
	case RecoveryRedundancy:
		depth := min(e.cfg.Depth, len(e.hist))
		for ; depth >= 0; depth-- {
			p.Secondary = p.Secondary[:0]
			for i := 0; i < depth; i++ {
				p.Secondary = append(p.Secondary, e.hist[len(e.hist)-1-i])
			}
			if out, err = e.fit(dst, &p); err == nil || depth == 0 {
				break
			}
		}
	case RecoveryFEC:
		span, entries := e.cfg.Span, e.cfg.Entries
		if e.sent < span*entries {
			// Wind up: cover no packet from before the stream began.
			entries = e.sent / span
		}
		for ; entries >= 0; entries-- {
			p.FEC = &FECInfo{Span: span, Data: e.parity(span, entries)}
			if entries == 0 {
				p.FEC.Span = 0
			}
			if out, err = e.fit(dst, &p); err == nil || entries == 0 {
				break
			}
		}
	}
	if err != nil {
		return dst, err
	}
	e.sent++
	e.hist = append(e.hist, append([]byte(nil), ifp...))
	if len(e.hist) > maxHistory {
		e.hist = e.hist[1:]
	}
	return out, nil
}

// parity computes the FEC entries for the packet about to be sent, whose
// index is e.sent: entry m covers e.sent+m-span*entries+k*entries.
func (e *Encoder) parity(span, entries int) [][]byte {
	if entries == 0 {
		return nil
	}
	data := make([][]byte, entries)
	for m := range data {
		var x []byte
		for k := 0; k < span; k++ {
			idx := e.sent + m - span*entries + k*entries
			pkt := e.hist[len(e.hist)-(e.sent-idx)]
			for len(x) < len(pkt) {
				x = append(x, 0)
			}
			for j, c := range pkt {
				x[j] ^= c
			}
		}
		data[m] = x
	}
	return data
}

func (e *Encoder) fit(dst []byte, p *UDPTLPacket) ([]byte, error) {
	n := len(dst)
	out, err := AppendUDPTL(dst, p)
	if err != nil {
		return dst, err
	}
	if e.cfg.MaxDatagram > 0 && len(out)-n > e.cfg.MaxDatagram {
		return dst, fmt.Errorf("t38: UDPTL datagram of %d bytes exceeds the negotiated maximum of %d (T38FaxMaxDatagram); send smaller IFP packets", len(out)-n, e.cfg.MaxDatagram)
	}
	return out, nil
}
