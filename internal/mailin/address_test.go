package mailin

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRecipient(t *testing.T) {
	tests := []struct {
		in, number, domain string
		ok                 bool
	}{
		{"31201234567@fax.example.org", "31201234567", "fax.example.org", true},
		{"+31201234567@fax.example.org", "+31201234567", "fax.example.org", true},
		{"<+31 20 123 4567@FAX.Example.ORG>", "+31201234567", "fax.example.org", true},
		{"020-123.4567@fax.example.org", "0201234567", "fax.example.org", true},
		{"(+31)201234567@fax.example.org", "+31201234567", "fax.example.org", true},
		{"alice@fax.example.org", "", "", false},
		{"31+201234567@fax.example.org", "", "", false},
		{"12@fax.example.org", "", "", false},
		{"123456789012345678@fax.example.org", "", "", false},
		{"31201234567@", "", "", false},
		{"31201234567", "", "", false},
		{"31201234567@fax..example.org", "", "", false},
		{"31201234567@-fax.example.org", "", "", false},
		{"31201234567@fax_example.org", "", "", false},
		{"@fax.example.org", "", "", false},
	}
	for _, tt := range tests {
		r, err := ParseRecipient(tt.in)
		if tt.ok != (err == nil) {
			t.Errorf("%q: error %v, want ok %v", tt.in, err, tt.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrNotFaxAddress) {
				t.Errorf("%q: %v does not wrap ErrNotFaxAddress", tt.in, err)
			}
			continue
		}
		if r.Number != tt.number || r.Domain != tt.domain {
			t.Errorf("%q: got %+v, want %s at %s", tt.in, r, tt.number, tt.domain)
		}
	}
}

func FuzzParseRecipient(f *testing.F) {
	for _, s := range []string{"31201234567@fax.example.org", "+31 (0)20 1234567@x.org", "a@b", "@", "+@x.y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecipient(s)
		if err != nil {
			return
		}
		n := strings.TrimPrefix(r.Number, "+")
		if len(n) < 3 || len(n) > 17 || strings.Trim(n, "0123456789") != "" {
			t.Fatalf("%q gave number %q", s, r.Number)
		}
		if !validDomain(r.Domain) || r.Domain != strings.ToLower(r.Domain) {
			t.Fatalf("%q gave domain %q", s, r.Domain)
		}
	})
}
