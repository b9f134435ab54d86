package csv

import "regexp"

var (
	// numberText is a plain decimal number with an optional sign and
	// exponent, such as "-12.5" or "+3e4".
	numberText = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
	// phoneText is an international phone number such as "+1 555 0100" or
	// "+44 (20) 7946-0000": a '+', then digits, spaces, dots, hyphens and
	// parentheses. phoneDigits requires at least 7 digits, so a short sum
	// such as "+1-2" is still guarded.
	phoneText   = regexp.MustCompile(`^\+[0-9][0-9 ().\-]*[0-9]$`)
	phoneDigits = 7
)

// NeedsFormulaGuard reports whether a spreadsheet could run text as a
// formula: it starts with '=', '@', a tab or a carriage return, or with '+'
// or '-' when it is neither a number nor (for '+') a phone number.
func NeedsFormulaGuard(text string) bool {
	if text == "" {
		return false
	}
	switch text[0] {
	case '=', '@', '\t', '\r':
		return true
	case '+':
		return !numberText.MatchString(text) && !isPhone(text)
	case '-':
		return !numberText.MatchString(text)
	}
	return false
}

func isPhone(text string) bool {
	if !phoneText.MatchString(text) {
		return false
	}
	digits := 0
	for i := 0; i < len(text); i++ {
		if text[i] >= '0' && text[i] <= '9' {
			digits++
		}
	}
	return digits >= phoneDigits
}
