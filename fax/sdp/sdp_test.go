package sdp

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestParse(t *testing.T) {
	tests := []struct {
		file     string
		conn     string // address of the T.38 line
		port     int
		t38      *T38
		audio    bool
		extraMed int // attributes kept on the T.38 line
	}{
		{"gateway.sdp", "192.0.2.10", 40010, &T38{Version: 0, MaxBitRate: 14400, RateManagement: TransferredTCF, MaxBuffer: 400, MaxDatagram: 500, UDPEC: Redundancy}, false, 0},
		{"mixed.sdp", "198.51.100.8", 4000, &T38{Version: 1, MaxBitRate: 9600, FillBitRemoval: true, RateManagement: TransferredTCF, MaxDatagram: 400, UDPEC: FEC}, false, 1},
		{"audio.sdp", "2001:db8::1", 30000, nil, true, 0},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if got := s.AudioMedia() != nil; got != tt.audio {
			t.Errorf("%s: audio line found %v, want %v", tt.file, got, tt.audio)
		}
		m := s.T38Media()
		if tt.t38 == nil {
			if m != nil {
				t.Errorf("%s: found a T.38 line in an audio-only offer", tt.file)
			}
			if a := s.AudioMedia(); a == nil || s.Addr(a) != tt.conn || a.Port != tt.port {
				t.Errorf("%s: audio line %+v at %q", tt.file, a, s.Addr(a))
			}
		} else {
			if m == nil {
				t.Fatalf("%s: no T.38 line", tt.file)
			}
			if s.Addr(m) != tt.conn || m.Port != tt.port {
				t.Errorf("%s: T.38 at %s port %d, want %s port %d", tt.file, s.Addr(m), m.Port, tt.conn, tt.port)
			}
			if *m.T38 != *tt.t38 {
				t.Errorf("%s: T.38 parameters\n got %+v\nwant %+v", tt.file, *m.T38, *tt.t38)
			}
			if len(m.Attrs) != tt.extraMed {
				t.Errorf("%s: %d other attributes kept, want %d: %+v", tt.file, len(m.Attrs), tt.extraMed, m.Attrs)
			}
		}

		// Writing gives the golden text, and reading that gives the same
		// description again.
		out := s.Marshal()
		golden := filepath.Join("testdata", strings.TrimSuffix(tt.file, ".sdp")+".golden")
		if *update {
			if err := os.WriteFile(golden, out, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(out, want) {
			t.Errorf("%s: written as\n%s\nwant\n%s", tt.file, out, want)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("%s: reparse: %v", tt.file, err)
		}
		if !reflect.DeepEqual(again, s) {
			t.Errorf("%s: a written description reads back differently", tt.file)
		}
	}
}

func TestParseErrors(t *testing.T) {
	ok := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	tests := []struct{ name, in, want string }{
		{"empty", "", "no v= and o="},
		{"no version first", "o=- 1 1 IN IP4 127.0.0.1\r\n", "must start with v=0"},
		{"bad version", "v=1\r\n", "only one v=0"},
		{"two versions", "v=0\r\nv=0\r\n", "only one v=0"},
		{"no origin", "v=0\r\ns=-\r\n", "no v= and o="},
		{"short origin", "v=0\r\no=- 1 IN IP4 h\r\n", "needs 6 fields"},
		{"origin id", "v=0\r\no=- x 1 IN IP4 h\r\n", "must be numbers"},
		{"origin net", "v=0\r\no=- 1 1 ATM NSAP h\r\n", "IN IP4"},
		{"not type=value", ok + "hello\r\n", "not type=value"},
		{"uppercase type", ok + "M=image 1 udptl t38\r\n", "not type=value"},
		{"short media", ok + "m=image 1 udptl\r\n", "needs a type"},
		{"bad port", ok + "m=image 70000 udptl t38\r\n", "port must be"},
		{"port count", ok + "m=image 4000/2 udptl t38\r\n", "port must be"},
		{"multicast", ok + "m=image 4000 udptl t38\r\nc=IN IP4 224.2.1.1/127\r\n", "multicast"},
		{"bad conn", ok + "m=image 4000 udptl t38\r\nc=IN 127.0.0.1\r\n", "want \"IN IP4"},
		{"no address", "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nm=image 4000 udptl t38\r\n", "no connection address"},
		{"version range", ok + "m=image 4000 udptl t38\r\na=T38FaxVersion:4\r\n", "T38FaxVersion"},
		{"bit rate text", ok + "m=image 4000 udptl t38\r\na=T38MaxBitRate:fast\r\n", "T38MaxBitRate"},
		{"bad ec", ok + "m=image 4000 udptl t38\r\na=T38FaxUdpEC:t38UDPMagic\r\n", "unknown error correction"},
		{"bad rate mgmt", ok + "m=image 4000 udptl t38\r\na=T38FaxRateManagement:remote\r\n", "neither"},
		{"bad flag", ok + "m=image 4000 udptl t38\r\na=T38FaxFillBitRemoval:yes\r\n", "not 0 or 1"},
		{"s in media", ok + "m=image 4000 udptl t38\r\ns=x\r\n", "inside a media"},
		{"too big", ok + strings.Repeat("a=x\r\n", MaxSize/5), "more than"},
		{"too many media", ok + strings.Repeat("m=audio 0 RTP/AVP 0\r\n", MaxMedia+1), "media lines"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in))
		if err == nil {
			t.Errorf("%s: parsed without error", tt.name)
			continue
		}
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q, want one containing %q and wrapping ErrMalformed", tt.name, err, tt.want)
		}
	}
}

