package t38

import (
	"errors"
	"fmt"
)

// Version is a T.38 protocol version as negotiated in SDP (T38FaxVersion).
type Version int

// MaxVersion is the highest T.38 version this package speaks.
const MaxVersion Version = 3

func (v Version) check() error {
	if v < 0 || v > MaxVersion {
		return fmt.Errorf("t38: version %d not supported (use 0 to %d)", int(v), int(MaxVersion))
	}
	return nil
}

// Indicator is the value of a t30-indicator IFP message: a signal the
// sending side has started to emit (a tone, a preamble or a modem training).
type Indicator uint8

// The T.30 indicators, in the order of their ASN.1 enumeration. The values
// from IndV8ANSAM on are extension additions and need version 1 or later.
const (
	IndNoSignal Indicator = iota
	IndCNG
	IndCED
	IndV21Preamble
	IndV27Training2400
	IndV27Training4800
	IndV29Training7200
	IndV29Training9600
	IndV17Training7200Short
	IndV17Training7200Long
	IndV17Training9600Short
	IndV17Training9600Long
	IndV17Training12000Short
	IndV17Training12000Long
	IndV17Training14400Short
	IndV17Training14400Long
	IndV8ANSAM
	IndV8Signal
	IndV34CntlChannel1200
	IndV34PriChannel
	IndV34CCRetrain
	IndV33Training12000
	IndV33Training14400
	numIndicators
)

// indRoot is the number of indicators in the root of the enumeration.
const indRoot = 16

var indicatorNames = [...]string{
	"no-signal", "cng", "ced", "v21-preamble",
	"v27-2400-training", "v27-4800-training",
	"v29-7200-training", "v29-9600-training",
	"v17-7200-short-training", "v17-7200-long-training",
	"v17-9600-short-training", "v17-9600-long-training",
	"v17-12000-short-training", "v17-12000-long-training",
	"v17-14400-short-training", "v17-14400-long-training",
	"v8-ansam", "v8-signal", "v34-cntl-channel-1200", "v34-pri-channel",
	"v34-CC-retrain", "v33-12000-training", "v33-14400-training",
}

// String returns the ASN.1 name of the indicator.
func (i Indicator) String() string {
	if int(i) < len(indicatorNames) {
		return indicatorNames[i]
	}
	return fmt.Sprintf("indicator(%d)", int(i))
}

// MinVersion is the first T.38 version in which the indicator exists.
func (i Indicator) MinVersion() Version {
	if i >= indRoot {
		return 1
	}
	return 0
}

// DataType is the value of a t30-data IFP message: the modulation (and so
// the bit rate) of the data the message carries.
type DataType uint8

// The T.30 data types, in the order of their ASN.1 enumeration. The values
// from DataV8 on are extension additions and need version 1 or later.
const (
	DataV21 DataType = iota
	DataV27ter2400
	DataV27ter4800
	DataV29_7200
	DataV29_9600
	DataV17_7200
	DataV17_9600
	DataV17_12000
	DataV17_14400
	DataV8
	DataV34PriRate
	DataV34CC1200
	DataV34PriCh
	DataV33_12000
	DataV33_14400
	numDataTypes
)

// dataRoot is the number of data types in the root of the enumeration.
const dataRoot = 9

var dataTypeNames = [...]string{
	"v21", "v27-2400", "v27-4800", "v29-7200", "v29-9600",
	"v17-7200", "v17-9600", "v17-12000", "v17-14400",
	"v8", "v34-pri-rate", "v34-CC-1200", "v34-pri-ch", "v33-12000", "v33-14400",
}

// String returns the ASN.1 name of the data type.
func (d DataType) String() string {
	if int(d) < len(dataTypeNames) {
		return dataTypeNames[d]
	}
	return fmt.Sprintf("data-type(%d)", int(d))
}

// MinVersion is the first T.38 version in which the data type exists.
func (d DataType) MinVersion() Version {
	if d >= dataRoot {
		return 1
	}
	return 0
}

// BitRate is the line bit rate of the modulation, in bit/s. V.34 data
// types have no fixed rate; for them BitRate returns 0 and a pacer must be
// told the rate another way.
func (d DataType) BitRate() int {
	switch d {
	case DataV21, DataV8:
		return 300
	case DataV34CC1200:
		return 1200
	case DataV27ter2400:
		return 2400
	case DataV27ter4800:
		return 4800
	case DataV29_7200, DataV17_7200:
		return 7200
	case DataV29_9600, DataV17_9600:
		return 9600
	case DataV17_12000, DataV33_12000:
		return 12000
	case DataV17_14400, DataV33_14400:
		return 14400
	}
	return 0
}

