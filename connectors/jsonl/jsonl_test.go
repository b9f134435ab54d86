package jsonl_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/json"
	"github.com/crmsync/crmsync/connectors/jsonl"
)

func readAll(t *testing.T, input io.Reader, opts jsonl.Options) (*jsonl.Reader, []connectors.Record, []error) {
	t.Helper()
	r, err := jsonl.NewReader(input, "test.jsonl", opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var records []connectors.Record
	var errs []error
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r, records, errs
		}
		if err != nil {
			errs = append(errs, err)
			if pe, ok := connectors.AsParseError(err); !ok || !pe.Recoverable {
				return r, records, errs
			}
			continue
		}
		records = append(records, rec)
	}
}

func TestReaderLinesAndBlanks(t *testing.T) {
	input := "{\"id\":1}\r\n\r\n  \n{\"id\":2,\"a\":[1]}\n{\"id\":3}"
	r, records, errs := readAll(t, strings.NewReader(input), jsonl.Options{})
	if len(errs) != 0 || len(records) != 3 {
		t.Fatalf("records %v, errors %v", records, errs)
	}
	for i, line := range []int{1, 4, 5} {
		if records[i].Line != line {
			t.Errorf("record %d line = %d, want %d", i+1, records[i].Line, line)
		}
	}
	if r.BlankLines() != 2 {
		t.Errorf("blank lines = %d, want 2", r.BlankLines())
	}
	if f, _ := records[1].Get("a.0"); f.Text != "1" {
		t.Errorf("a.0 = %+v", f)
	}
}

func TestReaderInvalidLinesRecover(t *testing.T) {
	input := "{\"id\":1}\n{\"id\":}\n[1,2]\n{\"s\":\"\xff\"}\n{\"a\":1,\"a\":2}\n{\"id\":2}\n{\"cut\":\n{\"id\":3}\n"
	_, records, errs := readAll(t, strings.NewReader(input), jsonl.Options{})
	if len(records) != 3 || records[2].Line != 8 {
		t.Fatalf("records = %v; want 3, the last at line 8", records)
	}
	want := []struct {
		kind connectors.ErrorKind
		line int
		text string
	}{
		{connectors.KindInvalidJSON, 2, "test.jsonl:2: column 7: invalid JSON: invalid character '}'"},
		{connectors.KindNotRecord, 3, "expected a JSON object, found an array"},
		{connectors.KindInvalidUTF8, 4, "invalid UTF-8 byte 0xFF"},
		{connectors.KindDuplicateKey, 5, `duplicate field "a"`},
		// An incomplete line followed by more lines is bad data, not a
		// truncated file.
		{connectors.KindInvalidJSON, 7, "unexpected end of JSON input"},
	}
	if len(errs) != len(want) {
		t.Fatalf("errors = %v", errs)
	}
	for i, w := range want {
		pe, _ := connectors.AsParseError(errs[i])
		if pe == nil || pe.Kind != w.kind || pe.Line != w.line || !pe.Recoverable || !strings.Contains(pe.Error(), w.text) {
			t.Errorf("error %d = %v (%+v), want recoverable %s at line %d: %q", i+1, errs[i], pe, w.kind, w.line, w.text)
		}
	}
}

func TestReaderTruncatedLastLine(t *testing.T) {
	for _, input := range []string{"{\"id\":1}\n{\"id\":\"2", "{\"id\":1}\n{\"id\":\"2\n"} {
		_, records, errs := readAll(t, strings.NewReader(input), jsonl.Options{})
		if len(records) != 1 || len(errs) != 1 {
			t.Fatalf("input %q: records %v, errors %v", input, records, errs)
		}
		pe, _ := connectors.AsParseError(errs[0])
		if pe == nil || pe.Kind != connectors.KindTruncated || pe.Recoverable || pe.Error() != "test.jsonl:2: unexpected end of JSON input (file looks truncated)" {
			t.Errorf("input %q: error = %v, want fatal truncation at line 2", input, errs[0])
		}
	}
}

func TestReaderLongLines(t *testing.T) {
	long := `{"notes":"` + strings.Repeat("x", 200_000) + `"}`
	input := "{\"id\":1}\n" + long + "\n{\"id\":3}\n"
	_, records, errs := readAll(t, strings.NewReader(input), jsonl.Options{})
	if len(errs) != 0 || len(records) != 3 {
		t.Fatalf("records %d, errors %v", len(records), errs)
	}
	if f, _ := records[1].Get("notes"); len(f.Text) != 200_000 {
		t.Errorf("notes has %d bytes, want 200000", len(f.Text))
	}

	_, records, errs = readAll(t, strings.NewReader(input), jsonl.Options{MaxRecordBytes: 100_000})
	if len(records) != 1 || len(errs) != 1 {
		t.Fatalf("records %d, errors %v", len(records), errs)
	}
	want := fmt.Sprintf("test.jsonl:2: line of %d bytes is larger than the maximum record size of 100000 bytes", len(long))
	if pe, _ := connectors.AsParseError(errs[0]); pe == nil || pe.Recoverable || pe.Kind != connectors.KindRecordTooLarge || !strings.Contains(pe.Error(), want) {
		t.Errorf("error = %v, want fatal %q", errs[0], want)
	}
}

