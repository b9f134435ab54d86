package csv_test

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors/csv"
)

// heapBound is the live heap a streaming read may use, whatever the input
// size.
const heapBound = 64 << 20

// generated produces a CSV file row by row without holding it in memory.
type generated struct {
	rows    int
	next    int
	pending []byte
	row     func(i int) string
}

func (g *generated) Read(p []byte) (int, error) {
	for len(g.pending) == 0 {
		if g.next > g.rows {
			return 0, io.EOF
		}
		g.pending = []byte(g.row(g.next))
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

func TestMemoryManyRows(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a million rows")
	}
	const rows = 1_000_000
	input := &generated{rows: rows, row: func(i int) string {
		if i == 0 {
			return "Id,Name,Email\n"
		}
		return fmt.Sprintf("%d,Person %d,p%d@example.com\n", i, i, i)
	}}
	r, err := csv.NewReader(input, "many.csv", csv.Options{})
	if err != nil {
		t.Fatal(err)
	}

	count := 0
	var peak uint64
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		count++
		if count%200_000 == 0 {
			peak = max(peak, liveHeap())
			if want := fmt.Sprint(count); rec.Fields[0].Text != want {
				t.Fatalf("record %d has Id %q", count, rec.Fields[0].Text)
			}
		}
	}
	if count != rows {
		t.Errorf("read %d records, want %d", count, rows)
	}
	t.Logf("live heap peak %d MiB", peak>>20)
	if peak > heapBound {
		t.Errorf("live heap reached %d MiB, bound %d MiB", peak>>20, heapBound>>20)
	}
}

func TestMemoryLargeField(t *testing.T) {
	const fieldSize = 5 << 20
	input := &generated{rows: 3, row: func(i int) string {
		switch i {
		case 0:
			return "Id,Notes\n"
		case 2:
			return "2,\"" + strings.Repeat("note, \"\"quoted\"\"\n", fieldSize/17) + "\"\n"
		}
		return fmt.Sprintf("%d,short\n", i)
	}}
	r, err := csv.NewReader(input, "large.csv", csv.Options{})
	if err != nil {
		t.Fatal(err)
	}

	var sizes []int
	var peak uint64
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(rec.Fields[1].Text))
		peak = max(peak, liveHeap())
	}
	wantSize := fieldSize / 17 * 15
	if len(sizes) != 3 || sizes[1] != wantSize {
		t.Errorf("field sizes = %v, want the second to be %d", sizes, wantSize)
	}
	t.Logf("live heap peak %d MiB", peak>>20)
	if peak > heapBound {
		t.Errorf("live heap reached %d MiB, bound %d MiB", peak>>20, heapBound>>20)
	}
}
