package source

import (
	"bufio"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/crmsync/crmsync/connectors"
)

// WriteJSONLines writes each record of src to w as one JSON object per line:
// keys in record order, values as JSON strings holding the exact text, or
// null. Non-ASCII text is written as is, not as \u escapes. It stops at the
// first error of src (io.EOF ends it without error) and returns the number
// of records written. A name or value that is not valid UTF-8 is an error,
// because encoding/json would silently replace it with U+FFFD.
func WriteJSONLines(w io.Writer, src connectors.Source) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	buf := make([]byte, 0, 4096)
	n := 0
	for {
		rec, err := src.Next()
		if err != nil {
			flushErr := bw.Flush()
			if connectors.IsEOF(err) {
				return n, flushErr
			}
			return n, err
		}

		for _, f := range rec.Fields {
			if !utf8.ValidString(f.Name) || (!f.Null && !utf8.ValidString(f.Text)) {
				bw.Flush()
				return n, fmt.Errorf("record at line %d: field %q is not valid UTF-8", rec.Line, f.Name)
			}
		}
		buf = appendRecordJSON(buf[:0], rec)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return n, err
		}
		n++
	}
}

// appendRecordJSON appends rec as one JSON object: keys in record order,
// values as JSON strings holding the exact text, or null.
func appendRecordJSON(buf []byte, rec connectors.Record) []byte {
	buf = append(buf, '{')
	for i, f := range rec.Fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, f.Name)
		buf = append(buf, ':')
		if f.Null {
			buf = append(buf, "null"...)
		} else {
			buf = appendString(buf, f.Text)
		}
	}
	return append(buf, '}')
}

// appendString appends s as a JSON string. It escapes the quote, the
// backslash, control characters, and U+2028 and U+2029, which some
// JavaScript parsers treat as line breaks; everything else is kept.
func appendString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == '\u2028' || r == '\u2029' {
				buf = append(buf, s[start:i]...)
				buf = append(buf, `\u202`...)
				buf = append(buf, hex[r&0xF])
				start = i + size
			}
			i += size
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, `\u00`...)
			buf = append(buf, hex[c>>4], hex[c&0xF])
		}
		i++
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
