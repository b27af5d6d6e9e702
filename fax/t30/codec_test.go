package t30

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
)

func TestFrameRoundTrip(t *testing.T) {
	tests := []struct {
		f    Frame
		wire []byte
	}{
		{Frame{FCF: DIS, Final: true, Info: []byte{0, 0xC6, 0x80}}, []byte{0xFF, 0x13, 0x80, 0, 0xC6, 0x80}},
		{Frame{FCF: DTC, Final: true}, []byte{0xFF, 0x13, 0x81}},
		{Frame{FCF: CIG, X: true}, []byte{0xFF, 0x03, 0x41}}, // X is implied by the code
		{Frame{FCF: DCS, X: true, Final: true, Info: []byte{1}}, []byte{0xFF, 0x13, 0x83, 1}},
		{Frame{FCF: MCF, Final: true}, []byte{0xFF, 0x13, 0x8C}},
		{Frame{FCF: MCF, X: true, Final: true}, []byte{0xFF, 0x13, 0x8D}},
		{Frame{FCF: PPS, X: true, Final: true, Info: []byte{byte(EOP), 0, 0, 255}}, []byte{0xFF, 0x13, 0xBF, 0x2E, 0, 0, 255}},
		{Frame{FCF: FCD, Info: []byte{7, 1, 2}}, []byte{0xFF, 0x03, 0x06, 7, 1, 2}},
	}
	for _, tt := range tests {
		got := tt.f.Marshal()
		if !bytes.Equal(got, tt.wire) {
			t.Errorf("%v: Marshal = % x, want % x", tt.f, got, tt.wire)
		}
		back, err := ParseFrame(tt.wire)
		if err != nil {
			t.Fatalf("ParseFrame(% x): %v", tt.wire, err)
		}
		if back.FCF != tt.f.FCF || back.Final != tt.f.Final || !bytes.Equal(back.Info, tt.f.Info) {
			t.Errorf("ParseFrame(% x) = %v, want %v", tt.wire, back, tt.f)
		}
	}
}

