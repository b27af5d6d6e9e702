package mailin

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFaxAddress reports a recipient whose local part is not a fax
// number.
var ErrNotFaxAddress = errors.New("mailin: not a fax address")

// Recipient is a fax address: a number at a fax domain.
type Recipient struct {
	// Number is the local part as written, without separators: digits,
	// with a leading + when one was given. It is read as a national
	// number by the account's country when it has no country code.
	Number string
	// Domain is the lower-cased domain, such as "fax.example.org".
	Domain string
}

// ParseRecipient reads an envelope address such as
// "+31201234567@fax.example.org" or "0201234567@FAX.example.org". Spaces,
// dots, dashes and parentheses in the number are ignored, as people write
// them. It checks the form only; whether the domain is a fax domain and
// the number is valid in its country is for the caller.
func ParseRecipient(addr string) (Recipient, error) {
	addr = strings.TrimSpace(addr)
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return Recipient{}, fmt.Errorf("mailin: address %q: want <fax number>@<fax domain>: %w", addr, ErrNotFaxAddress)
	}
	local, domain := addr[:at], strings.ToLower(addr[at+1:])
	if !validDomain(domain) {
		return Recipient{}, fmt.Errorf("mailin: address %q: domain %q is not a host name: %w", addr, domain, ErrNotFaxAddress)
	}
	var b strings.Builder
	for i := 0; i < len(local); i++ {
		switch c := local[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '+' && b.Len() == 0:
			b.WriteByte(c)
		case c == '.' || c == '-' || c == ' ' || c == '(' || c == ')':
		default:
			return Recipient{}, fmt.Errorf("mailin: address %q: %q is not a fax number (digits only, an optional leading +): %w", addr, local, ErrNotFaxAddress)
		}
	}
	n := b.String()
	digits := len(strings.TrimPrefix(n, "+"))
	if digits < 3 || digits > 17 {
		return Recipient{}, fmt.Errorf("mailin: address %q: a fax number has 3 to 17 digits, this one %d: %w", addr, digits, ErrNotFaxAddress)
	}
	return Recipient{Number: n, Domain: domain}, nil
}

// validDomain accepts a DNS host name: labels of letters, digits and
// hyphens, separated by dots.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
