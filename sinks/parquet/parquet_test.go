package parquet

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"testing"
	"time"

	pqgo "github.com/parquet-go/parquet-go"

	"github.com/crmsync/crmsync/sinks"
	"github.com/crmsync/crmsync/sinks/parquet/parquettest"
)

var allKinds = []sinks.Column{
	{Name: "id", Kind: sinks.String, Origin: sinks.FromSource},
	{Name: "employees", Kind: sinks.Int, Origin: sinks.FromEnriched},
	{Name: "revenue", Kind: sinks.Float, Origin: sinks.FromEnriched},
	{Name: "public", Kind: sinks.Bool, Origin: sinks.FromEnriched},
	{Name: "tags", Kind: sinks.List, Elem: sinks.String, Origin: sinks.FromEnriched},
	{Name: "owner_ids", Kind: sinks.List, Elem: sinks.Int, Origin: sinks.FromEnriched},
	{Name: "address", Kind: sinks.JSON, Origin: sinks.FromEnriched},
	{Name: "created", Kind: sinks.Timestamp, Origin: sinks.FromEnriched},
	{Name: "zip", Kind: sinks.String, Origin: sinks.FromSource},
}

var wantLeaves = []parquettest.Leaf{
	{Physical: "BYTE_ARRAY", Logical: "STRING"},
	{Physical: "INT64"},
	{Physical: "DOUBLE"},
	{Physical: "BOOLEAN"},
	{Physical: "BYTE_ARRAY", Logical: "STRING", List: true},
	{Physical: "INT64", List: true},
	{Physical: "BYTE_ARRAY", Logical: "STRING"},
	{Physical: "INT64", Logical: "TIMESTAMP(MICROS,UTC)"},
	{Physical: "BYTE_ARRAY", Logical: "STRING"},
}

func v(s string) sinks.Value { return sinks.Value{Text: s} }

var null = sinks.Value{Null: true}

// writeFile writes rows to a new Parquet file and returns its path.
func writeFile(t *testing.T, cols []sinks.Column, opts Options, rows [][]sinks.Value) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.parquet")
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
	return path
}

func TestParquetTypesNullsAndValues(t *testing.T) {
	created := time.Date(2024, 1, 10, 8, 30, 15, 234000000, time.UTC)
	rows := [][]sinks.Value{
		{v("0015g00000XyZaBAAV"), v("1234567890123456789"), v("1.5"), v("True"), v(`["b2b", "saas"]`), v(`[9007199254740993, null]`), v(`{"city": "Köln"}`), v("2024-01-10T09:30:15.234+01:00"), v("02134")},
		// Nulls everywhere.
		{null, null, null, null, null, null, null, null, null},
		// Texts that do not convert become null; an empty list stays empty.
		{v("0015g00000XyZaCAAV"), v("50-100"), v("unknown"), v("yes"), v("[]"), v(`["x"]`), v("not json"), v("10/01/2024"), v("01569")},
		// Invalid UTF-8 from enrichment becomes U+FFFD.
		{v("Zo\xeb"), v("42.0"), v("-0.25"), v("0"), v(`["a", null]`), v("[]"), v("{}"), v("1970-01-01T00:00:00Z"), v("")},
	}
	path := writeFile(t, allKinds, Options{}, rows)
	got := parquettest.ReadBoth(t, path)

	if !reflect.DeepEqual(got.Leaves, wantLeaves) {
		t.Errorf("leaf types\n got %+v\nwant %+v", got.Leaves, wantLeaves)
	}
	want := [][]any{
		{"0015g00000XyZaBAAV", nil, "0015g00000XyZaCAAV", "Zo\uFFFD"},
		{int64(1234567890123456789), nil, nil, int64(42)},
		{1.5, nil, nil, -0.25},
		{true, nil, nil, false},
		{[]any{"b2b", "saas"}, nil, []any{}, []any{"a", nil}},
		{[]any{int64(9007199254740993), nil}, nil, nil, []any{}},
		{`{"city": "Köln"}`, nil, nil, "{}"},
		{created.UnixMicro(), nil, nil, int64(0)},
		{"02134", nil, "01569", ""},
	}
	for c := range want {
		if !reflect.DeepEqual(got.Columns[c], want[c]) {
			t.Errorf("column %s\n got %#v\nwant %#v", allKinds[c].Name, got.Columns[c], want[c])
		}
	}
}

func TestParquetCompression(t *testing.T) {
	tests := []struct {
		name, codec string
	}{
		{"", "SNAPPY"},
		{"snappy", "SNAPPY"},
		{"zstd", "ZSTD"},
		{"none", "UNCOMPRESSED"},
	}
	rows := [][]sinks.Value{
		{v("a"), v("1"), v("2.5"), v("true"), v(`["x"]`), v("[1]"), v("{}"), v("2024-01-10T08:30:15Z"), v("02134")},
		{null, null, null, null, null, null, null, null, null},
	}
	for _, tt := range tests {
		t.Run("codec "+tt.codec+" from "+strconv.Quote(tt.name), func(t *testing.T) {
			path := writeFile(t, allKinds, Options{Compression: tt.name}, rows)
			x := parquettest.ReadXitongsys(t, path)
			for i, c := range x.Compression {
				if c != tt.codec {
					t.Errorf("column %d codec %s, want %s", i, c, tt.codec)
				}
			}
			got := parquettest.ReadBoth(t, path)
			if got.Columns[0][0] != "a" || got.Columns[0][1] != nil {
				t.Errorf("id column %v, want [a <nil>]", got.Columns[0])
			}
		})
	}
	if _, err := Create(filepath.Join(t.TempDir(), "x.parquet"), allKinds, Options{Compression: "lz4"}); err == nil {
		t.Error("compression lz4 accepted, want an error")
	}
}

