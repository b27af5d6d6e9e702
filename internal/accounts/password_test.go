package accounts

import (
	"strings"
	"testing"
)

var fast = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q does not record its parameters in PHC form", h)
	}
	h2, _ := HashPassword("correct horse battery", fast)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		pw   string
		want bool
	}{
		{"correct horse battery", true},
		{"correct horse batterY", false},
		{"", false},
		{strings.Repeat("x", 2000), false},
	}
	for _, tt := range tests {
		if ok, err := CheckPassword(h, tt.pw); ok != tt.want || err != nil {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
	// A hash made with other parameters still checks: they are read from it.
	old, _ := HashPassword("older secret here", Params{Memory: 128, Time: 2, Threads: 2, SaltLen: 8, KeyLen: 16})
	if ok, err := CheckPassword(old, "older secret here"); !ok || err != nil {
		t.Errorf("hash with other parameters: %v, %v", ok, err)
	}
}

func TestParsePHCRejects(t *testing.T) {
	good, _ := HashPassword("x", fast)
	parts := strings.Split(good, "$")
	bad := []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=16$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=0,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1,x=2$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$",
		good + "$",
	}
	for _, s := range bad {
		if _, err := CheckPassword(s, "x"); err == nil {
			t.Errorf("CheckPassword accepted hash %q", s)
		}
	}
}

func TestCheckPasswordStrength(t *testing.T) {
	tests := []struct{ pw, email, want string }{
		{"abc", "", "err.password_short"},
		{"ninechars", "", "err.password_short"},
		{"éénwachtw", "", "err.password_short"}, // 9 characters, more bytes
		{"tenchars!!", "", ""},
		{"1234567890", "", "err.password_common"},
		{"QWERTYUIOP", "", "err.password_common"},
		{"zzzzzzzzzzzz", "", "err.password_common"},
		{"me@example.org", "ME@example.org", "err.password_common"},
		{"four random words", "", ""},
		{strings.Repeat("ab", 600), "", "err.password_long"},
	}
	for _, tt := range tests {
		if got := CheckPasswordStrength(tt.pw, tt.email); got != tt.want {
			t.Errorf("CheckPasswordStrength(%q) = %q, want %q", tt.pw, got, tt.want)
		}
	}
}

func FuzzParsePHC(f *testing.F) {
	good, _ := HashPassword("seed", fast)
	f.Add(good)
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePHC(s)
		if err != nil {
			return
		}
		// Whatever parses is bounded, so checking it cannot exhaust memory.
		if h.params.Memory > maxMemory || h.params.Time > maxTime || len(h.key) > maxKeyLen || h.params.Threads == 0 {
			t.Fatalf("parsed out-of-range parameters %+v", h.params)
		}
		if h.params.Memory <= 1<<12 && h.params.Time <= 4 {
			CheckPassword(s, "probe")
		}
	})
}