func TestParseFrameErrors(t *testing.T) {
	tests := []struct {
		in   []byte
		want error
	}{
		{nil, ErrShortFrame},
		{[]byte{0xFF, 0x13}, ErrShortFrame},
		{[]byte{0xFE, 0x13, 0x80}, ErrBadAddress},
		{[]byte{0xFF, 0x12, 0x80}, ErrBadControl},
	}
	for _, tt := range tests {
		if _, err := ParseFrame(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("ParseFrame(% x) error = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestIdent(t *testing.T) {
	fif := EncodeIdent("+31 20 555 0100")
	want := []byte("0010 555 02 13+     ")
	if !bytes.Equal(fif, want) {
		t.Errorf("EncodeIdent = %q, want %q", fif, want)
	}
	if got := DecodeIdent(fif); got != "+31 20 555 0100" {
		t.Errorf("DecodeIdent = %q", got)
	}
	if got := DecodeIdent([]byte{'1', 0x01, '3'}); got != "3?1" {
		t.Errorf("DecodeIdent with control octet = %q, want %q", got, "3?1")
	}
	if err := CheckIdent("123456789012345678901"); err == nil {
		t.Error("CheckIdent accepted 21 characters")
	}
	if err := CheckIdent("12\n3"); err == nil {
		t.Error("CheckIdent accepted a newline")
	}
}

// The golden DCS and DIS fields below were worked out by hand from the bit
// table of T.30 (Table 2).
func TestParamsGolden(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		fif  []byte
	}{
		{
			// bit 10 receive, bit 14 V.17 14400, bit 15 fine; bit 20
			// unlimited, bits 21-23 0 ms, bit 24 extend; bit 27 ECM.
			"14400 fine ECM MH",
			Params{Receive: true, Mod: V17_14400, Res: page.Fine, Encoding: MH, Length: LengthUnlimited, ECM: true},
			[]byte{0x00, 0x62, 0xF8, 0x04},
		},
		{
			// bits 11+12 V.29 7200, bit 16 MR, bit 17 B4, scan 20 ms.
			"7200 V.29 standard MR B4",
			Params{Receive: true, Mod: V29_7200, Res: page.Standard, Encoding: MR, Width: WidthB4, MinScan: 20 * time.Millisecond},
			[]byte{0x00, 0x8E, 0x01},
		},
		{
			// bit 12 V.27ter 4800; scan 40 ms (bit 23); ECM, 64-octet
			// frames, T.6 (bits 27, 28, 31), extend 32; superfine bit
			// 41 in octet 6, extend 40.
			"4800 superfine MMR 64",
			Params{Receive: true, Mod: V27ter4800, Res: page.Superfine, Encoding: MMR, MinScan: 40 * time.Millisecond, ECM: true, Frame64: true},
			[]byte{0x00, 0x0A, 0xC0, 0xCC, 0x80, 0x01},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.Marshal()
			if !bytes.Equal(got, tt.fif) {
				t.Errorf("Marshal = % x, want % x", got, tt.fif)
			}
			back, err := ParseParams(tt.fif)
			if err != nil {
				t.Fatal(err)
			}
			if back != tt.p {
				t.Errorf("ParseParams = %+v, want %+v", back, tt.p)
			}
		})
	}
}

func TestParamsAllRates(t *testing.T) {
	for m := V27ter2400; m <= V17_14400; m++ {
		p := Params{Mod: m, Res: page.Standard, Encoding: MH}
		back, err := ParseParams(p.Marshal())
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		if back.Mod != m {
			t.Errorf("rate %v came back as %v", m, back.Mod)
		}
	}
	// bits 11-14 = 0010 (bit 13 alone) is not a defined rate.
	if _, err := ParseParams([]byte{0, 0x10, 0}); !errors.Is(err, ErrBadRate) {
		t.Errorf("bit 13 alone: error %v, want ErrBadRate", err)
	}
	// T.6 without ECM is forbidden.
	if _, err := ParseParams([]byte{0, 0, 0x80, 0x40}); err == nil {
		t.Error("accepted MMR without ECM")
	}
	if _, err := ParseParams([]byte{0, 0}); !errors.Is(err, ErrShortDIS) {
		t.Errorf("short DCS: error %v, want ErrShortDIS", err)
	}
}

func TestCapsGolden(t *testing.T) {
	c := Caps{CanReceive: true, V29: true, V17: true, Fine: true, MR: true, MMR: true, ECM: true,
		Superfine: true, R300: true, R400: true, Width: WidthA3, Length: LengthUnlimited, MinScan: 7}
	// octet 2: bits 10, 11, 12, 14, 15, 16 = 0x02|0x04|0x08|0x20|0x40|0x80
	// octet 3: bit 18 A3, bit 20 unlimited, bits 21-23, extend 24
	// octet 4: bit 27 ECM, bit 31 T.6, extend 32
	// octet 5: extend 40; octet 6: bits 41, 42, 43
	want := []byte{0x00, 0xEE, 0xFA, 0xC4, 0x80, 0x07}
	got := c.Marshal()
	if !bytes.Equal(got, want) {
		t.Errorf("Marshal = % x, want % x", got, want)
	}
	back, err := ParseCaps(got)
	if err != nil {
		t.Fatal(err)
	}
	if back != c {
		t.Errorf("ParseCaps = %+v, want %+v", back, c)
	}
	for _, m := range []Modulation{V27ter2400, V27ter4800, V29_9600, V17_14400} {
		if !back.Supports(m) {
			t.Errorf("caps do not support %v", m)
		}
	}
	// A bare DIS of 3 zero octets: V.27ter fallback only, A4, 20 ms.
	bare, err := ParseCaps([]byte{0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if !bare.V27ter2400Only || bare.Supports(V27ter4800) || bare.ECM || bare.Width != WidthA4 {
		t.Errorf("bare DIS decoded as %+v", bare)
	}
	// Bits past 24 are ignored when the extension bit is clear.
	if c, _ := ParseCaps([]byte{0, 0, 0, 0x04}); c.ECM {
		t.Error("ECM read from an octet the extension bit does not announce")
	}
}

func TestScanTime(t *testing.T) {
	tests := []struct {
		s      ScanTime
		ydpi   float64
		halves bool
		want   time.Duration
	}{
		{0, 98, false, 20 * time.Millisecond},
		{0, 196, false, 20 * time.Millisecond},
		{6, 196, false, 10 * time.Millisecond}, // 20 ms, halved at fine
		{3, 98, false, 10 * time.Millisecond},
		{3, 196, false, 5 * time.Millisecond},
		{5, 391, true, 10 * time.Millisecond}, // 40 -> 20 fine -> 10 superfine
		{7, 98, false, 0},
	}
	for _, tt := range tests {
		if got := tt.s.Duration(tt.ydpi, tt.halves); got != tt.want {
			t.Errorf("ScanTime(%d).Duration(%g, %v) = %v, want %v", tt.s, tt.ydpi, tt.halves, got, tt.want)
		}
	}
}

func FuzzParseFrame(f *testing.F) {
	f.Add([]byte{0xFF, 0x13, 0x80, 0, 0xEE, 0xFA})
	f.Add([]byte{0xFF, 0x03, 0x06, 0x01, 0xAA})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ParseFrame(b)
		if err != nil {
			return
		}
		again, err := ParseFrame(fr.Marshal())
		if err != nil {
			t.Fatalf("re-parse of % x: %v", fr.Marshal(), err)
		}
		if again.FCF != fr.FCF || again.Final != fr.Final || !bytes.Equal(again.Info, fr.Info) {
			t.Fatalf("round trip changed %v into %v", fr, again)
		}
		_ = DecodeIdent(fr.Info)
	})
}

func FuzzParseCaps(f *testing.F) {
	f.Add([]byte{0x00, 0xEE, 0xFA, 0xC4, 0x80, 0x07})
	f.Add([]byte{0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCaps(b)
		if err != nil {
			return
		}
		// Encoding what was understood and decoding it again must be
		// stable.
		c2, err := ParseCaps(c.Marshal())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if c2 != c {
			t.Fatalf("caps %+v came back as %+v", c, c2)
		}
	})
}

func FuzzParseParams(f *testing.F) {
	f.Add([]byte{0x00, 0x62, 0xF8, 0x04})
	f.Add([]byte{0x00, 0x0A, 0xC0, 0xCC, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseParams(b)
		if err != nil {
			return
		}
		p2, err := ParseParams(p.Marshal())
		if err != nil {
			t.Fatalf("re-parse of %+v: %v", p, err)
		}
		if p2 != p {
			t.Fatalf("params %+v came back as %+v", p, p2)
		}
	})
}
