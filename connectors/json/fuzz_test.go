package json_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/json"
)

// caseFiles returns the shared case files with the extension ext, or none
// when the shared folder next to the repository root is absent.
func caseFiles(tb testing.TB, ext string) []string {
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
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), "shared", "cases", "*"+ext))
	return files
}

func FuzzJSON(f *testing.F) {
	for _, path := range caseFiles(f, ".json") {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "/results", false)
		f.Add(data, "", true)
	}
	for _, seed := range []string{
		`[{"a": 1}, 2, {"b": [1, {"c": null}]}]`,
		`{"r": [{"a": "\u00e9"}], "p": {"n": 1}}`,
		`[{"a": 1}`,
		`[{"a": 1}] x`,
		"[{\"a\": \"\xff\"}]",
		`{"r": {"x": [[[[]]]]}}`,
		`[{"a": "x\u0000y"}, {"b\u0000": 1}]`,
	} {
		f.Add([]byte(seed), "/r", false)
		f.Add([]byte(seed), "", true)
	}

	f.Fuzz(func(t *testing.T, data []byte, pointer string, arraysAsJSON bool) {
		mode := json.ArraysIndex
		if arraysAsJSON {
			mode = json.ArraysJSON
		}
		if _, err := json.ParsePointer(pointer); err != nil {
			return
		}
		r, err := json.NewReader(bytes.NewReader(data), "fuzz.json", json.Options{RecordsPath: pointer, FlattenArrays: mode, MaxRecordBytes: 4096})
		if err != nil {
			return
		}
		// Each call reads at least one byte, so the reader must end within
		// one call per byte.
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
