package i18n

import (
	"strings"
	"testing"
)

func TestCatalogComplete(t *testing.T) {
	for _, lang := range Languages {
		if m := Missing(lang); len(m) > 0 {
			t.Errorf("keys without %s text: %v", lang, m)
		}
	}
	for _, k := range Keys() {
		e := catalog[k]
		// Both languages must take the same arguments, or one of them
		// prints %!d(MISSING) or an EXTRA.
		if ve, vn := verbs(e.en), verbs(e.nl); ve != vn {
			t.Errorf("key %q: English takes %q, Dutch %q", k, ve, vn)
		}
		if e.en == e.nl && len(e.en) > 12 && !strings.Contains(k, "brand") {
			t.Errorf("key %q: Dutch text is the English one", k)
		}
	}
}

// verbs returns the fmt verbs of s in order.
func verbs(s string) string {
	var b strings.Builder
	for i := 0; i < len(s)-1; i++ {
		if s[i] == '%' {
			if s[i+1] == '%' {
				i++
				continue
			}
			b.WriteByte(s[i+1])
		}
	}
	return b.String()
}

func TestT(t *testing.T) {
	if got := T(Dutch, "mail.welcome.subject", "Faxhaven"); got != "Welkom bij Faxhaven" {
		t.Errorf("T(nl) = %q", got)
	}
	if got := T(English, "mail.welcome.subject", "Faxhaven"); got != "Welcome to Faxhaven" {
		t.Errorf("T(en) = %q", got)
	}
	if got := T("fr", "err.name_required"); got != catalog["err.name_required"].en {
		t.Errorf("unsupported language gave %q, want English", got)
	}
	if got := T(English, "no.such.key"); got != "[no.such.key]" {
		t.Errorf("unknown key gave %q", got)
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", "en"},
		{"nl", "nl"},
		{"nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7", "nl"},
		{"en-GB,en;q=0.9,nl;q=0.8", "en"},
		{"de-DE,de;q=0.9,nl;q=0.5,en;q=0.4", "nl"},
		{"fr", "en"},
		{"NL-be", "nl"},
		{"nl;q=0, en;q=0.1", "en"},
		{"en;q=0.5, nl;q=0.6", "nl"},
		{"*", "en"},
		{"nl;q=abc,en", "en"},
		{"nl;q=2", "en"},
		{"nl;level=1", "en"},
	}
	for _, tt := range tests {
		if got := Negotiate(tt.header); got != tt.want {
			t.Errorf("Negotiate(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"nl-NL,nl;q=0.9,en;q=0.7", "*;q=0.1", ";;,,q=", "en;q=1.000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if got := Negotiate(h); !Supported(got) {
			t.Fatalf("Negotiate(%q) = %q, not a supported language", h, got)
		}
	})
}
