// Package connectors defines the records that every source yields and the
// errors that point at a position in the input. Each file format and each
// CRM preset lives in a subpackage; connectors/source opens a file with the
// right reader.
package connectors

import (
	"errors"
	"fmt"
	"io"
)

// Field is one named value of a record. Text is the exact source text after
// decoding to UTF-8; Null marks a missing value (an empty CSV cell, a JSON
// null or an absent key), which is distinct from a text such as "NULL".
type Field struct {
	Name string
	Text string
	Null bool
}

// Record is one row of an export, with its fields in source order.
type Record struct {
	// Line is the 1-based physical line of the decoded input where the
	// record starts.
	Line int
	// Fields in source order. For CSV every record has one field per header
	// column; JSON records carry only the names they contain.
	Fields []Field
}

// Get returns the field called name.
func (r Record) Get(name string) (Field, bool) {
	for _, f := range r.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Source yields the records of one input. Next returns io.EOF after the last
// record. An error of type *ParseError with Recoverable set concerns one
// record only: the caller may count or reject it and call Next again. Any
// other error ends the source.
type Source interface {
	Next() (Record, error)
	Close() error
}

// ErrorKind classifies a data error, so the run summary can count rejects by
// kind and tests can assert on the class of a failure.
type ErrorKind string

const (
	KindInvalidUTF8     ErrorKind = "invalid_utf8"
	KindNULByte         ErrorKind = "nul_byte"
	KindQuote           ErrorKind = "quote"
	KindFieldCount      ErrorKind = "field_count"
	KindEmptyHeader     ErrorKind = "empty_header"
	KindDuplicateHeader ErrorKind = "duplicate_header"
	KindInvalidJSON     ErrorKind = "invalid_json"
	KindTruncated       ErrorKind = "truncated"
	KindRecordTooLarge  ErrorKind = "record_too_large"
	KindNotRecord       ErrorKind = "not_a_record"
	KindEncoding        ErrorKind = "encoding"
	KindIO              ErrorKind = "io"

	// KindDuplicateKey marks a JSON record in which two values have the same
	// flattened name.
	KindDuplicateKey ErrorKind = "duplicate_key"
	// KindPreset marks a record that the CRM preset's transform rejected.
	KindPreset ErrorKind = "preset"
	// KindType marks a value that does not convert to the type that
	// source.types declares for its column.
	KindType ErrorKind = "type"
)

// ParseError reports a problem at a position in an input file, in the manner
// of encoding/csv.ParseError.
type ParseError struct {
	File   string    // file name as given by the user
	Line   int       // 1-based physical line of the decoded input; 0 if unknown
	Column int       // 1-based field index for CSV, byte column for JSON; 0 if unknown
	Header string    // header name of Column, or the field name when Column is 0
	Kind   ErrorKind // class of the problem
	Err    error     // what is wrong, without the position
	// Raw is the text of the offending record when it could be recovered;
	// reject files store it.
	Raw string
	// Recoverable is true when only this record is bad and reading can go on.
	Recoverable bool
}

func (e *ParseError) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	s += ": "
	if e.Column > 0 {
		if e.Header != "" {
			s += fmt.Sprintf("column %d %q: ", e.Column, e.Header)
		} else {
			s += fmt.Sprintf("column %d: ", e.Column)
		}
	} else if e.Header != "" {
		s += fmt.Sprintf("field %q: ", e.Header)
	}
	return s + e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

// AsParseError returns err as a *ParseError when it is one.
func AsParseError(err error) (*ParseError, bool) {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe, true
	}
	return nil, false
}

// IsEOF reports whether err marks the normal end of a source.
func IsEOF(err error) bool { return errors.Is(err, io.EOF) }
