package synth

import (
	"errors"
	"fmt"
)

// ErrResidentIDPrefix reports a prefix that ResidentIDCheckDigit cannot use.
var ErrResidentIDPrefix = errors.New("synth: resident ID prefix must be 17 ASCII digits")

// idWeights are the ISO 7064 MOD 11-2 weights 2^(17-i) mod 11.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

// ResidentIDCheckDigit returns the check character ('0'-'9' or 'X') of an
// 18-character resident ID number (GB 11643-1999, ISO 7064 MOD 11-2) whose
// first 17 digits are prefix.
func ResidentIDCheckDigit(prefix string) (byte, error) {
	if len(prefix) != 17 {
		return 0, fmt.Errorf("%w: got %d bytes", ErrResidentIDPrefix, len(prefix))
	}
	for i := range 17 {
		if prefix[i] < '0' || prefix[i] > '9' {
			return 0, fmt.Errorf("%w: byte %d is not a digit", ErrResidentIDPrefix, i)
		}
	}
	return checkDigit(prefix), nil
}

// checkDigit computes the check character of 17 digits, unchecked.
func checkDigit[S string | []byte](prefix S) byte {
	sum := 0
	for i := range 17 {
		sum += int(prefix[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// ValidResidentID reports whether id is a well-formed 18-character resident
// ID number: 17 ASCII digits then a digit or upper-case 'X', a birth date
// (bytes 7-14, YYYYMMDD) that exists in the Gregorian calendar with a year
// from 1800 to 2999, and a correct MOD 11-2 check character. It does not
// check the region code against a registry nor the date against the clock.
func ValidResidentID(id string) bool {
	if len(id) != 18 {
		return false
	}
	for i := range 17 {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	y := atoi(id[6:10])
	m := atoi(id[10:12])
	d := atoi(id[12:14])
	if y < 1800 || y > 2999 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return false
	}
	return id[17] == checkDigit(id)
}

// atoi parses a string of ASCII digits already known to be digits.
func atoi(s string) int {
	n := 0
	for i := range len(s) {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
