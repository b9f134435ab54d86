package transform

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/sinks"
)

// resultCSV returns a result file for the ordinals in order: each row has
// title "Title <ordinal>" and employees 10+ordinal.
func resultCSV(ordinals []int) string {
	var b strings.Builder
	b.WriteString("_crmsync_key,title,employees\n")
	for _, o := range ordinals {
		fmt.Fprintf(&b, "%d,Title %d,%d\n", o, o, 10+o)
	}
	return b.String()
}

func TestMergeResultOrders(t *testing.T) {
	// Chunks larger than a result batch, so rows wait across batches.
	const rows = 3*resultBatchRows + 17
	inOrder := make([]int, rows)
	for i := range inOrder {
		inOrder[i] = i
	}
	reversed := make([]int, rows)
	for i := range reversed {
		reversed[i] = rows - 1 - i
	}
	shuffled := append([]int(nil), inOrder...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	// Record 7 comes first and again at the end, record 5 is missing and
	// key 9999 is unknown.
	gaps := append([]int{7}, inOrder[:5]...)
	gaps = append(gaps, 6)
	gaps = append(gaps, inOrder[8:]...)
	gaps = append(gaps, 7, 9999)

	tests := []struct {
		name                        string
		ordinals                    []int
		missing, duplicate, unknown int64
	}{
		{"in order", inOrder, 0, 0, 0},
		{"reversed", reversed, 0, 0, 0},
		{"shuffled", shuffled, 0, 0, 0},
		{"gaps and repeats", gaps, 1, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result := writeResult(t, "r.csv", resultCSV(tt.ordinals))
			chunks := []MergeChunk{{FirstOrdinal: 0, Rows: rows, ResultPath: result, ResultFormat: "csv"}}
			st, got, err := runMerge(t, sourceRecords(rows), chunks, "status")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != rows {
				t.Fatalf("%d rows written, want %d", len(got), rows)
			}
			for i, row := range got {
				if cellText(row["Id"]) != fmt.Sprintf("id%d", i) {
					t.Fatalf("row %d has Id %s, want id%d", i, cellText(row["Id"]), i)
				}
				wantTitle, wantEmployees := fmt.Sprintf("Title %d", i), fmt.Sprint(10+i)
				if i == 5 && tt.missing > 0 {
					wantTitle, wantEmployees = "<null>", "<null>"
				}
				if cellText(row["title"]) != wantTitle || cellText(row["employees"]) != wantEmployees {
					t.Fatalf("row %d: title %s, employees %s; want %s, %s", i, cellText(row["title"]), cellText(row["employees"]), wantTitle, wantEmployees)
				}
			}
			if st.MissingKeys != tt.missing || st.DuplicateKeys != tt.duplicate || st.UnknownKeys != tt.unknown {
				t.Errorf("missing %d, duplicate %d, unknown %d; want %d, %d, %d",
					st.MissingKeys, st.DuplicateKeys, st.UnknownKeys, tt.missing, tt.duplicate, tt.unknown)
			}
			if st.Enriched != rows-tt.missing || st.NotEnriched != tt.missing {
				t.Errorf("enriched %d, not enriched %d; want %d, %d", st.Enriched, st.NotEnriched, rows-tt.missing, tt.missing)
			}
		})
	}
}

func TestMergeDuplicateAfterTaken(t *testing.T) {
	// Key 0 comes again after the merge has taken it and moved on: a
	// duplicate, and the first row's values stay on record 0.
	result := writeResult(t, "r.csv", "_crmsync_key,title,employees\n0,first,1\n1,Title 1,2\n0,second,3\n2,Title 2,4\n")
	chunks := []MergeChunk{
		{FirstOrdinal: 0, Rows: 3, ResultPath: result, ResultFormat: "csv"},
		{FirstOrdinal: 3, Rows: 1},
	}
	st, rows, err := runMerge(t, sourceRecords(4), chunks)
	if err != nil {
		t.Fatal(err)
	}
	if got := cellText(rows[0]["title"]); got != "first" {
		t.Errorf("row 0 title %q, want first", got)
	}
	if got := cellText(rows[2]["title"]); got != "Title 2" {
		t.Errorf("row 2 title %q, want Title 2", got)
	}
	if st.DuplicateKeys != 1 || st.MissingKeys != 0 || st.UnknownKeys != 0 {
		t.Errorf("duplicate %d, missing %d, unknown %d; want 1, 0, 0", st.DuplicateKeys, st.MissingKeys, st.UnknownKeys)
	}
}

