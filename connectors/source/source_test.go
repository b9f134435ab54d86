package source_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/source"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipBytes(t *testing.T, members map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range members {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOpenGzipJSONL(t *testing.T) {
	path := writeFile(t, "contacts.jsonl.gz", gzipBytes(t, []byte("{\"id\":1}\r\n\r\n{\"id\":2}\n")))
	got := readFile(t, path, source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got, `{"id":"1"}`, `{"id":"2"}`)
	if got.stats.Format != "jsonl" || got.stats.Container != "gzip" || got.stats.BlankLines != 1 {
		t.Errorf("stats = %+v; want jsonl in gzip with 1 blank line", got.stats)
	}
}

func TestOpenZipMember(t *testing.T) {
	path := writeFile(t, "export.zip", zipBytes(t, map[string]string{
		"export/Lead.csv":    "Id,Name\n1,Ada\n",
		"export/Contact.tsv": "Id\tName\n2\tBob\n",
	}))

	got := readFile(t, path, source.Options{Member: "Contact.tsv"})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got, `{"Id":"2","Name":"Bob"}`)

	got = readFile(t, path, source.Options{})
	if got.err == nil || !strings.Contains(got.err.Error(), "set source.member to one of: export/Contact.tsv, export/Lead.csv") {
		t.Errorf("error = %v, want the member list", got.err)
	}
}

func TestOpenFormatFromExtension(t *testing.T) {
	got := readFile(t, writeFile(t, "data.bin", []byte("a,b\n1,2\n")), source.Options{})
	if got.err == nil || !strings.Contains(got.err.Error(), "set source.format") {
		t.Fatalf("error = %v, want a request to set source.format", got.err)
	}
	got = readFile(t, writeFile(t, "data.bin", []byte("a,b\n1,2\n")), source.Options{Format: "csv"})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got, `{"a":"1","b":"2"}`)
	got = readFile(t, writeFile(t, "data.ndjson", []byte(`{"a":"x"}`+"\n")), source.Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got, `{"a":"x"}`)
}

func TestOpenInvalidOptions(t *testing.T) {
	path := writeFile(t, "a.csv", []byte("a\n1\n"))
	tests := []struct {
		opts source.Options
		want string
	}{
		{source.Options{OnError: "skip"}, `invalid on_error "skip"`},
		{source.Options{MaxRejected: "ten"}, `invalid max_rejected "ten"`},
		{source.Options{MaxRejected: "150%"}, `invalid max_rejected "150%"`},
		{source.Options{FlattenArrays: "dots"}, `invalid flatten_arrays "dots"`},
		{source.Options{Encoding: "klingon"}, `unknown encoding "klingon"`},
		{source.Options{Delimiter: ";;"}, `invalid delimiter ";;"`},
		{source.Options{Preset: "nosuchcrm"}, `unknown preset "nosuchcrm"`},
		{source.Options{Format: "xml"}, `invalid format "xml"`},
		{source.Options{Member: "a.csv"}, "is not a zip file"},
	}
	for _, tt := range tests {
		_, err := source.Open(path, tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%+v) error = %v, want %q", tt.opts, err, tt.want)
		}
	}
	if _, err := source.Open(filepath.Join(t.TempDir(), "missing.csv"), source.Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error = %v, want os.ErrNotExist", err)
	}
}

func TestRejectWithoutFile(t *testing.T) {
	path := writeFile(t, "a.csv", []byte("a,b\n1\n2,3\n"))
	got := readFile(t, path, source.Options{OnError: "reject"})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got, `{"a":"2","b":"3"}`)
	if got.stats.Rejected != 1 || got.stats.RejectsPath != "" {
		t.Errorf("rejected %d, reject file %q; want 1 and none", got.stats.Rejected, got.stats.RejectsPath)
	}
}

func TestRejectFileNotCreatedWhenClean(t *testing.T) {
	rejects := filepath.Join(t.TempDir(), "rejects.jsonl")
	got := readFile(t, writeFile(t, "a.csv", []byte("a\n1\n")), source.Options{OnError: "reject", RejectsPath: rejects})
	if got.err != nil {
		t.Fatal(got.err)
	}
	if _, err := os.Stat(rejects); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reject file exists after a clean read: %v", err)
	}
}

func TestRejectInvalidUTF8Raw(t *testing.T) {
	rejects := filepath.Join(t.TempDir(), "rejects.jsonl")
	got := readFile(t, writeFile(t, "a.csv", []byte("a\nZo\xEB\nok\n")), source.Options{OnError: "reject", RejectsPath: rejects})
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantLines(t, got, `{"a":"ok"}`)
	lines := readRejects(t, rejects)
	if len(lines) != 1 || lines[0]["raw_base64"] != "Wm/r" || lines[0]["raw"] != nil {
		t.Errorf("reject lines = %v; want the raw bytes as base64 Wm/r", lines)
	}
}

func TestWriteJSONLinesEscapes(t *testing.T) {
	src := &sliceSource{records: []connectors.Record{{Line: 2, Fields: []connectors.Field{
		{Name: `quote"back\slash`, Text: "tab\there\nnew \x01 <&> é \u2028"},
		{Name: "null", Null: true},
		{Name: "empty", Text: ""},
	}}}}
	var out bytes.Buffer
	n, err := source.WriteJSONLines(&out, src)
	if err != nil || n != 1 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	want := `{"quote\"back\\slash":"tab\there\nnew \u0001 <&> é \u2028","null":null,"empty":""}` + "\n"
	if out.String() != want {
		t.Errorf("got  %s\nwant %s", out.String(), want)
	}
}

func TestWriteJSONLinesInvalidUTF8(t *testing.T) {
	src := &sliceSource{records: []connectors.Record{{Line: 7, Fields: []connectors.Field{{Name: "a", Text: "Zo\xEB"}}}}}
	_, err := source.WriteJSONLines(&bytes.Buffer{}, src)
	if err == nil || !strings.Contains(err.Error(), `record at line 7: field "a" is not valid UTF-8`) {
		t.Errorf("error = %v, want invalid UTF-8 reported", err)
	}
}

// sliceSource yields fixed records, then io.EOF.
type sliceSource struct {
	records []connectors.Record
}

func (s *sliceSource) Next() (connectors.Record, error) {
	if len(s.records) == 0 {
		return connectors.Record{}, io.EOF
	}
	rec := s.records[0]
	s.records = s.records[1:]
	return rec, nil
}

func (s *sliceSource) Close() error { return nil }
