// Package source is the single entry point for reading an input file. It
// unwraps .gz and .zip, decodes the text encoding and picks the format
// reader (csv, json or jsonl) from the options or the file extension. It
// then applies the CRM preset's transform and checks the declared column
// types. In reject mode it writes bad rows to a reject file instead of
// failing.
package source

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/archive"
	"github.com/crmsync/crmsync/connectors/csv"
	"github.com/crmsync/crmsync/connectors/json"
	"github.com/crmsync/crmsync/connectors/jsonl"
	"github.com/crmsync/crmsync/connectors/preset"
	"github.com/crmsync/crmsync/connectors/textenc"
)

// Options are the source keys of a pipeline and the flags of crmsync read.
// The zero value reads a file by its extension, in UTF-8, failing on the
// first bad row.
type Options struct {
	Format        string // csv | json | jsonl; "" picks it from the extension
	Encoding      string // WHATWG or IANA name; "" is UTF-8; a BOM overrides it
	Delimiter     string // csv: "," ";" "|" "tab"; "" detects it from the header
	RecordsPath   string // json: RFC 6901 JSON Pointer; "" uses the preset's
	Member        string // file inside a .zip
	FlattenArrays string // json, jsonl: index (default) | json
	Preset        string // CRM preset name; "" is the generic preset
	// MaxRecordBytes limits the size of one record; 0 means 64 MiB.
	MaxRecordBytes int64
	OnError        string // fail (default) | reject
	// MaxRejected, with reject: a count ("10") or a percentage of the rows
	// read ("1%"); "" sets no limit.
	MaxRejected string
	// RejectsPath is the reject file (JSON lines), created at the first
	// rejected row. "" counts rejected rows without storing them.
	RejectsPath string
	// Types maps a column name, as the preset's transform returns it, to a
	// type name that sinks.ParseKind accepts (str, int, float, bool, dict,
	// timestamp, list[E]). A non-null value that sinks.Convert cannot
	// convert is a recoverable *connectors.ParseError of kind
	// connectors.KindType, so it follows OnError like any bad row. Values
	// stay text either way.
	Types map[string]string
	// ReuseFields lets the CSV reader return every record in the same
	// Fields slice, overwritten by the next call to Next. Set it only when
	// the caller copies the fields it keeps before calling Next again, as
	// transform.Chunker.Add does. JSON and JSONL records are always new.
	ReuseFields bool
}

// Stats counts what a Reader has read so far. Envelope, Cursor and the
// blank-line count are complete once Next has returned io.EOF.
type Stats struct {
	Format    string // csv, json or jsonl
	Container string // gzip, zip or ""
	Encoding  string // encoding used, such as utf-8 or windows-1252
	BOM       bool   // a byte-order mark was removed
	Delimiter string // csv delimiter used
	// RowsRead counts data rows: records returned, rows rejected and
	// records the preset skipped.
	RowsRead      int
	Records       int // records returned by Next
	Skipped       int // records the preset's transform skipped
	Rejected      int
	RejectsByKind map[connectors.ErrorKind]int
	RejectsPath   string // reject file, "" when none was written
	BlankLines    int
	// Envelope holds the scalar values of a JSON document outside the
	// records array, keyed by JSON Pointer.
	Envelope map[string]string
	// Cursor is the pagination cursor found in Envelope, "" when none.
	Cursor string
	// Columns are a CSV file's header names after the preset's transform,
	// known even when the file has no data rows; nil for JSON and JSONL.
	Columns []string
}

// Reader reads one input file. It implements connectors.Source.
type Reader struct {
	path    string
	opened  *archive.Opened
	src     connectors.Source
	preset  *preset.Preset
	rejects *rejectWriter
	limit   rejectLimit
	types   map[string]declaredType
	key     string
	keySet  bool
	stats   Stats
	done    bool
	err     error // a fatal error, returned again by every later Next
}

