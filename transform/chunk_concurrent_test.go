package transform

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors"
)

// reusingSource returns its records one by one in a single Fields slice
// that it overwrites on every call, as a CSV reader with ReuseFields does.
// After the records it returns err, or io.EOF when err is nil.
type reusingSource struct {
	records []connectors.Record
	err     error
	next    int
	fields  []connectors.Field
}

func (s *reusingSource) Next() (connectors.Record, error) {
	if s.next == len(s.records) {
		if s.err != nil {
			return connectors.Record{}, s.err
		}
		return connectors.Record{}, io.EOF
	}
	rec := s.records[s.next]
	s.next++
	s.fields = append(s.fields[:0], rec.Fields...)
	return connectors.Record{Line: rec.Line, Fields: s.fields}, nil
}

func (s *reusingSource) Close() error { return nil }

// variedRecords returns n records whose layouts change: most share one
// field order, some have the fields reordered, some lack a field or carry an
// extra one, and the texts need JSON escapes.
func variedRecords(n int) []connectors.Record {
	recs := make([]connectors.Record, n)
	for i := range recs {
		first := field("FirstName", fmt.Sprintf("Ada %d \"quoted\"", i))
		last := field("LastName", strings.Repeat("é", i%7))
		note := field("Note", fmt.Sprintf("line\nbreak %s \u2028", strings.Repeat("x", i%300)))
		if i%11 == 0 {
			note = nullField("Note")
		}
		var fields []connectors.Field
		switch {
		case i%97 == 0:
			fields = []connectors.Field{note, last, first} // reordered
		case i%89 == 0:
			fields = []connectors.Field{first, note} // no LastName
		case i%83 == 0:
			fields = []connectors.Field{first, last, note, field("Extra", "e")}
		default:
			fields = []connectors.Field{first, last, note}
		}
		recs[i] = connectors.Record{Line: i + 2, Fields: fields}
	}
	return recs
}

// sequentialChunks is the reference for the chunker's output: each record
// encoded by name lookups with Input.Value and split by the same limits,
// as one goroutine would write it.
func sequentialChunks(inputs []Input, recs []connectors.Record, maxRows int, maxBytes int64) [][]byte {
	var chunks [][]byte
	var cur []byte
	rows := 0
	for i, rec := range recs {
		line := []byte(`{"` + KeyColumn + `":"` + strconv.Itoa(i) + `"`)
		for _, in := range inputs {
			line = append(line, ',')
			line = AppendJSONString(line, in.Name)
			line = append(line, ':')
			if v, ok := in.Value(rec.Get); ok {
				line = AppendJSONString(line, v)
			} else {
				line = append(line, "null"...)
			}
		}
		line = append(line, '}', '\n')
		if rows > 0 && (rows >= maxRows || int64(len(cur)+len(line)) > maxBytes) {
			chunks = append(chunks, cur)
			cur, rows = nil, 0
		}
		cur = append(cur, line...)
		rows++
	}
	if rows > 0 {
		chunks = append(chunks, cur)
	}
	return chunks
}

func testInputs(t *testing.T) []Input {
	return []Input{
		mustInput(t, "full_name", "{FirstName} {LastName}"),
		mustInput(t, "note", "Note"),
		mustInput(t, "last", "LastName"),
		mustInput(t, "missing", "NoSuchColumn"),
	}
}

func TestChunkerMatchesSequentialOutput(t *testing.T) {
	inputs := testInputs(t)
	recs := variedRecords(5000) // several batches, several chunks
	for _, limits := range []struct {
		rows  int
		bytes int64
	}{{700, MaxBytesPerFile}, {MaxRowsPerFile, 90_000}, {MaxRowsPerFile, MaxBytesPerFile}} {
		t.Run(fmt.Sprintf("rows %d bytes %d", limits.rows, limits.bytes), func(t *testing.T) {
			dir := t.TempDir()
			c, err := NewChunker(dir, limits.rows, limits.bytes, inputs)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Abort()
			src := &reusingSource{records: recs}
			n, _, err := ReadChunks(context.Background(), src, c, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(recs)) {
				t.Errorf("ReadChunks added %d records, want %d", n, len(recs))
			}
			chunks, err := c.Close()
			if err != nil {
				t.Fatal(err)
			}

			want := sequentialChunks(inputs, recs, limits.rows, limits.bytes)
			if len(chunks) != len(want) {
				t.Fatalf("%d chunks, want %d", len(chunks), len(want))
			}
			first := int64(0)
			for i, ch := range chunks {
				data, err := os.ReadFile(ch.Path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(data, want[i]) {
					t.Errorf("chunk %d differs from the sequential encoding (%d bytes, want %d)", i, len(data), len(want[i]))
				}
				if ch.SHA256 != sha256.Sum256(want[i]) {
					t.Errorf("chunk %d SHA-256 differs from that of the sequential encoding", i)
				}
				if ch.FirstOrdinal != first {
					t.Errorf("chunk %d starts at ordinal %d, want %d", i, ch.FirstOrdinal, first)
				}
				first += int64(ch.Rows)
				checkChunkFile(t, ch)
			}
			assertNoTempFiles(t, dir)
		})
	}
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left in %s", e.Name(), dir)
		}
	}
}

