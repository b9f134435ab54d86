package source_test

import (
	"bytes"
	"github.com/crmsync/crmsync/internal/testutil"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/source"
)

// sharedDir returns ../shared beside the repository, or skips the test.
func sharedDir(t *testing.T) string { return testutil.SharedDir(t) }

func casePath(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(sharedDir(t), "cases", name)
}

func realPath(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(sharedDir(t), "realdata", name)
}

// readResult is what reading a file through source.Open and WriteJSONLines
// produced.
type readResult struct {
	lines []string // JSON lines written
	err   error    // error of Open or of reading
	stats source.Stats
}

func readFile(t *testing.T, path string, opts source.Options) readResult {
	t.Helper()
	r, err := source.Open(path, opts)
	if err != nil {
		return readResult{err: err}
	}
	defer func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	var out bytes.Buffer
	n, err := source.WriteJSONLines(&out, r)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if out.Len() == 0 {
		lines = nil
	}
	if n != len(lines) {
		t.Errorf("WriteJSONLines returned n=%d, but wrote %d lines", n, len(lines))
	}
	return readResult{lines: lines, err: err, stats: r.Stats()}
}

// readRecords returns every record of path, failing the test on any error.
func readRecords(t *testing.T, path string, opts source.Options) ([]connectors.Record, *source.Reader) {
	t.Helper()
	r, err := source.Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { r.Close() })
	var records []connectors.Record
	for {
		rec, err := r.Next()
		if connectors.IsEOF(err) {
			return records, r
		}
		if err != nil {
			t.Fatalf("Next after %d records of %s: %v", len(records), path, err)
		}
		records = append(records, rec)
	}
}

func wantLines(t *testing.T, got readResult, want ...string) {
	t.Helper()
	if len(got.lines) != len(want) {
		t.Fatalf("got %d records, want %d:\n%s", len(got.lines), len(want), strings.Join(got.lines, "\n"))
	}
	for i := range want {
		if got.lines[i] != want[i] {
			t.Errorf("record %d:\n got %s\nwant %s", i+1, got.lines[i], want[i])
		}
	}
}

func wantParseError(t *testing.T, err error, kind connectors.ErrorKind, message string) *connectors.ParseError {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s error %q", kind, message)
	}
	pe, ok := connectors.AsParseError(err)
	if !ok {
		t.Fatalf("got %T %v, want a *connectors.ParseError", err, err)
	}
	if pe.Kind != kind {
		t.Errorf("kind = %s, want %s (error: %v)", pe.Kind, kind, err)
	}
	if !strings.Contains(err.Error(), message) {
		t.Errorf("error = %q, want it to contain %q", err.Error(), message)
	}
	return pe
}

func field(t *testing.T, rec connectors.Record, name string) connectors.Field {
	t.Helper()
	f, ok := rec.Get(name)
	if !ok {
		t.Fatalf("record at line %d has no field %q", rec.Line, name)
	}
	return f
}