func TestMergeSourceFieldOrder(t *testing.T) {
	// JSON sources name fields in any order and may omit some; every value
	// must land in its own column.
	recs := []connectors.Record{
		record(field("Id", "id0"), field("Name", "Name 0")),
		record(field("Name", "Name 1"), field("Id", "id1")),
		record(field("Id", "id2")),
		record(field("Extra", "x"), field("Name", "Name 3"), field("Id", "id3")),
		record(field("Id", "id4"), nullField("Name")),
	}
	chunks := []MergeChunk{{FirstOrdinal: 0, Rows: len(recs)}}
	_, rows, err := runMerge(t, recs, chunks)
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"id0", "Name 0"}, {"id1", "Name 1"}, {"id2", "<null>"}, {"id3", "Name 3"}, {"id4", "<null>"}}
	for i, w := range want {
		if got := [2]string{cellText(rows[i]["Id"]), cellText(rows[i]["Name"])}; got != w {
			t.Errorf("row %d: Id, Name = %v, want %v", i, got, w)
		}
	}
}

// failingSink fails its Write call number failAt.
type failingSink struct {
	memorySink
	failAt int
}

func (f *failingSink) Write(row []sinks.Value) error {
	if len(f.rows)+1 == f.failAt {
		return errors.New("disk full")
	}
	return f.memorySink.Write(row)
}

// countingSource counts Next calls and yields n records.
type countingSource struct {
	n, calls  int
	afterStop atomic.Bool
	late      atomic.Int64
}

func (c *countingSource) Next() (connectors.Record, error) {
	if c.afterStop.Load() {
		c.late.Add(1)
	}
	c.calls++
	if c.calls > c.n {
		return connectors.Record{}, io.EOF
	}
	return record(field("Id", fmt.Sprintf("id%d", c.calls-1))), nil
}

func (c *countingSource) Close() error { return nil }

func TestMergeStopsReadingOnError(t *testing.T) {
	const rows = 20 * sourceBatchRows
	result := writeResult(t, "r.csv", resultCSV([]int{0, 1, 2}))
	src := &countingSource{n: rows}
	layout, err := sinks.NewLayout(sinks.LayoutConfig{}, []string{"Id"}, nil, mergeFields)
	if err != nil {
		t.Fatal(err)
	}
	sink := &failingSink{failAt: 100}
	_, err = Merge(MergeInput{
		Source:     src,
		Columns:    []string{"Id"},
		Fields:     mergeFields,
		Chunks:     []MergeChunk{{FirstOrdinal: 0, Rows: rows, ResultPath: result, ResultFormat: "csv"}},
		OpenResult: OpenResult,
		Outputs:    []Output{{Layout: layout, Sink: sink}},
	})
	src.afterStop.Store(true)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("error %v, want the sink's error", err)
	}
	if src.calls >= rows {
		t.Errorf("the source was read to its end (%d calls) after the sink failed", src.calls)
	}
	if n := src.late.Load(); n != 0 {
		t.Errorf("Next was called %d times after Merge returned", n)
	}
}

func TestMergeResultReadError(t *testing.T) {
	// A quote that never closes makes the result reader fail part way.
	result := writeResult(t, "r.csv", resultCSV([]int{0, 1})+"2,\"Title 2,12\n")
	chunks := []MergeChunk{{FirstOrdinal: 0, Rows: 3, ResultPath: result, ResultFormat: "csv"}}
	_, _, err := runMerge(t, sourceRecords(3), chunks)
	if err == nil || !strings.Contains(err.Error(), result) {
		t.Errorf("error %v, want one naming the result file", err)
	}
}

func TestMergeSourceReadError(t *testing.T) {
	src := &errorSource{records: sourceRecords(300), failAt: 260}
	chunks := []MergeChunk{{FirstOrdinal: 0, Rows: 300}}
	layout, err := sinks.NewLayout(sinks.LayoutConfig{}, []string{"Id", "Name"}, nil, mergeFields)
	if err != nil {
		t.Fatal(err)
	}
	sink := &memorySink{}
	_, err = Merge(MergeInput{
		Source: src, Columns: []string{"Id", "Name"}, Fields: mergeFields, Chunks: chunks,
		OpenResult: OpenResult, Outputs: []Output{{Layout: layout, Sink: sink}},
	})
	if err == nil || !strings.Contains(err.Error(), "disk read failed") {
		t.Fatalf("error %v, want the source's error", err)
	}
	if len(sink.rows) != 260 {
		t.Errorf("%d rows written before the error, want the 260 read before it", len(sink.rows))
	}
}

// errorSource yields records and fails at record failAt.
type errorSource struct {
	records []connectors.Record
	failAt  int
	next    int
}

func (e *errorSource) Next() (connectors.Record, error) {
	if e.next == e.failAt {
		return connectors.Record{}, errors.New("disk read failed")
	}
	e.next++
	return e.records[e.next-1], nil
}

func (e *errorSource) Close() error { return nil }
