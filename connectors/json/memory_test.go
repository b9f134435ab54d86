package json_test

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors/json"
)

// heapBound is the live heap a streaming read may use, whatever the input
// size.
const heapBound = 64 << 20

// generatedArray produces {"results": [ ...records... ], "next": "z"} piece
// by piece without holding it in memory.
type generatedArray struct {
	records int
	next    int
	pending []byte
	record  func(i int) string
}

func (g *generatedArray) Read(p []byte) (int, error) {
	for len(g.pending) == 0 {
		switch {
		case g.next == 0:
			g.pending = []byte(`{"results": [` + "\n")
		case g.next <= g.records:
			sep := ",\n"
			if g.next == g.records {
				sep = "\n"
			}
			g.pending = []byte(g.record(g.next) + sep)
		case g.next == g.records+1:
			g.pending = []byte(`], "next": "z"}`)
		default:
			return 0, io.EOF
		}
		g.next++
	}
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	return n, nil
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func readGenerated(t *testing.T, g *generatedArray, every int) (int, uint64, *json.Reader) {
	t.Helper()
	r, err := json.NewReader(g, "generated.json", json.Options{RecordsPath: "/results"})
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	var peak uint64
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return count, peak, r
		}
		if err != nil {
			t.Fatal(err)
		}
		count++
		if rec.Line != count+1 {
			t.Fatalf("record %d at line %d, want %d", count, rec.Line, count+1)
		}
		if count%every == 0 {
			peak = max(peak, liveHeap())
		}
	}
}

func TestMemoryManyRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a million records")
	}
	const records = 1_000_000
	g := &generatedArray{records: records, record: func(i int) string {
		return fmt.Sprintf(`{"id": %d, "name": "Person %d", "tags": ["a", "b"]}`, i, i)
	}}
	count, peak, r := readGenerated(t, g, 200_000)
	if count != records {
		t.Errorf("read %d records, want %d", count, records)
	}
	if r.Envelope()["/next"] != "z" {
		t.Errorf("envelope = %v", r.Envelope())
	}
	t.Logf("live heap peak %d MiB", peak>>20)
	if peak > heapBound {
		t.Errorf("live heap reached %d MiB, bound %d MiB", peak>>20, heapBound>>20)
	}
}

func TestMemoryLargeValue(t *testing.T) {
	big := strings.Repeat("note \\\"quoted\\\" ", (5<<20)/17)
	g := &generatedArray{records: 3, record: func(i int) string {
		if i == 2 {
			return `{"id": 2, "notes": "` + big + `"}`
		}
		return fmt.Sprintf(`{"id": %d, "notes": "short"}`, i)
	}}
	count, peak, _ := readGenerated(t, g, 1)
	if count != 3 {
		t.Errorf("read %d records, want 3", count)
	}
	t.Logf("live heap peak %d MiB", peak>>20)
	if peak > heapBound {
		t.Errorf("live heap reached %d MiB, bound %d MiB", peak>>20, heapBound>>20)
	}
}
