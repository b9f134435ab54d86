package transform

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addRows adds n records whose Note has width bytes.
func addRows(t *testing.T, c *Chunker, n, width int) {
	t.Helper()
	for i := range n {
		rec := record(field("Note", strings.Repeat("x", width)))
		rec.Line = i + 2
		if err := c.Add(int64(i), rec); err != nil {
			t.Fatalf("Add(%d): %v", i, err)
		}
	}
}

func TestChunkerRowLimit(t *testing.T) {
	dir := t.TempDir()
	c, err := NewChunker(dir, 4, MaxBytesPerFile, []Input{mustInput(t, "note", "Note")})
	if err != nil {
		t.Fatal(err)
	}
	addRows(t, c, 10, 3)
	chunks, err := c.Close()
	if err != nil {
		t.Fatal(err)
	}
	wantRows := []int{4, 4, 2}
	wantFirst := []int64{0, 4, 8}
	if len(chunks) != len(wantRows) {
		t.Fatalf("%d chunks, want %d", len(chunks), len(wantRows))
	}
	for i, ch := range chunks {
		if ch.Index != i || ch.Rows != wantRows[i] || ch.FirstOrdinal != wantFirst[i] {
			t.Errorf("chunk %d = index %d, %d rows from %d; want %d rows from %d", i, ch.Index, ch.Rows, ch.FirstOrdinal, wantRows[i], wantFirst[i])
		}
		if want := filepath.Join(dir, fmt.Sprintf("chunk-%05d.jsonl", i)); ch.Path != want {
			t.Errorf("chunk %d path %s, want %s", i, ch.Path, want)
		}
		checkChunkFile(t, ch)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left after Close", e.Name())
		}
	}
}

// checkChunkFile compares a chunk's size, SHA-256, line count and keys with
// the file on disk.
func checkChunkFile(t *testing.T, ch ChunkInfo) {
	t.Helper()
	data, err := os.ReadFile(ch.Path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != ch.Bytes {
		t.Errorf("%s: %d bytes on disk, ChunkInfo says %d", ch.Path, len(data), ch.Bytes)
	}
	if sha256.Sum256(data) != ch.SHA256 {
		t.Errorf("%s: SHA-256 differs from ChunkInfo", ch.Path)
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(nil, MaxBytesPerFile)
	line := 0
	for sc.Scan() {
		want := fmt.Sprintf(`{"%s":"%d",`, KeyColumn, ch.FirstOrdinal+int64(line))
		if !strings.HasPrefix(sc.Text(), want) {
			t.Errorf("%s line %d = %.60s, want it to start with %s", ch.Path, line+1, sc.Text(), want)
		}
		line++
	}
	if line != ch.Rows {
		t.Errorf("%s: %d lines, ChunkInfo says %d rows", ch.Path, line, ch.Rows)
	}
}

func TestChunkerByteLimit(t *testing.T) {
	inputs := []Input{mustInput(t, "note", "Note")}
	lineLen := len(EncodeRow(nil, inputs, 0, record(field("Note", strings.Repeat("x", 100)))))
	tests := []struct {
		name     string
		maxBytes int64
		wantRows []int
	}{
		// Exactly three lines fit: the fourth starts a new file.
		{"three lines exactly", int64(3 * lineLen), []int{3, 3, 1}},
		{"one byte short of three lines", int64(3*lineLen - 1), []int{2, 2, 2, 1}},
		{"one line per file", int64(lineLen), []int{1, 1, 1, 1, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewChunker(t.TempDir(), 1000, tt.maxBytes, inputs)
			if err != nil {
				t.Fatal(err)
			}
			addRows(t, c, 7, 100)
			chunks, err := c.Close()
			if err != nil {
				t.Fatal(err)
			}
			var rows []int
			for _, ch := range chunks {
				rows = append(rows, ch.Rows)
				if ch.Bytes > tt.maxBytes {
					t.Errorf("chunk %d has %d bytes, over the limit %d", ch.Index, ch.Bytes, tt.maxBytes)
				}
				checkChunkFile(t, ch)
			}
			if fmt.Sprint(rows) != fmt.Sprint(tt.wantRows) {
				t.Errorf("rows per chunk %v, want %v", rows, tt.wantRows)
			}
		})
	}
}

func TestChunkerRecordTooLarge(t *testing.T) {
	c, err := NewChunker(t.TempDir(), 10, 50, []Input{mustInput(t, "note", "Note")})
	if err != nil {
		t.Fatal(err)
	}
	rec := record(field("Note", strings.Repeat("x", 60)))
	rec.Line = 7
	// The writer goroutine finds the oversized record, so its error comes
	// from a later Add or from Close.
	err = c.Add(0, rec)
	if err == nil {
		_, err = c.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "line 7") || !strings.Contains(err.Error(), "chunk.max_bytes") {
		t.Errorf("oversized record: error %v, want one naming line 7 and chunk.max_bytes", err)
	}
	c.Abort()
}

func TestChunkerLimitsRejected(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		rows  int
		bytes int64
	}{{0, 10}, {MaxRowsPerFile + 1, 10}, {10, 0}, {10, MaxBytesPerFile + 1}} {
		if _, err := NewChunker(dir, tt.rows, tt.bytes, nil); err == nil {
			t.Errorf("NewChunker(rows %d, bytes %d) accepted, want an error", tt.rows, tt.bytes)
		}
	}
}

func TestChunkerAbortRemovesPartialFile(t *testing.T) {
	dir := t.TempDir()
	c, err := NewChunker(dir, 10, MaxBytesPerFile, []Input{mustInput(t, "note", "Note")})
	if err != nil {
		t.Fatal(err)
	}
	addRows(t, c, 3, 5)
	c.Abort()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("Abort left %v", entries)
	}
}

func TestChunkFileName(t *testing.T) {
	if got := ChunkFileName(7); got != "chunk-00007.jsonl" {
		t.Errorf("ChunkFileName(7) = %q", got)
	}
}
