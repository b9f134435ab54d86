// Package json reads JSON documents whose records are an array of objects:
// either the top-level value, or an array inside an object reached by an
// RFC 6901 JSON Pointer (records_path), as in API responses such as
// {"results": [...], "paging": {...}}.
//
// The document is streamed with encoding/json.Decoder: only one record is
// held in memory at a time, whatever the size of the array. Values outside
// the records array that are not inside another array are kept as the
// envelope (see Reader.Envelope), for instance a pagination cursor.
//
// Each record is flattened by Flatten, which connectors/jsonl shares.
package json

import (
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

// DefaultMaxRecordBytes is the record size limit used when
// Options.MaxRecordBytes is 0.
const DefaultMaxRecordBytes = 64 << 20

// ErrTruncated is the error of a document or line that ends inside a value.
var ErrTruncated = errors.New("unexpected end of JSON input (file looks truncated)")

const (
	// maxDepth bounds the nesting the reader walks outside the records, as
	// encoding/json bounds it inside a value.
	maxDepth = 10000
	// maxEnvelopeValues bounds the number of values Envelope keeps.
	maxEnvelopeValues = 1000
	// maxCandidates bounds the array pointers listed when records_path is
	// missing.
	maxCandidates = 10
)

// Options configures a Reader.
type Options struct {
	// RecordsPath is the JSON Pointer of the records array; "" means the
	// document itself is the array.
	RecordsPath string
	// FlattenArrays is ArraysIndex (the default when "") or ArraysJSON.
	FlattenArrays ArrayMode
	// MaxRecordBytes limits the size of one record in bytes. 0 means
	// DefaultMaxRecordBytes.
	MaxRecordBytes int64
}

// Reader yields the objects of one JSON records array.
type Reader struct {
	file      string
	dec       *stdjson.Decoder
	lines     *lineCounter
	mode      ArrayMode
	maxRecord int64
	pointer   string

	// levels are the containers around the records array, outermost first.
	levels     []level
	envelope   map[string]string
	candidates []string

	raw     stdjson.RawMessage
	records int
	done    bool
	err     error // a fatal error, returned again by every later Next
}

type level struct {
	object bool
	path   string // JSON Pointer of the container
}

// NewReader reads r, which must yield UTF-8 text (see connectors/textenc), up
// to the first record of the records array. file names the input in errors.
// A records_path that does not lead to an array is reported here.
func NewReader(r io.Reader, file string, opts Options) (*Reader, error) {
	mode, err := ParseArrayMode(string(opts.FlattenArrays))
	if err != nil {
		return nil, err
	}
	segments, err := ParsePointer(opts.RecordsPath)
	if err != nil {
		return nil, err
	}
	maxRecord := opts.MaxRecordBytes
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecordBytes
	}

	lines := newLineCounter(r, maxRecord+readSlack)
	dec := stdjson.NewDecoder(lines)
	dec.UseNumber()

	rd := &Reader{
		file:      file,
		dec:       dec,
		lines:     lines,
		mode:      mode,
		maxRecord: maxRecord,
		pointer:   opts.RecordsPath,
		envelope:  map[string]string{},
	}
	if err := rd.descend(segments); err != nil {
		return nil, err
	}
	return rd, nil
}

// Envelope returns the scalar values of the document outside the records
// array and outside any other array, keyed by JSON Pointer, for instance
// "/paging/next/after". Strings are unescaped, numbers and booleans are their
// literal text, nulls are left out. Values after the records array are
// present only once Next has returned io.EOF. At most 1000 values are kept.
func (r *Reader) Envelope() map[string]string { return r.envelope }

// Close releases nothing; the caller closes the underlying file.
func (r *Reader) Close() error { return nil }

// Next returns the next record, io.EOF after the last one, or an error. A
// *connectors.ParseError with Recoverable set concerns one array element
// only: an element that is not an object, invalid UTF-8 in a string, or a
// duplicate key. Syntax errors and truncation are fatal.
func (r *Reader) Next() (connectors.Record, error) {
	if r.err != nil {
		return connectors.Record{}, r.err
	}
	if r.done {
		return connectors.Record{}, io.EOF
	}

	if !r.dec.More() {
		if err := r.finish(); err != nil {
			r.err = err
			return connectors.Record{}, err
		}
		r.done = true
		return connectors.Record{}, io.EOF
	}

	before := r.dec.InputOffset()
	r.lines.boundary = before
	if err := r.dec.Decode(&r.raw); err != nil {
		r.err = r.decodeError(err, before)
		return connectors.Record{}, r.err
	}
	end := r.dec.InputOffset()
	r.lines.boundary = end
	line := r.lines.lineAt(end - int64(len(r.raw)))
	r.records++

	if int64(len(r.raw)) > r.maxRecord {
		r.err = r.tooLarge(line, int64(len(r.raw)))
		return connectors.Record{}, r.err
	}

	fields, err := Flatten(r.raw, r.mode, nil)
	if err != nil {
		kind := connectors.KindInvalidJSON
		var fe *FlattenError
		if errors.As(err, &fe) {
			kind = fe.Kind
		}
		return connectors.Record{}, &connectors.ParseError{
			File: r.file, Line: line, Kind: kind, Err: err,
			Raw: string(r.raw), Recoverable: true,
		}
	}
	return connectors.Record{Line: line, Fields: fields}, nil
}

// token reads the next token outside the records and moves the size-limit
// boundary past it.
func (r *Reader) token() (stdjson.Token, error) {
	tok, err := r.dec.Token()
	r.lines.boundary = r.dec.InputOffset()
	if err != nil {
		return nil, r.decodeError(err, r.dec.InputOffset())
	}
	return tok, nil
}

// decodeError converts an error of encoding/json into a fatal ParseError.
// before is the input offset where the failed read started.
func (r *Reader) decodeError(err error, before int64) error {
	var syntax *stdjson.SyntaxError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &connectors.ParseError{File: r.file, Line: r.lines.lastLine(), Kind: connectors.KindTruncated, Err: ErrTruncated}
	case errors.Is(err, errRecordTooLarge):
		return r.tooLarge(r.lines.lineAt(before), 0)
	case errors.As(err, &syntax):
		// Decoder.Decode reports offsets from the start of the value it
		// read, Decoder.Token mostly from the start of the input.
		// NOTE: the line can be one early when the bad byte directly
		// follows a line break.
		offset := syntax.Offset
		if offset < before {
			offset += before
		}
		return &connectors.ParseError{
			File: r.file, Line: r.lines.lineAt(offset), Kind: connectors.KindInvalidJSON,
			Err: fmt.Errorf("invalid JSON: %s", strings.TrimPrefix(syntax.Error(), "json: ")),
		}
	}
	return &connectors.ParseError{File: r.file, Kind: connectors.KindIO, Err: err}
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
		Err: fmt.Errorf("%s is larger than the maximum record size of %d bytes; raise source.max_record_size", subject, r.maxRecord),
	}
}

// describeToken names the kind of a JSON token for error messages.
func describeToken(tok stdjson.Token) string {
	switch t := tok.(type) {
	case stdjson.Delim:
		if t == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case stdjson.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

func arrayIndex(segment string) (int, bool) {
	if segment == "" || (len(segment) > 1 && segment[0] == '0') {
		return 0, false
	}
	n, err := strconv.Atoi(segment)
	return n, err == nil && n >= 0
}