func TestT38Attributes(t *testing.T) {
	base := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=image 4000 udptl t38\r\n"
	tests := []struct {
		attrs string
		want  T38
	}{
		{"a=T38FaxFillBitRemoval\r\na=T38FaxTranscodingMMR\r\na=T38FaxTranscodingJBIG\r\n", T38{FillBitRemoval: true, TranscodingMMR: true, TranscodingJBIG: true}},
		{"a=T38FaxFillBitRemoval:1\r\na=T38FaxTranscodingMMR:0\r\n", T38{FillBitRemoval: true}},
		{"a=t38faxversion:2\r\na=t38faxudpec:T38UDPREDUNDANCY\r\n", T38{Version: 2, UDPEC: Redundancy}},
		{"a=T38FaxMaxRate:14400\r\n", T38{MaxBitRate: 14400}},
		{"a=T38FaxRateManagement:localTCF\r\n", T38{RateManagement: LocalTCF}},
	}
	for _, tt := range tests {
		s, err := Parse([]byte(base + tt.attrs))
		if err != nil {
			t.Fatalf("%q: %v", tt.attrs, err)
		}
		if got := *s.T38Media().T38; got != tt.want {
			t.Errorf("%q: got %+v, want %+v", tt.attrs, got, tt.want)
		}
	}
}

func TestNegotiate(t *testing.T) {
	local := T38{Version: 3, MaxBitRate: 14400, RateManagement: TransferredTCF, MaxBuffer: 2000, MaxDatagram: 1400, UDPEC: FEC, FillBitRemoval: true}
	tests := []struct {
		name  string
		offer T38
		want  T38
	}{
		{"older and slower", T38{Version: 0, MaxBitRate: 9600, UDPEC: Redundancy, MaxDatagram: 200},
			T38{Version: 0, MaxBitRate: 9600, RateManagement: TransferredTCF, MaxBuffer: 2000, MaxDatagram: 1400, UDPEC: Redundancy}},
		{"all of it", T38{Version: 3, MaxBitRate: 33600, RateManagement: TransferredTCF, UDPEC: FEC, FillBitRemoval: true, TranscodingMMR: true},
			T38{Version: 3, MaxBitRate: 14400, RateManagement: TransferredTCF, MaxBuffer: 2000, MaxDatagram: 1400, UDPEC: FEC, FillBitRemoval: true}},
		{"bare offer", T38{},
			T38{Version: 0, MaxBitRate: 14400, RateManagement: TransferredTCF, MaxBuffer: 2000, MaxDatagram: 1400, UDPEC: NoEC}},
		{"local TCF is echoed", T38{Version: 1, RateManagement: LocalTCF, UDPEC: NoEC},
			T38{Version: 1, MaxBitRate: 14400, RateManagement: LocalTCF, MaxBuffer: 2000, MaxDatagram: 1400, UDPEC: NoEC}},
	}
	for _, tt := range tests {
		if got := Negotiate(tt.offer, local); got != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}

func TestAnswer(t *testing.T) {
	b, err := os.ReadFile("testdata/mixed.sdp")
	if err != nil {
		t.Fatal(err)
	}
	offer, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	local := T38{Version: 0, MaxBitRate: 14400, UDPEC: Redundancy, MaxDatagram: 1400}
	ans, err := Answer(offer, "127.0.0.1", 5000, local, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Media) != len(offer.Media) || ans.Media[0].Port != 0 || ans.Media[1].Port != 5000 {
		t.Fatalf("answer media %+v %+v: want the audio line refused and the T.38 line on 5000", ans.Media[0], ans.Media[1])
	}
	back, err := Parse(ans.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	m, err := CheckAnswer(back, *offer.T38Media().T38)
	if err != nil {
		t.Fatalf("our own answer fails the offerer's check: %v", err)
	}
	if want := (T38{Version: 0, MaxBitRate: 9600, RateManagement: TransferredTCF, MaxDatagram: 1400, UDPEC: Redundancy}); *m.T38 != want {
		t.Errorf("answered %+v, want %+v", *m.T38, want)
	}

	audio, _ := os.ReadFile("testdata/audio.sdp")
	ao, err := Parse(audio)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Answer(ao, "127.0.0.1", 5000, local, 7); !errors.Is(err, ErrNoT38) {
		t.Errorf("answering an audio-only offer: %v, want ErrNoT38", err)
	}
}

func TestCheckAnswer(t *testing.T) {
	mine := T38{Version: 1, UDPEC: Redundancy, RateManagement: TransferredTCF}
	tests := []struct {
		name string
		ans  T38
		want string
	}{
		{"fine", T38{Version: 0, UDPEC: NoEC, RateManagement: TransferredTCF}, ""},
		{"newer version", T38{Version: 2, UDPEC: Redundancy}, "version 2"},
		{"stronger ec", T38{Version: 1, UDPEC: FEC}, "stronger"},
		{"other tcf", T38{Version: 1, RateManagement: LocalTCF}, "rate management"},
	}
	for _, tt := range tests {
		s := NewT38("127.0.0.1", 4000, tt.ans, 1)
		_, err := CheckAnswer(s, mine)
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := CheckAnswer(&Session{}, mine); !errors.Is(err, ErrNoT38) {
		t.Errorf("answer without media: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"gateway.sdp", "mixed.sdp", "audio.sdp"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		// What parses must write out and read back the same.
		out := s.Marshal()
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("reparse of\n%q\nfailed: %v", out, err)
		}
		if !bytes.Equal(again.Marshal(), out) {
			t.Fatalf("not stable:\n%q\n%q", out, again.Marshal())
		}
		if m := s.T38Media(); m != nil {
			if _, err := Answer(s, "127.0.0.1", 4000, T38{Version: 3, UDPEC: FEC}, 1); err != nil {
				t.Fatalf("a T.38 offer could not be answered: %v", err)
			}
		}
	})
}
