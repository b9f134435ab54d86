package source_test

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/source"
)

// heapBound is the live heap that reading one file through source.Open may
// use, whatever the file's size.
const heapBound = 64 << 20

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// writeGzipLines writes a gzip file whose decompressed text is the lines
// line(0) to line(n-1), without holding the text in memory.
func writeGzipLines(t *testing.T, path string, n int, line func(i int) string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(zw, 1<<16)
	for i := range n {
		if _, err := w.WriteString(line(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMemoryManyRowsThroughOpen streams two million CSV rows from a .gz file
// through source.Open with a preset, declared types and reject mode, so that
// decompression, the preset, the type check and reject counting run on each
// row.
func TestMemoryManyRowsThroughOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("reads two million rows")
	}
	const rows = 2_000_000
	const badEvery = 100_000 // each such row has one field too few
	dir := t.TempDir()
	path := filepath.Join(dir, "Lead.csv.gz")
	writeGzipLines(t, path, rows+1, func(i int) string {
		switch {
		case i == 0:
			return "Id,FirstName,LastName,Email,NumberOfEmployees\r\n"
		case i%badEvery == 0:
			return fmt.Sprintf("%d,Person,%d\r\n", i, i)
		}
		return fmt.Sprintf("%d,Person,%d,p%d@example.com,%d\r\n", i, i, i, i%500)
	})

	rejects := filepath.Join(dir, "rejects.jsonl")
	r, err := source.Open(path, source.Options{
		Preset:      "salesforce",
		Types:       map[string]string{"NumberOfEmployees": "int"},
		OnError:     "reject",
		RejectsPath: rejects,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	count := 0
	var peak uint64
	for {
		rec, err := r.Next()
		if connectors.IsEOF(err) {
			break
		}
		if err != nil {
			t.Fatalf("after %d records: %v", count, err)
		}
		count++
		if count%250_000 == 0 {
			peak = max(peak, liveHeap())
			if f, _ := rec.Get("LastName"); f.Text == "" {
				t.Fatalf("record %d has no LastName", count)
			}
		}
	}

	wantRejected := rows / badEvery
	if count != rows-wantRejected {
		t.Errorf("read %d records, want %d", count, rows-wantRejected)
	}
	st := r.Stats()
	if st.RowsRead != rows || st.Rejected != wantRejected || st.RejectsByKind[connectors.KindFieldCount] != wantRejected {
		t.Errorf("stats: rows read %d, rejected %d %v; want %d rows and %d field_count rejects",
			st.RowsRead, st.Rejected, st.RejectsByKind, rows, wantRejected)
	}
	if st.Container != "gzip" {
		t.Errorf("container = %q, want gzip", st.Container)
	}
	t.Logf("live heap peak %d MiB", peak>>20)
	if peak > heapBound {
		t.Errorf("live heap reached %d MiB, bound %d MiB", peak>>20, heapBound>>20)
	}
}

// TestMemoryLargeFieldThroughOpen reads a JSONL file with an 8 MiB value
// through source.Open and checks that the live heap stays under heapBound.
func TestMemoryLargeFieldThroughOpen(t *testing.T) {
	const fieldSize = 8 << 20
	path := filepath.Join(t.TempDir(), "notes.jsonl")
	big := strings.Repeat("Example note text, ", fieldSize/19)
	data := "{\"id\":1,\"notes\":\"short\"}\n{\"id\":2,\"notes\":\"" + big + "\"}\n{\"id\":3,\"notes\":\"short\"}\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	big, data = "", "" // keep only the reader's copy live

	r, err := source.Open(path, source.Options{Types: map[string]string{"id": "int"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var sizes []int
	var peak uint64
	for {
		rec, err := r.Next()
		if connectors.IsEOF(err) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		f, _ := rec.Get("notes")
		sizes = append(sizes, len(f.Text))
		peak = max(peak, liveHeap())
	}
	if want := fieldSize / 19 * 19; len(sizes) != 3 || sizes[1] != want {
		t.Errorf("notes sizes = %v, want the second to be %d", sizes, want)
	}
	t.Logf("live heap peak %d MiB", peak>>20)
	if peak > heapBound {
		t.Errorf("live heap reached %d MiB, bound %d MiB", peak>>20, heapBound>>20)
	}
}
