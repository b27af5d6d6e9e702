package numbers

import (
	"errors"
	"fmt"
	"strings"
)

// Errors from Parse, each naming what is wrong with the number.
var (
	ErrEmpty       = errors.New("the fax number is empty")
	ErrCharacters  = errors.New("the fax number may contain only digits, spaces, dashes, dots, brackets and a leading +")
	ErrLength      = errors.New("an international fax number has 8 to 15 digits after the + (country code included)")
	ErrCountryCode = errors.New("the fax number does not start with a valid country code")
	ErrNoCountry   = errors.New("the fax number has no country code; write it as +<country code><number>")
)

// trunkCountries maps ISO country codes to their calling code, for numbers
// written in the national format with a leading 0 (or 1 in the NANP).
var trunkCountries = map[string]string{
	"NL": "31", "BE": "32", "DE": "49", "FR": "33", "GB": "44", "AT": "43",
	"CH": "41", "IT": "39", "ES": "34", "LU": "352", "IE": "353", "SE": "46",
	"US": "1", "CA": "1",
}

// Parse reads a fax number as a user types it and returns it in E.164 form
// ("+31201234567"). International forms (+31 20 ..., 0031 20 ...) are read
// as they are; a national form (020 1234567) needs the country the user is
// in ("NL"), or "" to refuse it.
func Parse(s, country string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmpty
	}
	var digits strings.Builder
	plus := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/':
		default:
			return "", ErrCharacters
		}
	}
	d := digits.String()
	switch {
	case plus:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case country == "US" || country == "CA":
		d = strings.TrimPrefix(d, "1")
		if len(d) != 10 {
			return "", fmt.Errorf("%w (a North American number has 10 digits)", ErrLength)
		}
		d = "1" + d
	case strings.HasPrefix(d, "0") && trunkCountries[strings.ToUpper(country)] != "":
		d = trunkCountries[strings.ToUpper(country)] + d[1:]
	default:
		return "", ErrNoCountry
	}
	if len(d) < 8 || len(d) > 15 {
		return "", ErrLength
	}
	if d[0] == '0' {
		return "", ErrCountryCode
	}
	return "+" + d, nil
}

// Valid reports whether s is already in E.164 form.
func Valid(s string) bool {
	n, err := Parse(s, "")
	return err == nil && n == s
}
