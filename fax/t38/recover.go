package t38

import (
	"fmt"
)

// Delivery is one IFP packet handed out by a Decoder, in sequence order.
type Delivery struct {
	Seq uint16
	// IFP is the packet's bytes; nil when Lost.
	IFP []byte
	// Recovered tells that the primary copy never arrived and the packet
	// was rebuilt from redundancy or FEC.
	Recovered bool
	// Lost marks an unrecoverable gap: this sequence number was given up.
	Lost bool
}

// DecoderConfig configures a UDPTL Decoder.
type DecoderConfig struct {
	// Version is the negotiated T.38 version; FEC repair uses it to find
	// where a rebuilt IFP packet ends.
	Version Version
	// Reorder is how many packets beyond the recovery window the Decoder
	// waits for a missing packet before it declares it lost. Default 2.
	Reorder int
}

// Decoder turns UDPTL datagrams, received in any order, with loss and
// duplication, into the sequence of IFP packets: each exactly once, in
// order, with lost ones rebuilt from redundancy or FEC where possible and
// unrecoverable gaps reported. It is not safe for concurrent use.
type Decoder struct {
	cfg     DecoderConfig
	started bool
	base    int64 // extended sequence number of the first packet of the stream
	next    int64 // next extended sequence number to deliver
	highest int64 // highest extended sequence number seen
	window  int   // recovery window: deepest redundancy or FEC reach seen
	pruned  int64 // history and parity below this are forgotten

	pending map[int64]slot    // known packets not yet delivered
	history map[int64][]byte  // delivered packets still inside the FEC reach
	fec     map[int64]fecInfo // received parity, by packet
}

type slot struct {
	ifp       []byte
	recovered bool
}

type fecInfo struct {
	span int
	data [][]byte
}

// NewDecoder returns a Decoder for cfg.
func NewDecoder(cfg DecoderConfig) (*Decoder, error) {
	if err := cfg.Version.check(); err != nil {
		return nil, err
	}
	if cfg.Reorder < 0 {
		return nil, fmt.Errorf("t38: negative UDPTL reorder allowance %d", cfg.Reorder)
	}
	if cfg.Reorder == 0 {
		cfg.Reorder = 2
	}
	return &Decoder{
		cfg:     cfg,
		pending: make(map[int64]slot),
		history: make(map[int64][]byte),
		fec:     make(map[int64]fecInfo),
	}, nil
}

// extend maps a 16-bit sequence number to the extended number nearest the
// highest one seen.
func (d *Decoder) extend(seq uint16) int64 {
	return d.highest + int64(int16(seq-uint16(d.highest)))
}

// Receive takes one datagram and returns the IFP packets that are now
// ready, in order. A malformed datagram is reported and changes nothing.
func (d *Decoder) Receive(datagram []byte) ([]Delivery, error) {
	p, err := DecodeUDPTL(datagram)
	if err != nil {
		return nil, err
	}
	var ext int64
	if !d.started {
		d.started = true
		// Start far from zero so packets before the first one still
		// have positive extended numbers.
		ext = 1<<20 + int64(p.Seq)
		d.base = ext - int64(len(p.Secondary))
		d.next, d.highest = d.base, ext
		d.pruned = d.base - maxHistory
	} else {
		ext = d.extend(p.Seq)
	}
	if ext < d.next-maxHistory {
		return nil, nil // a very late copy of something long delivered
	}
	if ext > d.highest+1<<14 {
		return nil, fmt.Errorf("t38: UDPTL: sequence number %d jumps far ahead of %d; the far end restarted its numbering or this is not its stream", p.Seq, uint16(d.highest))
	}
	d.store(ext, p.Primary, false)
	for i, s := range p.Secondary {
		d.store(ext-1-int64(i), s, true)
	}
	d.window = max(d.window, len(p.Secondary))
	if p.FEC != nil && len(p.FEC.Data) > 0 && p.FEC.Span > 0 {
		if reach := p.FEC.Span * len(p.FEC.Data); reach < maxHistory {
			d.window = max(d.window, reach)
			if _, dup := d.fec[ext]; !dup && ext >= d.next-maxHistory {
				d.fec[ext] = fecInfo{span: p.FEC.Span, data: copyAll(p.FEC.Data)}
			}
		}
	}
	d.highest = max(d.highest, ext)
	// Parity only helps when something between next and highest is
	// missing.
	if len(d.fec) > 0 && int64(len(d.pending)) < d.highest-d.next+1 {
		d.repair()
	}
	return d.deliver(false), nil
}