func TestParquetRowGroupsAndMetadata(t *testing.T) {
	cols := []sinks.Column{{Name: "n", Kind: sinks.Int}, {Name: "s", Kind: sinks.String}}
	var rows [][]sinks.Value
	for i := range 10000 {
		rows = append(rows, []sinks.Value{v(strconv.Itoa(i)), v(fmt.Sprintf("row %d", i))})
	}
	opts := Options{
		RowGroupRows: 3000,
		Metadata:     map[string]string{"pipeline": "salesforce-leads", "run_id": "run-1", "crmsync_version": "0.1.0"},
	}
	path := writeFile(t, cols, opts, rows)
	got := parquettest.ReadBoth(t, path)

	if want := []int64{3000, 3000, 3000, 1000}; !reflect.DeepEqual(got.RowGroups, want) {
		t.Errorf("row groups %v, want %v", got.RowGroups, want)
	}
	for k, want := range opts.Metadata {
		if got.KeyValues[k] != want {
			t.Errorf("metadata %s = %q, want %q", k, got.KeyValues[k], want)
		}
	}
	if len(got.Columns[0]) != 10000 {
		t.Fatalf("read %d rows, want 10000", len(got.Columns[0]))
	}
	for i, cell := range got.Columns[0] {
		if cell != int64(i) {
			t.Fatalf("row %d: n = %v, want %d", i, cell, i)
		}
	}
	if got.Columns[1][9999] != "row 9999" {
		t.Errorf("last s = %v, want row 9999", got.Columns[1][9999])
	}
}

func TestParquetEmptyFile(t *testing.T) {
	path := writeFile(t, allKinds, Options{}, nil)
	got := parquettest.ReadBoth(t, path)
	if len(got.Columns) != len(allKinds) {
		t.Fatalf("read %d columns, want %d", len(got.Columns), len(allKinds))
	}
	for c, cells := range got.Columns {
		if len(cells) != 0 {
			t.Errorf("column %d holds %d cells, want none", c, len(cells))
		}
	}
}

func TestParquetAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.parquet")
	s, err := Create(path, allKinds[:1], Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write([]sinks.Value{v("a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("final file exists before Commit")
	}
	if err := s.Write([]sinks.Value{v("a"), v("b")}); err == nil {
		t.Error("row with two values for one column accepted, want an error")
	}
	if err := s.Abort(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Abort left %v", entries)
	}
}

func TestParquetOptionErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(filepath.Join(dir, "a.parquet"), allKinds, Options{RowGroupRows: -1}); err == nil {
		t.Error("negative row group size accepted")
	}
	if _, err := Create(filepath.Join(dir, "b.parquet"), nil, Options{}); err == nil {
		t.Error("no columns accepted")
	}
	nested := []sinks.Column{{Name: "x", Kind: sinks.List, Elem: sinks.List}}
	if _, err := Create(filepath.Join(dir, "c.parquet"), nested, Options{}); err == nil {
		t.Error("list of lists accepted")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed Create calls left %v", entries)
	}
}

// TestParquetMemoryBounded writes one million rows and checks that the live
// heap after the first row groups does not keep growing with the row count.
func TestParquetMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes one million rows")
	}
	const total = 1_000_000
	cols := []sinks.Column{
		{Name: "Id", Kind: sinks.String},
		{Name: "Email", Kind: sinks.String},
		{Name: "Notes", Kind: sinks.String},
		{Name: "employees", Kind: sinks.Int},
		{Name: "revenue", Kind: sinks.Float},
		{Name: "tags", Kind: sinks.List, Elem: sinks.String},
	}
	path := filepath.Join(t.TempDir(), "big.parquet")
	s, err := Create(path, cols, Options{RowGroupRows: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	liveHeap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var firstHalfMax, secondHalfMax uint64
	row := make([]sinks.Value, len(cols))
	for i := range total {
		row[0] = v(fmt.Sprintf("0035g%010dAAA", i))
		row[1] = v(fmt.Sprintf("person%d@example.com", i))
		row[2] = v(fmt.Sprintf("Met at the %d conference; follow up about renewal and pricing.", i%97))
		row[3] = v(strconv.Itoa(i % 5000))
		row[4] = v(strconv.Itoa(i) + ".5")
		row[5] = v(`["b2b", "lead"]`)
		if err := s.Write(row); err != nil {
			t.Fatal(err)
		}
		if i > 0 && i%50_000 == 0 {
			h := liveHeap()
			switch {
			case i <= 200_000:
				// The first row groups warm up the writer's buffers.
			case i <= total/2:
				firstHalfMax = max(firstHalfMax, h)
			default:
				secondHalfMax = max(secondHalfMax, h)
			}
		}
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	t.Logf("live heap: max %d MiB up to row 500000, max %d MiB after", firstHalfMax>>20, secondHalfMax>>20)

	const limit = 256 << 20
	if secondHalfMax > limit {
		t.Errorf("live heap reached %d MiB, want below %d MiB", secondHalfMax>>20, limit>>20)
	}
	if secondHalfMax > firstHalfMax+firstHalfMax/2+(16<<20) {
		t.Errorf("live heap grew from %d MiB to %d MiB between the halves of the file", firstHalfMax>>20, secondHalfMax>>20)
	}

	// Only the footer is read back: assembling a million rows into Go
	// values would dwarf the memory this test is about.
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
	if pf.NumRows() != total {
		t.Errorf("parquet-go counts %d rows, want %d", pf.NumRows(), total)
	}
	if n := len(pf.RowGroups()); n != 10 {
		t.Errorf("%d row groups, want 10", n)
	}
}
