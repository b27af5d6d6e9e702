package t38

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ind(i Indicator) IFP { return IFP{Kind: KindIndicator, Indicator: i} }

func data(d DataType, f ...Field) IFP { return IFP{Kind: KindData, DataType: d, Fields: f} }

// The expected bytes below are worked out by hand from the T.38 ASN.1 and
// the PER ALIGNED rules (X.691): bit 7 of the first octet is the presence
// of data-field, bit 6 the type-of-msg choice, bit 5 the enumeration's
// extension bit, then four bits of root value or a zero bit and six bits of
// extension value.
var ifpVectors = []struct {
	name string
	v    Version
	p    IFP
	hex  string
}{
	{"no-signal", 0, ind(IndNoSignal), "00"},
	{"cng", 0, ind(IndCNG), "02"},
	{"ced", 3, ind(IndCED), "04"},
	{"v21-preamble", 2, ind(IndV21Preamble), "06"},
	{"v17-14400-long", 0, ind(IndV17Training14400Long), "1e"},
	{"v8-ansam", 1, ind(IndV8ANSAM), "2000"},
	{"v34-cntl-channel", 2, ind(IndV34CntlChannel1200), "2080"},
	{"v33-14400", 3, ind(IndV33Training14400), "2180"},
	{"v21 no data field", 0, data(DataV21), "40"},
	{"v17-14400 root", 3, data(DataV17_14400), "50"},
	{"v8 ext", 1, data(DataV8), "6000"},
	{"v33-14400 ext", 2, data(DataV33_14400), "6140"},
	// hdlc-data with two bytes, then hdlc-fcs-OK without data.
	{"hdlc v1", 1, data(DataV21, Field{FieldHDLCData, []byte{0xff, 0x03}}, Field{Type: FieldHDLCFCSOK}),
		"c002" + "80" + "0001" + "ff03" + "10"},
	{"hdlc v0", 0, data(DataV21, Field{FieldHDLCData, []byte{0xff, 0x03}}, Field{Type: FieldHDLCFCSOK}),
		"c002" + "80" + "0001" + "ff03" + "20"},
	// Two fields without data share an octet (v0: 4 bits each).
	{"packed v0", 0, data(DataV21, Field{Type: FieldHDLCFCSOK}, Field{Type: FieldHDLCSigEnd}), "c002" + "21"},
	// v1 and later: 5 bits each, 00010 00001 -> 0001 0000 | 01 000000.
	{"packed v3", 3, data(DataV21, Field{Type: FieldHDLCFCSOK}, Field{Type: FieldHDLCSigEnd}), "c002" + "1040"},
	// A dataless field followed by one with data: alignment before length.
	{"packed then data v2", 2, data(DataV29_9600, Field{Type: FieldT4NonECMSigEnd}, Field{FieldT4NonECMData, []byte{1}}),
		"c802" + "3d80" + "0000" + "01"},
	{"non-ecm v17-14400", 0, data(DataV17_14400, Field{FieldT4NonECMData, []byte{1, 2, 3}}),
		"d001" + "e0" + "0002" + "010203"},
	{"non-ecm v1", 1, data(DataV17_14400, Field{FieldT4NonECMData, []byte{1, 2, 3}}),
		"d001" + "b0" + "0002" + "010203"},
	{"sig-end v1", 1, data(DataV27ter4800, Field{Type: FieldT4NonECMSigEnd}), "c401" + "38"},
	// Extension field types: 1 (present) 1 (ext) 0 (small) then six bits.
	{"cm-message", 2, data(DataV8, Field{FieldCMMessage, []byte("1")}), "e000" + "01" + "c000" + "0000" + "31"},
	{"jm-message", 3, data(DataV8, Field{FieldJMMessage, []byte("A0")}), "e000" + "01" + "c080" + "0001" + "4130"},
	{"ci-message", 2, data(DataV8, Field{FieldCIMessage, []byte{0xc1}}), "e000" + "01" + "c100" + "0000" + "c1"},
	{"v34rate", 3, data(DataV34PriRate, Field{FieldV34Rate, []byte("336")}), "e040" + "01" + "c180" + "0002" + "333336"},
	{"v34rate no data", 3, data(DataV34PriRate, Field{Type: FieldV34Rate}), "e040" + "01" + "4180"},
}

func TestIFPVectors(t *testing.T) {
	for _, tc := range ifpVectors {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.hex)
			got, err := AppendIFP(nil, tc.p, tc.v)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encode = %x, want %x", got, want)
			}
			p, err := DecodeIFP(want, tc.v)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(p, tc.p) {
				t.Fatalf("decode = %v, want %v", p, tc.p)
			}
		})
	}
}

func TestIFPMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    Version
		hex  string
	}{
		{"empty", 1, ""},
		{"trailing byte", 1, "0200"},
		{"indicator with data field", 1, "82"},
		{"padding bit", 1, "03"},
		{"ext indicator in v0", 0, "2000"},
		{"unknown ext indicator", 3, "21c0"},
		{"ext indicator truncated", 3, "20"},
		{"ext indicator padding", 3, "2001"},
		{"ext value >= 64", 3, "3000"},
		{"root data type 9", 1, "52"},
		{"ext data type in v0", 0, "6000"},
		{"unknown ext data type", 3, "6180"},
		{"zero fields", 1, "c000"},
		{"count without fields", 1, "c003"},
		{"field data truncated", 1, "c00180000502"},
		{"field length truncated", 1, "c00180"},
		{"cm-message in v1", 1, "e00001c0000031"},
		{"unknown ext field type", 3, "c001c200"},
		{"field padding", 1, "c00111"},
		{"non-minimal count", 1, "c0800110"},
		{"fragmented count", 1, "c0c110"},
		{"bad version", 4, "00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeIFP(unhex(t, tc.hex), tc.v)
			if err == nil {
				t.Fatal("decoded without error")
			}
			if tc.v <= MaxVersion && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
		})
	}
}

func TestIFPEncodeRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    Version
		p    IFP
	}{
		{"ext indicator v0", 0, ind(IndV8Signal)},
		{"unknown indicator", 3, ind(numIndicators)},
		{"ext data type v0", 0, data(DataV34PriCh)},
		{"unknown data type", 3, data(numDataTypes)},
		{"cm-message v1", 1, data(DataV8, Field{FieldCMMessage, []byte("x")})},
		{"unknown field type", 3, data(DataV21, Field{Type: numFieldTypes})},
		{"indicator with fields", 1, IFP{Kind: KindIndicator, Fields: []Field{{Type: FieldHDLCData}}}},
		{"field too long", 1, data(DataV21, Field{FieldHDLCData, make([]byte, 65536)})},
		{"bad kind", 1, IFP{Kind: 7}},
		{"bad version", -1, ind(IndCNG)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if b, err := AppendIFP(nil, tc.p, tc.v); err == nil {
				t.Fatalf("encoded as %x, want an error", b)
			}
		})
	}
}

// TestIFPRoundTripAll encodes every indicator, data type and field type in
// every version where it exists, checks that decoding gives it back, and
// that versions without it refuse it.
func TestIFPRoundTripAll(t *testing.T) {
	for v := Version(0); v <= MaxVersion; v++ {
		check := func(p IFP, allowed bool) {
			t.Helper()
			b, err := AppendIFP(nil, p, v)
			if !allowed {
				if err == nil {
					t.Errorf("v%d: %v encoded as %x, want refusal", v, p, b)
				}
				return
			}
			if err != nil {
				t.Errorf("v%d: %v: %v", v, p, err)
				return
			}
			q, err := DecodeIFP(b, v)
			if err != nil {
				t.Errorf("v%d: %v: decode %x: %v", v, p, b, err)
				return
			}
			if !reflect.DeepEqual(p, q) {
				t.Errorf("v%d: round trip %v -> %x -> %v", v, p, b, q)
			}
		}
		for i := Indicator(0); i < numIndicators; i++ {
			check(ind(i), i.MinVersion() <= v)
		}
		for d := DataType(0); d < numDataTypes; d++ {
			for f := FieldType(0); f < numFieldTypes; f++ {
				ok := d.MinVersion() <= v && f.MinVersion() <= v
				check(data(d, Field{f, []byte{0x5a, byte(f)}}), ok)
				check(data(d, Field{Type: f}), ok)
				check(data(d, Field{Type: f}, Field{Type: f}, Field{f, []byte{1}}), ok)
			}
		}
	}
}

func TestIFPManyFields(t *testing.T) {
	fields := make([]Field, 300)
	for i := range fields {
		fields[i] = Field{Type: FieldT4NonECMData, Data: []byte{byte(i)}}
	}
	p := data(DataV29_9600, fields...)
	b, err := AppendIFP(nil, p, 2)
	if err != nil {
		t.Fatal(err)
	}
	// 300 = 0x12c needs the two-octet length determinant.
	if !bytes.Equal(b[:3], []byte{0xc8, 0x81, 0x2c}) {
		t.Fatalf("header %x, want c8812c", b[:3])
	}
	q, err := DecodeIFP(b, 2)
	if err != nil || !reflect.DeepEqual(p, q) {
		t.Fatalf("round trip failed: %v", err)
	}
}

func FuzzDecodeIFP(f *testing.F) {
	for _, tc := range ifpVectors {
		f.Add(unhex(f, tc.hex), uint8(tc.v))
	}
	f.Fuzz(func(t *testing.T, b []byte, ver uint8) {
		v := Version(ver % uint8(MaxVersion+1))
		p, err := DecodeIFP(b, v)
		if err != nil {
			return
		}
		// Whatever decodes must encode back to the same bytes.
		out, err := AppendIFP(nil, p, v)
		if err != nil {
			t.Fatalf("decoded %x to %v but cannot encode it: %v", b, p, err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("decoded %x to %v, encodes back as %x", b, p, out)
		}
	})
}

func TestDataTypeTraining(t *testing.T) {
	for _, tc := range []struct {
		d    DataType
		long bool
		want Indicator
		ok   bool
	}{
		{DataV21, false, IndV21Preamble, true},
		{DataV27ter2400, true, IndV27Training2400, true},
		{DataV27ter4800, false, IndV27Training4800, true},
		{DataV29_7200, false, IndV29Training7200, true},
		{DataV29_9600, true, IndV29Training9600, true},
		{DataV17_7200, false, IndV17Training7200Short, true},
		{DataV17_9600, true, IndV17Training9600Long, true},
		{DataV17_12000, false, IndV17Training12000Short, true},
		{DataV17_14400, true, IndV17Training14400Long, true},
		{DataV33_12000, false, IndV33Training12000, true},
		{DataV33_14400, false, IndV33Training14400, true},
		{DataV8, false, 0, false},
		{DataV34PriCh, false, 0, false},
	} {
		got, ok := tc.d.Training(tc.long)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%v.Training(%v) = %v, %v; want %v, %v", tc.d, tc.long, got, ok, tc.want, tc.ok)
		}
	}
	// Every rate with a fixed bit rate but V.8/V.34 has a training.
	for d := DataType(0); d < numDataTypes; d++ {
		if _, ok := d.Training(false); ok != (d.BitRate() > 0 && d != DataV8 && d != DataV34CC1200) {
			t.Errorf("%v: training %v with bit rate %d", d, ok, d.BitRate())
		}
	}
}
