package pipelines

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// interpolate expands ${VAR}, ${VAR:-default} and ${VAR:?message} in the raw
// YAML text and turns $$ into a single $. A default or message ends at the
// first }. The value is inserted as written and not expanded again, so a
// value containing ": " or " #" changes the YAML unless the reference is
// inside quotes.
//
// Comments are copied unchanged, so a ${VAR} in a comment needs no
// variable. Comments are found with a line scanner that tracks quoted
// scalars and block scalars (| and >).
// NOTE: the scanner follows only part of YAML's rules. Inside a plain scalar, a
// quote after ", " or " - " is taken for the start of a quoted scalar, so
// comments up to the next quote character are expanded like text.
func interpolate(src []byte, file string, env func(string) (string, bool)) ([]byte, ConfigErrors) {
	s := &lineScanner{file: file, env: env, blockIndent: -1}
	var out bytes.Buffer
	out.Grow(len(src))
	lines := bytes.SplitAfter(src, []byte("\n"))
	for i, line := range lines {
		s.line = i + 1
		out.Write(s.scanLine(line))
	}
	return out.Bytes(), s.errs
}

type lineScanner struct {
	file string
	env  func(string) (string, bool)
	line int
	errs ConfigErrors

	inDouble, inSingle bool // inside a quoted scalar that may span lines
	// blockIndent is the indentation of the line that opened a block scalar;
	// deeper lines belong to the scalar. -1 outside a block scalar.
	blockIndent int
}

func (s *lineScanner) scanLine(line []byte) []byte {
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	blank := len(bytes.TrimSpace(line)) == 0

	if s.blockIndent >= 0 {
		if blank || indent > s.blockIndent {
			// Block scalar content: no comments, every byte is text.
			return s.expand(line, 0, len(line))
		}
		s.blockIndent = -1
	}

	var out bytes.Buffer
	start := 0 // start of the text not yet copied
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case s.inDouble:
			if c == '\\' {
				i++
			} else if c == '"' {
				s.inDouble = false
			}
		case s.inSingle:
			if c == '\'' {
				if i+1 < len(line) && line[i+1] == '\'' {
					i++
				} else {
					s.inSingle = false
				}
			}
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			out.Write(s.expand(line, start, i))
			out.Write(line[i:])
			return out.Bytes()
		case (c == '"' || c == '\'') && startsScalar(line, i):
			s.inDouble = c == '"'
			s.inSingle = c == '\''
		case (c == '|' || c == '>') && startsScalar(line, i) && opensBlock(line[i+1:]):
			s.blockIndent = indent
		}
	}
	out.Write(s.expand(line, start, len(line)))
	return out.Bytes()
}

// startsScalar reports whether the character at i is the first character of
// a scalar: at the start of the line, after "key: ", "- ", "? " or after a
// flow indicator.
func startsScalar(line []byte, i int) bool {
	j := i - 1
	for j >= 0 && (line[j] == ' ' || line[j] == '\t') {
		j--
	}
	if j < 0 {
		return true
	}
	switch line[j] {
	case '[', '{', ',':
		return true
	case ':', '-', '?':
		return j < i-1
	}
	return false
}

// opensBlock reports whether the text after | or > is a block scalar header:
// optional chomping and indentation indicators, then nothing or a comment.
func opensBlock(rest []byte) bool {
	rest = bytes.TrimLeft(rest, "+-0123456789")
	rest = bytes.TrimSpace(rest)
	return len(rest) == 0 || rest[0] == '#'
}

// expand returns line[from:to] with variable references replaced.
func (s *lineScanner) expand(line []byte, from, to int) []byte {
	text := line[from:to]
	if bytes.IndexByte(text, '$') < 0 {
		return text
	}
	var out bytes.Buffer
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '$' || i+1 >= len(text) {
			out.WriteByte(c)
			continue
		}
		switch text[i+1] {
		case '$':
			out.WriteByte('$')
			i++
		case '{':
			end := bytes.IndexByte(text[i+2:], '}')
			column := utf8.RuneCount(line[:from+i]) + 1
			if end < 0 {
				s.errorf(column, "unterminated ${ in %q; close it with } or write $$ for a literal dollar sign", strings.TrimSpace(string(text[i:])))
				out.Write(text[i:])
				return out.Bytes()
			}
			expr := string(text[i+2 : i+2+end])
			out.WriteString(s.resolve(expr, column))
			i += end + 2
		default:
			out.WriteByte(c)
		}
	}
	return out.Bytes()
}

// resolve returns the value of one ${...} expression, or records an error
// and returns the empty string.
func (s *lineScanner) resolve(expr string, column int) string {
	name := expr
	op, arg := "", ""
	if k := strings.IndexByte(expr, ':'); k >= 0 {
		name, op = expr[:k], expr[k:]
		if len(op) < 2 || (op[1] != '-' && op[1] != '?') {
			s.errorf(column, "invalid expression ${%s}; use ${%s}, ${%s:-default} or ${%s:?message}", expr, name, name, name)
			return ""
		}
		op, arg = op[:2], op[2:]
	}
	if !isEnvName(name) {
		s.errorf(column, "invalid variable name %q in ${%s}; a name has letters, digits and _ and does not start with a digit", name, expr)
		return ""
	}
	value, ok := s.env(name)
	switch op {
	case ":-":
		if !ok || value == "" {
			return arg
		}
	case ":?":
		if !ok || value == "" {
			msg := arg
			if msg == "" {
				msg = "required"
			}
			s.errorf(column, "environment variable %s is not set or empty: %s", name, msg)
			return ""
		}
	default:
		if !ok {
			s.errorf(column, "environment variable %s is not set; set it, or write ${%s:-default} to give a default", name, name)
			return ""
		}
	}
	return value
}

func (s *lineScanner) errorf(column int, format string, args ...any) {
	s.errs = append(s.errs, &ConfigError{File: s.file, Line: s.line, Column: column, Msg: fmt.Sprintf(format, args...)})
}

// isEnvName reports whether name is a portable environment variable name.
func isEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
