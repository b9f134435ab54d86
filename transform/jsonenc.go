package transform

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// jsonPlain marks the bytes that a JSON string literal contains unchanged:
// printable ASCII other than '"' and '\'. Every other byte is either escaped
// or starts a multi-byte UTF-8 sequence that needs a closer look.
var jsonPlain = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// AppendJSONString appends s to dst as a JSON string literal. Control
// characters, quotes and backslashes are escaped; U+2028 and U+2029 are
// escaped so the output is also valid JavaScript. Invalid UTF-8 is written
// as \ufffd escapes: the readers reject invalid input, so this only guards
// text that came from elsewhere.
func AppendJSONString(dst []byte, s string) []byte {
	return appendJSONString(dst, s)
}

// appendJSONString is AppendJSONString for text held as a string or as
// bytes, so template values built in a reused buffer need no string copy.
// Runs of plain bytes are copied in one append.
func appendJSONString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip eight plain bytes at a time; the byte loop below finds
		// which byte of a word needs attention.
		for i+8 <= len(s) && !needsAttention(loadWord(s, i)) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		b := s[i]
		if jsonPlain[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '"':
				dst = append(dst, '\\', '"')
			case '\\':
				dst = append(dst, '\\', '\\')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		// The conversion copies at most utf8.UTFMax bytes and, because the
		// string does not escape, stays on the stack.
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// loadWord returns the eight bytes of s from i as a little-endian word.
func loadWord[T string | []byte](s T, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// needsAttention reports whether any byte of w is not plain in a JSON
// string: below 0x20, '"', '\\' or 0x80 and above. A subtraction borrows
// from the next byte only at a byte that is not plain, so a borrow can set
// a wrong high bit only in a word that needs attention anyway.
func needsAttention(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	control := w - 0x20*ones       // borrows into the high bit of bytes below 0x20
	quote := (w ^ '"'*ones) - ones // high bit set for a byte equal to '"'
	backslash := (w ^ '\\'*ones) - ones
	return (control|quote|backslash|w)&highs != 0
}
