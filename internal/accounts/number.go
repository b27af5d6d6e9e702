package accounts

import (
	"fmt"
	"io"
)

// AccountNumberLen is the number of digits of an account number: seven
// random digits and a Luhn check digit, so a mistyped digit or two swapped
// neighbours are caught before any lookup.
const AccountNumberLen = 8

// newAccountNumber draws an account number from r. The first digit is never
// zero so the number keeps its length wherever it is treated as an integer.
func newAccountNumber(r io.Reader) (string, error) {
	var buf [AccountNumberLen - 1]byte
	digits := make([]byte, 0, AccountNumberLen)
	for len(digits) < AccountNumberLen-1 {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", fmt.Errorf("accounts: account number: %w", err)
		}
		for _, b := range buf {
			if b >= 250 { // keep the digits uniform: 250 is a multiple of 10
				continue
			}
			d := b % 10
			if len(digits) == 0 && d == 0 {
				continue
			}
			digits = append(digits, '0'+d)
			if len(digits) == AccountNumberLen-1 {
				break
			}
		}
	}
	return string(append(digits, luhnDigit(digits))), nil
}

// luhnDigit returns the Luhn check digit for the decimal digits in s.
func luhnDigit(s []byte) byte {
	sum := 0
	double := true // the rightmost payload digit is doubled
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

// ValidAccountNumber reports whether s has the form of an account number:
// eight digits, not starting with zero, with a correct check digit.
func ValidAccountNumber(s string) bool {
	if len(s) != AccountNumberLen || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return luhnDigit([]byte(s[:len(s)-1])) == s[len(s)-1]
}