// Open opens path with the options and reads up to the first record, so
// that a bad option, a missing file, an unknown encoding or a bad header is
// reported here.
func Open(path string, opts Options) (*Reader, error) {
	onError := strings.ToLower(opts.OnError)
	if onError != "" && onError != "fail" && onError != "reject" {
		return nil, fmt.Errorf("invalid on_error %q: use fail or reject", opts.OnError)
	}
	limit, err := parseRejectLimit(opts.MaxRejected)
	if err != nil {
		return nil, err
	}
	mode, err := json.ParseArrayMode(opts.FlattenArrays)
	if err != nil {
		return nil, err
	}
	p, err := preset.Get(opts.Preset)
	if err != nil {
		return nil, err
	}
	types, err := parseTypes(opts.Types)
	if err != nil {
		return nil, err
	}

	opened, err := archive.Open(path, opts.Member)
	if err != nil {
		return nil, err
	}
	format, err := detectFormat(opts.Format, opened.Name)
	if err != nil {
		opened.Close()
		return nil, err
	}
	text, detected, err := textenc.NewReader(opened, opts.Encoding)
	if err != nil {
		opened.Close()
		return nil, err
	}

	r := &Reader{
		path:   path,
		opened: opened,
		preset: p,
		limit:  limit,
		types:  types,
		key:    p.Key,
		stats: Stats{
			Format:        format,
			Container:     opened.Container,
			Encoding:      detected.Encoding,
			BOM:           detected.BOM,
			RejectsByKind: map[connectors.ErrorKind]int{},
		},
	}
	if onError == "reject" {
		r.rejects = &rejectWriter{path: opts.RejectsPath}
	}

	name := displayName(path, opened)
	switch format {
	case "csv":
		delimiter := opts.Delimiter
		if delimiter == "" && strings.EqualFold(filepath.Ext(opened.Name), ".tsv") {
			delimiter = "tab"
		}
		cr, err := csv.NewReader(text, name, csv.Options{Delimiter: delimiter, MaxRecordBytes: opts.MaxRecordBytes, ReuseFields: opts.ReuseFields})
		if err != nil {
			opened.Close()
			return nil, err
		}
		r.stats.Delimiter = string(cr.Delimiter())
		r.stats.Columns = headerColumns(cr.Header(), p)
		r.src = cr
	case "json":
		recordsPath := opts.RecordsPath
		if recordsPath == "" {
			recordsPath = p.RecordsPath
		}
		jr, err := json.NewReader(text, name, json.Options{RecordsPath: recordsPath, FlattenArrays: mode, MaxRecordBytes: opts.MaxRecordBytes})
		if err != nil {
			opened.Close()
			return nil, err
		}
		r.src = jr
	case "jsonl":
		lr, err := jsonl.NewReader(text, name, jsonl.Options{FlattenArrays: mode, MaxRecordBytes: opts.MaxRecordBytes})
		if err != nil {
			opened.Close()
			return nil, err
		}
		r.src = lr
	}
	return r, nil
}

// Next returns the next record after the preset's transform and the
// declared-type check, io.EOF after the last one, or an error. In reject mode a recoverable error is written
// to the reject file and reading goes on, until the rejected rows pass
// MaxRejected. A fatal error is returned as is.
func (r *Reader) Next() (connectors.Record, error) {
	if r.err != nil {
		return connectors.Record{}, r.err
	}
	if r.done {
		return connectors.Record{}, io.EOF
	}
	for {
		rec, err := r.src.Next()
		if err == nil {
			rec, err = r.transform(rec)
			if errors.Is(err, errSkip) {
				r.stats.RowsRead++
				r.stats.Skipped++
				continue
			}
		}
		if err == nil {
			err = r.checkTypes(rec)
		}
		if err == nil {
			r.stats.RowsRead++
			r.stats.Records++
			r.chooseKey(rec)
			return rec, nil
		}

		if errors.Is(err, io.EOF) {
			return connectors.Record{}, r.finish()
		}
		pe, ok := connectors.AsParseError(err)
		if !ok || !pe.Recoverable {
			r.err = err
			return connectors.Record{}, err
		}
		r.stats.RowsRead++
		if r.rejects == nil {
			return connectors.Record{}, err
		}
		if err := r.reject(pe); err != nil {
			r.err = err
			return connectors.Record{}, err
		}
	}
}

// Close closes the input and the reject file.
func (r *Reader) Close() error {
	var errs []error
	if r.src != nil {
		errs = append(errs, r.src.Close())
	}
	errs = append(errs, r.opened.Close())
	if r.rejects != nil {
		errs = append(errs, r.rejects.close())
	}
	return errors.Join(errs...)
}

