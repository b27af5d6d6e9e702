// Package i18n holds the catalog of every user-facing string of the service,
// in English and Dutch, and picks a language for a request.
//
// Strings are looked up by key. A key names where the string is used
// (page.thing), never its English wording, so the text can change without
// touching the code that shows it.
package i18n

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The supported languages, as BCP 47 primary subtags.
const (
	English = "en"
	Dutch   = "nl"
)

// Default is the language used when nothing else decides.
const Default = English

// Languages lists the supported languages in the order the portal offers
// them.
var Languages = []string{English, Dutch}

// Supported reports whether lang is one of Languages.
func Supported(lang string) bool {
	return lang == English || lang == Dutch
}

// entry is one catalog string in every language.
type entry struct {
	en, nl string
}

func (e entry) in(lang string) string {
	if lang == Dutch {
		return e.nl
	}
	return e.en
}

// T returns the string for key in lang, with args filled in as by
// fmt.Sprintf. An unknown key returns the key itself in brackets, so a
// missing string is visible on the page rather than silently blank; tests
// make sure that never ships.
func T(lang, key string, args ...any) string {
	e, ok := catalog[key]
	if !ok {
		return "[" + key + "]"
	}
	s := e.in(lang)
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key is in the catalog.
func Has(key string) bool {
	_, ok := catalog[key]
	return ok
}

// Keys returns every catalog key, sorted.
func Keys() []string {
	keys := make([]string, 0, len(catalog))
	for k := range catalog {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Missing returns the keys that have no text in lang.
func Missing(lang string) []string {
	var out []string
	for _, k := range Keys() {
		if strings.TrimSpace(catalog[k].in(lang)) == "" {
			out = append(out, k)
		}
	}
	return out
}

// Negotiate picks the supported language the client prefers most from an
// Accept-Language header value (RFC 9110, section 12.5.4). Ranges with q=0
// are refused; "*" matches the default. Without a match it returns Default.
func Negotiate(header string) string {
	best, bestQ := Default, -1.0
	for i, part := range strings.Split(header, ",") {
		if i >= 32 {
			break // a longer header is not a real browser's
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		q := 1.0
		if p := strings.TrimSpace(params); p != "" {
			name, val, ok := strings.Cut(p, "=")
			if !ok || strings.TrimSpace(strings.ToLower(name)) != "q" {
				continue
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		if q == 0 {
			continue
		}
		primary, _, _ := strings.Cut(tag, "-")
		lang := ""
		switch {
		case Supported(primary):
			lang = primary
		case tag == "*":
			lang = Default
		default:
			continue
		}
		// Earlier entries win ties, as browsers list them in order.
		if q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}
