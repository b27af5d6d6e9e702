package web

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzLocalPath checks that a redirect target taken from a form or query
// can only ever lead to a path on this site.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/account", "//evil.example", "/\\evil.example", "https://evil.example", "/a?b=c", "", "/\t/x", "/%2F%2Fx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := localPath(s)
		if got != s && got != "/account" {
			t.Fatalf("localPath(%q) = %q: neither the input nor the default", s, got)
		}
		// Browsers treat a backslash like a slash and drop tabs and
		// newlines, so "/\\evil" and "/\t/evil" mean "//evil".
		norm := strings.NewReplacer("\\", "/", "\t", "", "\n", "", "\r", "").Replace(got)
		if !strings.HasPrefix(norm, "/") || strings.HasPrefix(norm, "//") {
			t.Fatalf("localPath(%q) = %q, which a browser reads as %q", s, got, norm)
		}
		if u, err := url.Parse(got); err == nil && (u.Host != "" || u.Scheme != "" || u.User != nil) {
			t.Fatalf("localPath(%q) = %q leads off the site (host %q, scheme %q)", s, got, u.Host, u.Scheme)
		}
	})
}
