package sinks

// maxJSONDepth is the deepest nesting of arrays and objects that validJSON
// accepts: encoding/json's scanner (Go 1.26) rejects values nested more than
// 10000 levels deep, and validJSON returns the same result as json.Valid.
const maxJSONDepth = 10000

// validJSON reports whether text is one JSON value with optional white
// space around it, exactly as json.Valid does, without json.Valid's
// per-byte state machine calls. Like json.Valid, it does not check that
// strings are valid UTF-8.
func validJSON(text string) bool {
	v := jsonValidator{text: text}
	v.skipSpace()
	if !v.value() {
		return false
	}
	v.skipSpace()
	return v.pos == len(text)
}

type jsonValidator struct {
	text string
	pos  int
	// stack holds '[' or '{' per open container, innermost last.
	stack []byte
}

func (v *jsonValidator) skipSpace() {
	for v.pos < len(v.text) {
		switch v.text[v.pos] {
		case ' ', '\t', '\r', '\n':
			v.pos++
		default:
			return
		}
	}
}

// value consumes one JSON value, iterating over containers instead of
// recursing, so deep nesting costs no stack.
func (v *jsonValidator) value() bool {
	for {
		// A value is expected at v.pos.
		if v.pos >= len(v.text) {
			return false
		}
		switch c := v.text[v.pos]; {
		case c == '{' || c == '[':
			if len(v.stack) >= maxJSONDepth {
				return false
			}
			v.stack = append(v.stack, c)
			v.pos++
			v.skipSpace()
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			if v.pos < len(v.text) && v.text[v.pos] == closer {
				v.pos++
				v.stack = v.stack[:len(v.stack)-1]
				break
			}
			if c == '{' && !v.memberName() {
				return false
			}
			continue
		case c == '"':
			if !v.str() {
				return false
			}
		case c == '-' || (c >= '0' && c <= '9'):
			if !v.number() {
				return false
			}
		default:
			if !v.literal() {
				return false
			}
		}

		// A value ended: close containers or move to the next element.
		for {
			if len(v.stack) == 0 {
				return true
			}
			v.skipSpace()
			if v.pos >= len(v.text) {
				return false
			}
			top := v.stack[len(v.stack)-1]
			c := v.text[v.pos]
			if c == ',' {
				v.pos++
				v.skipSpace()
				if top == '{' && !v.memberName() {
					return false
				}
				break
			}
			if (top == '[' && c == ']') || (top == '{' && c == '}') {
				v.pos++
				v.stack = v.stack[:len(v.stack)-1]
				continue
			}
			return false
		}
	}
}

// memberName consumes an object member's name and colon, and the white
// space before its value.
func (v *jsonValidator) memberName() bool {
	if v.pos >= len(v.text) || v.text[v.pos] != '"' || !v.str() {
		return false
	}
	v.skipSpace()
	if v.pos >= len(v.text) || v.text[v.pos] != ':' {
		return false
	}
	v.pos++
	v.skipSpace()
	return true
}

// str consumes a string whose opening quote is at v.pos.
func (v *jsonValidator) str() bool {
	v.pos++
	for v.pos < len(v.text) {
		c := v.text[v.pos]
		switch {
		case c == '"':
			v.pos++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			v.pos++
			if v.pos >= len(v.text) {
				return false
			}
			switch v.text[v.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				v.pos++
			case 'u':
				if v.pos+5 > len(v.text) {
					return false
				}
				for _, h := range []byte(v.text[v.pos+1 : v.pos+5]) {
					if !isHex(h) {
						return false
					}
				}
				v.pos += 5
			default:
				return false
			}
		default:
			v.pos++
		}
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// number consumes a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (v *jsonValidator) number() bool {
	end := v.pos
	if v.text[end] == '-' {
		end++
	}
	switch {
	case end < len(v.text) && v.text[end] == '0':
		end++
	case end < len(v.text) && v.text[end] >= '1' && v.text[end] <= '9':
		end = skipDigits(v.text, end)
	default:
		return false
	}
	if end < len(v.text) && v.text[end] == '.' {
		start := end + 1
		if end = skipDigits(v.text, start); end == start {
			return false
		}
	}
	if end < len(v.text) && (v.text[end] == 'e' || v.text[end] == 'E') {
		end++
		if end < len(v.text) && (v.text[end] == '+' || v.text[end] == '-') {
			end++
		}
		start := end
		if end = skipDigits(v.text, start); end == start {
			return false
		}
	}
	v.pos = end
	return true
}

// literal consumes true, false or null.
func (v *jsonValidator) literal() bool {
	for _, word := range [...]string{"true", "false", "null"} {
		if len(v.text)-v.pos >= len(word) && v.text[v.pos:v.pos+len(word)] == word {
			v.pos += len(word)
			return true
		}
	}
	return false
}