// FieldType says what the bytes of one data field are and whether the field
// ends a frame or a signal.
type FieldType uint8

// The data field types, in the order of their ASN.1 enumeration. The values
// from FieldCMMessage on are extension additions and need version 2 or
// later.
const (
	FieldHDLCData FieldType = iota
	FieldHDLCSigEnd
	FieldHDLCFCSOK
	FieldHDLCFCSBad
	FieldHDLCFCSOKSigEnd
	FieldHDLCFCSBadSigEnd
	FieldT4NonECMData
	FieldT4NonECMSigEnd
	FieldCMMessage
	FieldJMMessage
	FieldCIMessage
	FieldV34Rate
	numFieldTypes
)

// fieldRoot is the number of field types in the root of the enumeration.
const fieldRoot = 8

var fieldTypeNames = [...]string{
	"hdlc-data", "hdlc-sig-end", "hdlc-fcs-OK", "hdlc-fcs-BAD",
	"hdlc-fcs-OK-sig-end", "hdlc-fcs-BAD-sig-end",
	"t4-non-ecm-data", "t4-non-ecm-sig-end",
	"cm-message", "jm-message", "ci-message", "v34rate",
}

// String returns the ASN.1 name of the field type.
func (f FieldType) String() string {
	if int(f) < len(fieldTypeNames) {
		return fieldTypeNames[f]
	}
	return fmt.Sprintf("field-type(%d)", int(f))
}

// MinVersion is the first T.38 version in which the field type exists.
func (f FieldType) MinVersion() Version {
	if f >= fieldRoot {
		return 2
	}
	return 0
}

// Field is one element of an IFP data-field: a field type and, optionally,
// its bytes. An empty Data means the field-data element is absent; T.38
// does not allow present but empty field data.
type Field struct {
	Type FieldType
	Data []byte
}

// Kind tells the two kinds of IFP message apart.
type Kind uint8

// The IFP message kinds (the alternatives of type-of-msg).
const (
	KindIndicator Kind = iota // t30-indicator
	KindData                  // t30-data
)

// IFP is one decoded IFP packet.
//
// An indicator message carries only its Indicator. A data message carries
// its DataType and, usually, one or more Fields; a data message with no
// fields is coded without the optional data-field.
type IFP struct {
	Kind      Kind
	Indicator Indicator // for KindIndicator
	DataType  DataType  // for KindData
	Fields    []Field   // for KindData
}

// String gives a short human-readable form for logs.
func (p IFP) String() string {
	if p.Kind == KindIndicator {
		return "indicator " + p.Indicator.String()
	}
	s := "data " + p.DataType.String()
	for _, f := range p.Fields {
		s += fmt.Sprintf(" %s[%d]", f.Type, len(f.Data))
	}
	return s
}

// maxFieldLen is the largest field-data, from OCTET STRING (SIZE(1..65535)).
const maxFieldLen = 65535

// maxFields is the most fields an IFP may carry here: counts of 16384 or
// more would need PER length fragmentation, which no T.38 peer sends.
const maxFields = 16383

