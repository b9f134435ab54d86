// Package csv reads delimited text exports (CSV, TSV, semicolon files) into
// connectors.Record values. It is built on encoding/csv with strict quoting
// and adds what CRM exports need:
//
//   - The first line is the header. Header names must be non-empty and
//     unique; a header problem is fatal.
//   - The delimiter is declared or detected from the header line by counting
//     ',', ';', tab and '|' outside quotes. An Excel "sep=X" first line is
//     honoured and skipped; line numbers stay physical.
//   - Every value is the exact text of the cell. An empty cell is null:
//     encoding/csv returns "" both for an empty cell and for a quoted empty
//     cell (""), so the two cannot be distinguished.
//   - Inside a quoted value a CRLF line break becomes LF, because
//     encoding/csv normalises it. A lone LF is kept.
//   - Row problems are recoverable *connectors.ParseError values: a stray
//     quote, a row whose field count differs from the header (this includes
//     footer lines such as a report's totals), a NUL byte, invalid UTF-8.
//     The next call to Next continues with the following row.
//   - A record larger than Options.MaxRecordBytes is a fatal error, so an
//     unclosed quote cannot make the reader buffer the rest of a large file.
//
// Empty lines between records are skipped and counted (BlankLines).
package csv

import (
	"bufio"
	"bytes"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

// DefaultMaxRecordBytes is the record size limit used when
// Options.MaxRecordBytes is 0.
const DefaultMaxRecordBytes = 64 << 20

// Options configures a Reader. The zero value detects the delimiter and uses
// DefaultMaxRecordBytes.
type Options struct {
	// Delimiter is "," ";" "|" "tab" (or "\t"), any other single character,
	// or "" to detect it from the header line.
	Delimiter string
	// MaxRecordBytes limits the decoded size of one record, line breaks
	// included. 0 means DefaultMaxRecordBytes.
	MaxRecordBytes int64
	// ReuseFields makes Next return every record in the same Fields slice,
	// overwritten by the following call, to save an allocation per record.
	// Set it only when the caller copies what it keeps before it calls
	// Next again. The field texts are never reused.
	ReuseFields bool
}

// Reader yields the records of one delimited text file.
type Reader struct {
	file       string
	csv        *stdcsv.Reader
	rec        *recorder
	header     []string
	delimiter  rune
	maxRecord  int64
	lineOffset int // 1 when a "sep=" line was skipped before the CSV data

	linesConsumed int // physical lines consumed so far, the "sep=" line included
	recordStart   int // physical line where the last record read starts
	blankLines    int
	done          bool
	err           error // a fatal error, returned again by every later Next

	fieldSlab   []connectors.Field // unused fields that newFields hands out
	reuseFields bool
	reused      []connectors.Field // the fields of every record with reuseFields
}

// NewReader reads the header from r, which must yield UTF-8 text (see
// connectors/textenc), and returns a Reader positioned at the first record.
// file names the input in errors. Header problems are returned here as
// fatal *connectors.ParseError values.
func NewReader(r io.Reader, file string, opts Options) (*Reader, error) {
	maxRecord := opts.MaxRecordBytes
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecordBytes
	}

	declared, err := ParseDelimiter(opts.Delimiter)
	if err != nil {
		return nil, err
	}

	br := bufio.NewReaderSize(r, peekSize)
	sepDelimiter, sepLine, err := readSepLine(br)
	if err != nil {
		return nil, &connectors.ParseError{File: file, Kind: connectors.KindIO, Err: err}
	}

	delimiter := declared
	if delimiter == 0 {
		delimiter = sepDelimiter
	}
	if delimiter == 0 {
		head, err := peekHeaderLine(br)
		if err != nil {
			return nil, &connectors.ParseError{File: file, Kind: connectors.KindIO, Err: err}
		}
		delimiter = DetectDelimiter(head)
	}

	rec := &recorder{r: br, limit: maxRecord + recorderSlack}
	cr := stdcsv.NewReader(rec)
	cr.Comma = delimiter
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	rd := &Reader{
		file:        file,
		csv:         cr,
		rec:         rec,
		delimiter:   delimiter,
		maxRecord:   maxRecord,
		reuseFields: opts.ReuseFields,
	}
	if sepLine {
		rd.lineOffset = 1
		rd.linesConsumed = 1
	}
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

// Header returns the column names in file order.
func (r *Reader) Header() []string { return r.header }

// Delimiter returns the delimiter in use, declared or detected.
func (r *Reader) Delimiter() rune { return r.delimiter }

// BlankLines returns the number of empty lines skipped so far.
func (r *Reader) BlankLines() int { return r.blankLines }

// Close releases nothing; the caller closes the underlying file.
func (r *Reader) Close() error { return nil }

// Next returns the next record, io.EOF after the last one, or an error. A
// *connectors.ParseError with Recoverable set concerns one row only.
func (r *Reader) Next() (connectors.Record, error) {
	if r.err != nil {
		return connectors.Record{}, r.err
	}
	if r.done {
		return connectors.Record{}, io.EOF
	}

	rec, err := r.next()
	if err == nil {
		return rec, nil
	}
	if pe, ok := connectors.AsParseError(err); !ok || !pe.Recoverable {
		r.err = err
	}
	return rec, err
}

func (r *Reader) next() (connectors.Record, error) {

	fields, readErr := r.csv.Read()
	raw := r.rec.take(r.csv.InputOffset())
	before := r.linesConsumed
	leading := r.consumeLines(raw)
	r.recordStart = before + leading + 1

	if readErr != nil {
		if errors.Is(readErr, io.EOF) {
			r.blankLines += leading
			r.done = true
			return connectors.Record{}, io.EOF
		}
		return connectors.Record{}, r.readError(readErr, fields, raw)
	}

	line, _ := r.csv.FieldPos(0)
	line += r.lineOffset
	r.blankLines += leading
	rawRecord := trimRaw(raw)

	if int64(len(rawRecord)) > r.maxRecord {
		r.done = true
		return connectors.Record{}, r.tooLarge(line, int64(len(rawRecord)))
	}
	if err := r.checkText(fields, line, rawRecord, r.header); err != nil {
		return connectors.Record{}, err
	}
	if len(fields) != len(r.header) {
		return connectors.Record{}, &connectors.ParseError{
			File: r.file, Line: line, Kind: connectors.KindFieldCount,
			Err:         fmt.Errorf("record has %d fields, header has %d; fix the row or set source.on_error to reject", len(fields), len(r.header)),
			Raw:         string(rawRecord),
			Recoverable: true,
		}
	}

	out := r.newFields(len(fields))
	for i, v := range fields {
		out[i] = connectors.Field{Name: r.header[i], Text: v, Null: v == ""}
	}
	return connectors.Record{Line: line, Fields: out}, nil
}

// fieldSlabRecords is how many records' fields newFields allocates at once.
const fieldSlabRecords = 32

// newFields returns a slice of n fields for one record, cut from a larger
// allocation so that most records cost no allocation of their own. Each
// slice has its own capacity, so appending to it cannot reach a neighbour.
// With Options.ReuseFields it returns the same slice every time instead.
func (r *Reader) newFields(n int) []connectors.Field {
	if r.reuseFields {
		if n > cap(r.reused) {
			r.reused = make([]connectors.Field, n)
		}
		return r.reused[:n:n]
	}
	if n > len(r.fieldSlab) {
		r.fieldSlab = make([]connectors.Field, n*fieldSlabRecords)
	}
	out := r.fieldSlab[:n:n]
	r.fieldSlab = r.fieldSlab[n:]
	return out
}

// readHeader reads and checks the header record.
func (r *Reader) readHeader() error {
	fields, readErr := r.csv.Read()
	raw := r.rec.take(r.csv.InputOffset())
	leading := r.consumeLines(raw)
	r.blankLines += leading

	if readErr != nil {
		if errors.Is(readErr, io.EOF) {
			return &connectors.ParseError{
				File: r.file, Line: 1 + r.lineOffset, Kind: connectors.KindEmptyHeader,
				Err: errors.New("file is empty; expected a header line with the column names"),
			}
		}
		err := r.readError(readErr, fields, raw)
		if pe, ok := connectors.AsParseError(err); ok {
			pe.Recoverable = false
		}
		return err
	}

	line, _ := r.csv.FieldPos(0)
	line += r.lineOffset
	if err := r.checkText(fields, line, trimRaw(raw), nil); err != nil {
		if pe, ok := connectors.AsParseError(err); ok {
			pe.Recoverable = false
		}
		return err
	}

	header := make([]string, len(fields))
	copy(header, fields)
	firstSeen := make(map[string]int, len(header))
	for i, name := range header {
		if strings.TrimSpace(name) == "" {
			return &connectors.ParseError{
				File: r.file, Line: line, Column: i + 1, Kind: connectors.KindEmptyHeader,
				Err: errors.New("empty column name in the header; name every column"),
			}
		}
		if first, ok := firstSeen[name]; ok {
			return &connectors.ParseError{
				File: r.file, Line: line, Kind: connectors.KindDuplicateHeader,
				Err: fmt.Errorf("duplicate column %q at columns %d and %d; rename one of them in the header", name, first+1, i+1),
			}
		}
		firstSeen[name] = i
	}
	r.header = header
	return nil
}

// consumeLines counts the physical lines in raw, which runs from the end of
// the previous record to the end of this one, and returns how many empty
// lines precede the record.
func (r *Reader) consumeLines(raw []byte) int {
	leading := 0
	rest := raw
	for {
		switch {
		case bytes.HasPrefix(rest, []byte("\r\n")):
			rest = rest[2:]
		case bytes.HasPrefix(rest, []byte("\n")):
			rest = rest[1:]
		default:
			r.linesConsumed += leading + bytes.Count(rest, []byte("\n"))
			if len(rest) > 0 && rest[len(rest)-1] != '\n' {
				r.linesConsumed++
			}
			return leading
		}
		leading++
	}
}

// trimRaw removes the empty lines before a record and its final line break.
func trimRaw(raw []byte) []byte {
	raw = bytes.TrimLeft(raw, "\r\n")
	raw = bytes.TrimSuffix(raw, []byte("\n"))
	return bytes.TrimSuffix(raw, []byte("\r"))
}
