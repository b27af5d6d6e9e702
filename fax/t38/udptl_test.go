package t38

import (
	"bytes"
	"errors"
	"math/rand"
	"reflect"
	"testing"
)

// Bytes worked out from T.38 clause 9.1 ASN.1 under PER ALIGNED: a
// two-octet sequence number, the primary IFP as an open type (length
// determinant and octets), one octet holding the error-recovery choice bit,
// then the chosen alternative.
var udptlVectors = []struct {
	name string
	p    UDPTLPacket
	hex  string
}{
	{"no recovery", UDPTLPacket{Seq: 0x0102, Primary: []byte{0x02}}, "0102" + "0102" + "00" + "00"},
	{"redundancy", UDPTLPacket{Seq: 5, Primary: []byte{0x02}, Secondary: [][]byte{{0x00}, {0x06, 0x07}}},
		"0005" + "0102" + "00" + "02" + "0100" + "020607"},
	{"fec", UDPTLPacket{Seq: 0xfffe, Primary: []byte{0x04}, FEC: &FECInfo{Span: 3, Data: [][]byte{{0x0a, 0x0b}, {}}}},
		"fffe" + "0104" + "80" + "0103" + "02" + "020a0b" + "00"},
	{"fec wide span", UDPTLPacket{Seq: 1, Primary: []byte{0x04}, FEC: &FECInfo{Span: 200}},
		"0001" + "0104" + "80" + "0200c8" + "00"},
	{"fec no entries", UDPTLPacket{Seq: 1, Primary: []byte{0x04}, FEC: &FECInfo{}}, "0001" + "0104" + "80" + "0100" + "00"},
}

func TestUDPTLVectors(t *testing.T) {
	for _, tc := range udptlVectors {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.hex)
			got, err := AppendUDPTL(nil, &tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encode = %x, want %x", got, want)
			}
			p, err := DecodeUDPTL(want)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, tc.p) {
				t.Fatalf("decode = %+v, want %+v", p, tc.p)
			}
		})
	}
}

func TestUDPTLLongPrimary(t *testing.T) {
	p := UDPTLPacket{Seq: 9, Primary: bytes.Repeat([]byte{0x11}, 300)}
	b, err := AppendUDPTL(nil, &p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[:4], []byte{0, 9, 0x81, 0x2c}) {
		t.Fatalf("header %x, want 0009812c", b[:4])
	}
	q, err := DecodeUDPTL(b)
	if err != nil || !bytes.Equal(q.Primary, p.Primary) {
		t.Fatalf("round trip: %v", err)
	}
}

func TestUDPTLMalformed(t *testing.T) {
	for _, tc := range []struct{ name, hex string }{
		{"empty", ""},
		{"seq only", "0001"},
		{"primary truncated", "00010302"},
		{"empty primary", "00010000"},
		{"no recovery choice", "00010102"},
		{"choice padding", "0001010240"},
		{"secondary count missing", "0001010200"},
		{"secondary truncated", "000101020001020a"},
		{"empty secondary", "00010102000100"},
		{"too many secondaries", "0001010200050100"},
		{"trailing", "000101020000ff"},
		{"fec integer missing", "0001010280"},
		{"fec zero-octet integer", "000101028000"},
		{"fec negative", "00010102800180" + "00"},
		{"fec non-minimal", "0001010280020003" + "00"},
		{"fec huge integer", "00010102800401020304" + "00"},
		{"fec count missing", "000101028001" + "03"},
		{"fec entry truncated", "00010102800103" + "01" + "05aa"},
		{"fragmented primary", "0001c1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeUDPTL(unhex(t, tc.hex))
			if err == nil {
				t.Fatal("decoded without error")
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
		})
	}
}

