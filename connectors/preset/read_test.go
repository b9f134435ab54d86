package preset_test

// Helpers that read the real exports the way a pipeline does: through
// source.Open with the preset set, so the preset's records_path default,
// its transform and the format readers all run.

import (
	"path/filepath"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/source"
	"github.com/crmsync/crmsync/internal/testutil"
)

// sharedDir returns ../shared beside the repository, or skips the test.
func sharedDir(t *testing.T) string { return testutil.SharedDir(t) }

func realdata(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(sharedDir(t), "realdata", name)
}

// readPreset reads every record of path through source.Open with the named
// preset and fails the test on any error or reject. It also fails when a
// transformed record has the same column twice.
func readPreset(t *testing.T, name, path string, opts source.Options) ([]connectors.Record, *source.Reader) {
	t.Helper()
	opts.Preset = name
	r, err := source.Open(path, opts)
	if err != nil {
		t.Fatalf("open %s with preset %s: %v", path, name, err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close %s: %v", path, err)
		}
	})

	var records []connectors.Record
	for {
		rec, err := r.Next()
		if connectors.IsEOF(err) {
			break
		}
		if err != nil {
			t.Fatalf("%s with preset %s, after %d records: %v", path, name, len(records), err)
		}
		seen := map[string]bool{}
		for _, f := range rec.Fields {
			if seen[f.Name] {
				t.Errorf("%s record at line %d yields column %q twice", name, rec.Line, f.Name)
			}
			seen[f.Name] = true
		}
		records = append(records, rec)
	}
	if st := r.Stats(); st.Rejected != 0 || st.RowsRead != st.Records+st.Skipped {
		t.Errorf("stats: rows read %d, records %d, skipped %d, rejected %d", st.RowsRead, st.Records, st.Skipped, st.Rejected)
	}
	return records, r
}

func fieldNames(r connectors.Record) []string {
	names := make([]string, len(r.Fields))
	for i, f := range r.Fields {
		names[i] = f.Name
	}
	return names
}
