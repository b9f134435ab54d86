package transform

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/source"
)

// OpenResult opens a downloaded result file of format csv, json or ndjson
// (jsonl is accepted as another name for ndjson) for Merge.
//
// A CSV result is read by the CSV reader of connectors/source, with every
// cell as text and an empty cell as null. Its records share one Fields
// slice, overwritten by the next call to Next, because Merge copies the
// values it keeps before it reads on. JSON and NDJSON results are not
// flattened: each top-level member of a row object becomes one field, a
// string member its text, null a null, and any other member (number,
// boolean, array, object) its JSON text without insignificant white space.
// So a list struct field arrives as the JSON array text that sinks.Convert
// expects, and an object such as references stays one value.
func OpenResult(path, format string) (connectors.Source, error) {
	switch format {
	case "csv", "":
		return source.Open(path, source.Options{Format: "csv", ReuseFields: true})
	case "json", "ndjson", "jsonl":
	default:
		return nil, fmt.Errorf("result file %s has format %q; expected csv, json or ndjson", path, format)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r := bufio.NewReaderSize(f, 1<<16)
	dec := json.NewDecoder(r)
	dec.UseNumber()
	rs := &jsonResult{file: f, path: path, dec: dec}
	first, err := peekNonSpace(r)
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, fmt.Errorf("read result %s: %w", path, err)
	}
	if first == '[' {
		// A JSON array of row objects: step into it.
		if _, err := dec.Token(); err != nil {
			f.Close()
			return nil, fmt.Errorf("read result %s: %w", path, err)
		}
		rs.inArray = true
	}
	return rs, nil
}

// peekNonSpace returns the first byte of r that is not JSON white space,
// without consuming it.
func peekNonSpace(r *bufio.Reader) (byte, error) {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, r.UnreadByte()
	}
}

// jsonResult yields the row objects of a JSON array or of NDJSON lines.
type jsonResult struct {
	file    *os.File
	path    string
	dec     *json.Decoder
	inArray bool
	row     int
}

func (j *jsonResult) Next() (connectors.Record, error) {
	if j.inArray && !j.dec.More() {
		if _, err := j.dec.Token(); err != nil {
			return connectors.Record{}, j.errorf("read the end of the row array: %w", err)
		}
		j.inArray = false
		if _, err := j.dec.Token(); !errors.Is(err, io.EOF) {
			return connectors.Record{}, j.errorf("unexpected data after the row array")
		}
		return connectors.Record{}, io.EOF
	}
	var members map[string]json.RawMessage
	err := j.dec.Decode(&members)
	if errors.Is(err, io.EOF) && !j.inArray {
		return connectors.Record{}, io.EOF
	}
	j.row++
	if err != nil {
		return connectors.Record{}, j.errorf("row %d is not a JSON object: %w", j.row, err)
	}
	rec := connectors.Record{Line: j.row, Fields: make([]connectors.Field, 0, len(members))}
	for name, raw := range members {
		field, err := resultField(name, raw)
		if err != nil {
			return connectors.Record{}, j.errorf("row %d, member %q: %w", j.row, name, err)
		}
		rec.Fields = append(rec.Fields, field)
	}
	return rec, nil
}

func (j *jsonResult) errorf(format string, args ...any) error {
	return fmt.Errorf("read result %s: "+format, append([]any{j.path}, args...)...)
}

func (j *jsonResult) Close() error { return j.file.Close() }

// resultField converts one member of a result row to a field.
func resultField(name string, raw json.RawMessage) (connectors.Field, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case string(raw) == "null":
		return connectors.Field{Name: name, Null: true}, nil
	case len(raw) > 0 && raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return connectors.Field{}, err
		}
		return connectors.Field{Name: name, Text: s}, nil
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return connectors.Field{}, err
	}
	return connectors.Field{Name: name, Text: compact.String()}, nil
}