// testIFPs makes n valid IFP packets of varied shapes and lengths.
func testIFPs(t testing.TB, rng *rand.Rand, n int, v Version) [][]byte {
	t.Helper()
	out := make([][]byte, n)
	for i := range out {
		var p IFP
		switch rng.Intn(4) {
		case 0:
			p = ind(Indicator(rng.Intn(indRoot)))
		case 1:
			p = data(DataV21, Field{Type: FieldHDLCFCSOK})
		default:
			d := make([]byte, 1+rng.Intn(120))
			rng.Read(d)
			d[len(d)-1] = byte(rng.Intn(2)) // sometimes end on a zero byte
			p = data(DataV17_14400, Field{FieldT4NonECMData, d})
		}
		b, err := AppendIFP(nil, p, v)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// channel frames ifps with enc, drops the datagrams whose index is in lost,
// and feeds the rest (shuffled within a small window and duplicated when
// asked) to dec. It checks that every IFP comes out once, in order, intact
// or reported lost, and returns which sequence indexes were lost and how
// many were recovered.
func channel(t *testing.T, enc *Encoder, dec *Decoder, ifps [][]byte, lost map[int]bool, rng *rand.Rand, shuffle, dup bool) (map[int]bool, int) {
	t.Helper()
	type dg struct {
		i int
		b []byte
	}
	var air []dg
	for i, p := range ifps {
		b, err := enc.Encode(nil, p)
		if err != nil {
			t.Fatal(err)
		}
		if !lost[i] {
			air = append(air, dg{i, b})
			if dup && rng.Intn(10) == 0 {
				air = append(air, dg{i, b})
			}
		}
	}
	if shuffle {
		// Swap neighbours: reordering by at most two places.
		for i := 0; i+1 < len(air); i++ {
			if rng.Intn(3) == 0 {
				air[i], air[i+1] = air[i+1], air[i]
			}
		}
	}
	first := enc.cfg.FirstSeq
	var got []Delivery
	for _, d := range air {
		out, err := dec.Receive(d.b)
		if err != nil {
			t.Fatalf("datagram %d: %v", d.i, err)
		}
		got = append(got, out...)
	}
	got = append(got, dec.Flush()...)
	gone := map[int]bool{}
	recovered := 0
	// The first datagram that arrives fixes where delivery starts.
	start := len(ifps) - len(got)
	for k, dv := range got {
		i := start + k
		if dv.Seq != first+uint16(i) {
			t.Fatalf("delivery %d has seq %d, want %d", k, dv.Seq, first+uint16(i))
		}
		if dv.Lost {
			gone[i] = true
			continue
		}
		if !bytes.Equal(dv.IFP, ifps[i]) {
			t.Fatalf("packet %d (recovered %v) = %x, want %x", i, dv.Recovered, dv.IFP, ifps[i])
		}
		if dv.Recovered {
			recovered++
			if !lost[i] {
				// Reordering can make a copy arrive before the original.
				if !shuffle {
					t.Errorf("packet %d marked recovered but its datagram arrived", i)
				}
			}
		}
	}
	return gone, recovered
}

func lossSet(rng *rand.Rand, n int, rate float64, bursts ...[2]int) map[int]bool {
	m := map[int]bool{}
	for i := 1; i < n-1; i++ { // keep the first and last for a clean frame
		if rng.Float64() < rate {
			m[i] = true
		}
	}
	for _, b := range bursts {
		for i := b[0]; i < b[0]+b[1]; i++ {
			m[i] = true
		}
	}
	return m
}

func TestRedundancyRecovery(t *testing.T) {
	const n = 400
	for _, tc := range []struct {
		name         string
		depth        int
		rate         float64
		bursts       [][2]int
		shuffle, dup bool
	}{
		{"clean", 2, 0, nil, false, false},
		{"1%", 2, 0.01, nil, false, false},
		{"5%", 2, 0.05, nil, false, false},
		{"burst 2", 2, 0, [][2]int{{50, 2}}, false, false},
		{"burst 3 loses one", 2, 0, [][2]int{{50, 3}}, false, false},
		{"burst 6 depth 4", 4, 0, [][2]int{{100, 6}}, false, false},
		{"reordered and duplicated", 2, 0.03, [][2]int{{300, 3}}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(len(tc.name))))
			ifps := testIFPs(t, rng, n, 2)
			enc, _ := NewEncoder(EncoderConfig{Recovery: RecoveryRedundancy, Depth: tc.depth, FirstSeq: 65500})
			dec, _ := NewDecoder(DecoderConfig{Version: 2})
			lost := lossSet(rng, n, tc.rate, tc.bursts...)
			gone, rec := channel(t, enc, dec, ifps, lost, rng, tc.shuffle, tc.dup)
			// Packet i survives when its datagram or one of the next
			// depth datagrams arrives.
			want := map[int]bool{}
			for i := range n {
				ok := false
				for j := i; j <= i+tc.depth && j < n; j++ {
					ok = ok || !lost[j]
				}
				if !ok {
					want[i] = true
				}
			}
			if !reflect.DeepEqual(gone, want) {
				t.Fatalf("lost %v, want %v", gone, want)
			}
			if len(lost) > len(want) && rec == 0 {
				t.Fatal("nothing recovered")
			}
		})
	}
}

