package preset_test

// Small readers for the realdata tests, standing in for connectors/source.
// They find the records array themselves and flatten each record with the
// format readers' Flatten. CSV goes through encoding/csv, and an empty cell
// is null.
// TODO: switch these tests to source.Open once connectors/source builds.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	crmjson "github.com/crmsync/crmsync/connectors/json"
)

// sharedDir returns the team's shared folder, found next to the repository
// root (the first parent folder with a go.mod), or skips the test.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test folder, so ../shared cannot be located")
		}
		dir = parent
	}
	shared := filepath.Join(filepath.Dir(dir), "shared")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("shared folder %s is absent, so the real export files cannot be read", shared)
	}
	return shared
}

func realdata(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(sharedDir(t), "realdata", name)
}

func readCSV(t *testing.T, path string) []connectors.Record {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()

	reader := csv.NewReader(file)
	header, err := reader.Read()
	if err != nil {
		t.Fatalf("%s: header: %v", path, err)
	}
	var records []connectors.Record
	for {
		row, err := reader.Read()
		if err != nil {
			if connectors.IsEOF(err) {
				return records
			}
			t.Fatalf("%s: %v", path, err)
		}
		line, _ := reader.FieldPos(0)
		record := connectors.Record{Line: line}
		for i, value := range row {
			record.Fields = append(record.Fields, connectors.Field{Name: header[i], Text: value, Null: value == ""})
		}
		records = append(records, record)
	}
}

// readJSON reads the array at the RFC 6901 pointer of a JSON file.
func readJSON(t *testing.T, path, pointer string, indexArrays bool) []connectors.Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw := json.RawMessage(data)
	if pointer != "" {
		for _, token := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
			token = strings.ReplaceAll(strings.ReplaceAll(token, "~1", "/"), "~0", "~")
			var object map[string]json.RawMessage
			if err := json.Unmarshal(raw, &object); err != nil {
				t.Fatalf("%s: pointer %s at %q: %v", path, pointer, token, err)
			}
			next, ok := object[token]
			if !ok {
				t.Fatalf("%s: pointer %s: no member %q", path, pointer, token)
			}
			raw = next
		}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		t.Fatalf("%s: pointer %q is not an array: %v", path, pointer, err)
	}
	records := make([]connectors.Record, 0, len(items))
	for _, item := range items {
		records = append(records, flattenRecord(t, item, indexArrays))
	}
	return records
}

func readJSONL(t *testing.T, path string, indexArrays bool) []connectors.Record {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()

	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 1<<24)
	var records []connectors.Record
	for line := 1; scanner.Scan(); line++ {
		if len(bytes.TrimSpace(scanner.Bytes())) == 0 {
			continue
		}
		record := flattenRecord(t, append([]byte(nil), scanner.Bytes()...), indexArrays)
		record.Line = line
		records = append(records, record)
	}
	if err := scanner.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return records
}

func flattenRecord(t *testing.T, raw json.RawMessage, indexArrays bool) connectors.Record {
	t.Helper()
	mode := crmjson.ArraysJSON
	if indexArrays {
		mode = crmjson.ArraysIndex
	}
	fields, err := crmjson.Flatten(raw, mode, nil)
	if err != nil {
		t.Fatalf("flatten: %v", err)
	}
	return connectors.Record{Fields: fields}
}

func fieldNames(r connectors.Record) []string {
	names := make([]string, len(r.Fields))
	for i, f := range r.Fields {
		names[i] = f.Name
	}
	return names
}