// addAll adds recs and then closes c, returning the first error.
func addAll(c *Chunker, recs []connectors.Record) error {
	for i, rec := range recs {
		if err := c.Add(int64(i), rec); err != nil {
			return err
		}
	}
	_, err := c.Close()
	return err
}

func TestChunkerOversizedRecordMidStream(t *testing.T) {
	dir := t.TempDir()
	c, err := NewChunker(dir, 300, 10_000, testInputs(t))
	if err != nil {
		t.Fatal(err)
	}
	recs := variedRecords(3000)
	recs[1700].Fields = []connectors.Field{field("Note", strings.Repeat("x", 20_000))}
	err = addAll(c, recs)
	c.Abort()
	if err == nil || !strings.Contains(err.Error(), "line 1702") || !strings.Contains(err.Error(), "chunk.max_bytes") {
		t.Errorf("error %v, want one naming line 1702 and chunk.max_bytes", err)
	}
	assertNoTempFiles(t, dir)
	if err := c.Add(5000, recs[0]); err == nil {
		t.Error("Add after the failure and Abort returned no error")
	}
}

func TestChunkerCreateFailure(t *testing.T) {
	dir := t.TempDir()
	// A folder where chunk 1's temporary file belongs makes its creation
	// fail.
	if err := os.Mkdir(filepath.Join(dir, ChunkFileName(1)+".tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := NewChunker(dir, 100, MaxBytesPerFile, testInputs(t))
	if err != nil {
		t.Fatal(err)
	}
	err = addAll(c, variedRecords(2000))
	c.Abort()
	if err == nil || !strings.Contains(err.Error(), ChunkFileName(1)) {
		t.Errorf("error %v, want one naming %s", err, ChunkFileName(1))
	}
	if _, err := os.Stat(filepath.Join(dir, ChunkFileName(0))); err != nil {
		t.Errorf("chunk 0, finished before the failure: %v", err)
	}
}

func TestChunkerRenameFailure(t *testing.T) {
	dir := t.TempDir()
	// A non-empty folder at chunk 0's final path makes its rename fail,
	// on the goroutine that syncs finished chunks.
	blocker := filepath.Join(dir, ChunkFileName(0))
	if err := os.MkdirAll(filepath.Join(blocker, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := NewChunker(dir, 100, MaxBytesPerFile, testInputs(t))
	if err != nil {
		t.Fatal(err)
	}
	err = addAll(c, variedRecords(1000))
	c.Abort()
	if err == nil || !strings.Contains(err.Error(), ChunkFileName(0)) {
		t.Errorf("error %v, want one naming %s", err, ChunkFileName(0))
	}
	assertNoTempFiles(t, dir)
}

func TestChunkerAbortMidStream(t *testing.T) {
	dir := t.TempDir()
	c, err := NewChunker(dir, 300, MaxBytesPerFile, testInputs(t))
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range variedRecords(2000) {
		if err := c.Add(int64(i), rec); err != nil {
			t.Fatal(err)
		}
	}
	c.Abort()
	assertNoTempFiles(t, dir)
	if err := c.Add(2000, record(field("Note", "late"))); err == nil {
		t.Error("Add after Abort returned no error")
	}
	if _, err := c.Close(); err == nil {
		t.Error("Close after Abort returned no error")
	}
}

func TestChunkerCloseWithoutRecords(t *testing.T) {
	dir := t.TempDir()
	c, err := NewChunker(dir, 10, MaxBytesPerFile, testInputs(t))
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := c.Close()
	if err != nil || len(chunks) != 0 {
		t.Errorf("Close = %v, %v; want no chunks and no error", chunks, err)
	}
	if _, err := c.Close(); err == nil {
		t.Error("second Close returned no error")
	}
}

func TestReadChunksColumnsAndProgress(t *testing.T) {
	recs := variedRecords(25_000)
	c, err := NewChunker(t.TempDir(), MaxRowsPerFile, MaxBytesPerFile, testInputs(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	var calls []int64
	n, columns, err := ReadChunks(context.Background(), &reusingSource{records: recs}, c,
		[]string{"Header", "LastName"}, func(n int64) { calls = append(calls, n) })
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(recs)) {
		t.Errorf("ReadChunks returned %d records, want %d", n, len(recs))
	}
	// Record 0 is reordered (0 % 97 == 0), so Note comes first after the
	// given columns; Extra first appears in record 83.
	if want := []string{"Header", "LastName", "Note", "FirstName", "Extra"}; !slices.Equal(columns, want) {
		t.Errorf("columns %v, want %v", columns, want)
	}
	if want := []int64{10_000, 20_000}; !slices.Equal(calls, want) {
		t.Errorf("progress calls %v, want %v", calls, want)
	}
	if _, err := c.Close(); err != nil {
		t.Errorf("Close after ReadChunks: %v", err)
	}
}

func TestReadChunksReportsChunkerErrorFirst(t *testing.T) {
	recs := variedRecords(10)
	recs[0].Fields = []connectors.Field{field("Note", strings.Repeat("x", 2000))}
	sourceErr := errors.New("disk read failed")
	c, err := NewChunker(t.TempDir(), 10, 1000, testInputs(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	_, _, err = ReadChunks(context.Background(), &reusingSource{records: recs, err: sourceErr}, c, nil, nil)
	if err == nil || errors.Is(err, sourceErr) || !strings.Contains(err.Error(), "line 2 ") {
		t.Errorf("error %v, want the chunker's error about line 2, which came before the source's", err)
	}
}

func TestReadChunksReportsSourceError(t *testing.T) {
	sourceErr := errors.New("disk read failed")
	c, err := NewChunker(t.TempDir(), 10, MaxBytesPerFile, testInputs(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	n, _, err := ReadChunks(context.Background(), &reusingSource{records: variedRecords(30), err: sourceErr}, c, nil, nil)
	if !errors.Is(err, sourceErr) {
		t.Errorf("error %v, want %v", err, sourceErr)
	}
	if n != 30 {
		t.Errorf("ReadChunks added %d records before the error, want 30", n)
	}
}

func TestReadChunksCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, err := NewChunker(t.TempDir(), 10, MaxBytesPerFile, testInputs(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	if _, _, err := ReadChunks(ctx, &reusingSource{records: variedRecords(5)}, c, nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestChunkBatchFullByTextSize(t *testing.T) {
	b := newChunkBatch()
	big := record(field("Note", strings.Repeat("x", batchTextBytes/4)))
	for i := range 3 {
		b.add(int64(i), big)
		if b.full() {
			t.Fatalf("batch full after %d records of a quarter of batchTextBytes", i+1)
		}
	}
	b.add(3, big)
	if !b.full() {
		t.Error("batch not full with four records of a quarter of batchTextBytes")
	}
	b.reset()
	if b.full() || len(b.fields) != 0 {
		t.Error("reset batch is not empty")
	}
}

// Large records must not pile up in the batches between Add and the
// writer goroutine: each batch is handed over once its texts pass
// batchTextBytes.
func TestChunkerLiveHeapWithLargeRecords(t *testing.T) {
	const records, noteBytes, bound = 400, 512 << 10, 64 << 20 // 200 MiB of notes in all
	c, err := NewChunker(t.TempDir(), MaxRowsPerFile, MaxBytesPerFile, []Input{mustInput(t, "note", "Note")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	var peak uint64
	for i := range records {
		// Each record gets its own text, as a reader allocates it.
		rec := record(field("Note", strings.Repeat(string(rune('a'+i%26)), noteBytes)))
		if err := c.Add(int64(i), rec); err != nil {
			t.Fatal(err)
		}
		if i%16 == 15 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
		}
	}
	if _, err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if peak > bound {
		t.Errorf("live heap reached %d MiB while adding %d MiB of records, want at most %d MiB", peak>>20, records*noteBytes>>20, bound>>20)
	}
}
