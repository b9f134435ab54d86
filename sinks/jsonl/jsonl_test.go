package jsonl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/sinks"
)

var typedColumns = []sinks.Column{
	{Name: "id", Kind: sinks.String},
	{Name: "employees", Kind: sinks.Int},
	{Name: "revenue", Kind: sinks.Float},
	{Name: "public", Kind: sinks.Bool},
	{Name: "tags", Kind: sinks.List, Elem: sinks.String},
	{Name: "owner_ids", Kind: sinks.List, Elem: sinks.Int},
	{Name: "address", Kind: sinks.JSON},
	{Name: "created", Kind: sinks.Timestamp},
	{Name: "note", Kind: sinks.String},
}

func writeRows(t *testing.T, cols []sinks.Column, rows ...[]sinks.Value) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.jsonl")
	s, err := Create(path, cols)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := s.Write(r); err != nil {
			t.Fatal(err)
		}
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

func TestJSONLTypedValues(t *testing.T) {
	row := []sinks.Value{
		{Text: "0015g00000XyZaBAAV"},
		{Text: "1234567890123456789"},
		{Text: "1.5e6"},
		{Text: "True"},
		{Text: `["b2b", "saas"]`},
		{Text: `[9007199254740993, null]`},
		{Text: "{\n  \"city\": \"K\u00f6ln\"\n}"},
		{Text: "2024-01-10T09:30:15.234+01:00"},
		{Text: "line one\nline \"two\"\t<b>&\u2028"},
	}
	got := writeRows(t, typedColumns, row)
	want := `{"id":"0015g00000XyZaBAAV","employees":1234567890123456789,"revenue":1500000,"public":true,` +
		`"tags":["b2b","saas"],"owner_ids":[9007199254740993,null],"address":{"city":"Köln"},` +
		`"created":"2024-01-10T08:30:15.234Z","note":"line one\nline \"two\"\t<b>&\u2028"}` + "\n"
	if string(got) != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}

	dec := json.NewDecoder(bytes.NewReader(got))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("output is not valid JSON: %v", err)
	}
	if obj["employees"].(json.Number).String() != "1234567890123456789" {
		t.Errorf("employees = %v, want the exact int64", obj["employees"])
	}
}

func TestJSONLMismatchesAreNull(t *testing.T) {
	row := []sinks.Value{
		{Null: true},
		{Text: "50-100"},
		{Text: "unknown"},
		{Text: "yes"},
		{Text: "a;b"},
		{Text: `[1, "x"]`},
		{Text: "not json"},
		{Text: "10/01/2024"},
		{Text: ""},
	}
	got := writeRows(t, typedColumns, row)
	want := `{"id":null,"employees":null,"revenue":null,"public":null,"tags":null,"owner_ids":null,"address":null,"created":null,"note":""}` + "\n"
	if string(got) != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestJSONLKeyOrderAndLines(t *testing.T) {
	cols := []sinks.Column{{Name: "z", Kind: sinks.String}, {Name: "a \"quoted\"", Kind: sinks.Int}}
	got := writeRows(t, cols,
		[]sinks.Value{{Text: "first"}, {Text: "1"}},
		[]sinks.Value{{Text: "Zo\xeb"}, {Text: "2"}},
	)
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	want := []string{
		`{"z":"first","a \"quoted\"":1}`,
		`{"z":"Zo\ufffd","a \"quoted\"":2}`,
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("lines %q, want %q", lines, want)
	}
	sc := bufio.NewScanner(bytes.NewReader(got))
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Errorf("invalid JSON line %q", sc.Text())
		}
	}
}

func TestJSONLFloatFormat(t *testing.T) {
	cols := []sinks.Column{{Name: "f", Kind: sinks.Float}}
	got := writeRows(t, cols,
		[]sinks.Value{{Text: "0.1"}},
		[]sinks.Value{{Text: "1e21"}},
		[]sinks.Value{{Text: "1e-7"}},
		[]sinks.Value{{Text: "-0"}},
	)
	want := "{\"f\":0.1}\n{\"f\":1e+21}\n{\"f\":1e-07}\n{\"f\":-0}\n"
	if string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestJSONLAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := Create(filepath.Join(dir, "out.jsonl"), typedColumns[:1])
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write([]sinks.Value{{Text: "a"}, {Text: "b"}}); err == nil {
		t.Error("row with too many values accepted, want an error")
	}
	if err := s.Abort(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("aborted sink left %v", entries)
	}
}
