package parquet

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	pqgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/crmsync/crmsync/sinks"
	"github.com/crmsync/crmsync/sinks/parquet/parquettest"
)

// columnEncodings returns, per column name, the encodings listed in the
// metadata of every column chunk of the file at path.
func columnEncodings(t *testing.T, path string) map[string][][]format.Encoding {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := pqgo.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][][]format.Encoding{}
	for _, rg := range pf.Metadata().RowGroups {
		for _, cc := range rg.Columns {
			name := cc.MetaData.PathInSchema[0]
			out[name] = append(out[name], cc.MetaData.Encoding)
		}
	}
	return out
}

func TestParquetDictionaryOnlyForRepeatingColumns(t *testing.T) {
	cols := []sinks.Column{
		{Name: "id", Kind: sinks.String},
		{Name: "country", Kind: sinks.String},
		{Name: "employees", Kind: sinks.Int},
		{Name: "size_band", Kind: sinks.Int},
		{Name: "empty", Kind: sinks.String},
	}
	countries := []string{"DE", "FR", "US", "PL"}
	var rows [][]sinks.Value
	for i := range 3 * batchRows {
		rows = append(rows, []sinks.Value{
			v(fmt.Sprintf("0035g%010dAAA", i)),
			v(countries[i%len(countries)]),
			v(strconv.Itoa(i)),
			v(strconv.Itoa(i % 5 * 100)),
			null,
		})
	}
	path := writeFile(t, cols, Options{RowGroupRows: 5000}, rows)

	encodings := columnEncodings(t, path)
	wantDictionary := map[string]bool{"id": false, "country": true, "employees": false, "size_band": true, "empty": true}
	for name, want := range wantDictionary {
		chunks := encodings[name]
		if len(chunks) != 3 {
			t.Errorf("column %s has %d column chunks, want 3", name, len(chunks))
		}
		for i, e := range chunks {
			if got := slices.Contains(e, format.RLEDictionary); got != want {
				t.Errorf("column %s, row group %d: encodings %v, dictionary %v, want %v", name, i, e, got, want)
			}
		}
	}

	got := parquettest.ReadBoth(t, path)
	for i := range rows {
		if got.Columns[0][i] != rows[i][0].Text || got.Columns[1][i] != rows[i][1].Text || got.Columns[2][i] != int64(i) || got.Columns[4][i] != nil {
			t.Fatalf("row %d read back as %v %v %v %v, want %s %s %d null", i,
				got.Columns[0][i], got.Columns[1][i], got.Columns[2][i], got.Columns[4][i], rows[i][0].Text, rows[i][1].Text, i)
		}
	}
}

func TestParquetAbortAfterBatches(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.parquet")
	s, err := Create(path, allKinds[:1], Options{RowGroupRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// Enough rows for several batches, so the encoder goroutine is running
	// with rows queued when Abort comes.
	for i := range 5 * batchRows {
		if err := s.Write([]sinks.Value{v(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Abort(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Abort left %v", entries)
	}
	if err := s.Write([]sinks.Value{v("late")}); err == nil {
		t.Error("Write after Abort accepted, want an error")
	}
	if err := s.Commit(); err == nil {
		t.Error("Commit after Abort succeeded, want an error")
	}
}

func TestParquetStringValidUTF8(t *testing.T) {
	cols := []sinks.Column{{Name: "s", Kind: sinks.String}, {Name: "d", Kind: sinks.JSON}}
	rows := [][]sinks.Value{
		{v("Zoë"), v(`{"name": "Zoë"}`)},
		{v("Zo\xeb"), v("{\"name\": \"Zo\xeb\"}")},
		{v(""), v("  ")},
	}
	got := parquettest.ReadBoth(t, writeFile(t, cols, Options{}, rows))
	want := [][]any{{"Zoë", "Zo\uFFFD", ""}, {`{"name": "Zoë"}`, "{\"name\": \"Zo\uFFFD\"}", nil}}
	for c := range want {
		for r := range want[c] {
			if got.Columns[c][r] != want[c][r] {
				t.Errorf("column %s row %d = %#v, want %#v", cols[c].Name, r, got.Columns[c][r], want[c][r])
			}
		}
	}
}
