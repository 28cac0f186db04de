package validate

import (
	"strings"
	"unicode"
)

// siretProblem says why a SIRET is invalid, or "" when it is valid.
type siretProblem string

// Reasons a SIRET is invalid.
const (
	siretOK        siretProblem = ""
	siretNotDigits siretProblem = "not_digits"
	siretLength    siretProblem = "length"
	siretChecksum  siretProblem = "checksum"
)

// laPosteSIREN is the SIREN of La Poste, whose establishments' SIRETs are
// checked by their digit sum being a multiple of 5 instead of by Luhn (INSEE).
const laPosteSIREN = "356000000"

// normalizeSIRET drops the spaces, dots and dashes a SIRET is printed with.
func normalizeSIRET(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '.' || r == '-' {
			return -1
		}
		return r
	}, s)
}

// checkSIRET checks a SIRET as printed: 14 digits passing the Luhn check.
func checkSIRET(s string) siretProblem {
	s = normalizeSIRET(s)
	for _, r := range s {
		if r < '0' || r > '9' {
			return siretNotDigits
		}
	}
	if len(s) != 14 {
		return siretLength
	}
	if luhn(s) || (strings.HasPrefix(s, laPosteSIREN) && digitSum(s)%5 == 0) {
		return siretOK
	}
	return siretChecksum
}

// luhn reports whether a string of ASCII digits passes the Luhn check.
func luhn(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// digitSum adds the digits of a string of ASCII digits.
func digitSum(s string) int {
	sum := 0
	for i := range len(s) {
		sum += int(s[i] - '0')
	}
	return sum
}
