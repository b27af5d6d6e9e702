package t38

import (
	"math/rand"
	"testing"

	"github.com/faxhaven/faxhaven/internal/peer/spandsp"
)

func benchIFP() IFP {
	d := make([]byte, 54) // 30 ms of V.17 14400 data
	rand.New(rand.NewSource(1)).Read(d)
	return data(DataV17_14400, Field{FieldT4NonECMData, d})
}

func BenchmarkIFPEncode(b *testing.B) {
	p := benchIFP()
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendIFP(buf[:0], p, 2)
	}
}

func BenchmarkIFPDecode(b *testing.B) {
	raw, _ := AppendIFP(nil, benchIFP(), 2)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeIFP(raw, 2); err != nil {
			b.Fatal(err)
		}
	}
}

// benchUDPTL frames a stream of IFP packets and decodes it again, as both
// ends of a call do, per packet.
func benchUDPTL(b *testing.B, cfg EncoderConfig) {
	raw, _ := AppendIFP(nil, benchIFP(), 2)
	enc, _ := NewEncoder(cfg)
	dec, _ := NewDecoder(DecoderConfig{Version: 2})
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = enc.Encode(buf[:0], raw); err != nil {
			b.Fatal(err)
		}
		if _, err := dec.Receive(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUDPTLRedundancy2(b *testing.B) {
	benchUDPTL(b, EncoderConfig{Recovery: RecoveryRedundancy, Depth: 2})
}

func BenchmarkUDPTLFEC3x3(b *testing.B) {
	benchUDPTL(b, EncoderConfig{Recovery: RecoveryFEC, Span: 3, Entries: 3})
}

// BenchmarkSpanDSPAnchor times the same packet through SpanDSP's t38_core
// (encode, then decode with no-op handlers) in the same run, as the anchor
// for BenchmarkIFPEncode and BenchmarkIFPDecode. Its ns/op is the process
// overhead; read the spandsp-*-ns/op metrics.
func BenchmarkSpanDSPAnchor(b *testing.B) {
	r := spandsp.BenchIFP(b, max(b.N, 1000))
	b.ReportMetric(r.EncodeNs, "spandsp-encode-ns/op")
	b.ReportMetric(r.DecodeNs, "spandsp-decode-ns/op")
}