func TestFECRecovery(t *testing.T) {
	const n = 600
	for _, tc := range []struct {
		name          string
		span, entries int
		lost          func(i int) bool
		wantAll       bool
	}{
		{"clean", 3, 3, func(int) bool { return false }, true},
		{"every 10th", 3, 3, func(i int) bool { return i%10 == 5 }, true},
		{"every 4th span 2", 2, 4, func(i int) bool { return i%4 == 1 }, true},
		{"pairs", 3, 3, func(i int) bool { return i%20 == 7 || i%20 == 8 }, true},
		{"5% random", 3, 3, nil, false},
		// The first packets lost: parity over them must not rebuild
		// anything wrong.
		{"stream start lost", 2, 2, func(i int) bool { return i < 2 || i == 3 || i == 6 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(7))
			ifps := testIFPs(t, rng, n, 3)
			enc, _ := NewEncoder(EncoderConfig{Recovery: RecoveryFEC, Span: tc.span, Entries: tc.entries, FirstSeq: 65000})
			dec, _ := NewDecoder(DecoderConfig{Version: 3})
			lost := map[int]bool{}
			if tc.lost == nil {
				lost = lossSet(rng, n, 0.05)
			} else {
				for i := 0; i < n-1; i++ {
					if tc.lost(i) {
						lost[i] = true
					}
				}
			}
			gone, rec := channel(t, enc, dec, ifps, lost, rng, false, false)
			// Packets lost before the first one that arrived are
			// outside the stream the decoder sees.
			for i := 0; lost[i]; i++ {
				delete(lost, i)
			}
			if tc.wantAll && len(gone) > 0 {
				t.Fatalf("lost %d packets %v, want all recovered", len(gone), gone)
			}
			if rec+len(gone) != len(lost) {
				t.Fatalf("recovered %d + lost %d != dropped %d", rec, len(gone), len(lost))
			}
			if len(lost) > 0 && rec < len(lost)/2 {
				t.Fatalf("recovered only %d of %d", rec, len(lost))
			}
		})
	}
}

func TestMaxDatagram(t *testing.T) {
	big := func(n int) []byte {
		b, _ := AppendIFP(nil, data(DataV29_9600, Field{FieldT4NonECMData, bytes.Repeat([]byte{0x55}, n)}), 1)
		return b
	}
	for _, rc := range []ErrorRecovery{RecoveryRedundancy, RecoveryFEC} {
		enc, _ := NewEncoder(EncoderConfig{Recovery: rc, Depth: 3, Span: 1, Entries: 3, MaxDatagram: 200})
		sizes := []int{30, 30, 30, 30, 120, 120, 30}
		for i, n := range sizes {
			b, err := enc.Encode(nil, big(n))
			if err != nil {
				t.Fatalf("%v packet %d: %v", rc, i, err)
			}
			if len(b) > 200 {
				t.Fatalf("%v packet %d: datagram of %d bytes exceeds 200", rc, i, len(b))
			}
			p, _ := DecodeUDPTL(b)
			full := min(i, 3)
			got := len(p.Secondary)
			if p.FEC != nil {
				got = len(p.FEC.Data)
			}
			// Packets 0..3 fit with full recovery; the big ones do not.
			if i <= 3 && got != full {
				t.Errorf("%v packet %d: %d recovery entries, want %d", rc, i, got, full)
			}
			if i >= 4 && got >= full {
				t.Errorf("%v packet %d: %d recovery entries, want fewer than %d", rc, i, got, full)
			}
		}
		if _, err := enc.Encode(nil, big(250)); err == nil {
			t.Errorf("%v: oversized primary accepted", rc)
		}
	}
}

