package enrich

import (
	"strings"
	"testing"
)

func TestCountRows(t *testing.T) {
	cases := []struct {
		name   string
		format string
		input  string
		want   int
	}{
		{"csv header only", FormatCSV, "a,b\n", 0},
		{"csv empty", FormatCSV, "", 0},
		{"csv quoted newline", FormatCSV, "a,b\n\"1\n2\",3\n4,5\n", 2},
		{"csv CRLF without final newline", FormatCSV, "a,b\r\n1,2\r\n3,4", 2},
		{"csv ragged rows", FormatCSV, "a,b\n1\n2,3,4\n", 2},
		{"json array", FormatJSON, ` [ {"a":1}, {"a":[1,2]}, {} ] `, 3},
		{"json empty array", FormatJSON, `[]`, 0},
		{"jsonl blank lines", FormatJSONL, "{\"a\":1}\n\n{\"a\":2}\r\n", 2},
		{"jsonl long line", FormatJSONL, `{"a":"` + strings.Repeat("x", 200_000) + "\"}\n", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := countRows(strings.NewReader(tc.input), tc.format)
			if err != nil {
				t.Fatalf("countRows: %v", err)
			}
			if got != tc.want {
				t.Errorf("rows = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestCountRowsRejectsMalformed(t *testing.T) {
	cases := []struct {
		name   string
		format string
		input  string
	}{
		{"csv bare quote", FormatCSV, "a,b\n1,\"x\n"},
		{"json object", FormatJSON, `{"results":[]}`},
		{"json truncated", FormatJSON, `[{"a":1},{"a"`},
		{"jsonl truncated", FormatJSONL, "{\"a\":1}\n{\"a\":"},
		{"unknown format", "xml", "<a/>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := countRows(strings.NewReader(tc.input), tc.format); err == nil {
				t.Error("countRows accepted malformed input")
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	cases := []struct {
		filename, entryType, responseType, want string
	}{
		{"r.CSV", "application/json", "", FormatCSV},
		{"r.ndjson", "", "", FormatJSONL},
		{"r", "application/json", "", FormatJSON},
		{"r", "", "text/csv; charset=utf-8", FormatCSV},
		{"r.bin", "application/octet-stream", "application/jsonl", FormatJSONL},
	}
	for _, tc := range cases {
		got, err := detectFormat(tc.filename, tc.entryType, tc.responseType)
		if err != nil || got != tc.want {
			t.Errorf("detectFormat(%q, %q, %q) = %q, %v; want %q", tc.filename, tc.entryType, tc.responseType, got, err, tc.want)
		}
	}
	if _, err := detectFormat("r.xlsx", "application/vnd.ms-excel", "application/octet-stream"); err == nil {
		t.Error("detectFormat accepted an Excel file")
	}
}
