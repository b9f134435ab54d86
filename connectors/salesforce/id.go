package salesforce

import "fmt"

// suffixAlphabet maps a 5-bit case pattern to one suffix character of an
// 18-character id.
const suffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// To18 returns the 18-character case-safe form of a Salesforce record id.
//
// A 15-character id is case-sensitive. The three suffix characters record its
// capitalisation: for each 5-character block, bit i of a 5-bit number is set
// when character i of the block is an uppercase A-Z, and the number indexes
// "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345". An 18-character id is returned unchanged
// when its suffix matches its first 15 characters. Anything else is an error.
func To18(id string) (string, error) {
	switch len(id) {
	case 15, 18:
	default:
		return "", fmt.Errorf("invalid Salesforce id %q: has %d characters, want 15 or 18", id, len(id))
	}
	for i := 0; i < len(id); i++ {
		if !isAlphanumeric(id[i]) {
			return "", fmt.Errorf("invalid Salesforce id %q: byte %d is not an ASCII letter or digit", id, i+1)
		}
	}

	suffix := checksum(id[:15])
	if len(id) == 18 && id[15:] != suffix {
		return "", fmt.Errorf("invalid Salesforce id %q: suffix %q does not match the first 15 characters (want %q); the id may have been re-cased", id, id[15:], suffix)
	}
	return id[:15] + suffix, nil
}

// checksum computes the 3-character suffix of a 15-character id.
func checksum(id15 string) string {
	var suffix [3]byte
	for block := 0; block < 3; block++ {
		bits := 0
		for i := 0; i < 5; i++ {
			c := id15[block*5+i]
			if c >= 'A' && c <= 'Z' {
				bits |= 1 << i
			}
		}
		suffix[block] = suffixAlphabet[bits]
	}
	return string(suffix[:])
}

// looksLikeID15 reports whether s has the shape of a 15-character id: exactly
// 15 ASCII letters and digits.
func looksLikeID15(s string) bool {
	if len(s) != 15 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlphanumeric(s[i]) {
			return false
		}
	}
	return true
}

func isAlphanumeric(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