func TestEncoderConfigErrors(t *testing.T) {
	for _, cfg := range []EncoderConfig{
		{Recovery: 9},
		{Recovery: RecoveryRedundancy, Depth: -1},
		{Recovery: RecoveryRedundancy, Depth: 100},
		{Recovery: RecoveryFEC, Span: 10, Entries: 10},
		{MaxDatagram: -5},
	} {
		if _, err := NewEncoder(cfg); err == nil {
			t.Errorf("NewEncoder(%+v) accepted", cfg)
		}
	}
}

func FuzzDecodeUDPTL(f *testing.F) {
	for _, tc := range udptlVectors {
		f.Add(unhex(f, tc.hex))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeUDPTL(b)
		if err != nil {
			return
		}
		out, err := AppendUDPTL(nil, &p)
		if err != nil {
			t.Fatalf("decoded %x but cannot encode: %v", b, err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("decoded %x, encodes back as %x", b, out)
		}
		// The stream decoder must cope with anything that parses.
		dec, _ := NewDecoder(DecoderConfig{Version: 2})
		for i := 0; i < 3; i++ {
			if _, err := dec.Receive(b); err != nil {
				t.Fatalf("valid datagram refused: %v", err)
			}
		}
		dec.Flush()
	})
}

// FuzzUDPTLStream feeds a Decoder a sequence of datagrams (each prefixed
// by a length byte in the fuzz input) and checks that whatever it makes of
// them, deliveries come out once each, in consecutive sequence order.
func FuzzUDPTLStream(f *testing.F) {
	rng := rand.New(rand.NewSource(3))
	for _, rc := range []ErrorRecovery{RecoveryRedundancy, RecoveryFEC} {
		enc, _ := NewEncoder(EncoderConfig{Recovery: rc, Span: 2, Entries: 2, FirstSeq: 65533})
		var in []byte
		for i, p := range testIFPs(f, rng, 12, 2) {
			dg, _ := enc.Encode(nil, p)
			if i%4 == 2 || len(dg) > 255 {
				continue // lost
			}
			in = append(in, byte(len(dg)))
			in = append(in, dg...)
		}
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		dec, _ := NewDecoder(DecoderConfig{Version: 2})
		var got []Delivery
		for len(in) > 0 {
			n := min(int(in[0]), len(in)-1)
			ds, _ := dec.Receive(in[1 : 1+n])
			got = append(got, ds...)
			in = in[1+n:]
		}
		got = append(got, dec.Flush()...)
		for i := 1; i < len(got); i++ {
			if got[i].Seq != got[i-1].Seq+1 {
				t.Fatalf("delivery %d has seq %d after %d", i, got[i].Seq, got[i-1].Seq)
			}
		}
		for _, d := range got {
			if d.Lost == (d.IFP != nil) {
				t.Fatalf("delivery %+v: lost and IFP disagree", d)
			}
		}
	})
}

func TestDecoderIgnoresLateCopies(t *testing.T) {
	enc, _ := NewEncoder(EncoderConfig{})
	dec, _ := NewDecoder(DecoderConfig{Version: 1})
	var first []byte
	for i := range 200 {
		dg, _ := enc.Encode(nil, []byte{0x02})
		if i == 0 {
			first = dg
		}
		ds, err := dec.Receive(dg)
		if err != nil || len(ds) != 1 {
			t.Fatalf("packet %d: %v, %d deliveries", i, err, len(ds))
		}
	}
	if ds, err := dec.Receive(first); err != nil || len(ds) != 0 {
		t.Fatalf("late copy: %v, %v", ds, err)
	}
	jump, _ := AppendUDPTL(nil, &UDPTLPacket{Seq: 200 + 20000, Primary: []byte{0x02}})
	if _, err := dec.Receive(jump); err == nil {
		t.Fatal("a jump of 20000 accepted silently")
	}
}
