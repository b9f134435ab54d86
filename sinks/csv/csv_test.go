package csv

import (
	"bytes"
	encodingcsv "encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/crmsync/crmsync/sinks"
)

func TestNeedsFormulaGuard(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"=1+1", true},
		{"@x", true},
		{"\tfoo", true},
		{"\rfoo", true},
		{"+SUM(1)", true},
		{"-x", true},
		{"+1-2", true},
		{"-1+1", true},
		{"=HYPERLINK(\"http://example.com\")", true},
		{"+1 555 0100", false},
		{"+44 (20) 7946-0000", false},
		{"-12.5", false},
		{"+3e4", false},
		{"-.5", false},
		{"plain text", false},
		{"a=b", false},
		{"", false},
		{" =1+1", false},
	}
	for _, tt := range tests {
		if got := NeedsFormulaGuard(tt.text); got != tt.want {
			t.Errorf("NeedsFormulaGuard(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// writeRows writes rows through a CSV sink and returns the file's bytes.
func writeRows(t *testing.T, cols []sinks.Column, opts Options, rows ...[]sinks.Value) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.csv")
	s, err := Create(path, cols, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := s.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if s.Rows() != int64(len(rows)) {
		t.Errorf("Rows() = %d, want %d", s.Rows(), len(rows))
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestFormulaGuardAppliesToEnrichedOnly(t *testing.T) {
	cols := []sinks.Column{
		{Name: "Notes", Origin: sinks.FromSource},
		{Name: "title", Origin: sinks.FromEnriched},
		{Name: "notes", Origin: sinks.FromMetadata},
		{Name: "Title", Origin: sinks.FromSource},
	}
	hostile := []string{"=1+1", "@x", "\tfoo", "\rfoo", "+1 555 0100", "-12.5", "+SUM(1)", "-x"}
	guarded := []string{"'=1+1", "'@x", "'\tfoo", "'\rfoo", "+1 555 0100", "-12.5", "'+SUM(1)", "'-x"}
	var rows [][]sinks.Value
	for _, h := range hostile {
		rows = append(rows, []sinks.Value{
			{Text: h},
			{Text: h},
			{Text: h},
			// A source column filled with an enriched value is guarded too.
			{Text: h, Origin: sinks.FromEnriched},
		})
	}
	data := writeRows(t, cols, Options{FormulaGuard: true}, rows...)
	records, err := encodingcsv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hostile {
		got := records[i+1]
		if got[0] != h {
			t.Errorf("source value %q written as %q, want it unchanged", h, got[0])
		}
		if got[1] != guarded[i] || got[2] != guarded[i] || got[3] != guarded[i] {
			t.Errorf("enriched %q written as %q, %q, %q; want %q", h, got[1], got[2], got[3], guarded[i])
		}
	}

	off := writeRows(t, cols[1:2], Options{}, []sinks.Value{{Text: "=1+1"}})
	if string(off) != "title\n=1+1\n" {
		t.Errorf("guard off: %q, want the value unchanged", off)
	}
}

func TestCSVDialect(t *testing.T) {
	cols := []sinks.Column{{Name: "Id"}, {Name: "Note"}, {Name: "Empty"}}
	row := []sinks.Value{{Text: "1"}, {Text: "a;b \"q\"\r\nnext\nline\rCR"}, {Null: true}}

	got := writeRows(t, cols, Options{Delimiter: ';', BOM: true, CRLF: true}, row)
	want := "\uFEFFId;Note;Empty\r\n1;\"a;b \"\"q\"\"\r\nnext\nline\rCR\";\r\n"
	if string(got) != want {
		t.Errorf("semicolon, BOM, CRLF:\n got %q\nwant %q", got, want)
	}

	got = writeRows(t, cols, Options{}, row)
	want = "Id,Note,Empty\n1,\"a;b \"\"q\"\"\r\nnext\nline\rCR\",\n"
	if string(got) != want {
		t.Errorf("defaults:\n got %q\nwant %q", got, want)
	}

	got = writeRows(t, cols, Options{Delimiter: '\t'}, []sinks.Value{{Text: " lead"}, {Text: "a\tb"}, {Text: "x"}})
	want = "Id\tNote\tEmpty\n\" lead\"\t\"a\tb\"\tx\n"
	if string(got) != want {
		t.Errorf("tab:\n got %q\nwant %q", got, want)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	cols := []sinks.Column{{Name: "Id", Origin: sinks.FromSource}, {Name: "Description", Origin: sinks.FromSource}}
	rows := [][]sinks.Value{
		{{Text: "0015g00000XyZaBAAV"}, {Text: "Line one\nLine two, with comma\nLine three"}},
		{{Text: "0015g00000XyZaCAAV"}, {Text: `He said "hi"`}},
		{{Text: "NULL"}, {Null: true}},
	}
	data := writeRows(t, cols, Options{}, rows...)
	records, err := encodingcsv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Id", "Description"},
		{"0015g00000XyZaBAAV", "Line one\nLine two, with comma\nLine three"},
		{"0015g00000XyZaCAAV", `He said "hi"`},
		{"NULL", ""},
	}
	if !reflect.DeepEqual(records, want) {
		t.Errorf("read back %q, want %q", records, want)
	}
}

func TestCSVSingleColumnEmptyRow(t *testing.T) {
	got := writeRows(t, []sinks.Column{{Name: "Id"}}, Options{}, []sinks.Value{{Null: true}}, []sinks.Value{{Text: "2"}})
	records, err := encodingcsv.NewReader(bytes.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 3 {
		t.Errorf("read %d records from %q, want 3 (the empty row must not vanish)", len(records), got)
	}
}

func TestCSVInvalidUTF8FromEnrichment(t *testing.T) {
	cols := []sinks.Column{{Name: "title", Origin: sinks.FromEnriched}}
	got := writeRows(t, cols, Options{}, []sinks.Value{{Text: "Zo\xeb"}})
	if string(got) != "title\nZo\uFFFD\n" {
		t.Errorf("got %q, want the invalid byte replaced by U+FFFD", got)
	}
}

func TestCSVErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(filepath.Join(dir, "a.csv"), []sinks.Column{{Name: "x"}}, Options{Delimiter: '"'}); err == nil {
		t.Error("delimiter '\"' accepted, want an error")
	}
	if _, err := Create(filepath.Join(dir, "b.csv"), nil, Options{}); err == nil {
		t.Error("no columns accepted, want an error")
	}
	path := filepath.Join(dir, "c.csv")
	s, err := Create(path, []sinks.Column{{Name: "x"}, {Name: "y"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write([]sinks.Value{{Text: "1"}}); err == nil {
		t.Error("short row accepted, want an error")
	}
	if err := s.Abort(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("aborted sink left %v", entries)
	}
}

func TestCSVNothingBeforeCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	s, err := Create(path, []sinks.Column{{Name: "x"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]sinks.Value{{Text: "1"}})
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("%s exists before Commit", path)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}
