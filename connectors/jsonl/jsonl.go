// Package jsonl reads JSON Lines (also called NDJSON): one JSON object per
// line. Lines may end in LF or CRLF; blank lines are skipped and counted.
// A line may be of any length up to Options.MaxRecordBytes, so a long line is
// never cut the way bufio.Scanner's 64 KiB default would cut it.
//
// Records are flattened by connectors/json.Flatten, with the same naming and
// value rules as JSON documents. An invalid line is a recoverable error. A
// last line that ends inside a value is a fatal error, because it means the
// file was cut off.
package jsonl

import (
	"bufio"
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/json"
)

// DefaultMaxRecordBytes is the line size limit used when
// Options.MaxRecordBytes is 0.
const DefaultMaxRecordBytes = 64 << 20

// Options configures a Reader.
type Options struct {
	// FlattenArrays is json.ArraysIndex (the default when "") or
	// json.ArraysJSON.
	FlattenArrays json.ArrayMode
	// MaxRecordBytes limits the size of one line in bytes, line break
	// excluded. 0 means DefaultMaxRecordBytes.
	MaxRecordBytes int64
}

// Reader yields one record per non-blank line.
type Reader struct {
	file      string
	br        *bufio.Reader
	mode      json.ArrayMode
	maxRecord int64

	buf        []byte
	line       int
	blankLines int
	done       bool
	err        error // a fatal error, returned again by every later Next
}

// NewReader returns a Reader of r, which must yield UTF-8 text (see
// connectors/textenc). file names the input in errors.
func NewReader(r io.Reader, file string, opts Options) (*Reader, error) {
	mode, err := json.ParseArrayMode(string(opts.FlattenArrays))
	if err != nil {
		return nil, err
	}
	maxRecord := opts.MaxRecordBytes
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecordBytes
	}
	return &Reader{
		file:      file,
		br:        bufio.NewReaderSize(r, 64<<10),
		mode:      mode,
		maxRecord: maxRecord,
	}, nil
}

// BlankLines returns the number of blank lines skipped so far.
func (r *Reader) BlankLines() int { return r.blankLines }

// Close releases nothing; the caller closes the underlying file.
func (r *Reader) Close() error { return nil }

// Next returns the record of the next non-blank line, io.EOF after the last
// one, or an error. A *connectors.ParseError with Recoverable set concerns
// that line only.
func (r *Reader) Next() (connectors.Record, error) {
	if r.err != nil {
		return connectors.Record{}, r.err
	}
	for !r.done {
		text, ended, err := r.readLine()
		if err != nil {
			r.err = err
			return connectors.Record{}, err
		}
		if text == nil {
			r.done = true
			break
		}
		if len(bytes.TrimSpace(text)) == 0 {
			r.blankLines++
			continue
		}
		return r.parse(text, ended)
	}
	return connectors.Record{}, io.EOF
}

// parse turns one non-blank line into a record. ended reports whether the
// line ended with a line break.
func (r *Reader) parse(text []byte, ended bool) (connectors.Record, error) {
	if !stdjson.Valid(text) {
		return connectors.Record{}, r.syntaxError(text, ended)
	}
	fields, err := json.Flatten(text, r.mode, nil)
	if err != nil {
		kind := connectors.KindInvalidJSON
		var fe *json.FlattenError
		if errors.As(err, &fe) {
			kind = fe.Kind
		}
		return connectors.Record{}, &connectors.ParseError{
			File: r.file, Line: r.line, Kind: kind, Err: err,
			Raw: string(text), Recoverable: true,
		}
	}
	return connectors.Record{Line: r.line, Fields: fields}, nil
}

// syntaxError describes an invalid line. A last line that stops inside a
// value is a fatal truncation; anything else concerns this line only.
func (r *Reader) syntaxError(text []byte, ended bool) error {
	var value stdjson.RawMessage
	err := stdjson.Unmarshal(text, &value)
	var syntax *stdjson.SyntaxError
	if !errors.As(err, &syntax) {
		err = errors.New("invalid JSON")
	}

	truncated := syntax != nil && syntax.Offset >= int64(len(text)) && strings.Contains(syntax.Error(), "unexpected end")
	if truncated && r.atEnd(ended) {
		r.err = &connectors.ParseError{File: r.file, Line: r.line, Kind: connectors.KindTruncated, Err: json.ErrTruncated, Raw: string(text)}
		return r.err
	}

	pe := &connectors.ParseError{
		File: r.file, Line: r.line, Kind: connectors.KindInvalidJSON,
		Err: fmt.Errorf("invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: ")),
		Raw: string(text), Recoverable: true,
	}
	if syntax != nil && syntax.Offset > 0 && syntax.Offset <= int64(len(text)) {
		pe.Column = int(syntax.Offset)
	}
	return pe
}

// atEnd reports whether the line just read is the last one in the input.
func (r *Reader) atEnd(ended bool) bool {
	if !ended {
		return true
	}
	_, err := r.br.Peek(1)
	return err != nil
}

// readLine returns the next line without its line break, and whether a line
// break ended it. It returns a nil line at the end of the input. A line over
// the size limit is read to its end, to report its size, and returned as a
// fatal error.
func (r *Reader) readLine() ([]byte, bool, error) {
	r.buf = r.buf[:0]
	var size int64
	for {
		chunk, err := r.br.ReadSlice('\n')
		size += int64(len(chunk))
		if size <= r.maxRecord+2 {
			r.buf = append(r.buf, chunk...)
		}
		switch {
		case err == nil:
			r.line++
			return r.checkSize(trimLineBreak(r.buf), size-lineBreakLen(chunk), true)
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if size == 0 {
				return nil, false, nil
			}
			r.line++
			return r.checkSize(r.buf, size, false)
		default:
			return nil, false, &connectors.ParseError{File: r.file, Line: r.line + 1, Kind: connectors.KindIO, Err: err}
		}
	}
}

func (r *Reader) checkSize(text []byte, size int64, ended bool) ([]byte, bool, error) {
	if size > r.maxRecord {
		return nil, false, &connectors.ParseError{
			File: r.file, Line: r.line, Kind: connectors.KindRecordTooLarge,
			Err: fmt.Errorf("line of %d bytes is larger than the maximum record size of %d bytes; raise source.max_record_size", size, r.maxRecord),
		}
	}
	return text, ended, nil
}

func trimLineBreak(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

func lineBreakLen(chunk []byte) int64 {
	if bytes.HasSuffix(chunk, []byte("\r\n")) {
		return 2
	}
	return 1
}
