package numbers

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, country string
		want        string
		err         error
	}{
		{"+31 20 123 4567", "", "+31201234567", nil},
		{"+31 (0)20", "", "", ErrLength},
		{"0031-20-123-4567", "", "+31201234567", nil},
		{"020 123 4567", "NL", "+31201234567", nil},
		{"020 123 4567", "nl", "+31201234567", nil},
		{"020 123 4567", "", "", ErrNoCountry},
		{"(212) 555-0100", "US", "+12125550100", nil},
		{"1 212 555 0100", "US", "+12125550100", nil},
		{"555-0100", "US", "", ErrLength},
		{"+1 212 555 0100", "NL", "+12125550100", nil},
		{"", "", "", ErrEmpty},
		{"   ", "NL", "", ErrEmpty},
		{"+31 20 ABC", "", "", ErrCharacters},
		{"31+20", "", "", ErrCharacters},
		{"+0123456789", "", "", ErrCountryCode},
		{"+1234567", "", "", ErrLength},
		{"+1234567890123456", "", "", ErrLength},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.country)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("Parse(%q, %q) = %q, %v; want %q, %v", tt.in, tt.country, got, err, tt.want, tt.err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"+31 20 123 4567", "0031201234567", "020-1234567", "(212) 555-0100", "+", "00"} {
		f.Add(s, "NL")
	}
	f.Fuzz(func(t *testing.T, s, country string) {
		n, err := Parse(s, country)
		if err != nil {
			return
		}
		if !Valid(n) {
			t.Fatalf("Parse(%q, %q) = %q, which is not valid E.164", s, country, n)
		}
	})
}
