package csv_test

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
	"github.com/crmsync/crmsync/connectors/csv"
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

func FuzzCSV(f *testing.F) {
	for _, path := range caseFiles(f, ".csv") {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		"a,b\n1,2\n",
		"sep=;\na;b\n1;2\n",
		"a\n\"unclosed\n",
		"a,b\n\"x\"y,2\n3,4\n",
		"a,a\n",
		"\n\n\na\n\n1\n",
		"a\r\n\"1\r\n2\"\r\n",
		"a\tb\n\x00\t\xff\n",
	} {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := csv.NewReader(bytes.NewReader(data), "fuzz.csv", csv.Options{MaxRecordBytes: 4096})
		if err != nil {
			if _, ok := connectors.AsParseError(err); !ok {
				t.Fatalf("NewReader error is not a ParseError: %v", err)
			}
			return
		}
		header := r.Header()
		// Every call consumes at least one line, so the reader must end
		// within one call per byte.
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
			if len(rec.Fields) != len(header) {
				t.Fatalf("record has %d fields, header %d", len(rec.Fields), len(header))
			}
			for _, f := range rec.Fields {
				if !utf8.ValidString(f.Text) || strings.IndexByte(f.Text, 0) >= 0 {
					t.Fatalf("field %q passed invalid text %q", f.Name, f.Text)
				}
			}
		}
		t.Fatal("reader did not reach io.EOF")
	})
}
