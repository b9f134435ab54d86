package enrich

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
)

// Result file formats returned by DownloadResult.
const (
	FormatCSV   = "csv"
	FormatJSON  = "json"
	FormatJSONL = "jsonl"
)

// detectFormat picks the result format from the file name's extension,
// then from the entry's content_type, then from the response Content-Type.
func detectFormat(filename, entryType, responseType string) (string, error) {
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".csv":
		return FormatCSV, nil
	case ".json":
		return FormatJSON, nil
	case ".jsonl", ".ndjson":
		return FormatJSONL, nil
	}
	for _, contentType := range []string{entryType, responseType} {
		if format, ok := formatFromMediaType(contentType); ok {
			return format, nil
		}
	}
	return "", fmt.Errorf("unknown format: filename %q, content_type %q, response Content-Type %q; expected CSV, JSON or JSON Lines",
		filename, entryType, responseType)
}

func formatFromMediaType(contentType string) (string, bool) {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", false
	}
	switch mediaType {
	case "text/csv", "application/csv":
		return FormatCSV, true
	case "application/json":
		return FormatJSON, true
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines":
		return FormatJSONL, true
	}
	return "", false
}

// countRowsInFile counts the data rows of a result file. A CSV file is
// counted by csvRecordCounter, and parsed with encoding/csv only when the
// counter finds a quoting irregularity, so the error is encoding/csv's.
func countRowsInFile(path, format string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()

	reader, err := skipBOM(f)
	if err != nil {
		return 0, err
	}
	if format != FormatCSV {
		return countRows(reader, format)
	}
	records, ok, err := countCSVRecords(reader)
	if err != nil {
		return 0, err
	}
	if ok {
		return max(records-1, 0), nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	if reader, err = skipBOM(f); err != nil {
		return 0, err
	}
	return countRows(reader, format)
}

// skipBOM returns a reader of f after a UTF-8 byte order mark, if any.
// encoding/csv rejects a byte order mark before a quoted header, and
// encoding/json rejects one anywhere.
func skipBOM(f *os.File) (*bufio.Reader, error) {
	reader := bufio.NewReaderSize(f, 1<<16)
	if start, _ := reader.Peek(len(utf8BOM)); bytes.Equal(start, utf8BOM) {
		if _, err := reader.Discard(len(utf8BOM)); err != nil {
			return nil, err
		}
	}
	return reader, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// countRows counts CSV records after the header with encoding/csv, so a
// quoted value with line breaks counts once; JSON array elements; or JSON
// Lines values. Malformed input is an error.
func countRows(r io.Reader, format string) (int, error) {
	switch format {
	case FormatCSV:
		reader := csv.NewReader(r)
		reader.FieldsPerRecord = -1
		reader.ReuseRecord = true
		records := 0
		for {
			_, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return 0, fmt.Errorf("invalid CSV: %w", err)
			}
			records++
		}
		if records == 0 {
			return 0, nil
		}
		return records - 1, nil

	case FormatJSON:
		dec := json.NewDecoder(r)
		token, err := dec.Token()
		if err != nil {
			return 0, fmt.Errorf("invalid JSON: %w", err)
		}
		if delim, ok := token.(json.Delim); !ok || delim != '[' {
			return 0, fmt.Errorf("invalid JSON result: expected a top-level array of rows, got %v", token)
		}
		rows := 0
		for dec.More() {
			var row json.RawMessage
			if err := dec.Decode(&row); err != nil {
				return 0, fmt.Errorf("invalid JSON in row %d: %w", rows+1, err)
			}
			rows++
		}
		if _, err := dec.Token(); err != nil {
			return 0, fmt.Errorf("invalid JSON after row %d: %w", rows, err)
		}
		return rows, nil

	case FormatJSONL:
		dec := json.NewDecoder(r)
		rows := 0
		for {
			var row json.RawMessage
			err := dec.Decode(&row)
			if errors.Is(err, io.EOF) {
				return rows, nil
			}
			if err != nil {
				return 0, fmt.Errorf("invalid JSON Lines in row %d: %w", rows+1, err)
			}
			rows++
		}
	}
	return 0, fmt.Errorf("unknown format %q", format)
}
