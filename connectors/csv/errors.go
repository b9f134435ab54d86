package csv

import (
	"bytes"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/crmsync/crmsync/connectors"
)

// readError turns an error from encoding/csv, or from the recorder below it,
// into a *connectors.ParseError. partial holds the fields read before the
// error, so the failing field is partial's length plus one.
func (r *Reader) readError(err error, partial []string, raw []byte) error {
	if errors.Is(err, errRecordTooLarge) {
		r.done = true
		return r.tooLarge(r.recordStart, 0)
	}

	var csvErr *stdcsv.ParseError
	if !errors.As(err, &csvErr) {
		r.done = true
		return &connectors.ParseError{File: r.file, Kind: connectors.KindIO, Err: err}
	}

	column := len(partial) + 1
	pe := &connectors.ParseError{
		File:        r.file,
		Line:        csvErr.Line + r.lineOffset,
		Column:      column,
		Header:      r.headerName(column),
		Kind:        connectors.KindQuote,
		Raw:         string(trimRaw(raw)),
		Recoverable: true,
	}
	switch {
	case errors.Is(csvErr.Err, stdcsv.ErrBareQuote):
		pe.Err = errors.New(`bare quote in an unquoted field; quote the whole field and double the inner quote ("")`)
	case errors.Is(csvErr.Err, stdcsv.ErrQuote) && r.rec.atEOF():
		// The quoted field ran to the end of the input, so every row after
		// its start was swallowed; rejecting one row would hide them all.
		pe.Line = csvErr.StartLine + r.lineOffset
		pe.Err = errors.New("quoted field is not closed before the end of the file; add the missing closing quote")
		pe.Recoverable = false
		r.done = true
	case errors.Is(csvErr.Err, stdcsv.ErrQuote):
		pe.Err = errors.New(`unescaped quote in quoted field; double the inner quote ("") or remove it`)
	default:
		pe.Kind = connectors.KindIO
		pe.Err = csvErr.Err
		pe.Recoverable = false
		r.done = true
	}
	return pe
}

// checkText rejects a NUL byte or invalid UTF-8 in any field. header is nil
// while the header itself is checked. raw is the record's text, which every
// field's bytes come from: a record is accepted after one pass over raw, and
// only a failing record is checked field by field to name the column.
func (r *Reader) checkText(fields []string, line int, raw []byte, header []string) error {
	if bytes.IndexByte(raw, 0) < 0 && utf8.Valid(raw) {
		return nil
	}
	for i, v := range fields {
		name := ""
		if i < len(header) {
			name = header[i]
		}
		if strings.IndexByte(v, 0) >= 0 {
			return &connectors.ParseError{
				File: r.file, Line: line, Column: i + 1, Header: name, Kind: connectors.KindNULByte,
				Err:         errors.New("NUL byte in field; the file may be UTF-16 without a byte-order mark (set source.encoding to utf-16le) or binary"),
				Raw:         string(raw),
				Recoverable: true,
			}
		}
		if !utf8.ValidString(v) {
			return &connectors.ParseError{
				File: r.file, Line: line, Column: i + 1, Header: name, Kind: connectors.KindInvalidUTF8,
				Err:         fmt.Errorf("invalid UTF-8 byte 0x%02X (the file may be in another encoding; set source.encoding, for example windows-1252)", firstInvalidByte(v)),
				Raw:         string(raw),
				Recoverable: true,
			}
		}
	}
	return nil
}

// tooLarge returns the fatal error for a record over the size limit. size is
// the record's size, or 0 when reading stopped before the record ended.
func (r *Reader) tooLarge(line int, size int64) error {
	subject := fmt.Sprintf("record of %d bytes", size)
	if size == 0 {
		subject = fmt.Sprintf("record of more than %d bytes", r.maxRecord)
	}
	return &connectors.ParseError{
		File: r.file, Line: line, Kind: connectors.KindRecordTooLarge,
		Err: fmt.Errorf("%s is larger than the maximum record size of %d bytes; raise source.max_record_size or check for an unclosed quote", subject, r.maxRecord),
	}
}

func (r *Reader) headerName(column int) string {
	if column >= 1 && column <= len(r.header) {
		return r.header[column-1]
	}
	return ""
}

// firstInvalidByte returns the first byte of s that does not start a valid
// UTF-8 sequence.
func firstInvalidByte(s string) byte {
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size <= 1 {
			return s[i]
		}
		i += size
	}
	return 0
}
