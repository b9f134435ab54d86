// Package jsonl writes sink rows as JSON Lines: one object per row, keys
// in column order, values typed by the column's Kind.
package jsonl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crmsync/crmsync/sinks"
)

type sink struct {
	file   *sinks.AtomicFile
	w      *bufio.Writer
	cols   []sinks.Column
	keys   [][]byte // each column name encoded as a JSON string and a colon
	buf    []byte
	rows   int64
	closed bool
}

// Create opens a JSONL sink for path. Each value is converted with
// sinks.Convert: int and float become JSON numbers, bool a JSON boolean,
// list an array, dict the JSON object itself, timestamp an RFC 3339 string
// in UTC, str a string. A text that does not convert is written as null;
// the merge step counts those. Invalid UTF-8 in a string becomes U+FFFD.
// Nothing appears under path until Commit.
func Create(path string, cols []sinks.Column) (sinks.Sink, error) {
	if len(cols) == 0 {
		return nil, fmt.Errorf("jsonl sink %s: no columns to write", path)
	}
	f, err := sinks.CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	s := &sink{file: f, w: bufio.NewWriterSize(f, 64<<10), cols: cols}
	for _, c := range cols {
		key := appendString(nil, c.Name)
		s.keys = append(s.keys, append(key, ':'))
	}
	return s, nil
}

// Write appends one row as a JSON object on its own line.
func (s *sink) Write(row []sinks.Value) error {
	if s.closed {
		return fmt.Errorf("jsonl sink %s: write after commit or abort", s.file.Path())
	}
	if len(row) != len(s.cols) {
		return fmt.Errorf("jsonl sink %s: row %d has %d values, expected %d columns", s.file.Path(), s.rows+1, len(row), len(s.cols))
	}
	b := append(s.buf[:0], '{')
	for i, v := range row {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, s.keys[i]...)
		b = appendCell(b, s.cols[i], v)
	}
	b = append(b, '}', '\n')
	s.buf = b
	if _, err := s.w.Write(b); err != nil {
		return fmt.Errorf("jsonl sink %s: %w", s.file.Path(), err)
	}
	s.rows++
	return nil
}

func appendCell(b []byte, col sinks.Column, v sinks.Value) []byte {
	if v.Null {
		return append(b, "null"...)
	}
	value, err := sinks.Convert(col.Kind, col.Elem, v.Text)
	if err != nil {
		return append(b, "null"...)
	}
	return appendValue(b, col.Kind, col.Elem, value)
}

func appendValue(b []byte, kind, elem sinks.Kind, value any) []byte {
	switch x := value.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		if kind == sinks.JSON {
			return appendCompact(b, x)
		}
		return appendString(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		return appendFloat(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case time.Time:
		return appendString(b, x.Format(time.RFC3339Nano))
	case []any:
		b = append(b, '[')
		for i, item := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, elem, "", item)
		}
		return append(b, ']')
	}
	return append(b, "null"...)
}

// appendCompact writes JSON object text on one line, so a multi-line
// object cannot split a JSONL record.
func appendCompact(b []byte, text string) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, []byte(strings.ToValidUTF8(text, "\uFFFD"))); err != nil {
		return appendString(b, text)
	}
	return append(b, out.Bytes()...)
}

// appendFloat writes f the way encoding/json does: the shortest text that
// reads back as f, in exponent form only for very large or small values.
func appendFloat(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD, and
// U+2028 and U+2029 are escaped so that JavaScript readers accept the line.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// Commit flushes the rows and moves the file into place.
func (s *sink) Commit() error {
	if s.closed {
		return fmt.Errorf("jsonl sink %s: commit after commit or abort", s.file.Path())
	}
	s.closed = true
	if err := s.w.Flush(); err != nil {
		_ = s.file.Abort()
		return fmt.Errorf("jsonl sink %s: %w", s.file.Path(), err)
	}
	return s.file.Commit()
}

// Abort removes the temporary file. It does nothing after Commit.
func (s *sink) Abort() error {
	s.closed = true
	return s.file.Abort()
}

func (s *sink) Rows() int64 { return s.rows }