// ErrMalformed is wrapped by every error DecodeIFP and DecodeUDPTL return
// for bytes that are not a valid packet.
var ErrMalformed = errors.New("malformed packet")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// AppendIFP appends the PER encoding of p for T.38 version v to dst.
func AppendIFP(dst []byte, p IFP, v Version) ([]byte, error) {
	if err := v.check(); err != nil {
		return dst, err
	}
	switch p.Kind {
	case KindIndicator:
		if p.Indicator >= numIndicators {
			return dst, fmt.Errorf("t38: encode: unknown indicator %d", int(p.Indicator))
		}
		if p.Indicator.MinVersion() > v {
			return dst, fmt.Errorf("t38: encode: indicator %s needs T.38 version %d, session uses %d", p.Indicator, p.Indicator.MinVersion(), int(v))
		}
		if len(p.Fields) > 0 {
			return dst, fmt.Errorf("t38: encode: indicator %s cannot carry data fields", p.Indicator)
		}
		// Bit 7: data-field absent; bit 6: choice t30-indicator.
		return appendEnum(dst, 0x00, int(p.Indicator), indRoot), nil
	case KindData:
		if p.DataType >= numDataTypes {
			return dst, fmt.Errorf("t38: encode: unknown data type %d", int(p.DataType))
		}
		if p.DataType.MinVersion() > v {
			return dst, fmt.Errorf("t38: encode: data type %s needs T.38 version %d, session uses %d", p.DataType, p.DataType.MinVersion(), int(v))
		}
		lead := byte(0x40) // choice t30-data
		if len(p.Fields) > 0 {
			lead |= 0x80 // data-field present
		}
		dst = appendEnum(dst, lead, int(p.DataType), dataRoot)
		if len(p.Fields) == 0 {
			return dst, nil
		}
		if len(p.Fields) > maxFields {
			return dst, fmt.Errorf("t38: encode: %d data fields, at most %d fit one IFP", len(p.Fields), maxFields)
		}
		dst = appendLength(dst, len(p.Fields))
		dst, err := appendFields(dst, p.Fields, v)
		if err != nil {
			return dst, fmt.Errorf("t38: encode: %w", err)
		}
		return dst, nil
	}
	return dst, fmt.Errorf("t38: encode: unknown message kind %d", int(p.Kind))
}

// appendEnum codes the type-of-msg choice: lead holds the two leading bits
// (data-field presence, choice index) and the extensible enumeration with
// its extension bit follows from bit 5. Root values take four bits; an
// extension value is a normally small number: a zero bit and six bits.
func appendEnum(dst []byte, lead byte, val, root int) []byte {
	if val < root {
		return append(dst, lead|byte(val<<1))
	}
	e := val - root
	return append(dst, lead|0x20|byte(e>>2), byte(e<<6))
}

// appendFields codes the fields of a data-field. PER ALIGNED packs the
// bit-fields of consecutive elements: a field without field-data takes only
// its presence bit and its type bits, so the next field starts in the same
// octet. Only the length of field-data is octet-aligned.
//
// SpanDSP 0.0.6 departs from these rules in two places that its own
// traffic never reaches: it starts every field on a new octet (it unpacks
// shared octets only when reading version 0), and it places the six bits
// of an extension field type (cm-message and later) one bit further right.
// It sends neither two data-less fields in a row nor V.34 field types, so
// both codings agree on everything it sends.
func appendFields(dst []byte, fields []Field, v Version) ([]byte, error) {
	w := bitWriter{buf: dst}
	for i, f := range fields {
		if f.Type >= numFieldTypes {
			return w.buf, fmt.Errorf("field %d: unknown field type %d", i, int(f.Type))
		}
		if f.Type.MinVersion() > v {
			return w.buf, fmt.Errorf("field %d: field type %s needs T.38 version %d, session uses %d", i, f.Type, f.Type.MinVersion(), int(v))
		}
		if len(f.Data) > maxFieldLen {
			return w.buf, fmt.Errorf("field %d: field data of %d bytes exceeds the limit of %d", i, len(f.Data), maxFieldLen)
		}
		w.bit(len(f.Data) > 0)
		switch {
		case v == 0:
			// The 1998 ASN.1 has no extension marker here: three bits.
			w.bits(uint(f.Type), 3)
		case f.Type < fieldRoot:
			w.bit(false)
			w.bits(uint(f.Type), 3)
		default:
			// Extension bit, then a normally small number: 0 and six bits.
			w.bit(true)
			w.bit(false)
			w.bits(uint(f.Type-fieldRoot), 6)
		}
		if len(f.Data) > 0 {
			w.align()
			n := len(f.Data) - 1 // constrained length, lower bound 1: two octets
			w.buf = append(w.buf, byte(n>>8), byte(n))
			w.buf = append(w.buf, f.Data...)
		}
	}
	w.align()
	return w.buf, nil
}

// bitWriter appends bit-fields MSB first to buf. n counts the bits used
// in the last byte of buf, 0 when buf ends on an octet boundary.
type bitWriter struct {
	buf []byte
	n   uint
}

func (w *bitWriter) bit(b bool) {
	if w.n == 0 {
		w.buf = append(w.buf, 0)
	}
	if b {
		w.buf[len(w.buf)-1] |= 0x80 >> w.n
	}
	w.n = (w.n + 1) & 7
}

func (w *bitWriter) bits(v uint, width int) {
	for i := width - 1; i >= 0; i-- {
		w.bit(v>>uint(i)&1 != 0)
	}
}