// Stats returns the counts so far.
func (r *Reader) Stats() Stats {
	s := r.stats
	if b, ok := r.src.(interface{ BlankLines() int }); ok {
		s.BlankLines = b.BlankLines()
	}
	if r.rejects != nil && r.rejects.file != nil {
		s.RejectsPath = r.rejects.path
	}
	return s
}

// KeyColumn returns the preset's record id column, "" when records are
// identified by line number. Before the first record it is the preset's
// default key; after it, the key the preset chose among that record's
// columns.
func (r *Reader) KeyColumn() string { return r.key }

var errSkip = errors.New("record skipped by the preset")

// transform applies the preset. A transform error concerns one record and is
// returned as a recoverable ParseError of kind KindPreset.
func (r *Reader) transform(rec connectors.Record) (connectors.Record, error) {
	out, keep, err := r.preset.Transform(rec)
	if err != nil {
		if pe, ok := connectors.AsParseError(err); ok {
			return connectors.Record{}, pe
		}
		return connectors.Record{}, &connectors.ParseError{
			File: displayName(r.path, r.opened), Line: rec.Line, Kind: connectors.KindPreset,
			Err: err, Recoverable: true,
		}
	}
	if !keep {
		return connectors.Record{}, errSkip
	}
	return out, nil
}

func (r *Reader) chooseKey(rec connectors.Record) {
	if r.keySet {
		return
	}
	r.keySet = true
	names := make([]string, len(rec.Fields))
	for i, f := range rec.Fields {
		names[i] = f.Name
	}
	r.key = r.preset.KeyColumn(names)
}

// finish records what is known only at the end of the input and applies a
// percentage reject limit to the whole file.
func (r *Reader) finish() error {
	r.done = true
	if env, ok := r.src.(interface{ Envelope() map[string]string }); ok {
		r.stats.Envelope = env.Envelope()
		r.stats.Cursor = findCursor(r.stats.Envelope)
	}
	if err := r.limit.check(r.stats.Rejected, r.stats.RowsRead, true); err != nil {
		r.err = err
		return err
	}
	return io.EOF
}

// cursorPointers are the JSON Pointers of CRM API pagination cursors, in
// lookup order.
// NOTE: only HubSpot's pointer is checked against a recorded response.
var cursorPointers = []string{
	"/paging/next/after",                     // HubSpot CRM v3
	"/nextRecordsUrl",                        // Salesforce REST query
	"/info/next_page_token",                  // Zoho CRM (page_token pagination)
	"/additional_data/pagination/next_start", // Pipedrive v1
	"/next_cursor",                           // a common name in other APIs
}

func findCursor(envelope map[string]string) string {
	for _, p := range cursorPointers {
		if v, ok := envelope[p]; ok && v != "" {
			return v
		}
	}
	return ""
}

// detectFormat returns the configured format or the one the file
// extension implies.
func detectFormat(format, name string) (string, error) {
	switch strings.ToLower(format) {
	case "csv", "json", "jsonl":
		return strings.ToLower(format), nil
	case "ndjson":
		return "jsonl", nil
	case "":
	default:
		return "", fmt.Errorf("invalid format %q: use csv, json or jsonl", format)
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".tsv", ".txt":
		return "csv", nil
	case ".json":
		return "json", nil
	case ".jsonl", ".ndjson":
		return "jsonl", nil
	}
	return "", fmt.Errorf("cannot tell the format of %s from its extension; set source.format to csv, json or jsonl", name)
}

// displayName names the input in errors: the path, followed by "/" and the
// member for a zip, as in data.zip/Lead.csv.
func displayName(path string, opened *archive.Opened) string {
	if opened != nil && opened.Container == "zip" {
		return path + "/" + opened.Name
	}
	return path
}

// headerColumns returns the column names a preset makes of a CSV header, by
// transforming a record whose fields are all null.
func headerColumns(header []string, p *preset.Preset) []string {
	rec := connectors.Record{Line: 1, Fields: make([]connectors.Field, len(header))}
	for i, h := range header {
		rec.Fields[i] = connectors.Field{Name: h, Null: true}
	}
	out, _, err := p.Transform(rec)
	if err != nil {
		out = rec
	}
	cols := make([]string, len(out.Fields))
	for i, f := range out.Fields {
		cols[i] = f.Name
	}
	return cols
}
