package source_test

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/source"
)

func writeInput(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// utf16LE encodes text as Excel's "Unicode Text" export does: UTF-16LE with
// a byte-order mark.
func utf16LE(text string) []byte {
	out := []byte{0xFF, 0xFE}
	for _, unit := range utf16.Encode([]rune(text)) {
		out = append(out, byte(unit), byte(unit>>8))
	}
	return out
}

func TestExcelUnicodeTextFile(t *testing.T) {
	path := writeInput(t, "contacts.txt", utf16LE("Name\tCity\r\nZoë Example\tMünchen\r\n\"Bob, Jr.\"\t\"Köln\r\nAltstadt\"\r\n"))
	got := readFile(t, path, source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got,
		`{"Name":"Zoë Example","City":"München"}`,
		`{"Name":"Bob, Jr.","City":"Köln\nAltstadt"}`,
	)
	if got.stats.Format != "csv" || got.stats.Encoding != "utf-16le" || got.stats.Delimiter != "\t" {
		t.Errorf("format %q, encoding %q, delimiter %q; want csv, utf-16le and tab", got.stats.Format, got.stats.Encoding, got.stats.Delimiter)
	}
}

func TestExcelSepLineAfterBOM(t *testing.T) {
	path := writeInput(t, "accounts.csv", []byte("\xEF\xBB\xBFsep=;\r\n\"Account Name\";Revenue\r\nExample GmbH;1.234,5\r\n"))
	got := readFile(t, path, source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got, `{"Account Name":"Example GmbH","Revenue":"1.234,5"}`)
	if got.stats.Delimiter != ";" {
		t.Errorf("delimiter = %q, want ;", got.stats.Delimiter)
	}
}

// TestNULRejectedByKind checks that a NUL, as a raw byte in CSV or as a
// \u0000 escape in JSON, never reaches a record and is counted as nul_byte.
func TestNULRejectedByKind(t *testing.T) {
	tests := []struct {
		name, data, want string
		line             int
	}{
		{"nul.csv", "Id,Notes\n1,ok\n2,a\x00b\n", `{"Id":"1","Notes":"ok"}`, 3},
		{"nul.jsonl", "{\"Id\":1,\"Notes\":\"ok\"}\n{\"Id\":2,\"Notes\":\"a\\u0000b\"}\n", `{"Id":"1","Notes":"ok"}`, 2},
		{"nul.json", "[{\"Id\":1,\"Notes\":\"ok\"},\n{\"Id\":2,\"Notes\":\"a\\u0000b\"}]", `{"Id":"1","Notes":"ok"}`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeInput(t, tt.name, []byte(tt.data))
			got := readFile(t, path, source.Options{})
			pe := wantParseError(t, got.err, connectors.KindNULByte, "NUL")
			if pe.Line != tt.line {
				t.Errorf("line = %d, want %d", pe.Line, tt.line)
			}

			got = readFile(t, path, source.Options{OnError: "reject"})
			if got.err != nil {
				t.Fatal(got.err)
			}
			wantLines(t, got, tt.want)
			if got.stats.RejectsByKind[connectors.KindNULByte] != 1 {
				t.Errorf("rejects by kind = %v, want nul_byte: 1", got.stats.RejectsByKind)
			}
		})
	}
}