func TestReaderArraysAsJSON(t *testing.T) {
	_, records, errs := readAll(t, strings.NewReader(`{"email":[{"v":"a"}, {"v":"b"}]}`), jsonl.Options{FlattenArrays: json.ArraysJSON})
	if len(errs) != 0 || len(records) != 1 {
		t.Fatalf("records %v, errors %v", records, errs)
	}
	if f, _ := records[0].Get("email"); f.Text != `[{"v":"a"},{"v":"b"}]` {
		t.Errorf("email = %q", f.Text)
	}
}

// generatedLines produces JSON lines without holding them in memory.
type generatedLines struct {
	lines   int
	next    int
	pending []byte
	line    func(i int) string
}

func (g *generatedLines) Read(p []byte) (int, error) {
	for len(g.pending) == 0 {
		if g.next >= g.lines {
			return 0, io.EOF
		}
		g.pending = []byte(g.line(g.next))
		g.next++
	}
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	return n, nil
}

const heapBound = 64 << 20

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func TestMemoryManyLines(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a million lines")
	}
	const lines = 1_000_000
	r, err := jsonl.NewReader(&generatedLines{lines: lines, line: func(i int) string {
		return fmt.Sprintf("{\"id\":%d,\"email\":[{\"value\":\"p%d@example.com\"}]}\n", i, i)
	}}, "many.jsonl", jsonl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	var peak uint64
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		count++
		if count%200_000 == 0 {
			peak = max(peak, liveHeap())
		}
	}
	if count != lines {
		t.Errorf("read %d records, want %d", count, lines)
	}
	t.Logf("live heap peak %d MiB", peak>>20)
	if peak > heapBound {
		t.Errorf("live heap reached %d MiB, bound %d MiB", peak>>20, heapBound>>20)
	}
}

func TestMemoryLargeLine(t *testing.T) {
	big := strings.Repeat("y", 5<<20)
	_, records, errs := readAll(t, &generatedLines{lines: 3, line: func(i int) string {
		if i == 1 {
			return `{"notes":"` + big + "\"}\n"
		}
		return "{\"id\":1}\n"
	}}, jsonl.Options{})
	if len(errs) != 0 || len(records) != 3 {
		t.Fatalf("records %d, errors %v", len(records), errs)
	}
	if f, _ := records[1].Get("notes"); len(f.Text) != len(big) {
		t.Errorf("notes has %d bytes", len(f.Text))
	}
	if heap := liveHeap(); heap > heapBound {
		t.Errorf("live heap %d MiB, bound %d MiB", heap>>20, heapBound>>20)
	}
}

func FuzzJSONL(f *testing.F) {
	for _, path := range caseFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		"{\"a\":1}\n\n{\"b\":[1,{\"c\":null}]}\r\n",
		"{\"a\":1}\n{\"a\":",
		"[1]\n\"x\"\n{}\n",
		"{\"a\":\"\xff\"}\n",
		"{\"a\":\"x\\u0000y\"}\n{\"b\":1}\n",
	} {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := jsonl.NewReader(strings.NewReader(string(data)), "fuzz.jsonl", jsonl.Options{MaxRecordBytes: 4096})
		if err != nil {
			t.Fatal(err)
		}
		// Each call consumes at least one line.
		for i := 0; i <= len(data)+1; i++ {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				pe, ok := connectors.AsParseError(err)
				if !ok {
					t.Fatalf("error is not a ParseError: %v", err)
				}
				if !pe.Recoverable {
					return
				}
				continue
			}
			for _, f := range rec.Fields {
				if !utf8.ValidString(f.Name) || !utf8.ValidString(f.Text) || strings.IndexByte(f.Name+f.Text, 0) >= 0 {
					t.Fatalf("field %q passed invalid UTF-8 or a NUL: %q", f.Name, f.Text)
				}
			}
		}
		t.Fatal("reader did not reach io.EOF")
	})
}

// caseFiles returns the shared .jsonl case files, or none when the shared
// folder next to the repository root is absent.
func caseFiles(tb testing.TB) []string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), "shared", "cases", "*.jsonl"))
	return files
}