func (w *bitWriter) align() { w.n = 0 }

// bitReader reads bit-fields MSB first from b starting at byte pos.
type bitReader struct {
	b   []byte
	pos int  // current byte
	n   uint // bits already used in b[pos]
}

func (r *bitReader) bit() (bool, error) {
	if r.pos >= len(r.b) {
		return false, malformed("packet truncated at byte %d", r.pos)
	}
	v := r.b[r.pos]&(0x80>>r.n) != 0
	r.n++
	if r.n == 8 {
		r.n = 0
		r.pos++
	}
	return v, nil
}

func (r *bitReader) bits(width int) (uint, error) {
	var v uint
	for i := 0; i < width; i++ {
		b, err := r.bit()
		if err != nil {
			return 0, err
		}
		v <<= 1
		if b {
			v |= 1
		}
	}
	return v, nil
}

// align skips to the next octet boundary; the skipped padding bits must be
// zero, as PER writes them, so that decoding and re-encoding agree.
func (r *bitReader) align() error {
	if r.n == 0 {
		return nil
	}
	if r.b[r.pos]&(0xFF>>r.n) != 0 {
		return malformed("non-zero padding bits in byte %d", r.pos)
	}
	r.n = 0
	r.pos++
	return nil
}

// appendLength codes an unconstrained PER length determinant below 16384.
func appendLength(dst []byte, n int) []byte {
	if n < 0x80 {
		return append(dst, byte(n))
	}
	return append(dst, 0x80|byte(n>>8), byte(n))
}

// readLength decodes an unconstrained PER length determinant at b[*pos].
// It rejects fragmented lengths and non-minimal codings.
func readLength(b []byte, pos *int) (int, error) {
	if *pos >= len(b) {
		return 0, malformed("length determinant missing at byte %d", *pos)
	}
	c := b[*pos]
	switch {
	case c&0x80 == 0:
		*pos++
		return int(c), nil
	case c&0xC0 == 0x80:
		if *pos+1 >= len(b) {
			return 0, malformed("two-byte length determinant truncated at byte %d", *pos)
		}
		n := int(c&0x3F)<<8 | int(b[*pos+1])
		if n < 0x80 {
			return 0, malformed("non-minimal length determinant %d at byte %d", n, *pos)
		}
		*pos += 2
		return n, nil
	}
	return 0, malformed("fragmented length determinant at byte %d is not supported", *pos)
}

// DecodeIFP decodes one IFP packet coded for T.38 version v. The whole of b
// must be the packet. Errors wrap ErrMalformed.
func DecodeIFP(b []byte, v Version) (IFP, error) {
	p, n, err := decodeIFPPrefix(b, v)
	if err != nil {
		return IFP{}, fmt.Errorf("t38: IFP: %w", err)
	}
	if n != len(b) {
		return IFP{}, fmt.Errorf("t38: IFP: %w", malformed("%d trailing bytes after a %d-byte packet", len(b)-n, n))
	}
	return p, nil
}

// decodeIFPPrefix decodes the IFP packet at the start of b and reports how
// many bytes it used. The field data slices alias b.
func decodeIFPPrefix(b []byte, v Version) (IFP, int, error) {
	if err := v.check(); err != nil {
		return IFP{}, 0, err
	}
	if len(b) == 0 {
		return IFP{}, 0, malformed("empty packet")
	}
	hasData := b[0]&0x80 != 0
	isData := b[0]&0x40 != 0
	val, pos, err := readEnum(b)
	if err != nil {
		return IFP{}, 0, err
	}
	var p IFP
	if !isData {
		if val >= int(numIndicators) {
			return IFP{}, 0, malformed("unknown indicator value %d", val)
		}
		p.Kind, p.Indicator = KindIndicator, Indicator(val)
		if p.Indicator.MinVersion() > v {
			return IFP{}, 0, malformed("indicator %s does not exist in T.38 version %d", p.Indicator, int(v))
		}
		if hasData {
			return IFP{}, 0, malformed("indicator %s with a data field", p.Indicator)
		}
		return p, pos, nil
	}
	if val >= int(numDataTypes) {
		return IFP{}, 0, malformed("unknown data type value %d", val)
	}
	p.Kind, p.DataType = KindData, DataType(val)
	if p.DataType.MinVersion() > v {
		return IFP{}, 0, malformed("data type %s does not exist in T.38 version %d", p.DataType, int(v))
	}
	if !hasData {
		return p, pos, nil
	}
	n, err := readLength(b, &pos)
	if err != nil {
		return IFP{}, 0, fmt.Errorf("field count: %w", err)
	}
	if n == 0 {
		return IFP{}, 0, malformed("data field present with no fields")
	}
	// A field takes at least four bits: do not trust n for allocation.
	if n > 2*(len(b)-pos) {
		return IFP{}, 0, malformed("%d fields announced, only %d bytes left", n, len(b)-pos)
	}
	p.Fields = make([]Field, n)
	r := bitReader{b: b, pos: pos}
	for i := range p.Fields {
		f, err := readField(&r, v)
		if err != nil {
			return IFP{}, 0, fmt.Errorf("field %d: %w", i, err)
		}
		p.Fields[i] = f
	}
	if err := r.align(); err != nil {
		return IFP{}, 0, err
	}
	pos = r.pos
	return p, pos, nil
}

