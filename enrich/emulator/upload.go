package emulator

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Upload limits from the API documentation.
const (
	maxUploadRows = 100_000
	// NOTE: the documentation says "100 MB" without saying whether MB is
	// 10^6 or 2^20 bytes; the emulator takes the stricter 10^6.
	maxUploadBytes     = 100 * 1000 * 1000
	maxConfigChars     = 300_000
	maxIdempotencyKey  = 255
	inlinePreviewLimit = 10
)

// fileFormat is a file layout the API reads and writes.
type fileFormat int

const (
	formatCSV fileFormat = iota
	formatJSON
	formatNDJSON
)

func (f fileFormat) contentType() string {
	switch f {
	case formatJSON:
		return "application/json"
	case formatNDJSON:
		return "application/x-ndjson"
	default:
		return "text/csv"
	}
}

func (f fileFormat) extension() string {
	switch f {
	case formatJSON:
		return ".json"
	case formatNDJSON:
		return ".ndjson"
	default:
		return ".csv"
	}
}

// formatForFilename picks the parser from the multipart filename extension,
// because the API documents the accepted types by extension only.
func formatForFilename(name string) (fileFormat, error) {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv":
		return formatCSV, nil
	case ".json":
		return formatJSON, nil
	case ".jsonl", ".ndjson":
		return formatNDJSON, nil
	}
	return 0, fmt.Errorf("Unsupported file type %q for file %q; upload a .csv, .json, .jsonl or .ndjson file", path.Ext(name), name)
}

// cell is one uploaded value. CSV cells have only text; JSON cells keep the
// raw JSON value too, so a JSON result file repeats it unchanged.
type cell struct {
	text string
	raw  json.RawMessage
	null bool
}

// jsonValue returns the cell as a JSON value.
func (c cell) jsonValue() json.RawMessage {
	if c.null {
		return json.RawMessage("null")
	}
	if c.raw != nil {
		return c.raw
	}
	return marshalString(c.text)
}

// table is a parsed upload: column names in first-seen order and one cell per
// column in each row.
type table struct {
	columns []string
	rows    [][]cell
}

// parseUpload reads an uploaded file. Its errors are messages for a 400 response.
func parseUpload(data []byte, format fileFormat) (*table, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("Uploaded file is empty")
	}
	var t *table
	var err error
	switch format {
	case formatCSV:
		t, err = parseCSV(data)
	case formatJSON:
		t, err = parseJSONArray(data)
	default:
		t, err = parseNDJSON(data)
	}
	if err != nil {
		return nil, err
	}
	if len(t.rows) == 0 {
		return nil, errors.New("Uploaded file has no data rows")
	}
	return t, nil
}

func parseCSV(data []byte) (*table, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("Invalid CSV header: %v", err)
	}
	if err := checkUniqueColumns(header); err != nil {
		return nil, err
	}
	t := &table{columns: append([]string(nil), header...)}
	for {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("Invalid CSV: %v", err)
		}
		if len(t.rows) == maxUploadRows {
			return nil, tooManyRows()
		}
		row := make([]cell, len(record))
		for i, value := range record {
			row[i] = cell{text: value}
		}
		t.rows = append(t.rows, row)
	}
	return t, nil
}

func checkUniqueColumns(columns []string) error {
	seen := make(map[string]bool, len(columns))
	for _, name := range columns {
		if seen[name] {
			return fmt.Errorf("Duplicate column name %q in the uploaded file; rename one of them", name)
		}
		seen[name] = true
	}
	return nil
}

func tooManyRows() error {
	return fmt.Errorf("File exceeds the maximum of %d rows; split it into smaller files", maxUploadRows)
}

// objectRows collects JSON objects into a table, adding columns as new keys appear.
type objectRows struct {
	t     table
	index map[string]int
}

func (o *objectRows) add(keys []string, values []json.RawMessage) error {
	if len(o.t.rows) == maxUploadRows {
		return tooManyRows()
	}
	if o.index == nil {
		o.index = map[string]int{}
	}
	row := make([]cell, len(o.t.columns), len(o.t.columns)+len(keys))
	for i := range row {
		row[i] = cell{null: true}
	}
	for i, key := range keys {
		col, ok := o.index[key]
		if !ok {
			col = len(o.t.columns)
			o.index[key] = col
			o.t.columns = append(o.t.columns, key)
			row = append(row, cell{null: true})
		}
		row[col] = cellFromJSON(values[i])
	}
	o.t.rows = append(o.t.rows, row)
	return nil
}

// finish pads earlier rows to the final column count.
func (o *objectRows) finish() *table {
	for i, row := range o.t.rows {
		for len(row) < len(o.t.columns) {
			row = append(row, cell{null: true})
		}
		o.t.rows[i] = row
	}
	return &o.t
}

func cellFromJSON(raw json.RawMessage) cell {
	raw = bytes.TrimSpace(raw)
	switch {
	case bytes.Equal(raw, []byte("null")):
		return cell{null: true}
	case len(raw) > 0 && raw[0] == '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		return cell{text: s, raw: raw}
	case len(raw) > 0 && (raw[0] == '{' || raw[0] == '['):
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err == nil {
			raw = compact.Bytes()
		}
		return cell{text: string(raw), raw: raw}
	default:
		// Numbers and booleans keep their exact source text.
		return cell{text: string(raw), raw: raw}
	}
}

// readObject reads one JSON object from dec, keeping key order. Duplicate keys
// keep their first position and their last value.
func readObject(dec *json.Decoder) ([]string, []json.RawMessage, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return nil, nil, fmt.Errorf("expected a JSON object, found %v", tok)
	}
	var keys []string
	var values []json.RawMessage
	position := map[string]int{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, nil, err
		}
		if i, ok := position[key]; ok {
			values[i] = value
			continue
		}
		position[key] = len(keys)
		keys = append(keys, key)
		values = append(values, value)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	return keys, values, nil
}

func parseJSONArray(data []byte) (*table, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("Invalid JSON file: %v", err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '[' {
		return nil, errors.New("Invalid JSON file: expected a top-level array of objects")
	}
	var rows objectRows
	for dec.More() {
		keys, values, err := readObject(dec)
		if err != nil {
			return nil, fmt.Errorf("Invalid JSON file at row %d: %v", len(rows.t.rows)+1, err)
		}
		if err := rows.add(keys, values); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("Invalid JSON file: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("Invalid JSON file: unexpected data after the top-level array")
	}
	return rows.finish(), nil
}

func parseNDJSON(data []byte) (*table, error) {
	r := bufio.NewReader(bytes.NewReader(data))
	var rows objectRows
	for lineNumber := 1; ; lineNumber++ {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.UseNumber()
			keys, values, parseErr := readObject(dec)
			if parseErr == nil && dec.More() {
				parseErr = errors.New("more than one JSON value on the line")
			}
			if parseErr != nil {
				return nil, fmt.Errorf("Invalid JSON Lines file at line %d: %v", lineNumber, parseErr)
			}
			if err := rows.add(keys, values); err != nil {
				return nil, err
			}
		}
		if err != nil {
			break
		}
	}
	return rows.finish(), nil
}

func marshalString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