// Waiting reports whether the Decoder holds packets back behind a gap.
func (d *Decoder) Waiting() bool { return d.started && d.next <= d.highest }

// Flush gives up waiting: every packet up to the highest seen is delivered
// or reported lost. Use it when the stream ends or pauses too long.
func (d *Decoder) Flush() []Delivery { return d.deliver(true) }

func copyAll(in [][]byte) [][]byte {
	out := make([][]byte, len(in))
	for i, b := range in {
		out[i] = append([]byte(nil), b...)
	}
	return out
}

// store records the IFP packet at ext if it is still wanted.
func (d *Decoder) store(ext int64, ifp []byte, recovered bool) {
	if ext < d.next {
		return
	}
	if _, ok := d.pending[ext]; ok {
		return
	}
	d.pending[ext] = slot{ifp: append([]byte(nil), ifp...), recovered: recovered}
}

// known returns the packet at ext if it is known. Packets from before the
// first one received are unknown: they may have been sent and lost, so
// parity over them cannot be trusted. (Encoders wind FEC up at the start
// of a stream, so no parity needs them.)
func (d *Decoder) known(ext int64) ([]byte, bool) {
	if ext < d.base {
		return nil, false
	}
	if s, ok := d.pending[ext]; ok {
		return s.ifp, true
	}
	b, ok := d.history[ext]
	return b, ok
}

// repair rebuilds missing packets from stored parity until nothing more
// can be done: an entry whose covered packets are all known but one gives
// that one as the XOR of the entry and the others.
func (d *Decoder) repair() {
	for progress := true; progress; {
		progress = false
		for n, f := range d.fec {
			e := int64(len(f.data))
			for m, par := range f.data {
				missing := int64(-1)
				var others [][]byte
				for k := 0; k < f.span; k++ {
					idx := n + int64(m) - int64(f.span)*e + int64(k)*e
					if b, ok := d.known(idx); ok {
						others = append(others, b)
					} else if missing >= 0 {
						missing = -2
						break
					} else {
						missing = idx
					}
				}
				if missing < d.next {
					continue // nothing missing, too many missing, or given up
				}
				x := append([]byte(nil), par...)
				for _, o := range others {
					for j := 0; j < len(o) && j < len(x); j++ {
						x[j] ^= o[j]
					}
				}
				if x = d.trim(x); x != nil {
					d.pending[missing] = slot{ifp: x, recovered: true}
					progress = true
				}
			}
		}
	}
}

// trim cuts the zero padding that parity leaves after a rebuilt packet
// shorter than the longest one it was coded with. IFP packets delimit
// themselves, so the packet ends where its decoding ends. A rebuilt packet
// that does not decode, or has anything but zeros after its end, means the
// parity did not match what was received: trim returns nil and the packet
// stays missing rather than being delivered wrong.
func (d *Decoder) trim(x []byte) []byte {
	_, n, err := decodeIFPPrefix(x, d.cfg.Version)
	if err != nil {
		return nil
	}
	for _, c := range x[n:] {
		if c != 0 {
			return nil
		}
	}
	return x[:n]
}

func (d *Decoder) deliver(flush bool) []Delivery {
	var out []Delivery
	hold := int64(d.window + d.cfg.Reorder)
	for d.next <= d.highest {
		s, ok := d.pending[d.next]
		if !ok && !flush && d.highest-d.next < hold {
			break
		}
		dv := Delivery{Seq: uint16(d.next)}
		if ok {
			dv.IFP, dv.Recovered = s.ifp, s.recovered
			delete(d.pending, d.next)
			d.history[d.next] = s.ifp
		} else {
			dv.Lost = true
		}
		out = append(out, dv)
		d.next++
	}
	// Forget what no parity can reach any more.
	for ; d.pruned < d.next-maxHistory; d.pruned++ {
		delete(d.history, d.pruned)
		delete(d.fec, d.pruned)
	}
	return out
}