// readEnum decodes the extensible enumeration of type-of-msg (from bit 5
// of the first byte on) and returns its value and the next byte offset.
func readEnum(b []byte) (int, int, error) {
	root := indRoot
	if b[0]&0x40 != 0 {
		root = dataRoot
	}
	if b[0]&0x20 == 0 {
		if b[0]&0x01 != 0 {
			return 0, 0, malformed("padding bit set in byte 0")
		}
		val := int(b[0]>>1) & 0x0F
		if val >= root {
			return 0, 0, malformed("root enumeration value %d out of range (%d values)", val, root)
		}
		return val, 1, nil
	}
	if b[0]&0x10 != 0 {
		return 0, 0, malformed("extension value of 64 or more")
	}
	if len(b) < 2 {
		return 0, 0, malformed("extension value truncated")
	}
	if b[1]&0x3F != 0 {
		return 0, 0, malformed("padding bits set in byte 1")
	}
	e := int(b[0]&0x0F)<<2 | int(b[1]>>6)
	return root + e, 2, nil
}

func readField(r *bitReader, v Version) (Field, error) {
	present, err := r.bit()
	if err != nil {
		return Field{}, err
	}
	var f Field
	ext := false
	if v > 0 {
		if ext, err = r.bit(); err != nil {
			return Field{}, err
		}
	}
	if !ext {
		t, err := r.bits(3)
		if err != nil {
			return Field{}, err
		}
		f.Type = FieldType(t)
	} else {
		big, err := r.bit()
		if err != nil {
			return Field{}, err
		}
		if big {
			return Field{}, malformed("field type extension value of 64 or more")
		}
		e, err := r.bits(6)
		if err != nil {
			return Field{}, err
		}
		if e >= uint(numFieldTypes-fieldRoot) {
			return Field{}, malformed("unknown field type extension value %d", e)
		}
		f.Type = fieldRoot + FieldType(e)
		if f.Type.MinVersion() > v {
			return Field{}, malformed("field type %s does not exist in T.38 version %d", f.Type, int(v))
		}
	}
	if !present {
		return f, nil
	}
	if err := r.align(); err != nil {
		return Field{}, err
	}
	b, pos := r.b, r.pos
	if pos+2 > len(b) {
		return Field{}, malformed("field data length truncated")
	}
	n := (int(b[pos])<<8 | int(b[pos+1])) + 1
	pos += 2
	if n > len(b)-pos {
		return Field{}, malformed("field data of %d bytes, only %d left", n, len(b)-pos)
	}
	f.Data = b[pos : pos+n : pos+n]
	r.pos = pos + n
	return f, nil
}

// Training returns the indicator that announces the modem training for
// data of type d: for V.17 the long or the short training as long asks,
// for V.21 its preamble. It reports false for data types without one.
func (d DataType) Training(long bool) (Indicator, bool) {
	switch d {
	case DataV21:
		return IndV21Preamble, true
	case DataV27ter2400:
		return IndV27Training2400, true
	case DataV27ter4800:
		return IndV27Training4800, true
	case DataV29_7200:
		return IndV29Training7200, true
	case DataV29_9600:
		return IndV29Training9600, true
	case DataV17_7200, DataV17_9600, DataV17_12000, DataV17_14400:
		ind := IndV17Training7200Short + 2*Indicator(d-DataV17_7200)
		if long {
			ind++
		}
		return ind, true
	case DataV33_12000:
		return IndV33Training12000, true
	case DataV33_14400:
		return IndV33Training14400, true
	}
	return 0, false
}
